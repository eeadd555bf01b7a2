"""The bundled sample (what `make demo` runs): every file gets the label the sample builder
computed from the repository's own git objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from triage.inventory.indexer import index_source
from triage.inventory.store import SQLiteStore
from triage.pipeline import scan

ROOT = Path(__file__).resolve().parents[1]


def test_sample_drop_matches_expected_labels(tmp_path: Path):
    out = tmp_path / "sample"
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), "--out", str(out)], check=True,
                   capture_output=True)
    store = SQLiteStore.create_or_open(tmp_path / "inv.db")
    index_source(store, out / "inventory")
    store.close()
    report = scan(out / "drop.zip", tmp_path / "inv.db")
    expected = json.loads((out / "expected.json").read_text())
    got = {f.path: f.verdict.value for f in report.files}
    assert got == expected
    assert report.snapshot["support"] >= 0.8 * report.snapshot["files"]
