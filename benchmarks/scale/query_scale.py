#!/usr/bin/env python3
"""Scan speed at scale: a 2,000-file drop against synthetic inventories of 250k, 500k and 1M contents.

Usage::

    python benchmarks/scale/query_scale.py                 # 250k, 500k, 1M (builds what is missing)
    python benchmarks/scale/query_scale.py --quick         # 20k and 40k, a 400-file drop: smoke run
    python benchmarks/scale/query_scale.py --runs 5 --sizes 250000,500000

What it does, in order, printing what it measured:

1. generates the synthetic projects (``history``: seeded, real bare git repositories made with
   ``git fast-import``) and indexes them with triage's indexer (``index_source``, what ``triage
   index`` runs, on a connection set up for bulk loading: ``bulk_index.py``) into one index per size
   (cached under ``benchmarks/work/scale/``; rebuilt only when the generator, the fingerprint
   parameters or the schema changed, or with ``--rebuild``), and prints the build times;
2. cuts a labelled drop from the first two projects (present in every size);
3. scans it with the real CLI, ``triage scan DROP --db DB --out DIR``, in a fresh process per run
   (``scan_probe.py``: the CLI with timers on the stages), sizes interleaved run by run so that
   a busy machine weighs on every size alike, after one uncounted warm-up scan per size (it reads
   the index into the OS page cache; ``--no-warmup`` counts it), and prints per size: median wall time, peak RSS,
   the query time (scan minus reading and fingerprinting the drop) and its growth from size to
   size, time in index queries, index size per content, and the verdicts' accuracy;
4. PASS/FAIL for the issue's targets: at the largest size a scan under 30 s with peak RSS under
   1 GiB, query time growing at most 1.3x per doubling, and no accuracy lost with scale.

Results also go to ``benchmarks/work/scale-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = HERE.parent / "work"
sys.path.insert(0, str(HERE))

import inventory  # noqa: E402
from inventory import Layout  # noqa: E402

FULL_SIZES = (250_000, 500_000, 1_000_000)
FULL_PROJECT = 125_000
QUICK_SIZES = (20_000, 40_000)
QUICK_PROJECT = 10_000
# The targets.
MAX_SCAN_SECONDS = 30.0
MAX_RSS_BYTES = 1 << 30
MAX_GROWTH = 1.3
DROP_PROJECTS = 2
CLASSES = ("real", "outdated", "altered", "fabricated")


def log(msg: str) -> None:
    print(msg, flush=True)


def ensure_drop(layout: Layout, files: int, seed: int) -> tuple[Path, dict]:
    import drop

    zpath = layout.root / f"drop-{files}-{seed}-{inventory.code_key('drop.py')}.zip"
    lpath = zpath.with_suffix(".labels.json")
    if zpath.exists() and lpath.exists():
        return zpath, json.loads(lpath.read_text())
    t = time.perf_counter()
    truths = [drop.load_truth(layout.truth(i)) for i in range(DROP_PROJECTS)]
    labels = drop.build_drop(truths, files, seed, zpath, lpath)
    counts = Counter(v["label"] for v in labels.values())
    log(f"drop {zpath.name}: {len(labels)} files ({', '.join(f'{counts[c]} {c}' for c in CLASSES)})"
        f" in {time.perf_counter() - t:.1f}s")
    return zpath, labels


def scan_once(db: Path, zpath: Path, out: Path) -> dict:
    """One ``triage scan`` in a fresh process: wall time, peak RSS, stage timings, verdicts."""
    shutil.rmtree(out, ignore_errors=True)
    timings = out.with_suffix(".timings.json")
    cmd = [sys.executable, str(HERE / "scan_probe.py"), str(timings), "scan", str(zpath), "--db", str(db),
           "--out", str(out), "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"triage scan failed ({code}): {err.strip()[-2000:]}")
    report = json.loads((out / "report.json").read_text())
    tm = json.loads(timings.read_text())
    sec = tm["seconds"]
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": os.getloadavg()[0],
        "rss": usage.ru_maxrss * 1024,
        "scan": sec.get("scan", 0.0),
        "drop": sec.get("drop", 0.0),
        "query": sec.get("scan", 0.0) - sec.get("drop", 0.0),
        "store": sec.get("store", 0.0),
        "stages": sec,
        "store_seconds": tm["store_seconds"],
        "store_calls": tm["store_calls"],
        "verdicts": {f["path"]: f["verdict"] for f in report["files"]},
    }


def accuracy(verdicts: dict[str, str], labels: dict[str, dict]) -> tuple[float, Counter]:
    confusion: Counter = Counter()
    for path, meta in labels.items():
        confusion[(meta["label"], verdicts.get(path, "missing"))] += 1
    right = sum(n for (t, p), n in confusion.items() if t == p)
    return right / max(1, len(labels)), confusion


def ratio(a: float, b: float) -> float:
    return b / a if a > 0 else float("inf")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20k and 40k contents, a 400-file drop (smoke run)")
    ap.add_argument("--sizes", help="comma-separated inventory sizes (multiples of --project-size)")
    ap.add_argument("--project-size", type=int, help="distinct contents per synthetic project")
    ap.add_argument("--drop-files", type=int, help="files in the drop (default 2000; quick: 400)")
    ap.add_argument("--runs", type=int, default=3, help="scans per size (median reported)")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false",
                    help="count the first scan of each size too (by default one uncounted scan per size comes first)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=WORK / "scale")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the indexes (keeps the repositories)")
    ap.add_argument("--build-only", action="store_true", help="build what is missing, scan nothing")
    ap.add_argument("--show-errors", type=int, default=15)
    args = ap.parse_args()
    args.project = args.project_size or (QUICK_PROJECT if args.quick else FULL_PROJECT)
    default = QUICK_SIZES if args.quick else FULL_SIZES
    args.sizes = sorted(int(s) for s in args.sizes.split(",")) if args.sizes else list(default)
    args.files = args.drop_files or (400 if args.quick else 2000)
    if any(s % args.project for s in args.sizes) or args.sizes[0] < DROP_PROJECTS * args.project:
        ap.error(f"sizes must be multiples of the project size ({args.project})"
                 f" and hold {DROP_PROJECTS} projects")
    return args


def print_build(projects: list[dict], built: dict[int, dict], sizes: list[int]) -> None:
    log("== build (cached; figures from when each was built, at a lower priority on a shared machine)")
    log(f"  generation: {len(projects)} projects, {sum(p['contents'] for p in projects):,} contents,"
        f" {sum(p['commits'] for p in projects):,} commits, {sum(p['bytes'] for p in projects) / 1e9:.2f} GB,"
        f" {sum(p['seconds'] for p in projects):.0f}s of generation (2 at a time)")
    for size in sizes:
        b = built[size]
        per = ", ".join(f"{s['project']} {s['seconds']:.0f}s" for s in b["steps"])
        log(f"  {size:>9,}: {b.get('contents', 0):,} contents, {b.get('commits', 0):,} commits;"
            f" indexed x{len(b['steps'])}: {b['build_seconds']:.0f}s"
            f" ({size / max(b['build_seconds'], 1e-9):.0f} contents/s; {per});"
            f" peak RSS {max(s['max_rss_mb'] for s in b['steps']):.0f} MB")


def summarize(size: int, rs: list[dict], labels: dict[str, dict], db: Path) -> dict:
    acc, conf = accuracy(rs[0]["verdicts"], labels)
    med = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "load", "query", "store", "drop")}
    return med | {
        "size": size,
        "rss": max(r["rss"] for r in rs),
        "db_bytes": db.stat().st_size,
        "accuracy": acc,
        "confusion": {f"{t}->{p}": n for (t, p), n in sorted(conf.items())},
        "stages": {k: statistics.median(r["stages"].get(k, 0.0) for r in rs) for k in rs[0]["stages"]},
        "store_seconds": {k: statistics.median(r["store_seconds"].get(k, 0.0) for r in rs)
                          for k in rs[0]["store_seconds"]},
        "store_calls": rs[0]["store_calls"],
        "verdicts": rs[0]["verdicts"],
    }


def print_scans(rows: list[dict], labels: dict[str, dict], zpath: Path, runs: int, show_errors: int) -> None:
    load = statistics.median(r["load"] for r in rows)
    log(f"== scan of {zpath.name} ({len(labels)} files), medians of {runs} runs"
        f" (1-minute load average around the runs: {load:.1f} on {os.cpu_count()} cores)")
    log(f"  {'contents':>9}  {'wall s':>7}  {'cpu s':>6}  {'query s':>7}  {'growth':>6}  {'drop s':>6}"
        f"  {'index q s':>9}  {'peak RSS':>8}  {'index MB':>8}  {'B/content':>9}  {'accuracy':>8}")
    for i, row in enumerate(rows):
        growth = f"{ratio(rows[i - 1]['query'], row['query']):.2f}x" if i else "-"
        log(f"  {row['size']:>9,}  {row['wall']:>7.1f}  {row['cpu']:>6.1f}  {row['query']:>7.1f}  {growth:>6}"
            f"  {row['drop']:>6.1f}  {row['store']:>9.1f}  {row['rss'] / 2**20:>6.0f}MB"
            f"  {row['db_bytes'] / 1e6:>8.0f}"
            f"  {row['db_bytes'] / row['size']:>9,.0f}  {row['accuracy']:>8.4f}")
    log("  (query = the scan minus reading and fingerprinting the drop; index q = time inside index queries)")
    last = rows[-1]
    at = f"{last['size']:,}"
    log(f"  stages at {at} (s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(last["stages"].items())))
    top = sorted(last["store_seconds"].items(), key=lambda kv: -kv[1])[:8]
    log(f"  index queries at {at} (s/calls): "
        + ", ".join(f"{k} {v:.2f}/{last['store_calls'].get(k, 0)}" for k, v in top))
    log(f"  confusion at {at} (truth->verdict): "
        + ", ".join(f"{k} {v}" for k, v in last["confusion"].items()))
    for row in rows:  # the last run's wrong verdicts at every size
        wrong = [p for p in sorted(labels) if row["verdicts"].get(p) != labels[p]["label"]]
        for p in wrong[:show_errors]:
            log(f"    at {row['size']:,}: {p}: truth {labels[p]['label']} ({labels[p]['case']}),"
                f" got {row['verdicts'].get(p)}")


def checks(rows: list[dict], labels: dict[str, dict]) -> list[tuple[str, bool]]:
    first, last = rows[0], rows[-1]
    growths = [ratio(rows[i - 1]["query"], rows[i]["query"]) for i in range(1, len(rows))]
    doubling = all(rows[i]["size"] == 2 * rows[i - 1]["size"] for i in range(1, len(rows)))
    step = "doubling" if doubling else "step"
    changed = sum(1 for p in labels if first["verdicts"].get(p) != last["verdicts"].get(p))
    return [
        (f"scan of {len(labels)} files at {last['size']:,} contents under {MAX_SCAN_SECONDS:.0f}s"
         f" (median wall {last['wall']:.1f}s)", last["wall"] < MAX_SCAN_SECONDS),
        (f"peak RSS at {last['size']:,} under 1 GiB ({last['rss'] / 2**20:.0f} MB)",
         last["rss"] < MAX_RSS_BYTES),
        (f"query time growth per {step} at most {MAX_GROWTH}x ({', '.join(f'{g:.2f}x' for g in growths)})",
         all(g <= MAX_GROWTH for g in growths)),
        (f"no accuracy lost with scale ({' -> '.join(format(r['accuracy'], '.4f') for r in rows)};"
         f" {changed} verdicts differ between the smallest and the largest)",
         all(r["accuracy"] >= first["accuracy"] for r in rows)),
    ]


def main() -> int:
    args = parse_args()
    sizes, files = args.sizes, args.files
    layout = Layout(args.work, args.project, args.seed)
    log(f"scale benchmark: sizes {', '.join(f'{s:,}' for s in sizes)} contents, projects of {args.project:,},"
        f" a {files}-file drop, {args.runs} runs per size; cache {layout.root}")
    t = time.perf_counter()
    projects = inventory.ensure_repos(layout, sizes[-1] // args.project, log)
    if args.rebuild:
        shutil.rmtree(layout.index_dir(), ignore_errors=True)
    built = inventory.ensure_indexes(layout, sizes, log)
    log(f"inventories ready in {time.perf_counter() - t:.0f}s\n")
    print_build(projects, built, sizes)
    if args.build_only:
        return 0

    zpath, labels = ensure_drop(layout, files, args.seed)
    runs: dict[int, list[dict]] = {s: [] for s in sizes}
    for size in sizes[:: -1] if args.warmup else ():
        # One scan per size first, not counted: the first scan after the index was written (or
        # after other work pushed it out of the OS page cache) reads it from disk, and the sizes
        # would not start alike (the largest index pushes out the smaller ones).
        res = scan_once(layout.db(size), zpath, args.work / "out" / f"scan-{size}")
        log(f"  warm-up {size:>9,}: wall {res['wall']:.1f}s (not counted: index pages read into the OS cache)")
    for r in range(args.runs):
        for size in sizes:  # interleaved: a busy machine weighs on every size alike
            res = scan_once(layout.db(size), zpath, args.work / "out" / f"scan-{size}")
            runs[size].append(res)
            log(f"  run {r + 1}/{args.runs} {size:>9,}: wall {res['wall']:.1f}s (cpu {res['cpu']:.1f}s),"
                f" query {res['query']:.1f}s, index queries {res['store']:.1f}s,"
                f" peak RSS {res['rss'] / 2**20:.0f} MB (load {res['load']:.1f})")
    rows = [summarize(size, runs[size], labels, layout.db(size)) for size in sizes]
    log("")
    print_scans(rows, labels, zpath, args.runs, args.show_errors)
    results = checks(rows, labels)
    official = sizes == list(FULL_SIZES) and files == 2000
    log(f"\n== targets{'' if official else ' (not the issue sizes: indicative only)'}")
    for text, ok in results:
        log(f"  {'PASS' if ok else 'FAIL'}  {text}")
    log("  info  index size per content: "
        + ", ".join(f"{r['size']:,}: {r['db_bytes'] / r['size']:,.0f} B" for r in rows))
    (WORK / "scale-results.json").write_text(json.dumps(
        {"sizes": sizes, "drop": str(zpath), "files": len(labels), "runs": args.runs,
         "build": {str(s): built[s] for s in sizes},
         "rows": [{k: v for k, v in r.items() if k != "verdicts"} for r in rows],
         "checks": [{"check": c, "pass": ok} for c, ok in results]}, indent=1))
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
