"""Weights benchmark: build the labelled data, index the internal checkpoints and scan the drops
with the real CLI, and score the verdicts per class against the ground truth, next to the
per-tensor-hash baseline; then the speed figure (``speed.py``).

    python benchmarks/weights/run.py [--work benchmarks/work] [--seed 1] [--drops 4]
                                     [--speed-mb 1024] [--no-speed] [--min-f1 0.98]

Each checkpoint folder ``inventory/run-<run>/step-<N>`` is indexed as version ``step-<N>`` of the
series ``<run>`` (``triage index DIR --name RUN --version step-N --date ...``), so a run's last
step is current and the earlier ones outdated. Each drop is scanned with ``triage scan``; the
verdict of every labelled member is read from report.json.

Baseline (per-tensor SHA-256, no sketches, no boilerplate discount): same file bytes or every
tensor held by one internal checkpoint -> real (current) / outdated; some tensor held by an
internal checkpoint -> altered; none -> fabricated.

Exit status 1 when a class's F1 is under ``--min-f1``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import build as data  # noqa: E402

CLASSES = ("real", "outdated", "altered", "fabricated")


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], env=env, capture_output=True,
                          text=True)


def index(root: Path, db: Path) -> None:
    db.unlink(missing_ok=True)
    for r, (run, (steps, _seed)) in enumerate(sorted(data.RUNS.items())):
        for i, step in enumerate(steps):
            folder = root / "inventory" / f"run-{run}" / f"step-{step}"
            res = cli("index", str(folder), "--db", str(db), "--name", run, "--version", f"step-{step}",
                      "--date", f"2024-{r + 1:02d}-{i + 1:02d}", "-q")
            if res.returncode != 0:
                sys.exit(f"index failed: {res.stderr.strip()}")


def scan(root: Path, db: Path, drop: str) -> dict[str, dict]:
    out = root / "evidence" / drop.removesuffix(".zip")
    shutil.rmtree(out, ignore_errors=True)
    res = cli("scan", str(root / "drops" / drop), "--db", str(db), "--out", str(out), "-q")
    if res.returncode not in (0, 1):
        sys.exit(f"scan of {drop} failed: {res.stderr.strip()}")
    doc = json.loads((out / "report.json").read_text())
    return {f["path"]: f for f in doc["files"]}


def scores(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    out = {}
    for c in CLASSES:
        tp = sum(1 for t, p in pairs if t == c and p == c)
        fp = sum(1 for t, p in pairs if t != c and p == c)
        fn = sum(1 for t, p in pairs if t == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[c] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "n": tp + fn}
    return out


def baseline(root: Path, labels: dict) -> dict[str, str]:
    """Per-tensor-hash verdicts (see the module docstring)."""
    from triage.fingerprint.tensors import detect_weights, tensor_records

    internal = {}
    for run, (steps, _seed) in data.RUNS.items():
        for step in steps:
            raw = (root / "inventory" / f"run-{run}" / f"step-{step}" / "model.safetensors").read_bytes()
            recs, _ = tensor_records(raw, "safetensors")
            whole = hashlib.sha256(raw).hexdigest()
            internal[run, step] = (whole, {r.sha256 for r in recs}, step == steps[-1])
    every = set().union(*(h for _, h, _ in internal.values()))
    out = {}
    for drop, members in labels.items():
        with zipfile.ZipFile(root / "drops" / drop) as zf:
            for member in members:
                raw = zf.read(member)
                kind = detect_weights(raw)
                hashes = {r.sha256 for r in tensor_records(raw, kind)[0]} if kind else set()
                sha = hashlib.sha256(raw).hexdigest()
                holders = [cur for whole, h, cur in internal.values()
                           if whole == sha or (hashes and hashes <= h)]
                if holders:
                    out[member] = "real" if any(holders) else "outdated"
                elif hashes & every:
                    out[member] = "altered"
                else:
                    out[member] = "fabricated"
    return out


def table(name: str, s: dict[str, dict[str, float]]) -> None:
    print(f"\n{name}")
    print(f"  {'class':<11}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    for c in CLASSES:
        r = s[c]
        print(f"  {c:<11}{r['precision']:>10.3f}{r['recall']:>8.3f}{r['f1']:>7.3f}{r['n']:>5}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drops", type=int, default=4)
    ap.add_argument("--speed-mb", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--min-f1", type=float, default=0.98)
    args = ap.parse_args()

    labels = data.build(args.work, args.seed, args.drops)
    root = args.work / "weights"
    db = root / "inventory.db"
    index(root, db)
    pairs, wrong, source_ok, source_n = [], [], 0, 0
    per_case: dict[str, Counter] = {}
    for drop, members in labels.items():
        found = scan(root, db, drop)
        for member, meta in members.items():
            f = found.get(member)
            got = f["verdict"] if f else "missing"
            pairs.append((meta["label"], got))
            per_case.setdefault(meta["case"], Counter())[got == meta["label"]] += 1
            if got != meta["label"]:
                wrong.append(f"{member}: {meta['case']} labelled {meta['label']}, got {got}"
                             + (f" ({'; '.join(f['reasons'])})" if f else ""))
            if meta["source"] and got == meta["label"] and f:
                w = f["evidence"].get("weights", {})
                ck = w.get("checkpoint") or {}
                run = meta["source"].split("/")[0].removeprefix("run-")
                versions = ck.get("versions", [])
                if w.get("match") == "bytes":  # exact bytes: the matched internal file says which
                    m = (f["evidence"].get("matches") or [{}])[0]
                    ck = {"source": m.get("source")}
                    versions = [f"version/{meta['version']}"] if m.get("source") == run else []
                source_n += 1
                source_ok += ck.get("source") == run and f"version/{meta['version']}" in versions
    ours = scores(pairs)
    base_v = baseline(root, labels)
    base = scores([(meta["label"], base_v[member])
                   for members in labels.values() for member, meta in members.items()])
    print(f"weights benchmark: {len(pairs)} labelled members in {len(labels)} drops (seed {args.seed})")
    table("triage (index + scan through the CLI)", ours)
    table("baseline: per-tensor SHA-256 only", base)
    print(f"\n  source checkpoint and version named correctly: {source_ok}/{source_n}")
    print("  per case (correct/total): " + ", ".join(
        f"{c} {n[True]}/{n[True] + n[False]}" for c, n in sorted(per_case.items())))
    for line in wrong:
        print(f"  WRONG {line}")
    result = {"triage": ours, "baseline": base, "source_ok": source_ok, "source_n": source_n}
    if not args.no_speed:
        import speed

        path = Path(os.environ.get("TMPDIR", "/tmp")) / "triage-speed" / "model.safetensors"
        if not path.exists() or path.stat().st_size < args.speed_mb << 20:
            speed.build(path, args.speed_mb << 20)
        try:
            figures = speed.measure(path, args.repeats)
        finally:
            path.unlink(missing_ok=True)
        print(f"\nspeed ({figures['bytes'] / 1e9:.2f} GB checkpoint, {figures['tensors']} tensors, median of"
              f" {figures['repeats']}): sha256 {figures['sha256_s']} s ({figures['sha256_GBps']} GB/s),"
              f" fingerprint {figures['fingerprint_s']} s ({figures['fingerprint_GBps']} GB/s):"
              f" {figures['ratio_vs_sha256']}x the speed of sha256 (target >= 0.5);"
              f" CPU {figures['cpu_fingerprint_s']} s vs {figures['cpu_sha256_s']} s;"
              f" whole `triage index` {figures.get('triage_index_s')} s")
        result["speed"] = figures
    print("\n" + json.dumps(result))
    if any(ours[c]["f1"] < args.min_f1 for c in CLASSES):
        sys.exit(1)


if __name__ == "__main__":
    main()
