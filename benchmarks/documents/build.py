"""Labelled document data: an internal document store and drops cut from it.

    python benchmarks/documents/build.py [--work benchmarks/work] [--seed 1] [--check]

Builds, under ``<work>/documents/``:

- ``inventory/`` - made-up internal documents written with the format libraries from texts
  generated here (seeded): reports as DOCX (two versions each: v1 outdated, v2 current),
  a budget workbook (XLSX), a deck (PPTX), a wiki page (Markdown);
- ``drops/documents-drop-1.zip`` and ``drops/labels.json``:
  ``{"documents-drop-1.zip": {"<member>": {"label", "case", "source", "version", "text"}}}``
  where ``text`` says how the member's canonical text relates to the source's
  (identical/edited/none).

| case | label | what it is |
| --- | --- | --- |
| real | real | a current DOCX, same bytes |
| outdated | outdated | a v1 DOCX, same bytes |
| pdf-of-docx | altered (text identical) | the current DOCX printed to PDF (header, page numbers) |
| resaved-xlsx | altered (text identical) | the workbook loaded and saved again, another author |
| html-of-docx / md-of-docx | altered (text identical) | the DOCX text exported as a web page / Markdown |
| edited-docx / edited-pdf | altered (edited) | numbers changed and a sentence inserted |
| forged-docx | fabricated | the real title, header and author, invented body |
| forged-pdf | fabricated | an invented report in the organisation's style |

``--check`` extracts every member and every internal document and labels each member by
canonical-line containment (a baseline for the matcher, not the matcher).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
import zipfile
from pathlib import Path

PROJECTS = ["Heron", "Kestrel", "Osprey", "Plover"]
SUBJECTS = [
    "the billing migration",
    "the data retention review",
    "the vendor consolidation",
    "the EU rollout",
    "the incident response drill",
    "the capacity plan",
]
VERBS = ["reduced", "increased", "held", "delayed", "accelerated", "reviewed"]
NOUNS = ["latency", "monthly cost", "error budget", "headcount", "storage footprint", "on-call load"]


def sentence(rng: random.Random) -> str:
    return rng.choice(
        [
            lambda: (
                f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(NOUNS)} by "
                f"{rng.randint(2, 60)} percent in week {rng.randint(1, 52)}."
            ),
            lambda: (
                f"The {rng.choice(NOUNS)} target for {rng.choice(PROJECTS)} is {rng.randint(10, 900)} "
                f"units by {rng.choice(['March', 'June', 'September', 'December'])} "
                f"{rng.randint(2024, 2026)}."
            ),
            lambda: (
                f"Owner: {rng.choice(['Dana Reyes', 'Sam Ortiz', 'Lee Park', 'Ana Silva'])}; "
                f"reviewer: {rng.choice(['platform group', 'finance', 'security office', 'legal'])}."
            ),
            lambda: (
                f"Risk {rng.randint(1, 40)}: {rng.choice(SUBJECTS)} depends on contract "
                f"{rng.randint(1000, 9999)}, "
                f"which expires on day {rng.randint(1, 28)} of month {rng.randint(1, 12)}."
            ),
        ]
    )()


def paragraphs(rng: random.Random, n: int) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def docx_bytes(paras: list[str], title: str, header: str, author: str, when: dt.datetime, rev: int) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for p in paras:
        d.add_paragraph(p)
    d.sections[0].header.paragraphs[0].text = header
    cp = d.core_properties
    cp.author, cp.title, cp.revision, cp.created, cp.modified = author, title, rev, when, when
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pdf_bytes(paras: list[str], title: str, header: str, author: str, producer: str) -> bytes:
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 6, header)
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Doc()
    pdf.set_author(author)
    pdf.set_creator("Microsoft Word")
    pdf.set_producer(producer)
    pdf.set_creation_date(dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, title)
    pdf.ln(3)
    for p in paras:
        pdf.multi_cell(0, 6, p)
        pdf.ln(3)
    return bytes(pdf.output())


def xlsx_bytes(rows: list[list], author: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    for r in rows:
        ws.append(r)
    wb.properties.creator = author
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


def edit(paras: list[str], rng: random.Random) -> list[str]:
    out = list(paras)
    i = rng.randrange(len(out))
    out[i] = out[i].replace(" percent", "0 percent", 1) if " percent" in out[i] else out[i] + " Revised."
    out.insert(rng.randrange(len(out)), sentence(rng))
    return out


def build(work: Path, seed: int) -> dict:
    rng = random.Random(seed)
    root = work / "documents"
    inv, drops = root / "inventory", root / "drops"
    inv.mkdir(parents=True, exist_ok=True)
    drops.mkdir(parents=True, exist_ok=True)
    reports = {}
    for i, project in enumerate(PROJECTS):
        v1 = paragraphs(rng, rng.randint(8, 14))
        v2 = edit(v1, rng) + paragraphs(rng, 2)
        title, header = f"{project} quarterly review", f"CONFIDENTIAL - {project} - internal only"
        author = ["Dana Reyes", "Sam Ortiz", "Lee Park", "Ana Silva"][i]
        for ver, paras, day in (("v1", v1, 1), ("v2", v2, 20)):
            data = docx_bytes(
                paras, title, header, author, dt.datetime(2024, 3, day, 9), 3 if ver == "v1" else 9
            )
            path = inv / "reports" / ver / f"{project.lower()}-review.docx"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        reports[project] = (v1, v2, title, header, author)
    budget = [["line", "owner", "q1", "q2"]] + [
        [f"item {i}", rng.choice(PROJECTS), rng.randint(1, 900) * 100, round(rng.random() * 1000, 2)]
        for i in range(40)
    ]
    (inv / "finance").mkdir(exist_ok=True)
    (inv / "finance" / "budget.xlsx").write_bytes(xlsx_bytes(budget, "Finance Bot"))
    (inv / "decks").mkdir(exist_ok=True)
    (inv / "decks" / "roadmap.pptx").write_bytes(
        pptx_bytes([(p, sentence(rng)) for p in PROJECTS], "Ana Silva")
    )
    (inv / "wiki").mkdir(exist_ok=True)
    (inv / "wiki" / "oncall.md").write_text("# On-call\n\n" + "\n\n".join(paragraphs(rng, 6)) + "\n")

    cases: dict[str, tuple[bytes, dict]] = {}

    def add(member: str, data: bytes, label: str, case: str, source: str | None, text: str) -> None:
        cases[member] = (
            data,
            {
                "label": label,
                "case": case,
                "source": source,
                "version": source.split("/")[1] if source and "/v" in source else None,
                "text": text,
            },
        )

    h_v1, h_v2, h_title, h_header, h_author = reports["Heron"]
    k_v1, k_v2, k_title, k_header, k_author = reports["Kestrel"]
    src = "reports/v2/heron-review.docx"
    add("docs/heron-review.docx", (inv / src).read_bytes(), "real", "real", src, "identical")
    add(
        "old/kestrel-review.docx",
        (inv / "reports/v1/kestrel-review.docx").read_bytes(),
        "outdated",
        "outdated",
        "reports/v1/kestrel-review.docx",
        "identical",
    )
    add(
        "print/heron-review.pdf",
        pdf_bytes(h_v2, h_title, h_header, h_author, "Microsoft: Print To PDF"),
        "altered",
        "pdf-of-docx",
        src,
        "identical",
    )
    import openpyxl

    wb = openpyxl.load_workbook(inv / "finance" / "budget.xlsx")
    wb.properties.lastModifiedBy = "unknown"
    buf = io.BytesIO()
    wb.save(buf)
    add(
        "finance/budget (1).xlsx",
        buf.getvalue(),
        "altered",
        "resaved-xlsx",
        "finance/budget.xlsx",
        "identical",
    )
    html = (
        f"<html><head><title>{h_title}</title></head><body><header>{h_header}</header><h1>{h_title}</h1>"
        + "".join(f"<p>{p}</p>" for p in h_v2)
        + "</body></html>"
    )
    add("web/heron.html", html.encode(), "altered", "html-of-docx", src, "identical")
    md = f"{h_header}\n\n# {h_title}\n\n" + "\n\n".join(h_v2) + "\n"
    add("notes/heron.md", md.encode(), "altered", "md-of-docx", src, "identical")
    k_edit = edit(k_v2, rng)
    add(
        "docs/kestrel-review.docx",
        docx_bytes(k_edit, k_title, k_header, k_author, dt.datetime(2024, 4, 2), 10),
        "altered",
        "edited-docx",
        "reports/v2/kestrel-review.docx",
        "edited",
    )
    o_v1, o_v2, o_title, o_header, o_author = reports["Osprey"]
    add(
        "print/osprey-review.pdf",
        pdf_bytes(edit(o_v2, rng), o_title, o_header, o_author, "Acrobat Distiller"),
        "altered",
        "edited-pdf",
        "reports/v2/osprey-review.docx",
        "edited",
    )
    fake_rng = random.Random(seed + 999)
    add(
        "docs/plover-review-final.docx",
        docx_bytes(
            paragraphs(fake_rng, 10),
            reports["Plover"][2],
            reports["Plover"][3],
            reports["Plover"][4],
            dt.datetime(2024, 5, 1),
            11,
        ),
        "fabricated",
        "forged-docx",
        None,
        "none",
    )
    add(
        "print/heron-board-memo.pdf",
        pdf_bytes(paragraphs(fake_rng, 8), "Heron board memo", h_header, h_author, "Microsoft: Print To PDF"),
        "fabricated",
        "forged-pdf",
        None,
        "none",
    )
    name = "documents-drop-1.zip"
    with zipfile.ZipFile(drops / name, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, (data, _) in sorted(cases.items()):
            zf.writestr(zipfile.ZipInfo(f"leak/{member}", (2024, 6, 1, 0, 0, 0)), data)
    labels = {name: {f"leak/{m}": meta for m, (_, meta) in sorted(cases.items())}}
    (drops / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    return labels


def check(work: Path, labels: dict) -> float:
    from triage.fingerprint.documents import detect_document, extract

    root = work / "documents"

    def lines(data: bytes, name: str) -> set[str]:
        kind = detect_document(data, name)
        return set(extract(data, kind).lines()) if kind else set()

    internal = {
        str(p.relative_to(root / "inventory")): (p.read_bytes(), lines(p.read_bytes(), p.name))
        for p in sorted((root / "inventory").rglob("*"))
        if p.is_file()
    }
    good = total = 0
    for drop, members in labels.items():
        zf = zipfile.ZipFile(root / "drops" / drop)
        for member, meta in members.items():
            data = zf.read(member)
            got = lines(data, member)
            exact = next((s for s, (b, _) in internal.items() if b == data), None)
            scored = sorted(
                (
                    (len(got & ls) / max(1, len(got)), len(got ^ ls) == 0, s)
                    for s, (_, ls) in internal.items()
                ),
                reverse=True,
            )
            share, same, source = scored[0]
            if exact:
                verdict, text, source = ("outdated" if "/v1/" in exact else "real"), "identical", exact
            elif share >= 0.5:
                verdict, text = "altered", "identical" if same else "edited"
            else:
                verdict, text, source = "fabricated", "none", None
            ok = (verdict, text, source) == (meta["label"], meta["text"], meta["source"])
            good += ok
            total += 1
            print(
                f"{'ok ' if ok else 'BAD'} {meta['case']:14} expected {meta['label']:10} {meta['text']:9} "
                f"got "
                f"{verdict:10} {text:9} {share:.2f} {source}"
            )
    print(f"label accuracy (line-containment baseline): {good}/{total}")
    return good / total if total else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parents[1] / "work")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    labels = build(args.work, args.seed)
    print(f"wrote {args.work / 'documents'}: {sum(len(v) for v in labels.values())} labelled members")
    if args.check and check(args.work, labels) < 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
