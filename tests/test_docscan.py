"""Documents and dumps end to end: `triage index` of a git history holding every document format
and a table, then `triage scan` of drops built in memory (conversions, edits, forgeries, row
subsets, altered and synthetic rows, hostile documents)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import Repo
from tests.fingerprint.test_documents import LAUGHS, make_odf, rezip
from triage.cli import main
from triage.model import Verdict
from triage.pipeline import scan

WORDS = ("billing cluster latency budget vendor audit rollout contract migration storage quota owner review "
         "region capacity incident drill backlog renewal forecast").split()


def sentences(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} moved {rng.randint(2, 999)} units"
            f" for {rng.choice(WORDS)} {rng.choice(WORDS)} in week {rng.randint(1, 52)}." for _ in range(n)]


def docx(paras: list[str], author: str = "Dana Reyes", revision: int = 3,
         header: str = "CONFIDENTIAL") -> bytes:
    import docx as d

    doc = d.Document()
    doc.add_heading("Quarterly review", level=1)
    for p in paras:
        doc.add_paragraph(p)
    doc.sections[0].header.paragraphs[0].text = header
    cp = doc.core_properties
    cp.author, cp.revision = author, revision
    cp.created = cp.modified = dt.datetime(2024, 3, 1, 9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def pdf(paras: list[str], author: str = "Dana Reyes", producer: str = "Print To PDF",
        header: str | None = "CONFIDENTIAL", title: str = "Quarterly review") -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_author(author)
    doc.set_producer(producer)
    doc.set_creation_date(dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    doc.add_page()
    doc.set_font("Helvetica", size=11)
    if header:
        doc.cell(0, 6, header)
        doc.ln(10)
    doc.multi_cell(0, 6, title)
    doc.ln(3)
    for p in paras:
        doc.multi_cell(0, 6, p)
        doc.ln(3)
    return bytes(doc.output())


def xlsx(rows: list[list], who: str | None = None) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    for r in rows:
        wb.active.append(r)
    wb.properties.creator = "Finance"
    if who:
        wb.properties.lastModifiedBy = who
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pptx(texts: list[str]) -> bytes:
    import pptx as p

    prs = p.Presentation()
    for i, t in enumerate(texts):
        s = prs.slides.add_slide(prs.slide_layouts[1])
        s.shapes.title.text = f"Slide {i + 1}"
        s.placeholders[1].text = t
    prs.core_properties.author = "Ana Silva"
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def odt(paras: list[str], cycles: int = 12) -> bytes:
    body = "<office:text>" + "".join(f"<text:p>{p}</text:p>" for p in paras) + "</office:text>"
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"><office:meta>'
        "<meta:initial-creator>Sam Ortiz</meta:initial-creator>"
        f"<meta:editing-cycles>{cycles}</meta:editing-cycles>"
        "</office:meta></office:document-meta>"
    )
    return make_odf("application/vnd.oasis.opendocument.text", body, meta)


def ods(rows: list[list], cycles: int = 12) -> bytes:
    body = "<office:spreadsheet><table:table table:name=\"Plan\">" + "".join(
        "<table:table-row>" + "".join(f"<table:table-cell><text:p>{v}</text:p></table:table-cell>" for v in r)
        + "</table:table-row>" for r in rows) + "</table:table></office:spreadsheet>"
    return make_odf("application/vnd.oasis.opendocument.spreadsheet", body, _odf_meta(cycles))


def odp(paras: list[str], cycles: int = 12) -> bytes:
    body = "<office:presentation>" + "".join(
        f'<draw:page draw:name="s{i}"><draw:frame><draw:text-box><text:p>{p}</text:p></draw:text-box></draw:frame>'
        "</draw:page>" for i, p in enumerate(paras)) + "</office:presentation>"
    return make_odf("application/vnd.oasis.opendocument.presentation", body, _odf_meta(cycles))


def _odf_meta(cycles: int) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"><office:meta>'
            f"<meta:editing-cycles>{cycles}</meta:editing-cycles></office:meta></office:document-meta>")


def html(paras: list[str], extra: str = "") -> bytes:
    return ("<!DOCTYPE html><html><head><title>Runbook</title></head><body" + extra + "><h1>Runbook</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</body></html>").encode()


def notebook(paras: list[str], count: int = 1) -> bytes:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": p} for p in paras]
    cells.append({"cell_type": "code", "metadata": {}, "execution_count": count, "source": "x = 1",
                  "outputs": []})
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    return json.dumps(nb, indent=count).encode()


def eml(paras: list[str], mailer: str = "Outlook 16.0") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Dana Reyes <dana@corp.example>"
    msg["To"] = "board@corp.example"
    msg["Subject"] = "Numbers"
    msg["Message-ID"] = "<n1@corp.example>"
    msg["X-Mailer"] = mailer
    msg.set_content("\n".join(paras))
    return msg.as_bytes()


def resave(data: bytes) -> bytes:
    """The same zip parts written again (other dates, other compression): same text, other bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            out.writestr(zipfile.ZipInfo(info.filename, (2001, 1, 1, 0, 0, 0)), src.read(info))
    return buf.getvalue()


