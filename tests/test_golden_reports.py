"""Golden reports of the bundled sample: report.json and report.md must not change silently.

Only ``generated_at`` and the absolute location of the sample inventory are normalised.
Refresh after a deliberate change (then review the diff like code):

    make golden        # = TRIAGE_REFRESH_GOLDEN=1 python -m pytest tests/test_golden_reports.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"


def _normalise(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "<tmp>")
    text = re.sub(r'"generated_at": "[^"]*"', '"generated_at": "<time>"', text)
    return re.sub(r"Generated: \S+ by", "Generated: <time> by", text)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("golden")
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), "--out", str(tmp / "s")], check=True,
                   capture_output=True)
    cwd = os.getcwd()
    os.chdir(tmp)  # relative paths in the report, as a responder would type them
    try:
        runner = CliRunner()
        assert runner.invoke(main, ["index", "s/inventory", "--db", "s/inv.db"]).exit_code == 0
        res = runner.invoke(main, ["scan", "s/drop.zip", "--db", "s/inv.db", "--out", "s/ev"])
        assert res.exit_code == 1, res.stderr  # the sample has altered and fabricated files
    finally:
        os.chdir(cwd)
    return tmp, tmp / "s" / "ev"


@pytest.mark.parametrize("name", ["report.json", "report.md"])
def test_sample_report_matches_golden(evidence, name):
    tmp, ev = evidence
    got = _normalise((ev / name).read_text(encoding="utf-8"), tmp)
    golden = GOLDEN / f"sample-{name}"
    if os.environ.get("TRIAGE_REFRESH_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"no golden file: run `make golden` to create {golden}"
    assert got == golden.read_text(encoding="utf-8"), f"{name} changed: review, then `make golden`"
