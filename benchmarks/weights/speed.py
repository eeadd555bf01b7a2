"""Speed of per-tensor fingerprinting against the floor: SHA-256 of the same bytes.

    python benchmarks/weights/speed.py [--size-mb 1024] [--path /tmp/triage-speed.safetensors]

Writes a safetensors file of the given size (random float32/bf16 tensors of mixed shapes,
like a real checkpoint: a few large embedding-sized ones, many layer-sized ones), maps it,
and prints the seconds and GB/s of (a) hashlib.sha256 over the whole file and (b)
``tensor_records``. The issue requires (b) to reach at least half the speed of (a).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
import os
import struct
import time

import numpy as np

from triage.fingerprint.tensors import tensor_records


def build(path: str, size: int) -> None:
    rng = np.random.default_rng(0)
    shapes: list[tuple[str, str, tuple[int, ...]]] = [
        ("embed.weight", "F32", (32000, 2048)),
        ("lm_head.weight", "BF16", (32000, 2048)),
    ]
    total = sum(np.prod(s) * (4 if d == "F32" else 2) for _, d, s in shapes)
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
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        left = off
        while left > 0:
            f.write(block[:left])
            left -= min(left, len(block))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--path", default="/tmp/triage-speed.safetensors")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.path) or os.path.getsize(args.path) < args.size_mb << 20:
        build(args.path, args.size_mb << 20)
    size = os.path.getsize(args.path)
    with open(args.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        hashlib.sha256(mm).hexdigest()  # warm the page cache
        t = time.perf_counter()
        hashlib.sha256(mm).hexdigest()
        t_sha = time.perf_counter() - t
        t = time.perf_counter()
        recs, notes = tensor_records(mm, "safetensors")
        t_fp = time.perf_counter() - t
        del recs
    gb = size / 1e9
    print(
        json.dumps(
            {
                "bytes": size,
                "sha256_s": round(t_sha, 3),
                "sha256_GBps": round(gb / t_sha, 3),
                "tensor_records_s": round(t_fp, 3),
                "tensor_records_GBps": round(gb / t_fp, 3),
                "ratio_vs_sha256": round(t_sha / t_fp, 3),
                "notes": notes,
            }
        )
    )
    if not args.keep:
        os.unlink(args.path)


if __name__ == "__main__":
    main()
