"""Line alignment in bounded memory.

rapidfuzz's bit-parallel LCS keeps a bit matrix for its alignment: len(a) x len(b) / 8 bytes.
Two files of 400,000 lines would need 20 GB. Up to ``LCS_CELLS`` the alignment is rapidfuzz's
own, unchanged; larger pairs are first cut where they must align anyway: their common prefix
and suffix, then the lines that occur exactly once in each (anchors, kept in the longest
increasing order), and the gaps between anchors are aligned on their own. A gap still too large
with no anchor (no unique line in common) is cut in proportional halves: still a valid common
subsequence, perhaps not the longest, on input no source file looks like.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from rapidfuzz.distance import LCSseq

# Largest len(a) * len(b) aligned in one piece: a bit matrix of 128 MiB.
LCS_CELLS = 1 << 30


class Op(NamedTuple):
    """One opcode, with the attribute names of rapidfuzz's ``Opcode``."""

    tag: str
    src_start: int
    src_end: int
    dest_start: int
    dest_end: int


def matching_blocks(a: Sequence, b: Sequence) -> list[tuple[int, int, int]]:
    """(i, j, n) runs where ``a[i:i+n] == b[j:j+n]``, increasing in both, non-empty."""
    if len(a) * len(b) <= LCS_CELLS:
        return [(m.a, m.b, m.size) for m in LCSseq.opcodes(_plain(a), _plain(b)).as_matching_blocks() if m.size]
    ha, hb = _codes(a, b)
    out: list[tuple[int, int, int]] = []
    _align(ha, 0, len(ha), hb, 0, len(hb), out)
    return _merged(sorted(out))


def opcodes(a: Sequence, b: Sequence) -> list:
    """Opcodes turning ``a`` into ``b`` (rapidfuzz's own up to ``LCS_CELLS``)."""
    if len(a) * len(b) <= LCS_CELLS:
        return list(LCSseq.opcodes(_plain(a), _plain(b)))
    ops: list[Op] = []
    i = j = 0
    for x, y, n in [*matching_blocks(a, b), (len(a), len(b), 0)]:
        if x > i or y > j:
            tag = "replace" if x > i and y > j else "delete" if x > i else "insert"
            ops.append(Op(tag, i, x, j, y))
        if n:
            ops.append(Op("equal", x, x + n, y, y + n))
        i, j = x + n, y + n
    return ops


def _plain(s: Sequence) -> list:
    return s.tolist() if isinstance(s, np.ndarray) else list(s)


def _codes(a: Sequence, b: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Both sequences as integer codes, equal where the items are equal."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype.kind in "iu" and b.dtype.kind in "iu":
        return a.astype(np.int64), b.astype(np.int64)
    table: dict = {}
    ha = np.fromiter((table.setdefault(x, len(table)) for x in a), dtype=np.int64, count=len(a))
    hb = np.fromiter((table.setdefault(x, len(table)) for x in b), dtype=np.int64, count=len(b))
    return ha, hb


def _align(a: np.ndarray, a0: int, a1: int, b: np.ndarray, b0: int, b1: int,
           out: list[tuple[int, int, int]]) -> None:
    stack = [(a0, a1, b0, b1)]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        m = min(a1 - a0, b1 - b0)
        if m == 0:
            continue
        head = _same_run(a[a0 : a0 + m], b[b0 : b0 + m])
        if head:
            out.append((a0, b0, head))
            a0, b0, m = a0 + head, b0 + head, m - head
        tail = _same_run(a[a1 - m : a1][::-1], b[b1 - m : b1][::-1]) if m else 0
        if tail:
            out.append((a1 - tail, b1 - tail, tail))
            a1, b1 = a1 - tail, b1 - tail
        if a1 <= a0 or b1 <= b0:
            continue
        if (a1 - a0) * (b1 - b0) <= LCS_CELLS:
            blocks = LCSseq.opcodes(a[a0:a1].tolist(), b[b0:b1].tolist()).as_matching_blocks()
            out.extend((a0 + x.a, b0 + x.b, x.size) for x in blocks if x.size)
            continue
        pairs = _anchors(a[a0:a1], b[b0:b1])
        if not pairs:  # nothing pins the alignment: cut both in proportional halves
            ha, hb = (a1 - a0) // 2, (b1 - b0) // 2
            stack += [(a0, a0 + ha, b0, b0 + hb), (a0 + ha, a1, b0 + hb, b1)]
            continue
        i, j = a0, b0
        for x, y in pairs:
            stack.append((i, a0 + x, j, b0 + y))
            out.append((a0 + x, b0 + y, 1))
            i, j = a0 + x + 1, b0 + y + 1
        stack.append((i, a1, j, b1))


def _same_run(x: np.ndarray, y: np.ndarray) -> int:
    """Length of the common prefix of two equally long arrays."""
    diff = np.flatnonzero(x != y)
    return int(diff[0]) if len(diff) else len(x)


def _anchors(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """Positions (i, j) of values held exactly once by each side, the longest run of them that
    increases in both (patience diff's anchors)."""
    ua, ia = _singles(a)
    ub, ib = _singles(b)
    _, xa, xb = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    if not len(xa):
        return []
    order = np.argsort(ia[xa], kind="stable")
    pa, pb = ia[xa][order].tolist(), ib[xb][order].tolist()
    # Longest increasing subsequence of pb (O(k log k)), remembering predecessors.
    tails: list[int] = []
    tail_at: list[int] = []
    prev = [-1] * len(pb)
    for k, v in enumerate(pb):
        t = bisect_left(tails, v)
        if t == len(tails):
            tails.append(v)
            tail_at.append(k)
        else:
            tails[t], tail_at[t] = v, k
        prev[k] = tail_at[t - 1] if t else -1
    chain, k = [], tail_at[-1]
    while k != -1:
        chain.append((pa[k], pb[k]))
        k = prev[k]
    return chain[::-1]


def _singles(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values held exactly once, sorted, with their positions (a sort: np.unique is many times
    slower on NumPy 2.4)."""
    order = np.argsort(x, kind="stable")
    s = x[order]
    new = np.ones(len(s) + 1, dtype=bool)
    new[1:-1] = s[1:] != s[:-1]
    starts = np.flatnonzero(new[:-1])
    counts = np.diff(np.flatnonzero(new))
    once = starts[counts == 1]
    return s[once], order[once]


def _merged(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for x, y, n in blocks:
        if out and out[-1][0] + out[-1][2] == x and out[-1][1] + out[-1][2] == y:
            px, py, pn = out[-1]
            out[-1] = (px, py, pn + n)
        else:
            out.append((x, y, n))
    return out
