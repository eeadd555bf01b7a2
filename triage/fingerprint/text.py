"""Text normalizers and a fast language-agnostic tokenizer used at index time.

Three views of a text, from strict to loose, each hashed so that a change of only that kind
is recognised as such:

- ``normalize_newlines``: CRLF/CR to LF, BOM dropped, trailing whitespace and trailing blank
  lines removed (CRLF conversions and trailing-space edits vanish);
- ``ws_lines``: every line with all whitespace removed, blank lines dropped (re-indentation,
  re-wrapping of spaces vanish);
- ``tokens`` / ``shapes``: a token stream (comments dropped) and the same stream with
  identifiers, numbers and strings abstracted (renamed identifiers, changed constants vanish).

The tokenizer is a single regular expression so that indexing millions of contents stays fast;
the language-aware analysis (Pygments) runs at scan time on the few files compared.
"""

from __future__ import annotations

import re

import numpy as np
import xxhash

# Lines shorter than this (whitespace removed) carry no evidence: "}", "else:", "end", "*/".
MIN_INFORMATIVE_LINE = 6

_TOKEN_RE = re.compile(
    r"""
      (?P<str>"(?:[^"\\\n]|\\.){0,2000}"|'(?:[^'\\\n]|\\.){0,2000}'|`(?:[^`\\]|\\.){0,2000}`)
    | (?P<com>\#[^\n]*|//[^\n]*|/\*.*?\*/|<!--.*?-->)
    | (?P<id>[A-Za-z_$][\w$]*)
    | (?P<num>\d[\w.]*)
    | (?P<op>[^\w\s])
    """,
    re.VERBOSE | re.DOTALL,
)

# Keywords kept as themselves in the abstracted stream: the shape of control flow is evidence,
# the names are not. A union over common languages; a word that is a keyword in one language
# and an identifier in another only makes a shape slightly more specific.
KEYWORDS = frozenset(
    """
    and as assert async await break case catch class const continue def default del delete do
    elif else enum except export extends false finally fn for from func function go if impl
    import in instanceof interface is lambda let loop match mod new nil none not null or
    package pass private protected pub public raise return self static struct super switch
    this throw throws true try type typeof use var void while with yield None True False
    """.split()
)


def normalize_newlines(text: str) -> str:
    """LF line endings, no BOM, no trailing whitespace on lines, no trailing blank lines."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


_WS_RE = re.compile(r"\s+")


def ws_lines(text: str) -> list[str]:
    """Non-blank lines with all whitespace removed (input: newline-normalized text)."""
    out = []
    for line in text.split("\n"):
        squeezed = _WS_RE.sub("", line)
        if squeezed:
            out.append(squeezed)
    return out


def line_hashes(lines: list[str]) -> np.ndarray:
    """32-bit hashes of lines (xxh32, seed 0): the unit of line containment and postings."""
    return np.fromiter((xxhash.xxh32_intdigest(s.encode("utf-8", "surrogatepass")) for s in lines),
                       dtype=np.uint32, count=len(lines))


def informative(lines: list[str]) -> np.ndarray:
    """Boolean mask: lines long enough to be evidence of derivation."""
    return np.fromiter((len(s) >= MIN_INFORMATIVE_LINE for s in lines), dtype=bool, count=len(lines))


def tokens(text: str) -> tuple[list[str], list[str]]:
    """Return ``(tokens, shapes)``: comments dropped; in shapes, names/numbers/strings abstracted."""
    toks: list[str] = []
    shapes: list[str] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        tok = m.group()
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


def tokens_and_shape_lines(text: str) -> tuple[list[str], list[str]]:
    """One pass: the token stream (comments dropped) and, per line holding tokens, its shape."""
    toks: list[str] = []
    lines: list[str] = []
    current: list[str] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        if text.count("\n", pos, m.start()):
            if current:
                lines.append(" ".join(current))
                current = []
        pos = m.end()
        kind = m.lastgroup
        if kind == "com":
            continue
        tok = m.group()
        toks.append(tok)
        if kind == "id":
            current.append(tok if tok in KEYWORDS else "I")
        elif kind == "num":
            current.append("0")
        elif kind == "str":
            current.append("S")
        else:
            current.append(tok)
    if current:
        lines.append(" ".join(current))
    return toks, lines


def token_hashes(toks: list[str]) -> np.ndarray:
    return np.fromiter((xxhash.xxh32_intdigest(t.encode("utf-8", "surrogatepass")) for t in toks),
                       dtype=np.uint32, count=len(toks))


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
    for j in range(k):
        acc = acc * mult + h[j : n - k + 1 + j]
    acc ^= acc >> np.uint64(29)
    return (acc & np.uint64(0xFFFFFFFF)).astype(np.uint32)
