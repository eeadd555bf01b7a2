"""report.csv: one row per file and per skipped member, spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from triage.render import csv as render_csv

from .conftest import ESC_NAME, FORMULA, HOSTILE


def rows(report):
    return list(csv.DictReader(io.StringIO(render_csv.render(report), newline="")))


def test_one_row_per_file_then_skipped(report):
    out = rows(report)
    assert list(out[0].keys()) == list(render_csv.COLUMNS)
    assert len(out) == len(report.files) + len(report.skipped)
    assert [r["verdict"] for r in out[-2:]] == ["skipped", "skipped"]
    assert out[-2]["reason"] == "path-traversal" and out[-2]["path"] == "../../etc/passwd"
    by_path = {r["path"]: r for r in out}
    readme = by_path["leak/README.md"]
    assert readme["verdict"] == "outdated" and readme["internal_path"] == "README.md"
    assert readme["first_seen"] == "2025-02-03T10:12:00Z" and readme["last_seen"] == "2025-05-30T18:10:00Z"
    assert readme["sha256"] == "0a" * 32 and readme["size"] == "699" and readme["confidence"] == "1.0"


def test_altered_and_fabricated_columns(report):
    by_path = {r["path"]: r for r in rows(report)}
    alt = by_path[render_csv.visible(HOSTILE)]
    assert alt["internal_path"] == "src/tokens.py" and alt["source_blob"] == "9b" * 20
    assert alt["change_kinds"] == "identifiers-renamed"
    fab = by_path[render_csv.visible(ESC_NAME)]
    assert fab["impersonates"] == "src/auth/\\u202emaster_key.py" and fab["internal_path"] == ""


@pytest.mark.parametrize("value", ["=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\rx", FORMULA, "-cmd|' /C calc'!A0"])
def test_formula_cells_get_a_leading_quote(value):
    assert render_csv.cell(value).startswith("'")


def test_no_cell_can_start_a_formula(report):
    text = render_csv.render(report)
    assert "\x1b" not in text and "\u202e" not in text
    for row in csv.reader(io.StringIO(text, newline="")):
        for c in row:
            assert not c.startswith(("=", "+", "-", "@", "\t", "\r")), c
    assert any(c == "'" + FORMULA for row in csv.reader(io.StringIO(text, newline="")) for c in row)
    assert "'+1 no match" in text and "'-2 no match" in text and "'@SUM(A1:A9)" in text


def test_numbers_stay_numbers():
    assert render_csv.cell(-1) == "-1" and render_csv.cell(0.5) == "0.5" and render_csv.cell(None) == ""