def csv_rows(rows: list[tuple]) -> bytes:
    return ("id,name,email,plan,seats\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()


def customers(n: int, seed: int = 5, start: int = 1) -> list[tuple]:
    rng = random.Random(seed)
    return [(i, f"{rng.choice(WORDS)} {rng.choice(WORDS)}", f"user{i}.{rng.randint(1000, 9999)}@corp.example",
             rng.choice(["free", "team", "enterprise"]), rng.randint(1, 500))
            for i in range(start, start + n)]


P = {k: sentences(i, 12) for i, k in enumerate(
    ["report", "pdf", "ppt", "odt", "html", "md", "nb", "eml", "xlsx", "odp"], start=1)}
REPORT_V1 = P["report"][:10]
REPORT_V2 = P["report"]
BUDGET = [["line", "team", "q1"]] + [[f"item {i}", random.Random(i).choice(WORDS), i * 137]
                                      for i in range(30)]
CUSTOMERS_V2 = customers(60)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("docs")
    repo = Repo(tmp / "internal")
    v1 = docx(REPORT_V1, revision=3)
    repo.commit({"reports/review.docx": v1, "data/customers.csv": csv_rows(customers(50))}, "v1")
    internal = {
        "reports/review.docx": docx(REPORT_V2, revision=9),
        "reports/summary.pdf": pdf(P["pdf"], header=None, title="Summary"),
        "decks/plan.pptx": pptx(P["ppt"]),
        "notes/minutes.odt": odt(P["odt"]),
        "web/runbook.html": html(P["html"]),
        "wiki/oncall.md": ("# On-call\n\n" + "\n\n".join(P["md"]) + "\n").encode(),
        "lab/churn.ipynb": notebook(P["nb"]),
        "mail/numbers.eml": eml(P["eml"]),
        "finance/budget.xlsx": xlsx(BUDGET),
        "finance/plan.ods": ods(BUDGET),
        "decks/pitch.odp": odp(P["odp"]),
        "data/customers.csv": csv_rows(CUSTOMERS_V2),
    }
    repo.commit(internal, "v2")
    db = tmp / "inv.db"
    res = CliRunner().invoke(main, ["index", str(repo.path), "--db", str(db), "-q"])
    assert res.exit_code == 0, res.output
    return {"db": db, "internal": internal, "v1": v1, "tmp": tmp, "index_stderr": res.stderr}


def run(indexed: dict, files: dict[str, bytes], name: str = "drop.zip"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in files.items():
            zf.writestr(zipfile.ZipInfo(member, (2024, 6, 1, 0, 0, 0)), data)
    drop = indexed["tmp"] / name
    drop.write_bytes(buf.getvalue())
    report = scan(drop, indexed["db"])
    return {f.path: f for f in report.files}, {s.path: s for s in report.skipped}


def test_index_counts_documents_and_tables(indexed):
    err = indexed["index_stderr"]
    # Two DOCX versions among the documents; two customers.csv versions and two workbooks' cells.
    assert "12 documents" in err and "4 tables" in err


def test_every_format_converted_keeps_text_identical(indexed):
    i = indexed["internal"]
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(i["finance/budget.xlsx"]))
    wb.properties.lastModifiedBy = "someone else"
    buf = io.BytesIO()
    wb.save(buf)
    drops = {
        "leak/review.pdf": pdf(REPORT_V2),  # DOCX printed to PDF
        "leak/review.docx": resave(i["reports/review.docx"]),  # same parts, other bytes
        "leak/summary.pdf": pdf(P["pdf"], header=None, title="Summary", producer="Other Printer 2"),
        "leak/plan.pptx": resave(i["decks/plan.pptx"]),
        "leak/minutes.odt": odt(P["odt"], cycles=13),
        "leak/runbook.html": html(P["html"], extra=' class="x"'),
        "leak/oncall.md": ("On-call\n=======\n\n" + "\n".join(P["md"]) + "\n").encode(),
        "leak/churn.ipynb": notebook(P["nb"], count=2),
        "leak/numbers.eml": eml(P["eml"], mailer="Thunderbird"),
        "leak/budget (1).xlsx": buf.getvalue(),
        "leak/plan.ods": ods(BUDGET, cycles=14),
        "leak/pitch.odp": odp(P["odp"], cycles=15),
    }
    files, skipped = run(indexed, drops)
    assert not skipped
    for path in drops:
        f = files[path]
        doc = f.evidence["document"]
        assert f.verdict is Verdict.ALTERED, (path, f.reasons)
        assert f.evidence["change_kinds"][0] == "converted", path
        assert doc["text_identical"] is True, path
        assert doc["text_sha256"] == doc["source"]["text_sha256"] and doc["source"]["sha256"] != f.sha256
    assert files["leak/review.pdf"].evidence["document"]["source"]["kind"] == "docx"
    assert files["leak/review.pdf"].evidence["document"]["source"]["path"] == "reports/review.docx"
    meta = files["leak/minutes.odt"].evidence["document"]["metadata_diff"]
    assert meta["revision"] == {"drop": "13", "internal": "12"}
    mail = files["leak/numbers.eml"].evidence["document"]
    assert mail["metadata_diff"]["x-mailer"]["drop"] == "Thunderbird"
    assert files["leak/budget (1).xlsx"].evidence["document"]["metadata_diff"]["last_modified_by"] == \
        {"drop": "someone else", "internal": None}


def test_exact_copies_are_real_or_outdated_with_document_evidence(indexed):
    i = indexed["internal"]
    files, _ = run(indexed, {"a/review.docx": i["reports/review.docx"], "b/review.docx": indexed["v1"],
                             "c/customers.csv": i["data/customers.csv"], "d/budget.xlsx": i["finance/budget.xlsx"]})
    book = files["d/budget.xlsx"].evidence  # a workbook is a document and a table
    assert book["document"]["kind"] == "xlsx" and book["table"]["rows"] == 30
    assert files["a/review.docx"].verdict is Verdict.REAL
    assert files["b/review.docx"].verdict is Verdict.OUTDATED
    doc = files["a/review.docx"].evidence["document"]
    assert doc["kind"] == "docx" and doc["text_identical"] and doc["metadata"]["revision"] == "9"
    assert files["c/customers.csv"].evidence["table"]["rows_present"] == 60


def test_edited_document_shows_changed_passages_and_metadata(indexed):
    edited = list(REPORT_V2)
    edited[4] = edited[4].replace("units", "units (revised)")
    edited.insert(7, "The board approved a secret acquisition of the storage vendor in week 9.")
    files, _ = run(indexed, {"leak/review-final.pdf": pdf(edited, author="Mallory")})
    f = files["leak/review-final.pdf"]
    assert f.verdict is Verdict.ALTERED
    doc = f.evidence["document"]
    assert doc["text_identical"] is False and doc["source"]["path"] == "reports/review.docx"
    assert f.evidence["change_kinds"] == ["converted", "passages-edited", "passages-inserted"]
    lines = [x for h in f.evidence["derived_from"][0]["changes"]["hunks"] for x in h["lines"]]
    assert "+The board approved a secret acquisition of the storage vendor in week 9." in lines
    assert doc["metadata_diff"]["author"] == {"drop": "Mallory", "internal": "Dana Reyes"}
    assert "author" not in doc["metadata_same"]


def test_figures_changed_is_named(indexed):
    edited = [s.replace(" in week ", " in week 1") if n == 2 else s for n, s in enumerate(REPORT_V2)]
    files, _ = run(indexed, {"leak/review.docx": docx(edited, revision=10)})
    f = files["leak/review.docx"]
    assert f.verdict is Verdict.ALTERED and f.evidence["change_kinds"] == ["figures-changed"]  # DOCX to DOCX


def test_forged_document_with_real_header_title_and_author_is_fabricated(indexed):
    forged = sentences(999, 12)
    files, _ = run(indexed, {"leak/reports/review.docx": docx(forged, revision=10),
                             "leak/memo.pdf": pdf(sentences(998, 8))})
    f = files["leak/reports/review.docx"]
    assert f.verdict is Verdict.FABRICATED, f.reasons
    assert f.evidence["impersonates"] == "reports/review.docx"
    closest = f.evidence.get("closest")  # the title and header are all it shares, if anything
    assert closest is None or closest["similarity"]["containment_drop"] < 0.5
    assert files["leak/memo.pdf"].verdict is Verdict.FABRICATED


def test_tables_rows_present_altered_absent(indexed):
    rows = CUSTOMERS_V2
    altered = [(r[0], r[1], "changed." + r[2], r[3], r[4]) if r[0] % 6 == 0 else r for r in rows]
    synthetic = customers(60, seed=77, start=1000)
    sql = "".join(f"INSERT INTO customers VALUES ({r[0]}, '{r[1]}', '{r[2]}', '{r[3]}', {r[4]});\n"
                  for r in rows)
    files, _ = run(indexed, {
        "leak/subset.csv": csv_rows(rows[10:40]),
        "leak/altered.csv": csv_rows(altered),
        "leak/synthetic.csv": csv_rows(synthetic),
        "leak/padded.csv": csv_rows(rows[:40] + synthetic[:15]),
        "leak/customers.sql": sql.encode(),
        "leak/customers.jsonl": b"".join(json.dumps(dict(zip(["seats", "plan", "email", "name", "id"], r[::-1],
                                                              strict=True))).encode() + b"\n" for r in rows),
    })
    sub = files["leak/subset.csv"]
    assert sub.verdict is Verdict.ALTERED and sub.evidence["change_kinds"] == ["rows-subset"]
    t = sub.evidence["table"]
    assert (t["rows"], t["rows_present"], t["rows_absent"], t["rows_internal"]) == (30, 30, 0, 60)
    alt = files["leak/altered.csv"].evidence["table"]
    assert files["leak/altered.csv"].evidence["change_kinds"] == ["rows-altered"]
    assert (alt["rows_present"], alt["rows_altered"], alt["rows_absent"]) == (50, 10, 0)
    assert alt["altered_columns"] == {"email": 10} and alt["key_columns"] == ["id"]
    syn = files["leak/synthetic.csv"]
    assert syn.verdict is Verdict.FABRICATED and syn.evidence["table"]["rows_absent"] == 60
    pad = files["leak/padded.csv"]
    assert pad.verdict is Verdict.ALTERED and pad.evidence["change_kinds"] == ["rows-subset", "rows-added"]
    assert pad.evidence["table"]["shares"]["absent"] == round(15 / 55, 4)
    dump = files["leak/customers.sql"]  # the same table dumped as SQL instead of CSV
    assert dump.verdict is Verdict.ALTERED and dump.evidence["change_kinds"] == ["converted"]
    lines = files["leak/customers.jsonl"]  # ... and as JSON lines (keys in another order)
    assert lines.evidence["change_kinds"] == ["converted"] and lines.evidence["table"]["rows_present"] == 60


def test_hostile_and_unreadable_documents_are_refused_with_a_reason(indexed):
    bomb = rezip(docx(["x"]), {"word/document.xml": LAUGHS.encode()})
    broken = b"%PDF-1.4\n" + b"\x00garbage" * 50
    notebook_text = b'{"cells": [{"source": "x"},, "nbformat": 4\n'
    files, skipped = run(indexed, {"leak/bomb.docx": bomb, "leak/broken.pdf": broken,
                                   "leak/broken.ipynb": notebook_text})
    assert set(skipped) == {"leak/bomb.docx", "leak/broken.pdf"}
    assert skipped["leak/bomb.docx"].reason == "document-unreadable"
    assert "DTD" in skipped["leak/bomb.docx"].detail
    assert skipped["leak/broken.pdf"].reason == "document-unreadable"
    nb = files["leak/broken.ipynb"]  # text bytes: compared as text, the reason kept
    assert nb.verdict is Verdict.FABRICATED and "not valid JSON" in nb.evidence["document"]["error"]


def test_cli_scan_renders_document_and_table_evidence(indexed, tmp_path: Path):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("leak/review.pdf", pdf(REPORT_V2, author="Mallory"))
        zf.writestr("leak/subset.csv", csv_rows(CUSTOMERS_V2[:30]))
    out = tmp_path / "ev"
    res = CliRunner().invoke(main, ["scan", str(drop), "--db", str(indexed["db"]), "--out", str(out), "-q"])
    assert res.exit_code == 1, res.output
    md = (out / "report.md").read_text()
    assert "text identical to" in md and "| author | `Mallory` | `Dana Reyes` |" in md
    assert "30 rows: 30 exist in" in md
    page = (out / "report.html").read_text()
    assert "Text identical" in page and "Metadata" in page and "Rows" in page
    doc = json.loads((out / "report.json").read_text())
    assert "1 document holds an internal document's text word for word" in " ".join(doc["verdict_text"])
    assert "1 dump copies internal tables: 30 of their 30 rows" in " ".join(doc["verdict_text"])
    pdf_file = next(f for f in doc["files"] if f["path"] == "leak/review.pdf")
    assert pdf_file["evidence"]["document"]["text_identical"] is True


def test_documents_and_dumps_in_a_directory_source(tmp_path: Path):
    inv = tmp_path / "share"
    (inv / "hr").mkdir(parents=True)
    (inv / "hr" / "policy.docx").write_bytes(docx(P["report"]))
    (inv / "hr" / "staff.csv").write_bytes(csv_rows(CUSTOMERS_V2[:20]))
    db = tmp_path / "d.db"
    res = CliRunner().invoke(main, ["index", str(inv), "--db", str(db), "-q"])
    assert res.exit_code == 0 and "1 documents, 1 tables" in res.stderr
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "policy.pdf").write_bytes(pdf(P["report"]))
    report = scan(drop, db)
    [f] = report.files
    assert f.verdict is Verdict.ALTERED and f.evidence["document"]["text_identical"]
    assert f.evidence["document"]["source"]["path"] == "hr/policy.docx"


