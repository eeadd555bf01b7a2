"""The same history gives the same report whatever content ids the index gave.

Several index workers filling one shared index number contents in the order they write them, so
ids are not a function of the history. Candidates are cut, and ties between them broken, by
figures and SHA-256, never by id.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import comparable, index_into
from tests.conftest import Repo, code_file
from tests.test_pipeline import zip_bytes
from triage.inventory import open_store
from triage.inventory.store import SQLiteStore
from triage.matcher import PER_LOOKUP, top
from triage.pipeline import scan


def _conf(i: int, n: int = 30) -> str:
    """Files of one shape: the same structure with other names and values (they tie on shape bands)."""
    return "".join(f"setting_{i}_{k} = {i * 100 + k}\n" for k in range(n))


def _history(repo: Repo) -> None:
    # Twelve files of one shape, more than a lookup keeps (PER_LOOKUP), so the cut falls among ties;
    # a path rewritten several times (more versions than the same-path lookup keeps).
    repo.commit({f"conf/c{i}.py": _conf(i) for i in range(12)}, "configs")
    for v in range(7):
        repo.commit({"app/main.py": f"def main():\n    return {v}\n" + _conf(50 + v, 10)}, f"main v{v}")


def _reversed_ids(monkeypatch) -> None:
    """Every batch written in reverse order: the same rows under other content ids."""
    real = SQLiteStore.add_contents

    def backwards(self, items):
        return real(self, list(items)[::-1])[::-1]

    monkeypatch.setattr(SQLiteStore, "add_contents", backwards)


def _ids(db: Path) -> dict[str, int]:
    store = open_store(db, writable=False)
    try:
        return dict(store.conn.execute("SELECT sha256, id FROM contents"))
    finally:
        store.close()


def test_reports_do_not_depend_on_content_ids(repo: Repo, tmp_path: Path, monkeypatch):
    _history(repo)
    index_into(tmp_path / "a.db", repo.path)
    with monkeypatch.context() as m:
        _reversed_ids(m)
        index_into(tmp_path / "b.db", repo.path)
    a, b = _ids(tmp_path / "a.db"), _ids(tmp_path / "b.db")
    assert a.keys() == b.keys() and a != b  # the same contents under other ids
    drop = tmp_path / "drop.zip"
    drop.write_bytes(zip_bytes({
        "conf/c99.py": _conf(99),                               # a forgery of the configs' shape
        "conf/c3.py": _conf(3).replace("= 305", "= 9305"),      # one config, altered
        "app/main.py": "def main():\n    return 9\n" + _conf(77, 10),  # a new version at a real path
    }))
    ra = comparable(scan(drop, tmp_path / "a.db"))
    rb = comparable(scan(drop, tmp_path / "b.db"))
    assert ra["inventory"].pop("digest", None) == rb["inventory"].pop("digest", None)
    assert ra == rb


class _Store:
    def __init__(self, sha: dict[int, str]):
        self.sha = sha

    def sha256_of(self, cids):
        return {c: self.sha[c] for c in cids}


@pytest.mark.parametrize("shift", [0, 7, 1000])
def test_top_breaks_ties_by_content_not_id(shift: int):
    # ten contents tie with 3 hits; two lead with 5: the same six are kept, in the same order,
    # however the contents are numbered
    shas = [f"{h:064x}" for h in (9, 3, 7, 1, 8, 2, 6, 0, 5, 4, 11, 10)]
    hits = [3] * 10 + [5, 5]
    perm = [(i * 5 + shift) % 12 for i in range(12)]  # another numbering of the same contents
    store = _Store({perm[i] + 1: shas[i] for i in range(12)})
    counts = {perm[i] + 1: hits[i] for i in range(12)}
    kept = [store.sha[c] for c in top(store, counts, PER_LOOKUP)]
    assert kept == [shas[11], shas[10], shas[7], shas[3], shas[5], shas[1]]


def test_dating_reads_only_the_histories_that_hold_the_drop(tmp_path: Path, monkeypatch):
    """An organisation's other repositories add nothing to a drop's dates: the scan reads the
    commits of the sources that held its contents, and the report is the one all commits give."""
    from triage.inventory.store import Store

    leaked, other = Repo(tmp_path / "leaked"), Repo(tmp_path / "other")
    for i in range(4):
        leaked.commit({"src/app.py": code_file("app", salt=str(i)), "src/util.py": code_file("util")},
                      f"v{i}")
    for i in range(6):
        other.commit({"src/app.py": code_file("elsewhere", salt=str(i))}, f"o{i}")  # same path, other bytes
    db = tmp_path / "org.db"
    index_into(db, leaked.path)
    index_into(db, other.path, name="other")
    drop = tmp_path / "drop.zip"
    drop.write_bytes(zip_bytes({"src/util.py": code_file("util"),
                                "src/app.py": code_file("app", salt="1").replace("app_", "ap_", 1)}))
    asked: list = []
    real = Store.commits_table

    def spy(self, sources=None):
        asked.append(sources)
        return real(self, sources)

    monkeypatch.setattr(Store, "commits_table", spy)
    narrow = comparable(scan(drop, db))
    assert len(asked) == 1 and asked[0] is not None and len(asked[0]) == 1  # the leaked history only
    monkeypatch.setattr(Store, "sources_of_contents", lambda self, cids: None)  # every commit
    wide = comparable(scan(drop, db))
    assert asked[-1] is None
    # The same verdicts, window, commits and dates; the refs of two histories are told apart by
    # their source's name once both are read (both have a refs/heads/main).
    assert [f["verdict"] for f in wide["files"]] == [f["verdict"] for f in narrow["files"]]
    for key in ("commit", "window", "dates", "support", "commits", "commit_count"):
        assert wide["snapshot"][key] == narrow["snapshot"][key], key
    assert narrow["snapshot"]["branch"] == "refs/heads/main"
    assert wide["snapshot"]["branch"].endswith(":refs/heads/main")
