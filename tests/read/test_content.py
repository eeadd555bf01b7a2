"""Name/content mismatches, polyglots, and office documents kept whole (XML never expanded)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.model import Member
from triage.read import content, reasons
from triage.read.ooxml import safe_parse_xml

from .helpers import members, read_all, skipped, write, zip_bytes

ELF = b"\x7fELF\x02\x01\x01" + bytes(57)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def notes_of(results: list, path: str) -> tuple[str, ...]:
    return next(r.notes for r in results if isinstance(r, Member) and r.path == path)


def docx(document_xml: bytes) -> bytes:
    return zip_bytes(
        [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", document_xml),
        ]
    )


def test_name_content_mismatch(tmp_path: Path) -> None:
    inner = zip_bytes([("a", b"1")])
    drop = zip_bytes([("photo.jpg", inner), ("notes.txt", ELF), ("ok.txt", b"plain"), ("img.gif", GIF)])
    results = read_all(write(tmp_path, "d.zip", drop))
    assert notes_of(results, "photo.jpg") == ("name-content-mismatch: .jpg vs zip", "archive: zip")
    assert notes_of(results, "notes.txt") == ("name-content-mismatch: .txt vs elf",)
    assert notes_of(results, "ok.txt") == ()
    assert notes_of(results, "img.gif") == ()
    assert members(results)["photo.jpg!a"] == b"1"  # opened by content, as before


def test_polyglot_gif_zip_opened(tmp_path: Path) -> None:
    hidden = zip_bytes([("secret/keys.txt", b"hidden payload")])
    poly = GIF + hidden
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("cat.gif", poly)])))
    assert notes_of(results, "cat.gif") == ("polyglot: gif + zip",)
    assert members(results)["cat.gif!secret/keys.txt"] == b"hidden payload"
    top = read_all(write(tmp_path, "cat.gif", poly))  # a polyglot drop opens as its zip part
    assert members(top) == {"secret/keys.txt": b"hidden payload"}


def test_pdf_zip_polyglot(tmp_path: Path) -> None:
    poly = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n" + zip_bytes([("x", b"y")])
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("r.pdf", poly)])))
    assert notes_of(results, "r.pdf") == ("polyglot: pdf + zip",)
    assert members(results)["r.pdf!x"] == b"y"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("report.docx", docx(b"<w:document/>"), "ooxml"),
        (
            "sheet.ods",
            zip_bytes(
                [("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<x/>")],
                zipfile.ZIP_STORED,
            ),
            "odf",
        ),
    ],
)
def test_office_documents_stay_one_member(tmp_path: Path, name: str, data: bytes, kind: str) -> None:
    results = read_all(write(tmp_path, "d.zip", zip_bytes([(name, data)])))
    assert members(results) == {name: data}
    assert notes_of(results, name) == (f"document: {kind} (one file, not expanded)",)
    assert skipped(results) == {}


def test_jar_still_expanded(tmp_path: Path) -> None:
    jar = zip_bytes(
        [("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"), ("a/B.class", b"\xca\xfe\xba\xbe")]
    )
    got = members(read_all(write(tmp_path, "d.zip", zip_bytes([("lib/x.jar", jar)]))))
    assert "lib/x.jar!a/B.class" in got


def test_billion_laughs_docx_is_never_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work, not time: the reading stage reads no part of the document, so its XML is never parsed."""
    bomb = docx(LAUGHS)
    drop = write(tmp_path, "d.zip", zip_bytes([("leak/plan.docx", bomb)]))
    read_parts: list[str] = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        read_parts.append(getattr(name, "filename", name))
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    results = read_all(drop)
    assert read_parts and set(read_parts) == {"leak/plan.docx"}  # the drop's entry, none of the document's
    assert members(results) == {"leak/plan.docx": bomb}
    with zipfile.ZipFile(__import__("io").BytesIO(bomb)) as z:
        xml = z.read("word/document.xml")
    with pytest.raises(InputError, match="DTDs and entities are not allowed"):
        safe_parse_xml(xml)


def test_safe_parse_xml() -> None:
    assert safe_parse_xml(b"<a><b>t</b></a>").find("b").text == "t"  # type: ignore[union-attr]
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(InputError, match="not allowed"):
        safe_parse_xml(xxe)
    with pytest.raises(InputError, match="malformed"):
        safe_parse_xml(b"<a><b></a>")


def test_sniff_is_strict_on_weak_magic() -> None:
    assert content.sniff(b"MZ is how this text starts") is None
    assert content.sniff(b"BZh is not bzip2") is None
    assert content.notes("a.txt", b"MZ" + bytes(100)) == ()
    assert reasons.NO_CONTENT in reasons.ALL
