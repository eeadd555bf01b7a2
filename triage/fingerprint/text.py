"""Text normalizers and a fast language-agnostic tokenizer used at index time.

Three views of a text, from strict to loose, each hashed so that a change of only that kind
is recognised as such:

- ``normalize_newlines``: CRLF/CR to LF, BOM dropped, trailing whitespace and trailing blank
  lines removed (CRLF conversions and trailing-space edits vanish);
- ``ws_lines``: every line with all whitespace removed, blank lines dropped (re-indentation,
  re-wrapping of spaces vanish);
- ``tokens`` / ``shapes``: a token stream (comments dropped) and the same stream with
  identifiers, numbers and strings abstracted (renamed identifiers, changed constants vanish).

These ``str`` functions serve the scan-time comparison of a few files. Indexing computes the
same views over the UTF-8 bytes with NumPy (``textvec``): ``line_hashes`` here and the index's
line hashes are one function, so a scanned file's lines meet the index's postings; the bytes
tokenizer differs from the regex below only where ``textvec`` documents it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np

from triage.fingerprint.starts import masked
from triage.fingerprint.textvec import KEYWORDS, MIN_INFORMATIVE_LINE, hash_strings

__all__ = ["MIN_INFORMATIVE_LINE", "KEYWORDS", "normalize_newlines", "ws_lines", "line_hashes", "informative",
           "tokens", "tokens_and_shape_lines", "token_hashes", "shingle_hashes"]

# A string holds at most this many characters and escapes.
MAX_STRING_UNITS = 2000


def token_re(units: int) -> re.Pattern[str]:
    return re.compile(
        r"""
          (?P<str>"(?:[^"\\\n]|\\.){0,UNITS}"|'(?:[^'\\\n]|\\.){0,UNITS}'|`(?:[^`\\]|\\.){0,UNITS}`)
        | (?P<com>\#[^\n]*|//[^\n]*|/\*.*?\*/|<!--.*?-->)
        | (?P<id>[A-Za-z_$][\w$]*)
        | (?P<num>\d[\w.]*)
        | (?P<op>[^\w\s])
        """.replace("UNITS", str(units)),
        re.VERBOSE | re.DOTALL,
    )


_TOKEN_RE = token_re(MAX_STRING_UNITS)


def _matches(text: str) -> Iterator[tuple[re.Match[str], str | None, str]]:
    """(match, kind, token) of every match, with starts that cannot match masked first
    (``starts``): a crafted text of unclosed ``/*`` or escaped quotes would cost starts x size."""
    for m in _TOKEN_RE.finditer(masked(text, MAX_STRING_UNITS, runs=False)):
        yield m, m.lastgroup, text[m.start() : m.end()]


def normalize_newlines(text: str) -> str:
    """LF line endings, no BOM, no trailing whitespace on lines, no trailing blank lines."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


def ws_lines(text: str) -> list[str]:
    """Non-blank lines with all whitespace removed (input: newline-normalized text).

    ``str.split()`` splits on exactly the characters ``\\s`` matches (``str.isspace``)."""
    return [squeezed for squeezed in ("".join(line.split()) for line in text.split("\n")) if squeezed]


def line_hashes(lines: list[str]) -> np.ndarray:
    """32-bit hashes of lines (``textvec.segment_hashes`` of their UTF-8 bytes): the unit of line
    containment and postings, equal to the hashes the index stores."""
    return hash_strings(lines)


def informative(lines: list[str]) -> np.ndarray:
    """Boolean mask: lines long enough to be evidence of derivation."""
    return np.fromiter((len(s) >= MIN_INFORMATIVE_LINE for s in lines), dtype=bool, count=len(lines))


def tokens(text: str) -> tuple[list[str], list[str]]:
    """Return ``(tokens, shapes)``: comments dropped; in shapes, names/numbers/strings abstracted."""
    toks: list[str] = []
    shapes: list[str] = []
    for _m, kind, tok in _matches(text):
        if kind == "com":
            continue
        toks.append(tok)
        if kind == "id":
            shapes.append(tok if tok in KEYWORDS else "I")
        elif kind == "num":
            shapes.append("0")
        elif kind == "str":
            shapes.append("S")
        else:
            shapes.append(tok)
    return toks, shapes


# The same token grammar in two steps: strings and comments first (one C-level split), then the
# code between them with a four-way pattern. Every string or comment the one-pattern scan
# finds starts where this split finds it (no other token can hold a quote, '#', '/' or '<'),
# so both give the same tokens; this one tries far fewer alternatives per character.
_STR_COM_RE = re.compile(
    r"""
    ( "(?:[^"\\\n]|\\.){0,UNITS}"|'(?:[^'\\\n]|\\.){0,UNITS}'|`(?:[^`\\]|\\.){0,UNITS}`
    | \#[^\n]*|//[^\n]*|/\*.*?\*/|<!--.*?--> )
    """.replace("UNITS", str(MAX_STRING_UNITS)),
    re.VERBOSE | re.DOTALL,
)
_CODE_RE = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|[^\w\s]|\n")
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$")


def _str_com_split(text: str) -> list[str]:
    """``_STR_COM_RE.split(text)``: code, then string or comment, alternately; starts that cannot
    match are masked first (``starts``, as in ``_matches``) and the parts are the original text."""
    src = masked(text, MAX_STRING_UNITS, runs=False)
    if src is text:
        return _STR_COM_RE.split(text)
    parts, at = [], 0
    for m in _STR_COM_RE.finditer(src):
        parts += [text[at : m.start()], text[m.start() : m.end()]]
        at = m.end()
    parts.append(text[at:])
    return parts


# Token and shape-line strings hashed per this many tokens (``token_and_shape_hashes``): a large
# file's millions of token strings never exist at once.
HASH_BATCH = 1 << 16


def token_and_shape_hashes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``token_hashes`` of ``tokens_and_shape_lines(text)``, both lists hashed in batches."""
    tok_parts: list[np.ndarray] = []
    shape_parts: list[np.ndarray] = []

    def sink(toks: list[str], lines: list[str]) -> None:
        tok_parts.append(hash_strings(toks))
        shape_parts.append(hash_strings(lines))

    tokens_and_shape_lines(text, sink)
    if not tok_parts:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
    return np.concatenate(tok_parts), np.concatenate(shape_parts)


