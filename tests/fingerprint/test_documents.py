"""Document text extraction: every format round-trips, conversions agree, hostile input is bounded.

Each fixture is written in the test with the format's own library (or by hand where the
format is plain XML/JSON/MIME), so no binary fixture is committed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from email.message import EmailMessage

import pytest

from triage.errors import InputError, TriageError
from triage.fingerprint.documents import (
    DocLimits,
    DocText,
    DocumentError,
    canonical_lines,
    detect_document,
    extract,
)

PARAS = [
    "Project Heron: quarterly review of the billing service migration.",
    "The team moved 14 services to the new cluster. Latency fell by 23 percent, and the error budget "
    "was met in every week of the quarter except the second, when a misconfigured load balancer dropped "
    "traffic for forty minutes.",
    "Owners: platform group (Dana Reyes), billing (Sam Ortiz).",
    "Next steps: retire the old cluster by June 30. Keep the rollback plan until the audit closes.",
]


def make_docx(paras=PARAS, author="Alice Example", header: str | None = None) -> bytes:
    import docx

    d = docx.Document()
    for p in paras:
        d.add_paragraph(p)
    cp = d.core_properties
    cp.author = author
    cp.last_modified_by = "Bob Example"
    cp.created = dt.datetime(2024, 3, 1, 9, 30)
    cp.modified = dt.datetime(2024, 3, 2, 10, 0)
    cp.revision = 7
    cp.last_printed = dt.datetime(2024, 3, 3, 8, 0)
    cp.title = "Heron review"
    if header:
        d.sections[0].header.paragraphs[0].text = header
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pdf(paras=PARAS, header: str | None = None, pages: int = 1) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_author("Alice Example")
    pdf.set_creator("Microsoft Word")
    pdf.set_producer("Acme PDF Printer 1.0")
    pdf.set_creation_date(dt.datetime(2024, 3, 2, 10, 5, tzinfo=dt.timezone.utc))
    pdf.set_font("Helvetica", size=11)
    per_page = max(1, -(-len(paras) // pages))
    for start in range(0, len(paras), per_page):
        pdf.add_page()
        if header:
            pdf.cell(0, 6, header)
            pdf.ln(10)
        for p in paras[start : start + per_page]:
            pdf.multi_cell(0, 6, p)
            pdf.ln(3)
        pdf.set_auto_page_break(False)
        pdf.set_y(-15)
        pdf.cell(0, 6, str(pdf.page_no()), align="C")
        pdf.set_auto_page_break(True, 15)
    return bytes(pdf.output())


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name in replace.keys() - set(src.namelist()):
            out.writestr(name, replace[name])
    return buf.getvalue()


# --- round trips --------------------------------------------------------------------------------


def test_docx_round_trip_text_and_metadata():
    data = make_docx(header="CONFIDENTIAL - Heron")
    assert detect_document(data, "anything.bin") == "docx"
    doc = extract(data, "docx")
    assert isinstance(doc, DocText) and doc.kind == "docx"
    assert doc.text.split("\n") == ["CONFIDENTIAL - Heron", *PARAS]  # headers first, as a PDF shows them
    m = doc.metadata
    assert m["author"] == "Alice Example" and m["last_modified_by"] == "Bob Example"
    assert m["revision"] == "7" and m["created"].startswith("2024-03-01T09:30")
    assert m["last_printed"].startswith("2024-03-03") and m["title"] == "Heron review"


def test_docx_tracked_changes_and_custom_properties():
    data = make_docx()
    z = zipfile.ZipFile(io.BytesIO(data))
    xml = z.read("word/document.xml").decode()
    ins = (
        '<w:ins w:id="1" w:author="Eve" w:date="2024-03-05T00:00:00Z">'
        "<w:r><w:t>Inserted words.</w:t></w:r></w:ins>"
        '<w:del w:id="2" w:author="Eve" w:date="2024-03-05T00:00:00Z">'
        "<w:r><w:delText>Gone.</w:delText></w:r></w:del>"
    )
    xml = xml.replace("<w:sectPr", f"<w:p>{ins}</w:p><w:sectPr", 1)
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Classification">'
        "<vt:lpwstr>Internal</vt:lpwstr></property></Properties>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in z.infolist():
            out.writestr(
                info.filename, xml.encode() if info.filename == "word/document.xml" else z.read(info)
            )
        out.writestr("docProps/custom.xml", custom)
    doc = extract(buf.getvalue(), "docx")
    assert "Inserted words." in doc.text and "Gone." not in doc.text
    assert doc.metadata["tracked_changes"] == {"insertions": 1, "deletions": 1}
    assert doc.metadata["custom"] == {"Classification": "Internal"}


def test_pdf_round_trip_text_and_metadata():
    data = make_pdf()
    assert detect_document(data) == "pdf"
    doc = extract(data, "pdf")
    assert doc.parts == ("page 1",)
    assert "misconfigured load balancer" in doc.text
    m = doc.metadata
    assert m["author"] == "Alice Example" and m["creator"] == "Microsoft Word"
    assert m["producer"] == "Acme PDF Printer 1.0" and m["created"].startswith("2024-03-02T10:05:00")
    assert m["pages"] == 1


@pytest.mark.parametrize("pages", [1, 2, 4])
def test_docx_and_pdf_of_same_text_give_same_canonical_lines(pages):
    docx_doc = extract(make_docx(header="CONFIDENTIAL - Heron"), "docx")
    pdf_doc = extract(make_pdf(header="CONFIDENTIAL - Heron", pages=pages), "pdf")
    assert len(pdf_doc.parts) == pages
    if pages > 1:  # repeated on every page: kept once, first
        assert pdf_doc.metadata["running_lines"] == ["CONFIDENTIAL - Heron"]
    assert docx_doc.lines() == pdf_doc.lines()
    assert docx_doc.text_sha256() == pdf_doc.text_sha256()
    assert (
        "Latency fell by 23 percent, and the error budget was met in every week of the quarter except "
        "the second, when a misconfigured load balancer dropped traffic for forty minutes." in pdf_doc.lines()
    )


def test_list_numbers_shown_only_in_print_are_dropped():
    import docx
    from fpdf import FPDF

    items = ["Retire the old cluster by June 30.", "Keep the rollback plan until the audit closes."]
    d = docx.Document()
    d.add_paragraph("Next steps:")
    for it in items:
        d.add_paragraph(it, style="List Number")  # Word keeps the numbers in the style
    buf = io.BytesIO()
    d.save(buf)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Next steps:")
    pdf.ln(2)
    for i, it in enumerate(items, 1):
        pdf.multi_cell(0, 6, f"{i}. {it}")  # the printed copy shows them
        pdf.ln(1)
    assert extract(buf.getvalue(), "docx").lines() == extract(bytes(pdf.output()), "pdf").lines()
    assert canonical_lines("(b) Second. iv) Fourth. 1.2.3 Scope of work.") == ["Second.", "Fourth.", "Scope of work."]


def test_canonical_lines_ignore_layout():
    a = "Fiscal  year\u00a0plan \u2014 \u201cdraft\u201d.\nSecond   sen-\ntence here! Third"
    b = 'Fiscal year plan - "draft". Second sen-tence here!\n\nThird'
    assert (
        canonical_lines(a)
        == canonical_lines(b)
        == ['Fiscal year plan - "draft".', "Second sen-tence here!", "Third"]
    )
    assert canonical_lines("\ufb01nance of\ufb01\u00adce") == ["finance office"]


def test_xlsx_round_trip_values_sheets_metadata():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payroll"
    ws.append(["name", "salary", "start"])
    ws.append(["Dana Reyes", 120000, dt.date(2021, 4, 1)])
    ws.append(["Sam Ortiz", 98000.5, None])
    ws2 = wb.create_sheet("Notes")
    ws2["A1"] = "Do not share outside finance."
    wb.properties.creator = "Finance Bot"
    wb.properties.lastModifiedBy = "Carol"
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    assert detect_document(data) == "xlsx"
    doc = extract(data, "xlsx")
    assert doc.parts == ("Payroll", "Notes")
    assert doc.text.split("\n") == [
        "name\tsalary\tstart",
        "Dana Reyes\t120000\t2021-04-01T00:00:00",
        "Sam Ortiz\t98000.5",
        "Do not share outside finance.",
    ]
    assert doc.metadata["author"] == "Finance Bot" and doc.metadata["last_modified_by"] == "Carol"
    assert doc.metadata["sheets"] == 2


def test_xlsx_saved_again_has_same_text():
    import openpyxl

    wb = openpyxl.Workbook()
    for i in range(50):
        wb.active.append([f"row {i}", i, i * 1.5])
    a = io.BytesIO()
    wb.save(a)
    wb2 = openpyxl.load_workbook(io.BytesIO(a.getvalue()))
    wb2.properties.lastModifiedBy = "Mallory"
    b = io.BytesIO()
    wb2.save(b)
    da, db = extract(a.getvalue(), "xlsx"), extract(b.getvalue(), "xlsx")
    assert a.getvalue() != b.getvalue()
    assert da.text == db.text and da.text_sha256() == db.text_sha256()
    assert db.metadata["last_modified_by"] == "Mallory"


def test_xlsx_huge_rows_are_capped():
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("dump")
    for i in range(5000):
        ws.append([i, f"user{i}@example.com"])
    buf = io.BytesIO()
    wb.save(buf)
    doc = extract(buf.getvalue(), "xlsx", DocLimits(max_rows=1000))
    assert len(doc.text.split("\n")) == 1000
    assert any("over 1000 rows" in n for n in doc.notes)
    doc = extract(buf.getvalue(), "xlsx", DocLimits(max_cells=500))
    assert any("cells" in n for n in doc.notes) and len(doc.text.split("\n")) < 260


def test_pptx_round_trip_slides_notes_metadata():
    import pptx
    from pptx.util import Inches

    prs = pptx.Presentation()
    for i, (title, body) in enumerate(
        [("Heron roadmap", "Migrate billing by Q2."), ("Risks", "Vendor lock-in on the queue.")]
    ):
        s = prs.slides.add_slide(prs.slide_layouts[1])
        s.shapes.title.text = title
        s.placeholders[1].text = body
        if i == 1:
            s.notes_slide.notes_text_frame.text = "Do not mention the vendor by name."
            tb = s.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1))
            tb.text_frame.text = "Draft v3"
    prs.core_properties.author = "Dana Reyes"
    prs.core_properties.revision = 3
    buf = io.BytesIO()
    prs.save(buf)
    data = buf.getvalue()
    assert detect_document(data) == "pptx"
    doc = extract(data, "pptx")
    assert doc.parts == ("slide 1", "slide 2")
    assert doc.text.split("\n") == [
        "Heron roadmap",
        "Migrate billing by Q2.",
        "Risks",
        "Vendor lock-in on the queue.",
        "Draft v3",
        "Do not mention the vendor by name.",
    ]
    assert doc.metadata["author"] == "Dana Reyes" and doc.metadata["revision"] == "3"
    assert doc.metadata["speaker_notes"] == 1


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
ODF_META = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF_NS} office:version="1.3">'
    "<office:meta><meta:initial-creator>Dana Reyes</meta:initial-creator><dc:creator>Sam Ortiz</dc:creator>"
    "<meta:creation-date>2024-01-05T10:00:00</meta:creation-date><dc:date>2024-02-01T11:00:00</dc:date>"
    "<meta:editing-cycles>12</meta:editing-cycles><meta:generator>LibreOffice/7.6</meta:generator>"
    "<meta:print-date>2024-02-02T09:00:00</meta:print-date>"
    '<meta:user-defined meta:name="Project">Heron</meta:user-defined></office:meta></office:document-meta>'
)


def make_odf(mimetype: str, body: str, meta: str = ODF_META) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3">'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", "<manifest/>")
    return buf.getvalue()


def test_odt_written_by_odfpy_round_trips():
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    d = OpenDocumentText()
    d.text.addElement(H(outlinelevel=1, text="Heron review"))
    for p in PARAS:
        d.text.addElement(P(text=p))
    buf = io.BytesIO()
    d.write(buf)
    data = buf.getvalue()
    assert detect_document(data) == "odt"
    doc = extract(data, "odt")
    assert doc.text.split("\n") == ["Heron review", *PARAS]
    assert doc.metadata.get("producer")  # odfpy writes meta:generator


def test_odt_ods_odp_by_hand_with_metadata():
    odt = make_odf(
        "application/vnd.oasis.opendocument.text",
        '<office:text><text:h>Plan</text:h><text:p>Two<text:s text:c="2"/>spaces<text:tab/>tab'
        "<text:line-break/>next</text:p></office:text>",
    )
    doc = extract(odt, detect_document(odt))
    assert doc.kind == "odt" and doc.text == "Plan\nTwo  spaces\ttab\nnext"
    assert doc.metadata == {
        "author": "Dana Reyes",
        "last_modified_by": "Sam Ortiz",
        "created": "2024-01-05T10:00:00",
        "modified": "2024-02-01T11:00:00",
        "revision": "12",
        "producer": "LibreOffice/7.6",
        "last_printed": "2024-02-02T09:00:00",
        "custom": {"Project": "Heron"},
    }
    ods = make_odf(
        "application/vnd.oasis.opendocument.spreadsheet",
        '<office:spreadsheet><table:table table:name="Staff"><table:table-row>'
        "<table:table-cell><text:p>Dana</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="2"><text:p>x</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "</table:table></office:spreadsheet>",
    )
    doc = extract(ods, detect_document(ods))
    assert doc.kind == "ods" and doc.parts == ("Staff",) and doc.text == "Dana\tx\tx"
    odp = make_odf(
        "application/vnd.oasis.opendocument.presentation",
        '<office:presentation><draw:page draw:name="Intro"><draw:frame><draw:text-box>'
        "<text:p>Welcome</text:p></draw:text-box></draw:frame></draw:page>"
        '<draw:page draw:name="Plan"><draw:frame><draw:text-box><text:p>Ship it</text:p>'
        "</draw:text-box></draw:frame></draw:page></office:presentation>",
    )
    doc = extract(odp, detect_document(odp))
    assert doc.kind == "odp" and doc.parts == ("Intro", "Plan") and doc.text == "Welcome\nShip it"


def test_html_text_only_scripts_and_styles_dropped():
    html = (
        b"<!DOCTYPE html><html><head><title>Heron  status</title><meta name='author' content='Dana'>"
        b"<style>p{color:red}</style><script>alert('x')</script></head><body><h1>Status</h1>"
        b"<p>All &amp; well.</p><script>document.write('hidden')</script><table><tr><td>a</td><td>b</td></tr>"
        b"</table></body></html>"
    )
    assert detect_document(html) == "html"
    doc = extract(html, "html")
    assert doc.text == "Status\nAll & well.\na b"
    assert doc.metadata == {"author": "Dana", "title": "Heron status"}
    assert "alert" not in doc.text and "hidden" not in doc.text and "color" not in doc.text


def test_markdown_by_name_markup_stripped_front_matter():
    md = (
        b"---\ntitle: Heron\nauthor: Dana\n---\n# Plan\n\n"
        b"- **Migrate** billing by [Q2](http://x).\n- Keep `rollback`.\n"
    )
    assert detect_document(md) is None
    assert detect_document(md, "notes/plan.md") == "markdown"
    doc = extract(md, "markdown")
    assert doc.metadata == {"title": "Heron", "author": "Dana"}
    assert canonical_lines(doc.text) == ["Plan Migrate billing by Q2.", "Keep rollback."]


def test_notebook_sources_and_text_outputs():
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3"},
            "language_info": {"name": "python", "version": "3.11.4"},
        },
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Churn model\n", "internal only"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "source": "print(41 + 1)",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["42\n"]},
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": ["'ok'"], "image/png": "iVBOR"},
                    },
                ],
            },
        ],
    }
    data = json.dumps(nb, indent=1).encode()
    assert detect_document(data, "x.json") == "ipynb"
    doc = extract(data, "ipynb")
    assert doc.text == "# Churn model\ninternal only\nprint(41 + 1)\n42\n\n'ok'"
    assert doc.parts == ("cell 1 (markdown)", "cell 2 (code)")
    assert doc.metadata["kernel"] == "python3" and doc.metadata["language_version"] == "3.11.4"
    assert "iVBOR" not in doc.text


def test_eml_headers_body_attachments_listed_not_expanded():
    msg = EmailMessage()
    msg["From"] = "Dana Reyes <dana@corp.example>"
    msg["To"] = "board@corp.example"
    msg["Subject"] = "Heron numbers"
    msg["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    msg["Message-ID"] = "<abc123@corp.example>"
    msg["X-Mailer"] = "Outlook 16.0"
    msg.set_content("Latency fell by 23 percent.\nDo not forward.")
    msg.add_alternative("<p>Latency fell by <b>23</b> percent.</p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 secret", maintype="application", subtype="pdf", filename="plan.pdf")
    data = msg.as_bytes()
    assert detect_document(data) == "eml"
    doc = extract(data, "eml")
    assert "Latency fell by 23 percent.\nDo not forward." in doc.text
    assert "Subject: Heron numbers" in doc.text and "secret" not in doc.text
    m = doc.metadata
    assert m["from"] == "Dana Reyes <dana@corp.example>" and m["x-mailer"] == "Outlook 16.0"
    assert m["message-id"] == "<abc123@corp.example>"
    [att] = m["attachments"]
    assert att["name"] == "plan.pdf" and att["size"] == 15 and len(att["sha256"]) == 64


def test_eml_html_only_body_is_converted():
    msg = EmailMessage()
    msg["From"] = "a@corp.example"
    msg["Subject"] = "x"
    msg["Message-ID"] = "<1@corp.example>"
    msg.set_content("<html><body><p>Hello <script>evil()</script>board.</p></body></html>", subtype="html")
    doc = extract(msg.as_bytes(), "eml")
    assert doc.text.endswith("Hello board.")


# --- hostile input -----------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def test_billion_laughs_docx_is_refused():
    data = rezip(make_docx(), {"word/document.xml": LAUGHS.encode()})
    assert detect_document(data) == "docx"
    with pytest.raises(DocumentError, match="DTD"):
        extract(data, "docx")
    assert issubclass(DocumentError, InputError) and issubclass(DocumentError, TriageError)


def test_dtd_in_any_ooxml_part_or_utf16_is_refused():
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    data = rezip(make_docx(), {"docProps/app.xml": xxe.encode("utf-16")})
    with pytest.raises(DocumentError, match="DTD"):
        extract(data, "docx")


def test_dtd_in_odf_is_refused():
    data = make_odf("application/vnd.oasis.opendocument.text", "<office:text/>")
    data = rezip(data, {"content.xml": LAUGHS.encode()})
    with pytest.raises(DocumentError, match="DTD|entit"):
        extract(data, "odt")


def test_oversized_zip_member_is_refused_before_reading():
    data = rezip(make_docx(), {"word/media/big.bin": b"\0" * (3 << 20)})
    with pytest.raises(DocumentError, match="limit"):
        extract(data, "docx", DocLimits(max_part_bytes=1 << 20))


def test_pdf_page_cap_and_size_cap():
    data = make_pdf(paras=[f"Paragraph {i}." for i in range(6)], pages=6)
    doc = extract(data, "pdf", DocLimits(max_pages=2))
    assert doc.parts == ("page 1", "page 2") and any("6 pages" in n for n in doc.notes)
    with pytest.raises(DocumentError, match="limit"):
        extract(data, "pdf", DocLimits(max_pdf_bytes=100))


def test_time_limit_truncates_with_note():
    data = make_pdf(paras=[f"Paragraph {i}." for i in range(3)], pages=3)
    doc = extract(data, "pdf", DocLimits(max_seconds=-1))
    assert doc.text == "" and any(n.startswith("time limit") for n in doc.notes)


def test_character_cap():
    html = b"<html><body>" + b"<p>word word word</p>" * 1000 + b"</body></html>"
    doc = extract(html, "html", DocLimits(max_chars=100))
    assert len(doc.text) <= 120 and any("truncated" in n for n in doc.notes)


@pytest.mark.parametrize("kind", ["pdf", "docx", "xlsx", "pptx", "odt", "ipynb"])
def test_garbage_raises_document_error(kind):
    junk = {
        "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ntrailer<</Root 1 0 R>>\n%%EOF",
        "ipynb": b"{not json",
    }.get(kind, b"PK\x03\x04garbage")
    with pytest.raises(DocumentError):
        extract(junk, kind)


def test_encrypted_pdf_refused():
    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(100, 100)
    w.encrypt(user_password="s3cret", owner_password="o", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(DocumentError, match="encrypted"):
        extract(buf.getvalue(), "pdf")


def test_source_code_mentioning_pdf_magic_is_not_a_pdf():
    code = b'MAGIC = (b"%PDF-", "pdf")  # checked first\nprint("%PDF-1.4 header")\n'
    assert detect_document(code, "content.py") is None
    assert detect_document(b"\x00\x01junk" + b"%PDF-1.4\n1 0 obj\n", "x.bin") == "pdf"
    assert detect_document(b"  %PDF-1.7\n", "x") == "pdf"


def test_detect_by_content_not_name():
    assert detect_document(b"plain text", "report.docx") is None
    assert detect_document(make_pdf(), "report.docx") == "pdf"
    torch_like = io.BytesIO()
    with zipfile.ZipFile(torch_like, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    assert detect_document(torch_like.getvalue()) is None
    assert detect_document(b"Key: value\nOther: x\n\nhello") is None
    assert detect_document(b"From: a@x\nSubject: s\n\nhello") == "eml"


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        extract(b"", "rtf")


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_mutated_documents_raise_only_document_error(kind, caplog):
    import random

    data = make_docx() if kind == "docx" else make_pdf()
    rng = random.Random(kind)
    for _ in range(60):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        detect_document(bytes(b))
        try:
            extract(bytes(b), kind)
        except DocumentError:
            pass
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]  # repairs become notes
