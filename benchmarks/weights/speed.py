"""Speed of fingerprinting a large checkpoint against the floor: SHA-256 of the same bytes.

    python benchmarks/weights/speed.py [--size-mb 1024] [--path /tmp/triage-speed/model.safetensors]
                                       [--repeats 3] [--no-cli]

Writes a safetensors file of the given size (random float32/bf16 tensors of mixed shapes, like a
real checkpoint: two large embedding-sized ones, many layer-sized ones) and times, side by side
and alternating, the median of ``--repeats`` runs of:

- ``sha256``: hashlib.sha256 over the whole file (mapped, page cache warm): the floor;
- ``fingerprint``: ``triage.fingerprint.fingerprint(Spilled(path))``, exactly what an index
  worker runs on a weights file too large for memory (whole-file SHA-256 and every tensor's
  SHA-256 and sketch, from one read-only map, the file hash in a second thread);
- ``triage index``: the whole CLI on a folder holding the file (process start, walk, worker,
  tensor rows written to a fresh SQLite index).

The issue requires ``fingerprint`` at no less than half the speed of ``sha256`` (ratio >= 0.5).
CPU seconds are printed too: the two SHA-256 passes (file, tensors) cost about twice the floor
in CPU, and overlap in wall time on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import mmap
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def build(path: Path, size: int) -> None:
    rng = np.random.default_rng(0)
    shapes: list[tuple[str, str, tuple[int, ...]]] = [
        ("embed.weight", "F32", (32000, 2048)),
        ("lm_head.weight", "BF16", (32000, 2048)),
    ]
    total = sum(int(np.prod(s)) * (4 if d == "F32" else 2) for _, d, s in shapes)
    i = 0
    while total < size:
        for part, shape in (("q", (2048, 2048)), ("up", (5504, 2048)), ("norm", (2048,))):
            shapes.append((f"layers.{i}.{part}.weight", "F32" if i % 2 else "BF16", shape))
            total += int(np.prod(shape)) * (4 if i % 2 else 2)
        i += 1
    header, off = {}, 0
    for name, dtype, shape in shapes:
        n = int(np.prod(shape)) * (4 if dtype == "F32" else 2)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    block = rng.normal(0, 0.02, 1 << 22).astype(np.float32).tobytes()  # 16 MiB of values, repeated
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        left = off
        while left > 0:
            f.write(block[:left])
            left -= min(left, len(block))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _sha256(path: Path) -> tuple[float, float]:
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        t, c = time.perf_counter(), _cpu()
        hashlib.sha256(mm).hexdigest()
        return time.perf_counter() - t, _cpu() - c


def _fingerprint(path: Path) -> tuple[float, float, int]:
    from triage.fingerprint import fingerprint
    from triage.model import Spilled

    t, c = time.perf_counter(), _cpu()
    fp = fingerprint(Spilled(str(path), path.stat().st_size))
    assert fp.weights is not None and fp.weights.ok and fp.weights.complete
    return time.perf_counter() - t, _cpu() - c, len(fp.weights.records)


def _cli_index(path: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="triage-speed-db-") as d:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t = time.perf_counter()
        cmd = [sys.executable, "-m", "triage.cli", "index", str(path.parent), "--db", f"{d}/i.db", "-q"]
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        return time.perf_counter() - t


def measure(path: Path, repeats: int = 3, cli: bool = True) -> dict:
    size = path.stat().st_size
    _sha256(path)  # warm the page cache
    sha, fps, idx, cpu_sha, cpu_fp = [], [], [], [], []
    tensors = 0
    for _ in range(repeats):
        w, c = _sha256(path)
        sha.append(w)
        cpu_sha.append(c)
        w, c, tensors = _fingerprint(path)
        fps.append(w)
        cpu_fp.append(c)
        if cli:
            idx.append(_cli_index(path))
    gb = size / 1e9
    out = {
        "bytes": size,
        "tensors": tensors,
        "repeats": repeats,
        "sha256_s": round(statistics.median(sha), 3),
        "sha256_GBps": round(gb / statistics.median(sha), 3),
        "fingerprint_s": round(statistics.median(fps), 3),
        "fingerprint_GBps": round(gb / statistics.median(fps), 3),
        "ratio_vs_sha256": round(statistics.median(sha) / statistics.median(fps), 3),
        "cpu_sha256_s": round(statistics.median(cpu_sha), 3),
        "cpu_fingerprint_s": round(statistics.median(cpu_fp), 3),
    }
    if idx:
        out["triage_index_s"] = round(statistics.median(idx), 3)
        out["index_ratio_vs_sha256"] = round(statistics.median(sha) / statistics.median(idx), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    default = Path(tempfile.gettempdir()) / "triage-speed" / "model.safetensors"
    ap.add_argument("--path", type=Path, default=default,
                    help="The checkpoint, alone in its folder (the folder is what `triage index` reads).")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-cli", action="store_true", help="Skip the end-to-end `triage index` timing.")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if not args.path.exists() or args.path.stat().st_size < args.size_mb << 20:
        build(args.path, args.size_mb << 20)
    try:
        print(json.dumps(measure(args.path, args.repeats, not args.no_cli)))
    finally:
        if not args.keep:
            args.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                args.path.parent.rmdir()  # only when it is left empty


if __name__ == "__main__":
    main()
