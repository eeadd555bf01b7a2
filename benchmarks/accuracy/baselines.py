#!/usr/bin/env python3
"""Three simple similarity-hash baselines to compare triage against.

Each baseline labels a dropped file the same way:

1. exact SHA-256 match with an internal blob -> ``real`` if that content is in the latest
   release (at any path), else ``outdated``;
2. otherwise the best similarity score against every internal blob (all releases) ->
   ``altered`` if it passes the baseline's threshold, else ``fabricated``.

Baselines: ``ssdeep`` (ppdeep, score 0-100), ``tlsh`` (py-tlsh; score = -distance, so higher
is closer; files TLSH cannot hash score -inf) and ``minhash`` (datasketch MinHash, default
128 permutations, word 3-shingles; score = estimated Jaccard 0-1).

API::

    scores = score_drop(inventory_repo, drop_zip)                # cacheable, threshold-free
    labels = run_baselines(inventory_repo, drop_zip, thresholds)  # {baseline: {member: label}}
    thresholds = tune(inventory_repo, drop_zips, truth)           # fit on one package

CLI::

    python benchmarks/accuracy/baselines.py --tune-on requests [--work benchmarks/work]

tunes on one package's drops and reports per-package accuracy for every package built.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import ppdeep
import tlsh
from datasketch import MinHash

BASELINES = ("ssdeep", "tlsh", "minhash")
DEFAULT_THRESHOLDS = {"ssdeep": 30.0, "tlsh": -100.0, "minhash": 0.3}
WORK = Path(__file__).resolve().parent.parent / "work"


# --------------------------------------------------------------------------- inputs


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True).stdout


def _tree_blobs(repo: Path, commit: str) -> dict[str, str]:
    """{blob id: path} of one commit."""
    out = _git(repo, "ls-tree", "-r", "-z", commit).split(b"\0")
    blobs = {}
    for entry in filter(None, out):
        meta, path = entry.split(b"\t", 1)
        _, kind, oid = meta.split()
        if kind == b"blob":
            blobs[oid.decode()] = path.decode("utf-8", "replace")
    return blobs


@dataclass
class Inventory:
    """All file versions of a repository: contents by blob id, and which are at the tip."""

    contents: dict[str, bytes]  # blob id -> bytes
    paths: dict[str, str]  # blob id -> one path it had
    tip: set[str]  # blob ids in the tip of the default branch (HEAD)
    sha256: dict[str, str]  # sha256 hex -> blob id


def read_inventory(repo: Path | str, tip_ref: str = "HEAD") -> Inventory:
    """Read every blob of every commit (``git rev-list --all``) with one path for each."""
    repo = Path(repo)
    paths: dict[str, str] = {}
    for commit in _git(repo, "rev-list", "--all").decode().split():
        for oid, path in _tree_blobs(repo, commit).items():
            paths.setdefault(oid, path)
    tip = set(_tree_blobs(repo, tip_ref))
    batch = _git(repo, "cat-file", "--batch", data="".join(f"{oid}\n" for oid in paths).encode())
    contents: dict[str, bytes] = {}
    offset = 0
    while offset < len(batch):
        header_end = batch.index(b"\n", offset)
        oid, _, size = batch[offset:header_end].decode().split()
        start = header_end + 1
        contents[oid] = batch[start : start + int(size)]
        offset = start + int(size) + 1
    sha = {hashlib.sha256(data).hexdigest(): oid for oid, data in contents.items()}
    return Inventory(contents, paths, tip, sha)


def read_drop(drop_zip: Path | str) -> dict[str, bytes]:
    """Regular members of a zip (nested archives are treated as plain files)."""
    with zipfile.ZipFile(drop_zip) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


# --------------------------------------------------------------------------- fingerprints


def shingles(data: bytes, size: int = 3) -> set[bytes]:
    words = data.split()
    if len(words) < size:
        return {b" ".join(words)} if words else set()
    return {b" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def minhash_of(data: bytes) -> np.ndarray:
    m = MinHash()
    for shingle in shingles(data):
        m.update(shingle)
    return m.hashvalues.copy()


def tlsh_of(data: bytes) -> str | None:
    digest = tlsh.hash(data)
    return None if not digest or digest == "TNULL" else digest


@dataclass
class Index:
    """Per-baseline fingerprints of all inventory blobs (built once per inventory)."""

    ssdeep: dict[int, list[str]]  # by block size: ssdeep only compares sizes b, 2b and b/2
    tlsh: list[str]
    minhash: np.ndarray  # (n, num_perm)


@lru_cache(maxsize=8)
def _index_for(repo: str, tip_ref: str) -> tuple[Inventory, Index]:
    inventory = read_inventory(repo, tip_ref)
    datas = list(inventory.contents.values())
    index = Index(
        ssdeep=_by_block_size(ppdeep.hash(d) for d in datas),
        tlsh=[h for h in (tlsh_of(d) for d in datas) if h],
        minhash=np.stack([minhash_of(d) for d in datas]) if datas else np.zeros((0, 128), np.uint32),
    )
    return inventory, index


def _by_block_size(hashes: Iterable[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for digest in hashes:
        groups.setdefault(int(digest.split(":", 1)[0]), []).append(digest)
    return groups


def best_scores(data: bytes, index: Index) -> dict[str, float]:
    """The best score of ``data`` against all inventory blobs, per baseline."""
    fuzzy = ppdeep.hash(data)
    size = int(fuzzy.split(":", 1)[0])
    comparable = [h for s in (size // 2, size, size * 2) for h in index.ssdeep.get(s, [])]
    ssdeep_best = max((ppdeep.compare(fuzzy, other) for other in comparable), default=0)
    own_tlsh = tlsh_of(data)
    tlsh_best = -min((tlsh.diff(own_tlsh, other) for other in index.tlsh), default=math.inf) if own_tlsh else -math.inf
    signature = minhash_of(data)
    minhash_best = float((index.minhash == signature).mean(axis=1).max()) if len(index.minhash) else 0.0
    return {"ssdeep": float(ssdeep_best), "tlsh": float(tlsh_best), "minhash": minhash_best}


@dataclass
class MemberScore:
    exact: str | None  # "real" / "outdated" on an exact SHA-256 match, else None
    scores: dict[str, float]


def score_drop(inventory_repo: Path | str, drop_zip: Path | str, tip_ref: str = "HEAD") -> dict[str, MemberScore]:
    """Threshold-free scores for every member of ``drop_zip`` (the expensive part)."""
    inventory, index = _index_for(str(Path(inventory_repo).resolve()), tip_ref)
    result = {}
    for path, data in sorted(read_drop(drop_zip).items()):
        oid = inventory.sha256.get(hashlib.sha256(data).hexdigest())
        if oid is not None:
            result[path] = MemberScore("real" if oid in inventory.tip else "outdated", {})
        else:
            result[path] = MemberScore(None, best_scores(data, index))
    return result


def label(score: MemberScore, baseline: str, threshold: float) -> str:
    if score.exact:
        return score.exact
    return "altered" if score.scores[baseline] >= threshold else "fabricated"


def run_baselines(inventory_repo: Path | str, drop_zip: Path | str,
                  thresholds: dict[str, float] | None = None) -> dict[str, dict[str, str]]:
    """``{baseline: {member path: label}}`` for one drop."""
    thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    scores = score_drop(inventory_repo, drop_zip)
    return {b: {path: label(s, b, thresholds[b]) for path, s in scores.items()} for b in BASELINES}


# --------------------------------------------------------------------------- tuning


def macro_f1(pairs: Iterable[tuple[str, str]], classes: tuple[str, ...] = ("altered", "fabricated")) -> float:
    """Mean F1 over ``classes`` of (truth, prediction) pairs."""
    pairs = list(pairs)
    f1s = []
    for cls in classes:
        tp = sum(1 for t, p in pairs if t == cls and p == cls)
        fp = sum(1 for t, p in pairs if t != cls and p == cls)
        fn = sum(1 for t, p in pairs if t == cls and p != cls)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def best_threshold(scored: list[tuple[str, float]]) -> tuple[float, float]:
    """(threshold, macro F1) maximising F1 of altered/fabricated over (truth, score) pairs."""
    finite = sorted({s for _, s in scored if math.isfinite(s)})
    candidates = finite + [math.inf]
    best = (math.inf, -1.0)
    for threshold in candidates:
        f1 = macro_f1((truth, "altered" if s >= threshold else "fabricated") for truth, s in scored)
        if f1 > best[1]:
            best = (threshold, f1)
    return best


def tune(inventory_repo: Path | str, drop_zips: list[Path], truth: dict[str, dict[str, dict]]
         ) -> dict[str, float]:
    """Thresholds maximising macro F1 (altered/fabricated) on one package's labelled drops.

    ``truth`` is that package's ``labels.json``. Only members with no exact match and a true
    label of altered or fabricated take part (exact matches do not depend on thresholds).
    """
    per_baseline: dict[str, list[tuple[str, float]]] = {b: [] for b in BASELINES}
    for drop in drop_zips:
        labels = truth[Path(drop).name]
        for path, score in score_drop(inventory_repo, drop).items():
            expected = labels.get(path, {}).get("label")
            if score.exact or expected not in ("altered", "fabricated"):
                continue
            for b in BASELINES:
                per_baseline[b].append((expected, score.scores[b]))
    return {b: best_threshold(per_baseline[b])[0] for b in BASELINES}


# --------------------------------------------------------------------------- CLI


def package_data(work: Path, pkg: str) -> tuple[Path, list[Path], dict]:
    drops = work / pkg / "drops"
    truth = json.loads((drops / "labels.json").read_text(encoding="utf-8"))
    return work / pkg / "inventory", sorted(drops.glob("*.zip")), truth


def accuracy(work: Path, pkg: str, thresholds: dict[str, float]) -> dict[str, float]:
    inventory, drops, truth = package_data(work, pkg)
    hits = {b: 0 for b in BASELINES}
    total = 0
    for drop in drops:
        labels = truth[drop.name]
        predicted = run_baselines(inventory, drop, thresholds)
        for path, entry in labels.items():
            total += 1
            for b in BASELINES:
                hits[b] += predicted[b].get(path) == entry["label"]
    return {b: hits[b] / total for b in BASELINES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tune the baselines on one package, report on all.")
    parser.add_argument("--tune-on", required=True, help="package whose labels set the thresholds")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args(argv)
    inventory, drops, truth = package_data(args.work, args.tune_on)
    thresholds = tune(inventory, drops, truth)
    print("thresholds:", json.dumps(thresholds))
    packages = sorted(p.name for p in args.work.iterdir() if (p / "drops" / "labels.json").exists())
    print(f"{'package':<12}" + "".join(f"{b:>10}" for b in BASELINES))
    for pkg in packages:
        acc = accuracy(args.work, pkg, thresholds)
        print(f"{pkg:<12}" + "".join(f"{acc[b]:>10.3f}" for b in BASELINES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