def tokens_and_shape_lines(text: str, sink: Callable[[list[str], list[str]], None] | None = None,
                           ) -> tuple[list[str], list[str]]:
    """One pass: the token stream (comments dropped) and, per line holding tokens, its shape.

    The same tokens as ``tokens`` (``_TOKEN_RE``); a newline between two tokens ends a shape line.
    With ``sink``, the lists are handed over and emptied every ``HASH_BATCH`` tokens or so, and
    at the end (empty lists are returned).
    """
    toks: list[str] = []
    lines: list[str] = []
    current: list[str] = []
    keywords = KEYWORDS
    for i, part in enumerate(_str_com_split(text)):
        if sink is not None and len(toks) >= HASH_BATCH:
            sink(toks, lines)
            toks, lines = [], []
        if i % 2:  # a string or a comment
            if part[0] in "\"'`":
                toks.append(part)
                current.append("S")
            continue
        for tok in _CODE_RE.findall(part):
            c = tok[0]
            if c == "\n":
                if current:
                    lines.append(" ".join(current))
                    current = []
                continue
            toks.append(tok)
            if c in _ID_START:
                current.append(tok if tok in keywords else "I")
            elif c.isdecimal():  # \d: a Unicode decimal digit
                current.append("0")
            else:
                current.append(tok)
    if current:
        lines.append(" ".join(current))
    if sink is not None:
        sink(toks, lines)
        return [], []
    return toks, lines


def token_hashes(toks: list[str]) -> np.ndarray:
    """32-bit hashes of tokens (the same hash function as lines and the index's tokens)."""
    return hash_strings(toks)


def shingle_hashes(hashes: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every run of ``k`` consecutive items (a polynomial roll over uint32, vectorized)."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    if n < k:
        k = n
    h = hashes.astype(np.uint64)
    acc = np.zeros(n - k + 1, dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    for j in range(k):  # in place: no temporary of the whole array per step
        acc *= mult
        acc += h[j : n - k + 1 + j]
    acc ^= acc >> np.uint64(29)
    return (acc & np.uint64(0xFFFFFFFF)).astype(np.uint32)
