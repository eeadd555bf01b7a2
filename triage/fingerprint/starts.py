"""Starts of strings and comments that cannot match, found in linear time (hostile input).

The tokenizers find strings and comments with one regular expression scanned left to right
(``textvec._STR_COM_RE``, ``text._TOKEN_RE``). A start that fails costs a scan ahead: an
unclosed ``/*`` scans to the end of the text, a quote scans up to its string's unit bound. A
crafted file of many such starts (``/*`` repeated, ``\\"`` repeated on one line) then costs the
number of starts times the rest of the file: minutes for 400 KB.

Which starts fail is decidable without the regex, from the whole text at once:

- ``/*`` at ``p`` matches iff a ``*/`` begins at ``p + 2`` or later, so every ``/*`` after the
  last ``*/`` fails; ``<!--`` likewise against the last ``-->``;
- a quote ``q`` at ``p`` opens a string iff, scanning its units (runs of plain characters, or a
  backslash and the character it escapes), an unescaped ``q`` comes before an unescaped line
  feed (for ``"`` and ``'``), the end of the text, or the unit bound. Escapes pair the same way
  from any start (a run of backslashes never holds a quote), so this is a prefix-sum question.

``masked_bytes``/``masked_text`` replace the ``*``, ``<`` or escaped quote of such starts with
NUL, which no alternative treats specially: every alternative then matches exactly where it
matched before (a replaced character is plain, or the escaped character of an escape, in every
other alternative; an escaped quote never closes a string), and no start scans ahead in vain
more than a bounded number of times. Callers take tokens' text from the original.
"""

from __future__ import annotations

import re
from typing import TypeVar

import numpy as np

NEUTRAL = 0  # the replacement: not a quote, backslash, line feed, '#', '/', '*', '<', '!', '-', '>'
# Escaped quotes are located (a few passes over the whole text) only when the scans they could
# cost in vain, escaped quotes x the longest stretch one scans, exceed this many characters:
# below it the regex's vain scans cost less than finding them (milliseconds).
QUOTE_SCAN_BUDGET = 1 << 22

_BS, _LF = ord("\\"), ord("\n")
_QUOTES = ((ord('"'), True), (ord("'"), True), (ord("`"), False))  # (quote, ends at a line feed)

S = TypeVar("S", str, bytes)

_ESCAPED_QUOTE_B = re.compile(rb"\\[\"'`]")
_ESCAPED_QUOTE_S = re.compile(r"\\[\"'`]")


def _shift_right(mask: np.ndarray) -> np.ndarray:
    out = np.empty_like(mask)
    out[0] = False
    out[1:] = mask[:-1]
    return out


def _occurrences(src: S, needle: S, start: int) -> list[int]:
    out = []
    i = src.find(needle, max(start, 0))
    while i >= 0:
        out.append(i)
        i = src.find(needle, i + 1)
    return out


def _lit(src: S, s: str) -> S:
    return s.encode() if isinstance(src, bytes) else s


def _dead_openers(src: S, opener: S, closer: S) -> list[int]:
    """Positions of the openers that no closer follows (an opener at ``p`` closes iff a closer
    begins at ``p + len(opener)`` or later). When the last opener closes, every opener does."""
    last = src.rfind(opener)
    if last < 0:
        return []
    close = src.rfind(closer)
    if last + len(opener) <= close:
        return []
    return _occurrences(src, opener, close - len(opener) + 1)


def _dead_comment_starts(src: S) -> list[int]:
    """Positions of the ``*`` of ``/*`` and the ``<`` of ``<!--`` that cannot open a comment.
    The ``/*`` at ``close - 1`` (``/*/``) cannot close either, but its ``*`` is the last
    closer's: it stays (one vain scan)."""
    close = src.rfind(_lit(src, "*/"))
    stars = [p + 1 for p in _dead_openers(src, _lit(src, "/*"), _lit(src, "*/")) if p + 1 > close]
    return stars + _dead_openers(src, _lit(src, "<!--"), _lit(src, "-->"))


