"""The scale benchmark's synthetic inventory at a tiny size: a deterministic history that
``triage index`` reads as any git history, and a drop whose every verdict is its label."""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from triage.inventory.indexer import index_source
from triage.inventory.store import SQLiteStore
from triage.pipeline import scan

SCALE = Path(__file__).resolve().parents[2] / "benchmarks" / "scale"
CONTENTS = 200


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(SCALE))
    try:
        yield (importlib.import_module("history"), importlib.import_module("drop"),
               importlib.import_module("bulk_index"))
    finally:
        sys.path.remove(str(SCALE))


def _head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_history_is_deterministic_and_exact(bench, tmp_path: Path):
    history, _drop, bulk = bench
    a = history.build_repo(tmp_path / "a.git", "alpha", "alpha:0", CONTENTS)
    history.build_repo(tmp_path / "b.git", "alpha", "alpha:0", CONTENTS)
    history.build_repo(tmp_path / "c.git", "alpha", "alpha:1", CONTENTS)
    assert _head(tmp_path / "a.git") == _head(tmp_path / "b.git") != _head(tmp_path / "c.git")
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    index_source(store, tmp_path / "a.git")
    # every generated content, plus the organisation's shared files (LICENSE, .gitignore, empty)
    assert a.contents == CONTENTS and store.count("contents") == CONTENTS + 3
    store.close()
    # the benchmark's bulk-loading connection writes the same rows as triage index
    bulk.bulk_index(tmp_path / "a.git", tmp_path / "bulk.db", "a")
    assert _tables(tmp_path / "bulk.db") == _tables(tmp_path / "i.db")


def _tables(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                if r[1] not in ("indexed_at", "applied_at")]  # the time of the run
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}")  # noqa: S608
        out[table] = sorted((r for r in rows if r[0] != "index_id"), key=repr)  # meta: a random id per index
    conn.close()
    return out


def test_drop_verdicts_are_its_labels(bench, tmp_path: Path):
    history, drop, _bulk = bench
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    truths = []
    for i, name in enumerate(("alpha", "bravo")):
        history.build_repo(tmp_path / f"{name}.git", name, f"{name}:{i}", CONTENTS, tmp_path / f"{name}.zip")
        index_source(store, tmp_path / f"{name}.git")
        truths.append(drop.load_truth(tmp_path / f"{name}.zip"))
    store.close()
    labels = drop.build_drop(truths, 60, 1, tmp_path / "d.zip", tmp_path / "labels.json")
    assert Counter(m["label"] for m in labels.values()) == {"real": 21, "outdated": 9, "altered": 18,
                                                            "fabricated": 12}
    report = scan(tmp_path / "d.zip", tmp_path / "i.db")
    got = {f.path: f.verdict.value for f in report.files}
    assert got == {p: m["label"] for p, m in labels.items()}
