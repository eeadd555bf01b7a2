"""Line alignment in bounded memory (triage.align): rapidfuzz's own below the bound, a valid
common subsequence that finds the edits of a long file above it."""

from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz.distance import LCSseq

from triage import align


def _check_blocks(a: list, b: list, blocks: list[tuple[int, int, int]]) -> int:
    """The blocks are equal runs, increasing in both sequences; returns the matched length."""
    i = j = 0
    for x, y, n in blocks:
        assert n > 0 and x >= i and y >= j
        assert a[x : x + n] == b[y : y + n]
        i, j = x + n, y + n
    return sum(n for _, _, n in blocks)


def _edited(rng: np.random.Generator, n: int) -> tuple[list[int], list[int]]:
    a = rng.integers(0, 1 << 30, size=n).tolist()
    b = list(a)
    for _ in range(40):  # inserts, deletes and replacements spread over the file
        at = int(rng.integers(0, len(b)))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            b[at:at] = rng.integers(0, 1 << 30, size=3).tolist()
        elif kind == 1:
            del b[at : at + 2]
        else:
            b[at] = int(rng.integers(0, 1 << 30))
    return a, b


def test_small_pairs_are_rapidfuzz_alignment():
    rng = np.random.default_rng(1)
    a, b = _edited(rng, 500)
    ours = align.matching_blocks(np.array(a), np.array(b))
    theirs = [(m.a, m.b, m.size) for m in LCSseq.opcodes(a, b).as_matching_blocks() if m.size]
    assert ours == theirs
    assert align.opcodes(a, b) == list(LCSseq.opcodes(a, b))


@pytest.mark.parametrize("repetitive", [False, True])
def test_large_pairs_are_cut_at_anchors(monkeypatch, repetitive: bool):
    """Above the bound (made small here) the alignment still recovers every edit of an edited
    copy: the matched length equals the true LCS; with no unique line (a file of repeated
    lines) it is cut in halves and stays a valid common subsequence."""
    rng = np.random.default_rng(2)
    a, b = _edited(rng, 3000)
    if repetitive:
        a = [x % 7 for x in a]
        b = [x % 7 for x in b]
    best = int(LCSseq.similarity(a, b))
    monkeypatch.setattr(align, "LCS_CELLS", 5_000)
    blocks = align.matching_blocks(np.array(a), np.array(b))
    matched = _check_blocks(a, b, blocks)
    if repetitive:
        assert matched >= 0.5 * best
    else:
        assert matched == best
    ops = align.opcodes(a, b)  # opcodes rebuilt from the blocks cover both sequences exactly
    assert [o.tag for o in ops if o.tag == "equal"] and ops[0].src_start == 0 and ops[0].dest_start == 0
    assert ops[-1].src_end == len(a) and ops[-1].dest_end == len(b)
    for o, nxt in zip(ops, ops[1:]):
        assert (o.src_end, o.dest_end) == (nxt.src_start, nxt.dest_start)
    assert sum(o.src_end - o.src_start for o in ops if o.tag == "equal") == matched


def test_strings_align_like_their_codes(monkeypatch):
    monkeypatch.setattr(align, "LCS_CELLS", 100)
    a = [f"line {i}" for i in range(200)]
    b = a[:50] + ["new"] + a[50:150] + a[160:]
    blocks = align.matching_blocks(a, b)
    assert _check_blocks(a, b, blocks) == 190
