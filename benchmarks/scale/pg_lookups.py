#!/usr/bin/env python3
"""Candidate lookups as the inventory grows, in both backends: LSH band and line-hash queries
against synthetic band and posting tables of N contents.

Usage::

    python benchmarks/scale/pg_lookups.py                         # 125k, 250k, 500k contents
    python benchmarks/scale/pg_lookups.py --sizes 250000,500000,1000000 --queries 300
    python benchmarks/scale/pg_lookups.py --pg postgresql://me@db.example/bench

Each content gets 64 random band keys and 50 random line hashes (what a real content averages: 2
sketches x 32 bands, ~51 distinct informative lines), loaded in bulk (binary COPY on PostgreSQL,
sorted inserts in SQLite), then what an index run ends with (VACUUM ANALYZE on PostgreSQL,
ANALYZE in SQLite). The throwaway server gets ``--shared-buffers`` (2GB). A query is what the
scan sends for one dropped file through ``Store.candidates_by_bands`` (the 64 keys of an indexed
content) and ``Store.candidates_by_postings`` (its 50 hashes and 250 absent ones). Prints per
size and backend the median and 95th percentile milliseconds per lookup, the growth per
doubling, and the bytes per content of the two tables with their indexes. Lookups are timed
after a checkpoint and one unmeasured pass over the same queries (a long-lived index's steady
state), interleaved 20 at a time between the backends. Without ``--pg`` a throwaway server is
started (``tests/pg_server.py``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

BANDS_PER_CONTENT = 64
POSTINGS_PER_CONTENT = 50
ABSENT_HASHES = 250
POSTING_DF_LIMIT = 50  # the scan's limit (matcher.POSTING_DF_LIMIT); no line_df rows here anyway
LOAD_CHUNK = 2_000_000  # rows generated and loaded at a time (bounds memory)


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Band keys (n x 64, int64) and posting hashes (n x 50, uint32) of n contents."""
    rng = np.random.default_rng(seed)
    bands = rng.integers(-(2**63), 2**63 - 1, size=(n, BANDS_PER_CONTENT), dtype=np.int64)
    postings = rng.integers(0, 2**32, size=(n, POSTINGS_PER_CONTENT), dtype=np.uint32)
    return bands, postings


def _pairs(keys: np.ndarray, sort: bool) -> tuple[np.ndarray, np.ndarray]:
    cids = np.repeat(np.arange(1, keys.shape[0] + 1, dtype=np.int64), keys.shape[1])
    flat = keys.reshape(-1).astype(np.int64)
    if sort:
        order = np.lexsort((cids, flat))
        flat, cids = flat[order], cids[order]
        keep = np.ones(len(flat), dtype=bool)  # a random key drawn twice for one content: one row
        keep[1:] = (flat[1:] != flat[:-1]) | (cids[1:] != cids[:-1])
        flat, cids = flat[keep], cids[keep]
    return flat, cids


def load_sqlite(path: Path, bands: np.ndarray, postings: np.ndarray) -> None:
    from triage.inventory.store import SQLiteStore

    SQLiteStore.create_or_open(path).close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("BEGIN")
    for table, keys in (("bands", bands), ("postings", postings)):
        flat, cids = _pairs(keys, sort=True)
        for i in range(0, len(flat), LOAD_CHUNK):
            part = slice(i, i + LOAD_CHUNK)
            conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)",  # noqa: S608
                             zip(flat[part].tolist(), cids[part].tolist(), strict=True))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_pg(url: str, bands: np.ndarray, postings: np.ndarray) -> None:
    from triage.inventory.postgres import COPY_HEADER, COPY_TRAILER, PostgresStore, binary_pair_rows

    store = PostgresStore.create_or_open(url)
    raw = store.conn.raw
    for table, col, keys in (("bands", "key", bands), ("postings", "hash", postings)):
        flat, cids = _pairs(keys, sort=True)
        copy = f"COPY {table} ({col}, content_id) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cur, cur.copy(copy) as cp:
            cp.write(COPY_HEADER)
            for i in range(0, len(flat), LOAD_CHUNK):
                cp.write(binary_pair_rows(flat[i : i + LOAD_CHUNK], cids[i : i + LOAD_CHUNK]))
            cp.write(COPY_TRAILER)
    store.optimize()  # what an index run ends with: VACUUM (ANALYZE)
    store.close()


def queries(bands: np.ndarray, postings: np.ndarray, count: int,
            seed: int) -> list[tuple[list[int], list[int]]]:
    rng = np.random.default_rng(seed + 1)
    out = []
    for c in rng.integers(0, bands.shape[0], size=count):
        absent = rng.integers(0, 2**32, size=ABSENT_HASHES, dtype=np.uint32)
        out.append((bands[c].tolist(), np.concatenate([postings[c], absent]).astype(np.int64).tolist()))
    return out


