"""Hostile tokenizer input: starts that cannot match are masked, and nothing else changes."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from triage.fingerprint import starts, text, textvec

# Every character some alternative treats specially, a plain one, a blank and a non-ASCII one.
ALPHABET = ['"', "'", "`", "\\", "\n", "/", "*", "<", "!", "-", ">", "#", "a", " ", "é"]
UNITS = 3  # a small string bound, so that texts of a few dozen characters reach it


def _bytes_parts(pattern, raw: bytes) -> list[int]:
    return [len(p) for p in pattern.split(raw)]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
@example('"\\"\\"\\"\\"\n"')
@example("/*/ /* */ /* <!-- --> <!--")
@example("`\\`\\``")
@example('"a\\\\" x')  # a quote after two backslashes is not escaped
@example("/* /*/")  # the last closer's star belongs to a dead opener too
@example("<!----> <!--")  # an opener right before the last closer, and a dead one after
@example('\\"aaaa" \\\'aa a\'')  # a run of plain characters is one unit (bytes)
def test_masking_keeps_every_match(t: str):
    raw = t.encode()
    pattern = textvec.str_com_re(UNITS)
    # budget 0: escaped quotes are examined however few (the tokenizers skip that when cheap).
    assert _bytes_parts(pattern, starts.masked(raw, UNITS, runs=True, budget=0)) == _bytes_parts(pattern, raw)
    regex = text.token_re(UNITS)
    spans = [(m.span(), m.lastgroup) for m in regex.finditer(t)]
    masked = starts.masked(t, UNITS, runs=False, budget=0)
    assert [(m.span(), m.lastgroup) for m in regex.finditer(masked)] == spans


def test_dead_starts_of_each_kind():
    t = b'/* a */ x /* open\n"\\" y\n`\\`` <!-- z'
    pos = starts.dead_starts(t, 2000, runs=True, budget=0).tolist()
    # the second /*'s star, the escaped " (the line ends first) and the <; not the closing ` (live).
    assert pos == [t.index(b"/* open") + 1, t.index(b'\\"') + 1, t.index(b"<!--")]


HOSTILE = {
    "unclosed comments": b"/* " * 130_000,
    "escaped quotes on one line": b'"' + b'\\"' * 200_000,
    "unclosed html comments": b"<!-- " * 80_000,
    "escaped backticks": b"`" + b"\\`" * 200_000,
}


class _VainScanGuard:
    """Stands in for a tokenizer's compiled regex. Before the regex runs, checks that its input
    holds no start that would scan ahead in vain: the work masking removes (each such start costs
    a scan to the end of the text or of its string's unit bound), counted instead of timed."""

    def __init__(self, regex, runs: bool) -> None:
        self.regex, self.runs, self.inputs = regex, runs, 0

    def __getattr__(self, name: str):
        return getattr(self.regex, name)

    def _check(self, src) -> None:
        self.inputs += 1
        dead = starts.dead_starts(src, textvec.MAX_STRING_UNITS, self.runs, budget=0)
        assert len(dead) == 0, f"{len(dead)} starts scan ahead in vain (first at {dead[0]})"

    def finditer(self, src, *args):
        self._check(src)
        return self.regex.finditer(src, *args)

    def split(self, src, *args):
        self._check(src)
        return self.regex.split(src, *args)


@pytest.fixture
def guarded(monkeypatch):
    """Every regex the tokenizers run, guarded (bytes: a plain run is one unit; text: a character)."""
    guards = {}
    for module, attr, runs in ((text, "_TOKEN_RE", False), (text, "_STR_COM_RE", False),
                               (textvec, "_STR_COM_RE", True)):
        guards[f"{module.__name__}.{attr}"] = guard = _VainScanGuard(getattr(module, attr), runs)
        monkeypatch.setattr(module, attr, guard)
    return guards


def test_hostile_texts_are_linear(guarded):
    # Before masking, 100 KB of each took 11-63 s (each start scanned the rest of the file).
    # Work, not time: no regex is ever handed a start that would scan ahead in vain.
    for name, raw in HOSTILE.items():
        masked = starts.masked(raw, textvec.MAX_STRING_UNITS, runs=True)
        # No start is left that would scan ahead in vain (the one bare opening quote fails once).
        for opener in (b"/*", b"<!--", b'\\"', b"\\`"):
            assert masked.count(opener) == 0, name
        toks = textvec.features(raw).tokens
        assert len(toks) == len(text.tokens(raw.decode())[0]) > 200_000, name
        assert text.tokens_and_shape_lines(raw.decode())[0] == text.tokens(raw.decode())[0], name
    assert all(g.inputs >= len(HOSTILE) for g in guarded.values()), {k: g.inputs for k, g in guarded.items()}
