"""The scan's candidate queries give the answers of their plain reference SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Repo, code_file
from triage.inventory import store as store_module
from triage.inventory.indexer import index_source
from triage.inventory import open_store
from triage.inventory.store import SQLiteStore

HEADER = "".join(f"# Copyright Example Corp. Licensed under the Example License {i}.\n" for i in range(4))


def _reference_postings(store: SQLiteStore, hashes: list[int], limit_df: int) -> dict[int, int]:
    """The one-statement form: every posting joined with its line frequency."""
    q = ",".join("?" * len(hashes))
    return dict(store.conn.execute(
        f"SELECT p.content_id, count(*) FROM postings p LEFT JOIN line_df d ON d.hash = p.hash"  # noqa: S608
        f" WHERE p.hash IN ({q}) AND coalesce(d.paths, 1) <= ? GROUP BY p.content_id", (*hashes, limit_df)))


def test_postings_skip_boilerplate_lines_as_the_join_does(repo: Repo, tmp_path: Path):
    # Twelve files share a license header (boilerplate); two versions of each add specific lines.
    repo.commit({f"m{i}.py": HEADER + code_file(f"m{i}", n=6) for i in range(12)}, "v1")
    repo.commit({f"m{i}.py": HEADER + code_file(f"m{i}", n=6, salt="2") for i in range(0, 12, 3)}, "v2")
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    index_source(store, repo.path)
    dfs = dict(store.conn.execute("SELECT hash, paths FROM line_df"))
    assert max(dfs.values()) == 12  # the header lines
    hashes = sorted({h for h, in store.conn.execute("SELECT hash FROM postings")})
    assert len(hashes) > 100
    for limit in (1, 4, 11, 12, 20):
        for part in (hashes, hashes[::7], [h for h in hashes if dfs.get(h, 1) > 4], [12345]):
            got = store.candidates_by_postings(part, limit)
            assert got == _reference_postings(store, part, limit)
    assert store.candidates_by_postings([h for h in hashes if dfs.get(h, 1) == 12], 11) == {}
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])  # PostgreSQL peeks at every key in one query
@pytest.mark.parametrize("peek", [32, 2])  # 2: buckets above the first read are counted, then fetched
def test_band_buckets_over_the_bound_are_left_out(repo: Repo, tmp_path: Path, monkeypatch, peek: int,
                                                  backend: str, request):
    monkeypatch.setattr(store_module, "BUCKET_PEEK", peek)
    # Eight files of one shape (same structure, other names and values) share shape bands.
    files = {f"conf{i}.py": "".join(f"setting_{i}_{k} = {i * 100 + k}\n" for k in range(30))
             for i in range(8)}
    repo.commit(files | {"other.py": code_file("other")}, "v1")
    db = tmp_path / "i.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(db, writable=True)
    index_source(store, repo.path)
    keys = sorted({k for k, in store.conn.execute("SELECT key FROM bands")})
    sizes = dict(store.conn.execute("SELECT key, count(*) FROM bands GROUP BY key"))
    assert max(sizes.values()) >= 8
    full = store.candidates_by_bands(keys)
    assert store.candidates_by_bands(keys, max_bucket=10**6) == full
    for bound in (1, 3, 7):
        expect: dict[int, int] = {}
        for key in keys:
            if sizes[key] <= bound:
                for cid, in store.conn.execute("SELECT content_id FROM bands WHERE key = ?", (key,)):
                    expect[cid] = expect.get(cid, 0) + 1
        assert store.candidates_by_bands(keys, max_bucket=bound) == expect
    store.close()
