#!/usr/bin/env python3
"""Both backends side by side: the accuracy benchmark's inventories indexed into an SQLite file
and into PostgreSQL, every drop scanned against each, verdicts compared.

Usage::

    python benchmarks/scale/backends.py                        # every package built, 3 scans each
    python benchmarks/scale/backends.py --packages requests,lodash --repeat 5
    python benchmarks/scale/backends.py --pg postgresql://me@db.example/triage_bench

Data comes from ``benchmarks/accuracy/build.py`` (built into ``benchmarks/work/`` when missing).
Without ``--pg`` a throwaway server is started in a temporary folder (``tests/pg_server.py``:
Debian's postgresql binaries, ``make system-deps``); with it, each package gets its own schema,
dropped afterwards. Per package it prints:

- index seconds into each backend (one process, ``TRIAGE_WORKERS`` fingerprinting processes),
  and with ``--index-workers`` K processes filling one PostgreSQL index at once (one release
  commit per batch, so that they share the work), whose rows must equal the one-process index's;
- median scan seconds per drop, per backend (scans interleaved run by run, so that a busy
  machine weighs on both alike), summed over the package's drops;
- whether every report is identical (verdicts, evidence, snapshot: all but ``inventory.db`` and
  the timestamp) and whether both indexes hold the same rows (compared by natural keys); also the
  reports from the K-process index, whose content ids come in the order the workers wrote them;
- index size: the SQLite file, and the PostgreSQL schema's tables and indexes.

Exit status 1 when any report or row differs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = HERE.parent / "work"
sys.path.insert(0, str(ROOT))


def packages_present(work: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in work.glob("*/drops/labels.json"))


def schema_url(base: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{name}"


def drop_schema(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def pg_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = current_schema() AND c.relkind = 'r'").fetchone()[0])


def _index_worker(url: str, repo: str) -> None:
    """One of K index processes (forked): one commit per batch, fingerprinting in-process."""
    from triage.inventory import indexer, open_store
    from triage.inventory.indexer import index_source

    indexer.BATCH_COMMITS = 1
    os.environ["TRIAGE_WORKERS"] = "1"
    store = open_store(url, writable=True)
    try:
        index_source(store, Path(repo))
    finally:
        store.close()


def index_with_workers(url: str, repo: Path, workers: int) -> float:
    ctx = multiprocessing.get_context("fork")
    t = time.perf_counter()
    procs = [ctx.Process(target=_index_worker, args=(url, str(repo))) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"an index worker failed (exit {p.exitcode})")
    return time.perf_counter() - t


def timed_index(db: str | Path, repo: Path) -> float:
    from tests.backends import index_into

    t = time.perf_counter()
    index_into(db, repo)
    return time.perf_counter() - t


def run_package(work: Path, pkg: str, base: str, repeat: int, index_workers: int, keep: bool) -> dict:
    from tests.backends import comparable, dump_db
    from triage.pipeline import scan

    repo = work / pkg / "inventory"
    lite = work / pkg / "backends.db"
    lite.unlink(missing_ok=True)
    names = [f"bench_{pkg.replace('-', '_')}_{uuid.uuid4().hex[:6]}" for _ in range(2)]
    pg = schema_url(base, names[0])
    try:
        t_lite, t_pg = timed_index(lite, repo), timed_index(pg, repo)
        same_rows = dump_db(lite) == dump_db(pg)
        t_workers, pg_k = None, None
        if index_workers > 1:
            pg_k = schema_url(base, names[1])
            t_workers = index_with_workers(pg_k, repo, index_workers)
            same_rows = same_rows and dump_db(pg_k) == dump_db(pg)
        drops = sorted((work / pkg / "drops").glob("*.zip"))
        scan_lite, scan_pg, identical, identical_k, files = 0.0, 0.0, 0, 0, 0
        for drop in drops:
            times: dict[str, list[float]] = {"lite": [], "pg": []}
            reports = {}
            for _ in range(repeat):
                for key, db in (("lite", lite), ("pg", pg)):
                    t = time.perf_counter()
                    reports[key] = scan(drop, db)
                    times[key].append(time.perf_counter() - t)
            scan_lite += statistics.median(times["lite"])
            scan_pg += statistics.median(times["pg"])
            files += len(reports["lite"].files)
            identical += comparable(reports["lite"]) == comparable(reports["pg"])
            if pg_k is not None:  # contents numbered in the order K workers wrote them: same report
                identical_k += comparable(scan(drop, pg_k)) == comparable(reports["lite"])
        from triage.inventory import open_store

        store = open_store(lite, writable=False)
        contents, commits = store.count("contents"), store.count("commits")
        store.close()
        return {"pkg": pkg, "contents": contents, "commits": commits, "index_lite": t_lite, "index_pg": t_pg,
                "index_workers": t_workers, "scan_lite": scan_lite, "scan_pg": scan_pg, "drops": len(drops),
                "identical": identical, "identical_workers": identical_k if pg_k is not None else None,
                "files": files, "same_rows": same_rows,
                "size_lite": lite.stat().st_size, "size_pg": pg_size(pg)}
    finally:
        if not keep:
            for name in names:
                drop_schema(base, name)
            lite.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--packages", help="comma-separated package names (default: all built)")
    ap.add_argument("--shared-buffers", default="2GB",
                    help="shared_buffers of the throwaway server (the 128MB default makes most index probes"
                         " reads from the OS cache at 500k contents)")
    ap.add_argument("--pg", help="PostgreSQL URL to use (default: a throwaway server in a temp folder)")
    ap.add_argument("--repeat", type=int, default=3, help="scans per drop and backend (median kept)")
    ap.add_argument("--index-workers", type=int, default=2, help="index processes sharing one PostgreSQL run")
    ap.add_argument("--keep", action="store_true", help="keep the schemas and SQLite files")
    args = ap.parse_args(argv)

    if not packages_present(args.work):
        print("building benchmark data (benchmarks/accuracy/build.py)...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE.parent / "accuracy" / "build.py"), "--work", str(args.work)],
                       check=True)
    pkgs = args.packages.split(",") if args.packages else packages_present(args.work)
    from tests.pg_server import server_for

    base, server = server_for(args.pg, {"shared_buffers": args.shared_buffers, "max_wal_size": "8GB"})
    try:
        rows = []
        for pkg in pkgs:
            print(f"{pkg}...", file=sys.stderr, flush=True)
            rows.append(run_package(args.work, pkg, base, args.repeat, args.index_workers, args.keep))
    finally:
        if server is not None:
            server.stop()
    report(rows, args)
    ok = all(r["identical"] == r["drops"] and r["same_rows"]
             and r["identical_workers"] in (None, r["drops"]) for r in rows)
    return 0 if ok else 1


def report(rows: list[dict], args: argparse.Namespace) -> None:
    k = args.index_workers
    head = (f"{'package':<10} {'contents':>8} {'commits':>7} | {'index s: sqlite':>15} {'pg':>6}"
            + (f" {f'pg x{k}':>7}" if k > 1 else "")
            + f" | {'scan s: sqlite':>14} {'pg':>6} {'pg/sqlite':>9} | {'drops same':>10} {'rows same':>9}"
            + f" | {'MB: sqlite':>10} {'pg':>6}")
    print(f"median of {args.repeat} scans per drop and backend, summed over each package's drops;"
          f" fingerprinting processes: {os.environ.get('TRIAGE_WORKERS') or os.cpu_count()}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['pkg']:<10} {r['contents']:>8} {r['commits']:>7}"
              + f" | {r['index_lite']:>15.2f} {r['index_pg']:>6.2f}"
              + (f" {r['index_workers']:>7.2f}" if k > 1 else "")
              + f" | {r['scan_lite']:>14.2f} {r['scan_pg']:>6.2f} {r['scan_pg'] / r['scan_lite']:>9.2f}"
              + f" | {r['identical']:>4}/{r['drops']:<5} {'yes' if r['same_rows'] else 'NO':>9}"
              + f" | {r['size_lite'] / 1e6:>10.1f} {r['size_pg'] / 1e6:>6.1f}")
    tl, tp = sum(r["scan_lite"] for r in rows), sum(r["scan_pg"] for r in rows)
    il, ip = sum(r["index_lite"] for r in rows), sum(r["index_pg"] for r in rows)
    same = sum(r["identical"] for r in rows)
    drops = sum(r["drops"] for r in rows)
    if k > 1:
        same_k = sum(r["identical_workers"] or 0 for r in rows)
        print(f"reports from the index {k} processes wrote at once (contents numbered in the order they"
              f" wrote them) identical to SQLite's: {same_k}/{drops} drops")
    files = sum(r["files"] for r in rows)
    print(f"total: index {il:.1f} s sqlite, {ip:.1f} s pg ({ip / il:.2f}x);"
          f" scan {tl:.1f} s sqlite, {tp:.1f} s pg ({tp / tl:.2f}x);"
          f" {same}/{drops} drops ({files} files) with identical reports;"
          f" rows {'identical' if all(r['same_rows'] for r in rows) else 'DIFFER'}")


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
