#!/usr/bin/env python3
"""Accuracy benchmark: triage against ssdeep, TLSH and plain MinHash on labelled drops.

Usage::

    python benchmarks/accuracy/run.py                # build data if missing, score all packages
    python benchmarks/accuracy/run.py --quick        # two small packages (for tuning)
    python benchmarks/accuracy/run.py --no-baselines --packages requests,moment

Data comes from ``build.py`` (public package releases from PyPI and npm, cut into drops with
known labels). For each package, triage indexes the inventory repository and scans every drop
through the library API that ``triage scan`` calls. Baseline thresholds are tuned on one
package (``--tune-on``) and applied to all. Prints what was measured: per-class precision,
recall and F1, the confusion matrix, accuracy per case family (hard cases marked), timings.
Results also go to ``benchmarks/work/accuracy-results.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = HERE.parent / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

CLASSES = ("real", "outdated", "altered", "fabricated")
HARD = ("forgery-real-header", "forgery-short", "chimera", "one-line-edit-long", "format-only", "stacked",
        "sibling-copy", "family-style-fabricated", "moved-real")


def packages_present(work: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in work.glob("*/drops/labels.json"))


def run_triage(work: Path, pkg: str) -> tuple[dict[tuple[str, str], str], dict]:
    from triage.inventory.indexer import index_source
    from triage.inventory.store import SQLiteStore
    from triage.pipeline import scan

    db = work / pkg / "triage.db"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = SQLiteStore.create_or_open(db)
    stats = index_source(store, work / pkg / "inventory")
    store.close()
    t_index = time.perf_counter() - t0
    labels = json.loads((work / pkg / "drops" / "labels.json").read_text())
    preds: dict[tuple[str, str], str] = {}
    t_scan = 0.0
    files = 0
    for drop in sorted(labels):
        t1 = time.perf_counter()
        report = scan(work / pkg / "drops" / drop, db)
        t_scan += time.perf_counter() - t1
        for f in report.files:
            preds[(drop, f.path)] = f.verdict.value
            files += 1
    return preds, {"index_s": t_index, "scan_s": t_scan, "files": files, "contents": stats.contents_new,
                   "commits": stats.commits_new}


def run_baselines(work: Path, pkgs: list[str], tune_on: str) -> dict[str, dict[tuple[str, str, str], str]]:
    import baselines

    inv, drops, truth = baselines.package_data(work, tune_on)
    thresholds = baselines.tune(inv, drops, truth)
    out: dict[str, dict[tuple[str, str, str], str]] = defaultdict(dict)
    for pkg in pkgs:
        inv, drops, truth = baselines.package_data(work, pkg)
        for drop in drops:
            res = baselines.run_baselines(inv, drop, thresholds)
            for name, labels in res.items():
                for member, lab in labels.items():
                    out[name][(pkg, drop.name, member)] = lab
    print(f"baseline thresholds (tuned on {tune_on}): "
          + ", ".join(f"{k}={v:.3f}" for k, v in thresholds.items()))
    return out


def metrics(pairs: list[tuple[str, str]]) -> dict:
    per = {}
    for c in CLASSES:
        tp = sum(1 for t, p in pairs if t == c and p == c)
        fp = sum(1 for t, p in pairs if t != c and p == c)
        fn = sum(1 for t, p in pairs if t == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[c] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    acc = sum(1 for t, p in pairs if t == p) / len(pairs) if pairs else 0.0
    return {"per_class": per, "accuracy": acc, "n": len(pairs)}


def confusion(pairs: list[tuple[str, str]]) -> str:
    cols = (*CLASSES, "missing")
    m = Counter(pairs)
    lines = ["truth \\ predicted " + " ".join(f"{c:>10}" for c in cols)]
    for t in CLASSES:
        lines.append(f"{t:>18} " + " ".join(f"{m[(t, p)]:>10}" for p in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--packages", help="comma-separated package names (default: all built)")
    ap.add_argument("--quick", action="store_true", help="build/score the quick set only")
    ap.add_argument("--no-build", action="store_true", help="never call build.py")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--tune-on", default="requests", help="package whose labels tune the baselines")
    ap.add_argument("--show-errors", type=int, default=25, help="misclassified files listed")
    args = ap.parse_args(argv)

    if not args.no_build and not packages_present(args.work):
        cmd = [sys.executable, str(HERE / "build.py")] + (["--quick"] if args.quick else [])
        print("building benchmark data:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    pkgs = args.packages.split(",") if args.packages else packages_present(args.work)
    if args.quick and not args.packages:
        pkgs = [p for p in pkgs if p in ("requests", "moment")] or pkgs[:2]
    truth: dict[tuple[str, str, str], dict] = {}
    for pkg in pkgs:
        for drop, members in json.loads((args.work / pkg / "drops" / "labels.json").read_text()).items():
            for member, lab in members.items():
                truth[(pkg, drop, member)] = lab

    print(f"triage accuracy benchmark: {len(pkgs)} packages ({', '.join(pkgs)}), {len(truth)} labelled files")
    preds: dict[tuple[str, str, str], str] = {}
    timing = {}
    for pkg in pkgs:
        p, t = run_triage(args.work, pkg)
        timing[pkg] = t
        for (drop, member), v in p.items():
            preds[(pkg, drop, member)] = v
        print(f"  {pkg}: indexed {t['commits']} releases / {t['contents']} contents in {t['index_s']:.1f}s;"
              f" scanned {t['files']} files in {t['scan_s']:.1f}s", flush=True)

    systems = {"triage": preds}
    if not args.no_baselines:
        systems.update(run_baselines(args.work, pkgs, args.tune_on))

    results = {}
    for name, pr in systems.items():
        pairs = [(lab["label"], pr.get(key, "missing")) for key, lab in truth.items()]
        m = metrics(pairs)
        cases: dict[str, list[bool]] = defaultdict(list)
        for key, lab in truth.items():
            cases[lab["case"]].append(pr.get(key) == lab["label"])
        m["cases"] = {c: {"accuracy": sum(v) / len(v), "n": len(v)} for c, v in sorted(cases.items())}
        results[name] = m
        print(f"\n== {name}: accuracy {m['accuracy']:.4f} on {m['n']} files")
        print("  class        precision  recall     F1   support")
        for c in CLASSES:
            pc = m["per_class"][c]
            print(f"  {c:<12} {pc['precision']:>9.4f} {pc['recall']:>7.4f} {pc['f1']:>6.4f} {pc['support']:>9}")
        print(confusion(pairs))
        print("  case family                 accuracy     n" )
        for c, v in m["cases"].items():
            mark = " (hard)" if c in HARD else ""
            print(f"  {c + mark:<27} {v['accuracy']:>8.4f} {v['n']:>5}")

    errors = [(key, lab, preds.get(key)) for key, lab in sorted(truth.items()) if preds.get(key) != lab["label"]]
    if errors and args.show_errors:
        print(f"\ntriage errors ({len(errors)}), first {args.show_errors}:")
        for (pkg, drop, member), lab, got in errors[: args.show_errors]:
            print(f"  {pkg}/{drop}: {member}: truth {lab['label']} ({lab['case']}), got {got}")
    if len(systems) > 1:
        print("\nside by side (F1 altered / F1 fabricated / accuracy):")
        for name, m in results.items():
            pc = m["per_class"]
            print(f"  {name:<10} {pc['altered']['f1']:.4f} / {pc['fabricated']['f1']:.4f} / {m['accuracy']:.4f}")
    out = args.work / "accuracy-results.json"
    out.write_text(json.dumps({"packages": pkgs, "timing": timing, "results": results}, indent=2))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