def test_markdown_of_code_gets_a_second_look_as_plain_text(indexed, tmp_path: Path):
    from tests.conftest import Repo, code_file

    code = code_file("api", n=12).splitlines()
    page = "# API\n\nCall it like this.\n\n```python\n" + "\n".join(code) + "\n```\n"
    repo = Repo(tmp_path / "docs")
    repo.commit({"docs/api.md": page})
    db = tmp_path / "d.db"
    assert CliRunner().invoke(main, ["index", str(repo.path), "--db", str(db), "-q"]).exit_code == 0
    edited = [line.replace("value_", "v_").replace("api_step_", "step_").replace("'step'", "'n'")
              .replace("config", "cfg") for line in code]  # identifiers renamed throughout
    drop = tmp_path / "drop"
    (drop / "docs").mkdir(parents=True)
    (drop / "docs" / "api.md").write_text(page.replace("\n".join(code), "\n".join(edited)))
    [f] = scan(drop, db).files
    assert f.verdict is Verdict.ALTERED and f.evidence["document"]["kind"] == "markdown"


def test_sheets_and_dumps_meet_across_formats(indexed):
    budget_csv = "\n".join(",".join(str(v) for v in r) for r in BUDGET).encode() + b"\n"
    rows = [["id", "name", "email", "plan", "seats"], *map(list, CUSTOMERS_V2)]
    files, _ = run(indexed, {"leak/budget.csv": budget_csv, "leak/customers.xlsx": xlsx(rows)})
    sheet = files["leak/budget.csv"]  # a workbook exported as CSV
    assert sheet.verdict is Verdict.ALTERED and sheet.evidence["table"]["rows_present"] == 30
    assert sheet.evidence["table"]["source"]["kind"] in ("xlsx", "ods")
    book = files["leak/customers.xlsx"]  # a dump saved as a workbook
    assert book.verdict is Verdict.ALTERED and book.evidence["change_kinds"] == ["converted"]
    assert book.evidence["table"]["source"]["path"] == "data/customers.csv"
    assert book.evidence["document"]["kind"] == "xlsx"
