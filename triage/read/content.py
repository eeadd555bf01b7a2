"""What a member's bytes say it is, against what its name says: mismatches, polyglots, documents.

``notes(name, data)`` returns the Member notes: ``name-content-mismatch: .jpg vs zip`` when
the suffix promises one format and the magic bytes show another (a ``notes.txt`` that is an
ELF), ``polyglot: gif + zip`` when the bytes are valid as two formats (a GIF or PDF header
with a zip central directory at the end; that zip part is then opened as a nested archive),
and ``document: ooxml`` / ``document: odf`` for office containers, which stay one Member
(their XML is parsed later, with defusedxml: ``triage.read.ooxml``).
"""

from __future__ import annotations

import io
import struct
import zipfile

# Magic bytes at offset 0 -> kind. Longest first where prefixes overlap.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x7fELF", "elf"),
    (b"MZ", "pe"),
    (b"\xcf\xfa\xed\xfe", "mach-o"),
    (b"\xce\xfa\xed\xfe", "mach-o"),
    (b"\xca\xfe\xba\xbe", "java-class/mach-o"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"\x00asm", "wasm"),
    (b"OggS", "ogg"),
    (b"RIFF", "riff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
)
# Kinds that are executable or container formats: finding one under a text name is notable.
_BINARY = frozenset(k for _, k in _MAGIC)
_ZIP_SUFFIXES = (
    ".zip", ".jar", ".war", ".ear", ".apk", ".aar", ".whl", ".egg", ".nupkg", ".xpi", ".crx", ".ipa",
    ".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm", ".odt", ".ods", ".odp", ".odg", ".epub",
    ".vsix", ".kmz", ".sketch",
)  # fmt: skip
_SUFFIX_KINDS: dict[str, str] = {
    **{s: "zip" for s in _ZIP_SUFFIXES},
    ".png": "png", ".gif": "gif", ".jpg": "jpeg", ".jpeg": "jpeg", ".pdf": "pdf",
    ".gz": "gzip", ".tgz": "gzip", ".bz2": "bzip2", ".tbz2": "bzip2", ".xz": "xz", ".txz": "xz",
    ".zst": "zstd", ".7z": "7z", ".rar": "rar", ".exe": "pe", ".dll": "pe", ".sys": "pe",
    ".so": "elf", ".sqlite": "sqlite", ".db": "sqlite", ".wasm": "wasm", ".class": "java-class/mach-o",
    ".doc": "ole2", ".xls": "ole2", ".ppt": "ole2", ".msi": "ole2",
}  # fmt: skip
# Names promising plain text: any binary magic under them is a mismatch.
_TEXT_SUFFIXES = frozenset((
    ".txt", ".md", ".rst", ".csv", ".tsv", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
    ".xml", ".html", ".htm", ".css", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".py", ".rb", ".go",
    ".rs", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".php", ".sh", ".sql", ".swift",
    ".scala", ".pl", ".lua", ".r", ".m", ".proto", ".log", ".env", ".map",
))  # fmt: skip
# A zip's end-of-central-directory record sits within the last 22 + 65535 bytes.
EOCD_WINDOW = 22 + 65535
_OOXML_FIRST = b"[Content_Types].xml"
_ODF_MIME = b"application/vnd.oasis.opendocument."
_EPUB_MIME = b"application/epub+zip"


def sniff(data: bytes) -> str | None:
    """The kind the bytes start with (magic at offset 0), or None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "pe" and not _pe(data):
                continue  # "MZ" alone is too weak: text may start with it
            if kind == "bzip2" and data[3:4] not in tuple(bytes([c]) for c in b"123456789"):
                continue
            return kind
    if data[32769:32774] == b"CD001":
        return "iso9660"
    return None


def _pe(data: bytes) -> bool:
    if len(data) < 64:
        return False
    at = int.from_bytes(data[0x3C:0x40], "little")
    return data[at : at + 4] == b"PE\x00\x00"


def suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("!", 1)[-1].lower()
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def trailing_zip(data: bytes, partial: bool = False) -> bool:
    """True when a zip central directory ends the data (what zip readers look for first).

    ``partial``: ``data`` is only the file's tail, so a directory starting before it is
    accepted unchecked.
    """
    tail_at = max(0, len(data) - EOCD_WINDOW)
    at = data.rfind(b"PK\x05\x06", tail_at)
    if at < 0 or len(data) < at + 22:
        return False
    entries, cd_size, cd_offset, comment = struct.unpack("<HII H", data[at + 10 : at + 22])
    if at + 22 + comment != len(data) or entries == 0:
        return False
    cd_start = at - cd_size
    if cd_start < 0:
        return partial
    return data[cd_start : cd_start + 4] == b"PK\x01\x02"


def document(data: bytes) -> str | None:
    """``ooxml`` / ``odf`` / ``epub`` when the zip is an office or e-book container, else None.

    Decided by the first local entry as the formats require (``[Content_Types].xml`` first in
    OOXML as written by Office; a stored ``mimetype`` first in ODF/EPUB), or by the central
    directory listing ``[Content_Types].xml`` together with an Office part.
    """
    if not data.startswith(b"PK\x03\x04") or len(data) < 30:
        return None
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    first = data[30 : 30 + name_len]
    if first == _OOXML_FIRST:
        return "ooxml"
    if first == b"mimetype":
        body = data[30 + name_len + extra_len : 30 + name_len + extra_len + 80]
        if body.startswith(_ODF_MIME):
            return "odf"
        if body.startswith(_EPUB_MIME):
            return "epub"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[:10_000])
    except Exception:  # noqa: BLE001 - not a readable zip: the archive reader will say so
        return None
    return listed_document(names)


def listed_document(names: set[str]) -> str | None:
    """``ooxml`` when a zip's listing holds ``[Content_Types].xml`` and an Office part."""
    if "[Content_Types].xml" in names and names & {
        "word/document.xml",
        "xl/workbook.xml",
        "ppt/presentation.xml",
    }:
        return "ooxml"
    return None


def notes(name: str, data: bytes) -> tuple[str, ...]:
    """The content notes for one member (see the module docstring)."""
    found: list[str] = []
    kind = sniff(data)
    ext = suffix(name)
    promised = _SUFFIX_KINDS.get(ext)
    if kind is not None and promised is not None and kind != promised:
        found.append(f"name-content-mismatch: {ext} vs {kind}")
    elif kind is not None and ext in _TEXT_SUFFIXES and kind in _BINARY:
        found.append(f"name-content-mismatch: {ext} vs {kind}")
    if kind not in (None, "zip") and trailing_zip(data):
        found.append(f"polyglot: {kind} + zip")
    elif kind is None and len(data) > 64 and trailing_zip(data) and not data.startswith(b"PK"):
        found.append("polyglot: data + zip")
    if kind == "zip":
        doc = document(data)
        if doc:
            found.append(f"document: {doc} (one file, not expanded)")
    return tuple(found)


def is_polyglot(notes_: tuple[str, ...]) -> bool:
    return any(n.startswith("polyglot:") for n in notes_)


def is_document(notes_: tuple[str, ...]) -> bool:
    return any(n.startswith("document:") for n in notes_)
