"""Content-defined chunks of binaries: computed piece by piece (bounded memory), the same
boundaries as one pass over the whole content."""

from __future__ import annotations

import numpy as np
import pytest

from triage.fingerprint import binary as B


def _one_pass(data: bytes) -> np.ndarray:
    """The boundary candidates as first written: 64-bit sums over the whole content."""
    arr = np.frombuffer(data, dtype=np.uint8)
    vals = B._TABLE[arr].astype(np.uint64)
    csum = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum(vals, dtype=np.uint64, out=csum[1:])
    window = (csum[B.WINDOW :] - csum[: -B.WINDOW]) & np.uint64(0xFFFFFFFF)
    with np.errstate(over="ignore"):
        mixed = (window * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
    return np.nonzero((mixed >> np.uint64(32 - B.BOUNDARY_BITS)) == 0)[0] + B.WINDOW


@pytest.mark.parametrize("size", [B.WINDOW, B.WINDOW + 1, 4999, 300_000])
def test_pieces_find_the_boundaries_of_one_pass(monkeypatch, size: int):
    data = np.random.default_rng(size).integers(0, 256, size=size, dtype=np.uint8).tobytes()
    monkeypatch.setattr(B, "PIECE", 977)  # many pieces, none aligned with anything
    arr = np.frombuffer(data, dtype=np.uint8)
    pieces = np.concatenate([B._candidates(arr, j0, min(j0 + B.PIECE, size - B.WINDOW + 1))
                             for j0 in range(0, size - B.WINDOW + 1, B.PIECE)])
    assert np.array_equal(pieces, _one_pass(data))
    whole = B.chunk_bounds(data)
    monkeypatch.setattr(B, "PIECE", 1 << 22)
    assert B.chunk_bounds(data) == whole and whole[-1] == size
