#!/usr/bin/env python3
"""Dating benchmark: does triage's snapshot window hold the commit a drop was cut from?

Usage::

    python benchmarks/dating/run.py              # build (pygments, flask, moment) and score: ~4-5 min
    python benchmarks/dating/run.py --quick      # flask and moment, ~1,100 commits, 28 drops: <1 min
    python benchmarks/dating/run.py --no-build   # score the data already under benchmarks/work/dating

Builds the data with ``build.py`` (see README.md beside this file), indexes each history with
triage (timed), scans every drop through the library API that ``triage scan`` calls, and scores
``report.snapshot`` against the brute-force truth. Prints the figures with their targets and
writes ``benchmarks/work/dating-results.json``. Drops whose main window misses the true commit
are listed with a CLI command that reproduces them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = HERE.parent / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import build  # noqa: E402  (benchmarks/dating/build.py)

KIND_ORDER = build.KINDS


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100.0 * n / d:.0f}%)" if d else "-"


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[i]


def index_history(pkg_dir: Path) -> tuple[Path, dict]:
    from triage.inventory.indexer import index_source
    from triage.inventory.store import SQLiteStore

    db = pkg_dir / "triage.db"
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = SQLiteStore.create_or_open(db)
    stats = index_source(store, pkg_dir / "repo")
    store.close()
    return db, {
        "seconds": time.perf_counter() - t0,
        "commits": stats.commits_new,
        "contents": stats.contents_new,
        "bytes": stats.bytes_fingerprinted,
    }


def score_drop(truth: dict, oids: list[str], snap: dict, report_files) -> dict:
    row = {oid: i for i, oid in enumerate(oids)}
    # Altered files dated through a source version other than the one they were cut from.
    missourced = []
    for f in report_files:
        m = truth["members"].get(f.path)
        if m and m["role"] == "altered" and f.evidence.get("dated_by_source"):
            got = [d["blob"] for d in f.evidence.get("derived_from", [])]
            if m["blob"] not in got:
                missourced.append({"path": f.path, "true_blob": m["blob"], "dated_by": got})
    main = [row[c] for c in snap.get("commits") or []]
    count = snap.get("commit_count") or 0
    assert len(main) == count, "commit list capped: MAX_LISTED_COMMITS patch did not apply"
    true_x = set(truth["x_window"])
    windows = snap.get("windows") or []
    res = {
        "kind": truth["kind"],
        "noisy": truth["noisy"],
        "files": truth["files"],
        "roles": truth["roles"],
        "x": truth["x"],
        "x_branch": truth["x_branch"],
        "window_width": count,
        "true_width": len(true_x),
        "contains_x": truth["x_row"] in main,
        "within_true": bool(main) and set(main) <= true_x,
        "exact_true": set(main) == true_x,
        "support": snap.get("support"),
        "branch": snap.get("branch"),
        "mixed": bool(snap.get("mixed")),
        "contradicting": len(snap.get("contradicting") or []),
        "windows": [
            {
                "width": w.get("commit_count"),
                "support": w.get("support"),
                "branch": w.get("branch"),
                "via_source": w.get("via_source"),
            }
            for w in windows
        ],
        "plain_contains_x": truth["x_row"] in set(truth["plain"]),
        "plain_within_true": set(truth["plain"]) <= true_x,
        "plain_width": len(truth["plain"]),
        "dated_by_source": sum(1 for f in report_files if f.evidence.get("dated_by_source")),
        "missourced": missourced,
        "verdicts": {
            v: sum(1 for f in report_files if f.verdict.value == v)
            for v in ("real", "outdated", "altered", "fabricated")
        },
    }
    if "y_row" in truth:
        later = [set(row[c] for c in w.get("commits") or []) for w in windows[1:]]
        res.update(
            {
                "y": truth["y"],
                "y_true_width": len(truth["y_window"]),
                "mixed_found_y": res["mixed"] and any(truth["y_row"] in w for w in later),
                "y_window_within_true": any(
                    truth["y_row"] in w and w <= set(truth["y_window"]) for w in later
                ),
                "plain_contains_y": truth["y_row"] in set(truth["plain"]),
            }
        )
    if "exact_window" in truth:
        res["exact_width"] = len(truth["exact_window"])
        res["width_ratio"] = count / max(1, len(truth["exact_window"]))
        res["source_oracle_width"] = len(truth["source_window"])
    return res


def run(work: Path, pkgs: list[str]) -> dict:
    import triage.dating
    from triage.pipeline import scan

    # Score every commit of a window, not the first 500 the report lists (a display cap).
    triage.dating.MAX_LISTED_COMMITS = 10**9
    out: dict = {"packages": {}, "drops": {}}
    for pkg in pkgs:
        pkg_dir = work / pkg
        truth = json.loads((pkg_dir / "truth.json").read_text())
        db, ix = index_history(pkg_dir)
        ix["commits_per_s"] = ix["commits"] / ix["seconds"] if ix["seconds"] else None
        meta = truth["meta"]
        print(
            f"{pkg}: indexed {ix['commits']} commits ({meta['merges']} merges, {meta['side_branches']} side "
            f"branches), {ix['contents']} contents in {ix['seconds']:.1f}s "
            f"({ix['commits_per_s']:.0f} commits/s)",
            file=sys.stderr,
        )
        scans = []
        for name, t in truth["drops"].items():
            t0 = time.perf_counter()
            report = scan(pkg_dir / "drops" / name, db)
            dt = time.perf_counter() - t0
            scans.append(dt)
            res = score_drop(t, truth["commits"], report.snapshot, report.files)
            res.update(
                {"package": pkg, "scan_s": round(dt, 3), "drop": str(pkg_dir / "drops" / name), "db": str(db)}
            )
            out["drops"][f"{pkg}/{name}"] = res
            flag = "" if res["contains_x"] else "   <-- MISSES the true commit"
            print(
                f"  {name:<34} {dt:5.1f}s  window {res['window_width']:>5} (true {res['true_width']:>5})"
                f"{'  mixed' if res['mixed'] else ''}{flag}",
                file=sys.stderr,
            )
        out["packages"][pkg] = {
            "meta": meta,
            "index": ix,
            "scan_median_s": statistics.median(scans),
            "scan_p90_s": quantile(scans, 0.9),
            "drops": len(scans),
        }
    return out


def summarize(out: dict) -> list[str]:
    drops = list(out["drops"].values())
    lines = []
    lines.append("Dating benchmark (triage snapshot vs brute-force truth)")
    lines.append("")
    lines.append("Histories")
    for pkg, p in out["packages"].items():
        m, ix = p["meta"], p["index"]
        lines.append(
            f"  {pkg:<10} {m['commits']:>5} commits ({m['merges']} merges, {m['side_branches']} side branches, "
            f"{m['side_commits']} side-branch commits, unmerged: {', '.join(m['unmerged']) or '-'}), "
            f"{m['paths']} paths, {m['contents']} contents; releases {m['releases'][0]}..{m['releases'][-1]}"
        )
    lines.append("")
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for d in drops:
        by_kind[d["kind"]].append(d)
    kinds = [k for k in KIND_ORDER if k in by_kind]

    lines.append("1. Main window contains the true commit (X for mixed drops)      target: every drop")
    lines.append(f"   {'kind':<16}{'triage':>16}{'clean':>16}{'noisy':>16}{'plain max-match':>18}")
    for k in kinds + ["ALL"]:
        ds = drops if k == "ALL" else by_kind[k]
        clean = [d for d in ds if not d["noisy"]]
        noisy = [d for d in ds if d["noisy"]]
        lines.append(
            f"   {k:<16}{pct(sum(d['contains_x'] for d in ds), len(ds)):>16}"
            f"{pct(sum(d['contains_x'] for d in clean), len(clean)):>16}"
            f"{pct(sum(d['contains_x'] for d in noisy), len(noisy)):>16}"
            f"{pct(sum(d['plain_contains_x'] for d in ds), len(ds)):>18}"
        )
    lines.append("")
    lines.append(
        "2. Main window no wider than the true consistent window (reported set within it)   target: every drop"
    )
    lines.append(
        f"   {'kind':<16}{'within':>16}{'equal':>16}{'plain within':>16}   median width triage / true"
    )
    for k in kinds + ["ALL"]:
        ds = drops if k == "ALL" else by_kind[k]
        lines.append(
            f"   {k:<16}{pct(sum(d['within_true'] for d in ds), len(ds)):>16}"
            f"{pct(sum(d['exact_true'] for d in ds), len(ds)):>16}"
            f"{pct(sum(d['plain_within_true'] for d in ds), len(ds)):>16}"
            f"   {statistics.median(d['window_width'] for d in ds):>7.0f} / "
            f"{statistics.median(d['true_width'] for d in ds):.0f}"
        )
    side = by_kind.get("side-branch", [])
    if side:
        lines.append(
            f"   side-branch drops whose reported branch is the side branch: "
            f"{pct(sum(short_ref(d['branch']) == d['x_branch'] for d in side), len(side))}"
        )
    lines.append("")
    mixed = by_kind.get("mixed", [])
    if mixed:
        lines.append(
            "3. Mixed drops (most files from X + older versions from Y)            target: every drop"
        )
        recut = sum(p["meta"].get("mixed_recut", 0) for p in out["packages"].values())
        lines.append(
            f"   ({recut} candidate mixed drops were cut again because a commit other than X held more of their"
        )
        lines.append("    files than X: X must be the best-supported moment to be the expected answer)")
        lines.append(
            f"   triage: mixed=true and a further window holds Y   {pct(sum(d['mixed_found_y'] for d in mixed), len(mixed))}"
        )
        lines.append(
            f"   triage: ... and that window within Y's true window {pct(sum(d['y_window_within_true'] for d in mixed), len(mixed))}"
        )
        lines.append(
            f"   plain max-match estimator finds Y at all           {pct(sum(d['plain_contains_y'] for d in mixed), len(mixed))}"
        )
        others = [d for d in drops if d["kind"] != "mixed"]
        lines.append(
            f"   false mixed=true on the other drops                {pct(sum(d['mixed'] for d in others), len(others))}"
            f"   (noisy: {pct(sum(d['mixed'] for d in others if d['noisy']), sum(d['noisy'] for d in others))})"
        )
        lines.append("")
    alt = by_kind.get("mostly-altered", [])
    if alt:
        ratios = [d["width_ratio"] for d in alt]
        lines.append(
            "4. Mostly-altered drops (70% altered, 30% exact): window width, triage / exact-matches-only"
        )
        lines.append(
            f"   median ratio {statistics.median(ratios):.3f}   (target <= 0.5)   "
            f"min {min(ratios):.3f}  max {max(ratios):.3f}"
        )
        lines.append(
            f"   median widths: triage {statistics.median(d['window_width'] for d in alt):.0f}, "
            f"exact-only {statistics.median(d['exact_width'] for d in alt):.0f}; files dated through their "
            f"source (median) {statistics.median(d['dated_by_source'] for d in alt):.0f} of "
            f"{statistics.median(d['roles']['altered'] for d in alt):.0f} altered"
        )
        oracle = [d["source_oracle_width"] / max(1, d["exact_width"]) for d in alt]
        lines.append(
            f"   best possible (every altered file dated by its true source): median ratio "
            f"{statistics.median(oracle):.3f}; triage's window equals that bound in "
            f"{pct(sum(d['window_width'] == d['source_oracle_width'] for d in alt), len(alt))}"
        )
        above = [d for d in alt if d["window_width"] > d["source_oracle_width"]]
        if len(above) > 6:
            lines.append(f"   above the bound: {len(above)} drops; the first 6:")
        for d in above[:6]:
            if True:
                lines.append(
                    f"   above the bound: {Path(d['drop']).name}: width {d['window_width']} (bound "
                    f"{d['source_oracle_width']}, exact-only {d['exact_width']}); {d['dated_by_source']} of "
                    f"{d['roles']['altered']} altered files dated through their source; verdicts {d['verdicts']}"
                )
        for pkg in sorted({d["package"] for d in alt}):
            rs = [d["width_ratio"] for d in alt if d["package"] == pkg]
            os_ = [d["source_oracle_width"] / max(1, d["exact_width"]) for d in alt if d["package"] == pkg]
            lines.append(
                f"   {pkg:<10} median ratio {statistics.median(rs):.3f} (bound {statistics.median(os_):.3f})"
            )
        lines.append("")
    dated = sum(d["dated_by_source"] for d in drops)
    wrong = [(k, m) for k, d in out["drops"].items() for m in d["missourced"]]
    lines.append("Altered files dated through a source version (evidence.dated_by_source)")
    lines.append(
        f"   {dated} files dated through their source; through a version other than the one they were cut "
        f"from: {len(wrong)}   (target 0)"
    )
    for k, m in wrong[:10]:
        lines.append(
            f"   {k} {m['path']}: cut from blob {m['true_blob'][:12]}, dated by {[b[:12] for b in m['dated_by']]}"
        )
    lines.append("")
    lines.append("5. Time (2-core shared machine)")
    for pkg, p in out["packages"].items():
        ix = p["index"]
        lines.append(
            f"   {pkg:<10} index {ix['seconds']:6.1f}s  {ix['commits_per_s']:6.0f} commits/s   "
            f"scan median {p['scan_median_s']:.2f}s  p90 {p['scan_p90_s']:.2f}s  ({p['drops']} drops)"
        )
    scans = [d["scan_s"] for d in drops]
    lines.append(
        f"   all drops: scan median {statistics.median(scans):.2f}s, p90 {quantile(scans, 0.9):.2f}s, "
        f"max {max(scans):.2f}s"
    )
    missed = [(k, d) for k, d in out["drops"].items() if not d["contains_x"]]
    if missed:
        lines.append("")
        lines.append(f"MISSED: {len(missed)} drop(s) whose main window does not hold the true commit")
        for k, d in missed:
            lines.append(
                f"   {k} [{d['kind']}{', noisy' if d['noisy'] else ''}] true commit {d['x']} "
                f"(true window {d['true_width']}), reported {d['window_width']} commits, "
                f"support {d['support']}, contradicting {d['contradicting']}"
            )
            lines.append(
                f"     repro: python -m triage.cli scan {d['drop']} --db {d['db']} --out /tmp/triage-repro --force"
                f"   (or `triage scan ...`; index: {d['db']} built from {Path(d['db']).parent / 'repo'})"
            )
    return lines


def short_ref(name: str | None) -> str | None:
    return name[len("refs/heads/") :] if name and name.startswith("refs/heads/") else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="flask and moment, ~1,100 commits, 2 drops per kind"
    )
    parser.add_argument("--packages", help=f"comma list (default {','.join(build.PACKAGES)})")
    parser.add_argument("--no-build", action="store_true", help="score the data already built")
    parser.add_argument("--work", type=Path, default=WORK / "dating")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=WORK / "dating-results.json")
    args = parser.parse_args(argv)
    pkgs = (
        args.packages.split(",")
        if args.packages
        else list(build.QUICK_PACKAGES if args.quick else build.PACKAGES)
    )
    started = time.perf_counter()
    if not args.no_build:
        build.main(
            (["--quick"] if args.quick else [])
            + ["--packages", ",".join(pkgs), "--work", str(args.work), "--seed", str(args.seed)]
        )
    t_build = time.perf_counter() - started
    out = run(args.work, pkgs)
    out["build_s"] = round(t_build, 1)
    out["total_s"] = round(time.perf_counter() - started, 1)
    lines = summarize(out)
    lines.append("")
    lines.append(f"build {out['build_s']}s, total {out['total_s']}s; results in {args.out}")
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