def _vain_scan_bound(src: S, budget: int) -> int:
    """Characters the regex could scan in vain from escaped quotes: an upper bound from one
    C-level pass (most files stop there: too few escaped quotes to matter)."""
    n = len(src)
    found = (_ESCAPED_QUOTE_B if isinstance(src, bytes) else _ESCAPED_QUOTE_S).findall(src)
    ticks = found.count(_lit(src, "\\`"))
    quotes = len(found) - ticks
    bound = len(found) * n
    if bound <= budget or not quotes or _lit(src, "\\\n") in src:
        return bound
    # A "" or '' string ends at a line feed (an escaped one is excluded above).
    lfs = np.flatnonzero(_codes(src) == _LF)
    longest = int(np.diff(lfs, prepend=-1, append=n).max())
    return quotes * longest + ticks * n


def _dead_quote_starts(a: np.ndarray, max_units: int, runs: bool) -> list[np.ndarray]:
    """Positions of escaped quotes that cannot open a string (an unescaped quote may close one,
    so only escaped ones are masked; a failed unescaped start scans a stretch no other does)."""
    n = len(a)
    bs = a == _BS
    is_quote = (a == _QUOTES[0][0]) | (a == _QUOTES[1][0]) | (a == _QUOTES[2][0])
    cand = np.flatnonzero(bs[:-1] & is_quote[1:]) + 1
    if len(cand) == 0:
        return []
    # Backslashes escape in pairs from the start of their run: the 1st, 3rd... escape the next.
    idx = np.arange(n, dtype=np.int64)
    run_start = np.maximum.accumulate(np.where(bs & ~_shift_right(bs), idx, 0))
    escaping = bs & ((idx - run_start) % 2 == 0)
    escaped = _shift_right(escaping)
    cand = cand[escaped[cand]]
    if len(cand) == 0:
        return []
    plain = ~bs & ~escaped
    unit_starts = escaping | (plain & ~_shift_right(plain) if runs else plain)
    units = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(unit_starts, out=units[1:])
    out = []
    for q, stop_at_lf in _QUOTES:
        mine = cand[a[cand] == q]
        if len(mine) == 0:
            continue
        ends = (a == q) | (a == _LF) if stop_at_lf else a == q
        events = np.flatnonzero(ends & ~escaped)
        j = np.append(events, n)[np.searchsorted(events, mine, side="right")]  # first event after
        closes = (j < n) & (a[np.minimum(j, n - 1)] == q) & (units[j] - units[mine + 1] <= max_units)
        out.append(mine[~closes])
    return out


def _codes(src: S) -> np.ndarray:
    if isinstance(src, bytes):
        return np.frombuffer(src, dtype=np.uint8)
    return np.frombuffer(src.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def dead_starts(src: S, max_units: int, runs: bool, budget: int = QUOTE_SCAN_BUDGET) -> np.ndarray:
    """Sorted positions to mask in ``src``: openers of comments that cannot close, and escaped
    quotes that cannot open a string when their vain scans could exceed ``budget`` characters.
    ``max_units``: the regex's string unit bound; ``runs``: a run of plain characters is one unit
    (possessive ``[^"\\\n]++``, the bytes tokenizer) rather than one per character."""
    pos = [np.array(_dead_comment_starts(src), dtype=np.int64)]
    if len(src) > 1 and _vain_scan_bound(src, budget) > budget:
        pos += _dead_quote_starts(_codes(src), max_units, runs)
    return np.sort(np.concatenate(pos))


def masked(src: S, max_units: int, runs: bool, budget: int = QUOTE_SCAN_BUDGET) -> S:
    """``src`` with its dead starts replaced by NUL (``src`` itself when there are none)."""
    pos = dead_starts(src, max_units, runs, budget)
    if len(pos) == 0:
        return src
    out = _codes(src).copy()
    out[pos] = NEUTRAL
    if isinstance(src, bytes):
        return out.tobytes()
    return out.tobytes().decode("utf-32-le", "surrogatepass")
