"""Document and dump writers for the documents benchmark (the format libraries themselves).

Texts are made up here from seeded templates; every writer takes paragraphs (or rows) and
returns bytes, with the metadata a real producer would set.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random

PROJECTS = ["Heron", "Kestrel", "Osprey", "Plover", "Wren", "Egret", "Finch", "Lark", "Merlin", "Robin",
            "Swift", "Tern"]
PEOPLE = ["Dana Reyes", "Sam Ortiz", "Lee Park", "Ana Silva", "Kim Novak", "Ravi Menon", "Jo Berg", "Eli Stone"]
SUBJECTS = ["the billing migration", "the data retention review", "the vendor consolidation", "the EU rollout",
            "the incident response drill", "the capacity plan", "the pricing change", "the SOC 2 audit",
            "the storage tiering", "the support backlog"]
VERBS = ["reduced", "increased", "held", "delayed", "accelerated", "reviewed", "doubled", "capped"]
NOUNS = ["latency", "monthly cost", "error budget", "headcount", "storage footprint", "on-call load",
         "churn", "ticket volume", "egress spend"]
MONTHS = ["March", "June", "September", "December"]
TEAMS = ["platform group", "finance", "security office", "legal", "data team", "support"]
# The report template: paragraphs every internal report holds (boilerplate: a forgery copies
# them too, and a matcher must not count them as evidence).
SCOPE = ("This quarterly review covers the projects of the platform organisation. It summarises progress, "
         "risks and asks for the next quarter, as agreed with the steering committee.")
METHOD = ("Figures come from the finance warehouse and the incident tracker as of the last business day of "
          "the quarter. Targets are those approved in the annual plan unless stated otherwise.")
DISCLAIMER = ("This document is confidential and intended for internal use only. "
              "Do not forward it outside the company without approval from the security office.")


def sentence(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(NOUNS)} by "
                f"{rng.randint(2, 60)} percent in week {rng.randint(1, 52)}.")
    if kind == 1:
        return (f"The {rng.choice(NOUNS)} target for {rng.choice(PROJECTS)} is {rng.randint(10, 900)} units by "
                f"{rng.choice(MONTHS)} {rng.randint(2024, 2026)}.")
    if kind == 2:
        return f"Owner: {rng.choice(PEOPLE)}; reviewer: {rng.choice(TEAMS)}."
    if kind == 3:
        return (f"Risk {rng.randint(1, 40)}: {rng.choice(SUBJECTS)} depends on contract {rng.randint(1000, 9999)}, "
                f"which expires on day {rng.randint(1, 28)} of month {rng.randint(1, 12)}.")
    return (f"{rng.choice(PEOPLE)} asked {rng.choice(TEAMS)} to report on {rng.choice(SUBJECTS)} "
            f"before the {rng.choice(MONTHS)} board meeting.")


def reword(text: str, rng: random.Random) -> str:
    """One word of a sentence replaced by another of the same kind (a light rewording)."""
    for group in (NOUNS, VERBS, MONTHS, TEAMS):
        hits = [w for w in group if w in text]
        if hits:
            w = rng.choice(hits)
            return text.replace(w, rng.choice([x for x in group if x != w]), 1)
    return text.replace(" the ", " our ", 1) if " the " in text else text + " Noted."


def paragraphs(rng: random.Random, n: int) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def docx_bytes(paras: list[str], title: str, header: str, author: str, when: dt.datetime, rev: int,
               last_modified_by: str | None = None) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for p in paras:
        d.add_paragraph(p)
    d.sections[0].header.paragraphs[0].text = header
    cp = d.core_properties
    cp.author, cp.title, cp.revision, cp.created, cp.modified = author, title, rev, when, when
    cp.last_modified_by = last_modified_by or author
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def resave_docx(data: bytes, who: str) -> bytes:
    """Open in python-docx and save again as someone else (same text, new bytes and metadata)."""
    import docx

    d = docx.Document(io.BytesIO(data))
    d.core_properties.last_modified_by = who
    d.core_properties.revision = d.core_properties.revision + 1
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pdf_bytes(paras: list[str], title: str, header: str | None, author: str, producer: str,
              when: dt.datetime | None = None, size: int = 11, margin: float = 10.0) -> bytes:
    """The text printed to PDF: a running header and page numbers on every page."""
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 6, header)
                self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Doc()
    pdf.set_margins(margin, 10.0, margin)
    pdf.set_author(author)
    pdf.set_creator("Microsoft Word")
    pdf.set_producer(producer)
    pdf.set_creation_date(when or dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    pdf.add_page()
    pdf.set_font("Helvetica", size=size)
    pdf.multi_cell(0, size * 0.55, title)
    pdf.ln(3)
    for p in paras:
        pdf.multi_cell(0, size * 0.55, p)
        pdf.ln(3)
    return bytes(pdf.output())


def odt_bytes(paras: list[str], title: str, author: str, header: str) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    d = OpenDocumentText()
    d.text.addElement(P(text=header))
    d.text.addElement(H(outlinelevel=1, text=title))
    for p in paras:
        d.text.addElement(P(text=p))
    from odf.meta import InitialCreator

    d.meta.addElement(InitialCreator(text=author))
    buf = io.BytesIO()
    d.write(buf)
    return buf.getvalue()


def html_bytes(paras: list[str], title: str, header: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif}</style></head><body>"
            f"<header>{header}</header><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</body></html>").encode()


def md_bytes(paras: list[str], title: str, header: str) -> bytes:
    return (f"{header}\n\n# {title}\n\n" + "\n\n".join(paras) + "\n").encode()


def xlsx_bytes(rows: list[list], author: str, title: str = "Budget") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.properties.creator = author
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def resave_xlsx(data: bytes, who: str) -> bytes:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.properties.lastModifiedBy = who
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pptx_bytes(slides: list[tuple[str, str]], author: str) -> bytes:
    import pptx

    prs = pptx.Presentation()
    for title, body in slides:
        s = prs.slides.add_slide(prs.slide_layouts[1])
        s.shapes.title.text = title
        s.placeholders[1].text = body
    prs.core_properties.author = author
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def resave_pptx(data: bytes, who: str) -> bytes:
    import pptx

    prs = pptx.Presentation(io.BytesIO(data))
    prs.core_properties.last_modified_by = who
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# -- dumps -----------------------------------------------------------------------------------------

FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hugo", "Iris", "Jon", "Kai", "Lena", "Milo", "Nia"]
LAST = ["Ng", "Olsen", "Patel", "Quinn", "Rossi", "Sato", "Tran", "Ueda", "Vega", "Wolf", "Young", "Zed"]
PLANS = ["free", "team", "business", "enterprise"]
COUNTRIES = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "NL"]
CUSTOMER_COLUMNS = ["id", "name", "email", "country", "plan", "seats", "mrr", "signed_up"]


def customer(rng: random.Random, i: int) -> list:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return [i, f"{first} {last}", f"{first.lower()}.{last.lower()}{rng.randint(1, 9999)}@example.com",
            rng.choice(COUNTRIES), rng.choice(PLANS), rng.randint(1, 400), round(rng.uniform(0, 9000), 2),
            f"202{rng.randint(0, 4)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]


def csv_bytes(columns: list[str], rows: list[list], crlf: bool = False, quote: bool = False) -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n",
                   quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
    w.writerow(columns)
    for r in rows:
        w.writerow([f"{v:.2f}" if isinstance(v, float) and quote else v for v in r])
    return buf.getvalue().encode()


def sql_bytes(table: str, columns: list[str], rows: list[list], per_insert: int = 50) -> bytes:
    def lit(v: object) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    out = [f"-- dump of {table}\nCREATE TABLE {table} ({', '.join(c + ' TEXT' for c in columns)});\n"]
    for i in range(0, len(rows), per_insert):
        values = ",\n".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows[i: i + per_insert])
        out.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n{values};\n")
    return "".join(out).encode()


def jsonl_bytes(columns: list[str], rows: list[list], shuffle_keys: random.Random | None = None) -> bytes:
    lines = []
    for r in rows:
        pairs = list(zip(columns, r, strict=True))
        if shuffle_keys is not None:
            shuffle_keys.shuffle(pairs)
        lines.append(json.dumps(dict(pairs)))
    return ("\n".join(lines) + "\n").encode()
