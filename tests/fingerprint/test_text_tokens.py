"""The scan-time tokenizer and line squeezer against their one-pattern reference forms.

``tokens_and_shape_lines`` finds strings and comments first, then the code between them; it
must give exactly the tokens and shape lines of the single-regex scan it replaced (token
containment and shape ratios, hence verdicts, depend on them).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.fingerprint import text
from triage.fingerprint.textvec import KEYWORDS

_WS_RE = re.compile(r"\s+")


def _reference(src: str) -> tuple[list[str], list[str]]:
    """The single-pattern scan (``text._TOKEN_RE``): a newline between tokens ends a line."""
    toks: list[str] = []
    lines: list[str] = []
    current: list[str] = []
    pos = 0
    for m in text._TOKEN_RE.finditer(src):
        if src.count("\n", pos, m.start()) and current:
            lines.append(" ".join(current))
            current = []
        pos = m.end()
        kind, tok = m.lastgroup, m.group()
        if kind == "com":
            continue
        toks.append(tok)
        current.append({"id": tok if tok in KEYWORDS else "I", "num": "0", "str": "S"}.get(kind or "", tok))
    if current:
        lines.append(" ".join(current))
    return toks, lines


TRICKY = "\"'`#/*<!-\\\n\n\n  \t$_.0123xyzAB=(){};é日\u00a0\u2028\u0663"
CASES = [
    'x = "a # not a comment" # a comment\ny = \'it\\\'s\' // also\n',
    "/* multi\nline */ a /* unclosed\n b = `tpl\n${x}` <!-- html\n --> c",
    'unclosed "string\nnext = 1$x + 2.5e3 + 0x1F\n',
    "é_name = 日本 + x١٢ + \u00a0 y\n",
    "a\\\nb '\\\n' \"" + "q" * 2100 + "\"\n",
]


def test_tokens_equal_the_one_pattern_scan_on_real_sources():
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "triage").rglob("*.py"))[:60] + sorted((root / "tests").rglob("*.py"))[:20]
    for src in [*CASES, *(f.read_text(encoding="utf-8") for f in files)]:
        norm = text.normalize_newlines(src)
        assert text.tokens_and_shape_lines(norm) == _reference(norm)
        assert text.tokens_and_shape_lines(norm)[0] == text.tokens(norm)[0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(TRICKY), max_size=200))
def test_tokens_equal_the_one_pattern_scan_on_any_text(src: str):
    assert text.tokens_and_shape_lines(src) == _reference(src)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_ws_lines_drop_exactly_the_regex_whitespace(src: str):
    norm = text.normalize_newlines(src)
    expected = [sq for sq in (_WS_RE.sub("", line) for line in norm.split("\n")) if sq]
    assert text.ws_lines(norm) == expected


def test_batched_token_hashes_equal_whole_lists(monkeypatch):
    """Hashing tokens and shape lines in batches gives the hashes of the whole lists."""
    from triage.fingerprint import text as T

    src = "\n".join(f"def f{i}(x, y='s{i}'):  # c\n    return x + {i} * y /* z */" for i in range(300))
    toks, lines = T.tokens_and_shape_lines(src)
    monkeypatch.setattr(T, "HASH_BATCH", 7)
    th, sh = T.token_and_shape_hashes(src)
    assert np.array_equal(th, T.token_hashes(toks)) and np.array_equal(sh, T.token_hashes(lines))
    assert len(th) == len(toks) > 3000