def measure(store, qs: list[tuple[list[int], list[int]]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"bands": [], "postings": []}
    for keys, hashes in qs:
        t = time.perf_counter()
        hit = store.candidates_by_bands(keys)
        times["bands"].append(time.perf_counter() - t)
        t = time.perf_counter()
        store.candidates_by_postings(hashes, POSTING_DF_LIMIT)
        times["postings"].append(time.perf_counter() - t)
        assert hit, "the queried content's own keys must find it"
    return times


def checkpoint(url: str) -> None:
    """Write the load's dirty pages out now, not while lookups are timed."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def sizes_pg(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT pg_total_relation_size('bands') + pg_total_relation_size('postings')")
                   .fetchone()[0])


def sizes_sqlite(path: Path) -> int:
    conn = sqlite3.connect(str(path))
    try:
        names = "'bands', 'postings', 'sqlite_autoindex_bands_1', 'sqlite_autoindex_postings_1'"
        return int(conn.execute(f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({names})").fetchone()[0] or 0)
    except sqlite3.OperationalError:  # no dbstat in this SQLite build
        return path.stat().st_size
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="125000,250000,500000", help="comma-separated numbers of contents")
    ap.add_argument("--queries", type=int, default=200, help="lookups per size and backend")
    ap.add_argument("--shared-buffers", default="2GB",
                    help="shared_buffers of the throwaway server (the 128MB default makes most index probes"
                         " reads from the OS cache at 500k contents)")
    ap.add_argument("--pg", help="PostgreSQL URL (default: a throwaway server in a temp folder)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    from triage.inventory import open_store

    from tests.pg_server import server_for

    base, server = server_for(args.pg, {"shared_buffers": args.shared_buffers, "max_wal_size": "8GB"})
    from benchmarks.scale.backends import drop_schema, schema_url

    results = []
    tmp = Path(tempfile.mkdtemp(prefix="triage-lookups-"))
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            print(f"{n} contents: generating and loading...", file=sys.stderr, flush=True)
            bands, postings = synthetic(n, args.seed)
            qs = queries(bands, postings, args.queries, args.seed)
            lite = tmp / f"lookups-{n}.db"
            name = f"lookups_{n}_{uuid.uuid4().hex[:6]}"
            pg = schema_url(base, name)
            t = time.perf_counter()
            load_sqlite(lite, bands, postings)
            t_lite = time.perf_counter() - t
            t = time.perf_counter()
            load_pg(pg, bands, postings)
            t_pg = time.perf_counter() - t
            del bands, postings
            row = {"n": n, "load": {"sqlite": t_lite, "postgresql": t_pg},
                   "bytes": {"sqlite": sizes_sqlite(lite), "postgresql": sizes_pg(pg)}}
            # Opened as for writing: the synthetic index has no commits, which a scan would refuse.
            stores = {"sqlite": open_store(lite, True), "postgresql": open_store(pg, True)}
            try:
                times: dict[str, dict[str, list[float]]] = {k: {"bands": [], "postings": []} for k in stores}
                checkpoint(pg)
                for st in stores.values():
                    measure(st, qs)  # one unmeasured pass: the steady state a long-lived index is in
                for i in range(0, len(qs), 20):  # interleaved, 20 queries at a time
                    for k, st in stores.items():
                        got = measure(st, qs[i : i + 20])
                        for q in got:
                            times[k][q].extend(got[q])
                row["ms"] = {k: {q: (statistics.median(v) * 1e3, float(np.percentile(v, 95)) * 1e3)
                                 for q, v in tt.items()} for k, tt in times.items()}
            finally:
                for st in stores.values():
                    st.close()
                drop_schema(base, name)
                lite.unlink(missing_ok=True)
            results.append(row)
            print_table(results[-1:], args.queries, growth=False)  # as it comes (the table follows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if server is not None:
            server.stop()
    print_table(results, args.queries)
    return 0


def print_table(results: list[dict], queries_n: int, growth: bool = True) -> None:
    print(f"ms per lookup (median / p95 of {queries_n}): bands = 64 LSH keys, postings = 300 line hashes")
    head = (f"{'contents':>9} | {'backend':<10} | {'bands ms':>14} | {'postings ms':>14} | {'load s':>7}"
            f" | {'bytes/content':>13}")
    print(head)
    print("-" * len(head))
    for r in results:
        for k in ("sqlite", "postgresql"):
            b, p = r["ms"][k]["bands"], r["ms"][k]["postings"]
            print(f"{r['n']:>9} | {k:<10} | {b[0]:>6.2f} / {b[1]:>5.2f} | {p[0]:>6.2f} / {p[1]:>5.2f}"
                  f" | {r['load'][k]:>7.1f} | {r['bytes'][k] / r['n']:>13.0f}")
    if growth and len(results) > 1:
        first, last = results[0], results[-1]
        doublings = np.log2(last["n"] / first["n"])
        for k in ("sqlite", "postgresql"):
            for q in ("bands", "postings"):
                growth = (last["ms"][k][q][0] / first["ms"][k][q][0]) ** (1 / doublings)
                print(f"{k:<10} {q:<8}: median x{growth:.2f} per doubling of the inventory")


if __name__ == "__main__":
    sys.exit(main())
