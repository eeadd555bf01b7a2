"""Binary contents: content-defined chunks (so a byte patch or insertion changes few chunks)
and a TLSH similarity digest as a second opinion reported in the evidence."""

from __future__ import annotations

import numpy as np
import xxhash

# Rolling window of the chunker, and chunk size bounds: ~256-byte chunks on average keep a
# one-byte patch to one changed chunk while a 1 MiB binary still has only ~4,000 of them.
WINDOW = 32
MIN_CHUNK = 64
MAX_CHUNK = 4096
BOUNDARY_BITS = 8  # a boundary where the top 8 mixed bits are zero: 1 in 256 positions

# Window starts whose boundary test runs at a time: ~13 bytes of arrays per byte of a piece,
# instead of ~40 per byte of the whole content.
PIECE = 1 << 22

_TABLE = np.random.RandomState(0x7A1A6E).randint(0, 1 << 32, 256, dtype=np.uint64).astype(np.uint32)


def chunk_bounds(data: bytes) -> list[int]:
    """End offsets of content-defined chunks (the last one is ``len(data)``)."""
    n = len(data)
    if n <= MIN_CHUNK:
        return [n] if n else []
    arr = np.frombuffer(data, dtype=np.uint8)
    cand = np.concatenate([_candidates(arr, j0, min(j0 + PIECE, n - WINDOW + 1))
                           for j0 in range(0, n - WINDOW + 1, PIECE)])
    bounds: list[int] = []
    last = 0
    for pos in cand.tolist():
        while pos - last > MAX_CHUNK:
            last += MAX_CHUNK
            bounds.append(last)
        if pos - last >= MIN_CHUNK:
            bounds.append(pos)
            last = pos
    while n - last > MAX_CHUNK:
        last += MAX_CHUNK
        bounds.append(last)
    if last < n:
        bounds.append(n)
    return bounds


def _candidates(arr: np.ndarray, j0: int, j1: int) -> np.ndarray:
    """Chunk boundary candidates ``j + WINDOW`` for window starts ``j0 <= j < j1``: the window's
    byte values summed mod 2^32, mixed, top bits zero. uint32 arithmetic wraps mod 2^32 as the
    sums must, and a piece needs only its own bytes and the WINDOW - 1 after it."""
    vals = _TABLE[arr[j0 : j1 + WINDOW - 1]]
    csum = np.zeros(len(vals) + 1, dtype=np.uint32)
    np.cumsum(vals, dtype=np.uint32, out=csum[1:])
    mixed = csum[WINDOW:] - csum[:-WINDOW]
    mixed *= np.uint32(0x9E3779B1)
    return np.flatnonzero((mixed >> np.uint32(32 - BOUNDARY_BITS)) == 0) + (j0 + WINDOW)


def chunk_hashes(data: bytes) -> np.ndarray:
    out = np.empty(0, dtype=np.uint32)
    bounds = chunk_bounds(data)
    if not bounds:
        return out
    mv = memoryview(data)
    starts = [0] + bounds[:-1]
    return np.fromiter((xxhash.xxh32_intdigest(mv[s:e]) for s, e in zip(starts, bounds)),
                       dtype=np.uint32, count=len(bounds))


def tlsh_digest(data: bytes) -> str | None:
    """TLSH of the bytes, or None when TLSH declines (under 50 bytes or too little variety)."""
    if len(data) < 50:
        return None
    import tlsh

    digest = tlsh.hash(data)
    return None if not digest or digest == "TNULL" else digest


def tlsh_distance(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    import tlsh

    return int(tlsh.diff(a, b))
