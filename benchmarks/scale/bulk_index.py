#!/usr/bin/env python3
"""Index one repository with triage's own indexer, on a connection set up for bulk loading.

Usage::

    python benchmarks/scale/bulk_index.py REPO DB NAME

This runs ``index_source``, the function ``triage index REPO --db DB --name NAME`` runs, on a
store opened by ``SQLiteStore.create_or_open``; only the connection's settings differ: no
rollback journal, no fsync, a 2 GiB page cache. They change how fast pages reach the file, not
which rows are written (``tests/benchmarks/test_scale_synth.py`` holds the two indexes equal).

Why: past a few hundred thousand contents, every batch of ``triage index`` inserts ~100k
postings and band rows at random keys into B-trees of tens of millions of rows; with SQLite's
default 2 MB cache and a rollback journal each batch reads and writes most of those trees
again (measured: 35 contents/s and 45 GB written in 11 minutes, growing past 250k contents).
That cost belongs to the index write path (see NOTES.md); the scale benchmark needs the
indexes, not that figure, so it builds them this way and says so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Bulk-loading settings: pages kept in memory across the batches, written once per commit.
BULK_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-2097152",
                "PRAGMA temp_store=MEMORY")


def bulk_index(repo: Path, db: Path, name: str) -> dict:
    from triage.inventory.indexer import index_source
    from triage.inventory.store import SQLiteStore

    store = SQLiteStore.create_or_open(db)
    try:
        for pragma in BULK_PRAGMAS:
            store.conn.execute(pragma)
        stats = index_source(store, repo, name=name)
    finally:
        store.close()
    return {"commits": stats.commits_new, "contents": stats.contents_new, "bytes": stats.bytes_fingerprinted,
            "seconds": round(stats.seconds, 1)}


if __name__ == "__main__":
    print(json.dumps(bulk_index(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
