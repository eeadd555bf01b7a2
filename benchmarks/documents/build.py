"""Labelled document and dump data: an internal document store (git history) and drops cut from it.

    python benchmarks/documents/build.py [--work benchmarks/work] [--seed 1] [--projects 12]

Builds, under ``<work>/documents/``:

- ``inventory/`` - a git repository with two commits (v1 on 2024-03-01, v2 on 2024-03-20) of
  made-up internal documents written with the format libraries from seeded texts: per project a
  quarterly review (DOCX, edited and extended in v2, every report ending with the same
  confidentiality paragraph), a budget workbook (XLSX, cells changed in v2), a plan deck (PPTX),
  a wiki page (Markdown); and dumps: ``data/customers.csv`` (v1, then v2 with rows added,
  updated and deleted), ``data/orders.sql`` (a SQL dump), ``data/events.jsonl``;
- ``drops/documents-drop-<k>.zip`` and ``drops/labels.json``:
  ``{"<drop>": {"<member>": {"label", "family", "case", "source", "text"}}}``; ``family`` is
  ``document`` or ``table``, ``text`` how the member's text relates to its source
  (identical/edited/none).

Document cases (each project): real, outdated (v1 bytes), pdf-of-docx, pdf-of-old-docx,
resaved-docx, odt-of-docx, html-of-docx, md-of-docx, resaved-xlsx, resaved-pptx (altered, text
identical); edited-docx, edited-pdf, excerpt-pdf, edited-xlsx (altered, text edited);
forged-docx (real title, header, author and confidentiality paragraph, invented body),
forged-pdf, forged-md, forged-xlsx (fabricated). Dump cases (each drop, other rows each time):
real, outdated, reexport-csv, reordered-columns-csv, csv-to-sql, csv-to-xlsx, xlsx-to-csv, sql-to-csv, subset-csv, old-subset-csv,
altered-rows-csv, padded-csv, subset-sql, jsonl-reordered (altered); synthetic-csv (invented rows
reusing real ids), synthetic-seeded-csv (15% real rows), synthetic-sql, synthetic-jsonl
(fabricated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import writers as W  # noqa: E402

DROPS = 3
V1_DATE, V2_DATE = "2024-03-01T09:00:00+00:00", "2024-03-20T09:00:00+00:00"
ORDER_COLUMNS = ["order_id", "customer_id", "sku", "quantity", "unit_price", "status"]
EVENT_COLUMNS = ["event_id", "user", "action", "resource", "ts"]


def report(specific: list[str]) -> list[str]:
    """A report in the organisation's template: scope, the specific paragraphs, method, disclaimer."""
    return [W.SCOPE, *specific, W.METHOD, W.DISCLAIMER]


def specific(paras: list[str]) -> list[str]:
    return paras[1:-2]


def edit(paras: list[str], rng: random.Random) -> list[str]:
    """A figure changed in one paragraph and one invented sentence inserted."""
    out = list(paras)
    i = rng.randrange(len(out))
    out[i] = out[i].replace(" percent", "0 percent", 1) if " percent" in out[i] else out[i] + " Revised."
    out.insert(rng.randrange(len(out) + 1), W.sentence(rng))
    return out


def reword(paras: list[str], rng: random.Random, share: float) -> list[str]:
    """About ``share`` of the sentences each reworded (one word replaced)."""
    out = []
    for p in paras:
        parts = p.split(". ")
        out.append(". ".join(W.reword(x, rng) if rng.random() < share else x for x in parts))
    return out


def budget_rows(rng: random.Random, project: str) -> list[list]:
    return [["line", "owner", "q1", "q2"]] + [
        [f"{project} item {i}", rng.choice(W.PEOPLE), rng.randint(1, 900) * 100, round(rng.random() * 1000, 2)]
        for i in range(rng.randint(25, 45))]


def git(repo: Path, *args: str, date: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, GIT_AUTHOR_NAME="Docs",
               GIT_AUTHOR_EMAIL="docs@corp.example", GIT_COMMITTER_NAME="Docs",
               GIT_COMMITTER_EMAIL="docs@corp.example")
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-C", str(repo), *args],
                   check=True, capture_output=True, env=env)


def commit(repo: Path, files: dict[str, bytes], date: str, message: str) -> None:
    for rel, data in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    git(repo, "add", "-A", date=date)
    git(repo, "commit", "-q", "-m", message, date=date)


def order(rng: random.Random, i: int, customers: int) -> list:
    return [i, rng.randint(1, customers), f"SKU-{rng.randint(100, 999)}", rng.randint(1, 20),
            round(rng.uniform(1, 500), 2), rng.choice(["paid", "shipped", "refunded", "open"])]


def event(rng: random.Random, i: int) -> list:
    return [f"ev-{i:06d}", f"u{rng.randint(1, 5000)}", rng.choice(["login", "export", "delete", "share"]),
            f"/projects/{rng.randint(1, 300)}/files/{rng.randint(1, 9999)}",
            f"2024-02-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"]


def build(work: Path, seed: int, n_projects: int = len(W.PROJECTS)) -> dict:
    rng = random.Random(seed)
    root = work / "documents"
    if root.exists():
        shutil.rmtree(root)
    inv, drops = root / "inventory", root / "drops"
    inv.mkdir(parents=True)
    drops.mkdir(parents=True)
    git(inv, "init", "-q", date=V1_DATE)
    v1_files: dict[str, bytes] = {}
    v2_files: dict[str, bytes] = {}
    projects = {}
    for i, project in enumerate(W.PROJECTS[:n_projects]):
        author = W.PEOPLE[i % len(W.PEOPLE)]
        title, header = f"{project} quarterly review", f"CONFIDENTIAL - {project} - internal only"
        s1 = W.paragraphs(rng, rng.randint(8, 14))
        p1, p2 = report(s1), report(edit(s1, rng) + W.paragraphs(rng, 2))
        b1 = budget_rows(rng, project)
        b2 = [list(r) for r in b1]
        for r in rng.sample(range(1, len(b2)), 3):
            b2[r][2] = rng.randint(1, 900) * 100
        slides = [(f"{project}: {s}", W.sentence(rng)) for s in ("goals", "risks", "timeline", "asks")]
        wiki = W.paragraphs(rng, 6)
        rp = f"reports/{project.lower()}-review.docx"
        bp = f"finance/{project.lower()}-budget.xlsx"
        d1 = W.docx_bytes(p1, title, header, author, dt.datetime(2024, 3, 1, 9), 3)
        d2 = W.docx_bytes(p2, title, header, author, dt.datetime(2024, 3, 20, 9), 9)
        x1, x2 = W.xlsx_bytes(b1, "Finance Bot"), W.xlsx_bytes(b2, "Finance Bot")
        v1_files.update({rp: d1, bp: x1,
                         f"decks/{project.lower()}-plan.pptx": W.pptx_bytes(slides, author),
                         f"wiki/{project.lower()}.md": W.md_bytes(wiki, f"{project} on-call", header)})
        v2_files.update({rp: d2, bp: x2})
        projects[project] = dict(p1=p1, p2=p2, b2=b2, title=title, header=header, author=author, rp=rp, bp=bp,
                                 d1=d1, d2=d2, x2=x2, deck=v1_files[f"decks/{project.lower()}-plan.pptx"],
                                 deck_path=f"decks/{project.lower()}-plan.pptx", wiki_header=header)
    cust1 = [W.customer(rng, i) for i in range(1, 301)]
    cust2 = [list(r) for r in cust1]
    for r in rng.sample(range(len(cust2)), 20):
        cust2[r][4], cust2[r][5] = rng.choice(W.PLANS), rng.randint(1, 400)
    for r in sorted(rng.sample(range(len(cust2)), 10), reverse=True):
        del cust2[r]
    cust2 += [W.customer(rng, i) for i in range(301, 351)]
    orders = [order(rng, i, 350) for i in range(1, 401)]
    events = [event(rng, i) for i in range(1, 301)]
    v1_files["data/customers.csv"] = W.csv_bytes(W.CUSTOMER_COLUMNS, cust1)
    v1_files["data/events.jsonl"] = W.jsonl_bytes(EVENT_COLUMNS, events)
    v2_files["data/customers.csv"] = W.csv_bytes(W.CUSTOMER_COLUMNS, cust2)
    v2_files["data/orders.sql"] = W.sql_bytes("orders", ORDER_COLUMNS, orders)
    commit(inv, v1_files, V1_DATE, "v1")
    commit(inv, v2_files, V2_DATE, "v2")

    labels: dict[str, dict] = {}
    names = list(projects)
    for k in range(DROPS):
        cases: dict[str, tuple[bytes, dict]] = {}

        def add(member: str, data: bytes, label: str, family: str, case: str, source: str | None, text: str,
                cases: dict = cases) -> None:
            cases[member] = (data, {"label": label, "family": family, "case": case, "source": source, "text": text})

        for project in names[k::DROPS]:
            other = projects[names[(names.index(project) + 1) % len(names)]]
            _document_cases(add, projects[project], project, rng, other)
        _table_cases(add, rng, cust1, cust2, orders, events, v1_files, v2_files)
        p = projects[names[k]]
        add(f"finance/{names[k].lower()}-budget.csv", W.csv_bytes(p["b2"][0], p["b2"][1:]), "altered", "table",
            "xlsx-to-csv", p["bp"], "identical")
        name = f"documents-drop-{k + 1}.zip"
        with zipfile.ZipFile(drops / name, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, (data, _) in sorted(cases.items()):
                zf.writestr(zipfile.ZipInfo(f"leak/{member}", (2024, 6, 1, 0, 0, 0)), data)
        labels[name] = {f"leak/{m}": meta for m, (_, meta) in sorted(cases.items())}
    (drops / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    return labels


def _document_cases(add, p: dict, project: str, rng: random.Random, other: dict) -> None:
    lo = project.lower()
    rp, bp = p["rp"], p["bp"]
    add(f"{lo}/review.docx", p["d2"], "real", "document", "real", rp, "identical")
    add(f"{lo}/old/review.docx", p["d1"], "outdated", "document", "outdated", rp, "identical")
    add(f"{lo}/print/review.pdf", W.pdf_bytes(p["p2"], p["title"], p["header"], p["author"],
                                              "Microsoft: Print To PDF"),
        "altered", "document", "pdf-of-docx", rp, "identical")
    add(f"{lo}/print/review-march.pdf", W.pdf_bytes(p["p1"], p["title"], p["header"], p["author"],
                                                    "macOS Quartz PDFContext"),
        "altered", "document", "pdf-of-old-docx", rp, "identical")
    add(f"{lo}/print/review-a5.pdf", W.pdf_bytes(p["p2"], p["title"], p["header"], p["author"], "Ghostscript",
                                                 size=8, margin=30.0),
        "altered", "document", "pdf-small-font", rp, "identical")
    add(f"{lo}/review (2).docx", W.resave_docx(p["d2"], "J. Doe"), "altered", "document", "resaved-docx", rp,
        "identical")
    add(f"{lo}/review.odt", W.odt_bytes(p["p2"], p["title"], p["author"], p["header"]), "altered", "document", "odt-of-docx",
        rp, "identical")
    add(f"{lo}/web/review.html", W.html_bytes(p["p2"], p["title"], p["header"]), "altered", "document",
        "html-of-docx", rp, "identical")
    add(f"{lo}/notes/review.md", W.md_bytes(p["p2"], p["title"], p["header"]), "altered", "document",
        "md-of-docx", rp, "identical")
    add(f"{lo}/budget-copy.xlsx", W.resave_xlsx(p["x2"], "unknown"), "altered", "document", "resaved-xlsx", bp,
        "identical")
    add(f"{lo}/plan.pptx", W.resave_pptx(p["deck"], "unknown"), "altered", "document", "resaved-pptx",
        p["deck_path"], "identical")
    edited = edit(p["p2"], rng)
    add(f"{lo}/review-final.docx", W.docx_bytes(edited, p["title"], p["header"], p["author"],
                                                dt.datetime(2024, 4, 2), 10),
        "altered", "document", "edited-docx", rp, "edited")
    add(f"{lo}/print/review-final.pdf", W.pdf_bytes(edit(p["p2"], rng), p["title"], p["header"], p["author"],
                                                    "Acrobat Distiller"),
        "altered", "document", "edited-pdf", rp, "edited")
    half = p["p2"][: max(3, len(p["p2"]) // 2)]
    add(f"{lo}/print/review-excerpt.pdf", W.pdf_bytes(half, p["title"], p["header"], p["author"], "Preview"),
        "altered", "document", "excerpt-pdf", rp, "edited")
    body = specific(p["p2"])
    start = rng.randrange(max(1, len(body) - 3))
    add(f"{lo}/print/page-3.pdf", W.pdf_bytes(body[start: start + 3], "", None, "", "Preview"),
        "altered", "document", "excerpt-small-pdf", rp, "edited")
    fake_extra = W.paragraphs(random.Random(rng.random()), len(body))
    add(f"{lo}/review-extended.docx", W.docx_bytes(p["p2"] + fake_extra, p["title"], p["header"], p["author"],
                                                   dt.datetime(2024, 4, 9), 12),
        "altered", "document", "appended-docx", rp, "edited")
    mine, theirs = specific(p["p2"]), specific(other["p2"])
    mosaic = report(mine[: len(mine) // 2] + theirs[len(theirs) // 2:])
    add(f"{lo}/print/review-combined.pdf", W.pdf_bytes(mosaic, p["title"], p["header"], p["author"], "Preview"),
        "altered", "document", "mosaic-pdf", rp, "edited")
    add(f"{lo}/review-reworded.docx", W.docx_bytes(reword(p["p2"], rng, 0.4), p["title"], p["header"],
                                                   p["author"], dt.datetime(2024, 4, 3), 10),
        "altered", "document", "reworded-docx", rp, "edited")
    b = [list(r) for r in p["b2"]]
    for r in rng.sample(range(1, len(b)), 3):
        b[r][3] = round(rng.random() * 1000, 2)
    add(f"{lo}/budget-final.xlsx", W.xlsx_bytes(b, "Finance Bot"), "altered", "document", "edited-xlsx", bp,
        "edited")
    fake = random.Random(rng.random())
    add(f"{lo}/review-v3.docx", W.docx_bytes(report(W.paragraphs(fake, len(p["p2"]) - 3)), p["title"],
                                             p["header"], p["author"], dt.datetime(2024, 5, 1), 11),
        "fabricated", "document", "forged-docx", None, "none")
    add(f"{lo}/print/review-q3.pdf", W.pdf_bytes(report(W.paragraphs(fake, 4)), p["title"], p["header"],
                                                 p["author"], "Microsoft: Print To PDF"),
        "fabricated", "document", "forged-short-pdf", None, "none")
    add(f"{lo}/print/board-memo.pdf", W.pdf_bytes(W.paragraphs(fake, 8) + [W.DISCLAIMER], f"{project} board memo",
                                                  p["header"], p["author"], "Microsoft: Print To PDF"),
        "fabricated", "document", "forged-pdf", None, "none")
    add(f"{lo}/notes/oncall.md", W.md_bytes(W.paragraphs(fake, 6), f"{project} on-call", p["wiki_header"]),
        "fabricated", "document", "forged-md", None, "none")
    add(f"{lo}/budget-2025.xlsx", W.xlsx_bytes(budget_rows(fake, project), "Finance Bot"), "fabricated",
        "document", "forged-xlsx", None, "none")


def _table_cases(add, rng: random.Random, cust1: list, cust2: list, orders: list, events: list,
                 v1_files: dict, v2_files: dict) -> None:
    cols = W.CUSTOMER_COLUMNS
    fake = random.Random(rng.random())
    add("data/customers.csv", v2_files["data/customers.csv"], "real", "table", "real", "data/customers.csv",
        "identical")
    add("backup/customers.csv", v1_files["data/customers.csv"], "outdated", "table", "outdated",
        "data/customers.csv", "identical")
    add("export/customers.csv", W.csv_bytes(cols, cust2, crlf=True, quote=True), "altered", "table", "reexport-csv",
        "data/customers.csv", "identical")
    order_ = list(range(len(cols)))
    rng.shuffle(order_)
    add("export/customers-by-plan.csv", W.csv_bytes([cols[i] for i in order_], [[r[i] for i in order_] for r in cust2]),
        "altered", "table", "reordered-columns-csv", "data/customers.csv", "identical")
    add("export/customers.xlsx", W.xlsx_bytes([cols, *cust2], "Export Bot", "customers"), "altered", "table",
        "csv-to-xlsx", "data/customers.csv", "identical")
    add("export/customers.sql", W.sql_bytes("customers", cols, cust2), "altered", "table", "csv-to-sql",
        "data/customers.csv", "identical")
    add("export/orders.csv", W.csv_bytes(ORDER_COLUMNS, orders), "altered", "table", "sql-to-csv",
        "data/orders.sql", "identical")
    sub = rng.sample(cust2, rng.randint(len(cust2) // 5, len(cust2) * 3 // 5))
    add("leak/customers-sample.csv", W.csv_bytes(cols, sub), "altered", "table", "subset-csv", "data/customers.csv",
        "edited")
    add("leak/customers-2024-03.csv", W.csv_bytes(cols, rng.sample(cust1, 120)), "altered", "table",
        "old-subset-csv", "data/customers.csv", "edited")
    alt = [list(r) for r in cust2]
    for r in rng.sample(range(len(alt)), rng.randint(len(alt) // 20, len(alt) // 4)):
        col = rng.choice((2, 4, 5))  # an e-mail, a plan or a seat count changed
        alt[r][col] = {2: "x" + str(alt[r][2]), 4: "premium", 5: int(alt[r][5]) + 1}[col]
    add("leak/customers-altered.csv", W.csv_bytes(cols, alt), "altered", "table", "altered-rows-csv",
        "data/customers.csv", "edited")
    real_part = rng.sample(cust2, rng.randint(len(cust2) * 6 // 10, len(cust2) * 8 // 10))
    invented = [W.customer(fake, fake.randint(1, 350)) for _ in range(len(real_part) // 3)]
    padded = real_part + invented
    rng.shuffle(padded)
    add("leak/customers-full.csv", W.csv_bytes(cols, padded), "altered", "table", "padded-csv",
        "data/customers.csv", "edited")
    add("leak/orders-q1.sql", W.sql_bytes("orders", ORDER_COLUMNS, rng.sample(orders, 150)), "altered", "table",
        "subset-sql", "data/orders.sql", "edited")
    add("leak/events.jsonl", W.jsonl_bytes(EVENT_COLUMNS, rng.sample(events, 200), shuffle_keys=rng), "altered",
        "table", "jsonl-reordered", "data/events.jsonl", "edited")
    # Synthetic dumps: invented rows in the real format, reusing real ids (keys).
    add("leak/customers-all.csv", W.csv_bytes(cols, [W.customer(fake, i) for i in range(1, 341)]), "fabricated",
        "table", "synthetic-csv", None, "none")
    seeded = [W.customer(fake, i) for i in range(1, 300)]
    for j in fake.sample(range(len(seeded)), len(seeded) * 15 // 100):
        seeded[j] = fake.choice(cust2)
    add("leak/customers-vip.csv", W.csv_bytes(cols, seeded), "fabricated", "table", "synthetic-seeded-csv", None,
        "none")
    add("leak/orders.sql", W.sql_bytes("orders", ORDER_COLUMNS, [order(fake, i, 350) for i in range(1, 301)]),
        "fabricated", "table", "synthetic-sql", None, "none")
    add("leak/audit.jsonl", W.jsonl_bytes(EVENT_COLUMNS, [event(fake, i) for i in range(1, 251)]), "fabricated",
        "table", "synthetic-jsonl", None, "none")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parents[1] / "work")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--projects", type=int, default=len(W.PROJECTS))
    args = ap.parse_args()
    labels = build(args.work, args.seed, args.projects)
    print(f"wrote {args.work / 'documents'}: {sum(len(v) for v in labels.values())} labelled members")


if __name__ == "__main__":
    main()
