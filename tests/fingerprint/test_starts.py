"""Hostile tokenizer input: starts that cannot match are masked, and nothing else changes."""

from __future__ import annotations

import time

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


def test_hostile_texts_are_linear():
    # Before masking, 100 KB of each took 11-63 s (each start scanned the rest of the file).
    t0 = time.perf_counter()
    for name, raw in HOSTILE.items():
        masked = starts.masked(raw, textvec.MAX_STRING_UNITS, runs=True)
        # No start is left that would scan ahead in vain (the one bare opening quote fails once).
        for opener in (b"/*", b"<!--", b'\\"', b"\\`"):
            assert masked.count(opener) == 0, name
        toks = textvec.features(raw).tokens
        assert len(toks) == len(text.tokens(raw.decode())[0]) > 200_000, name
        assert text.tokens_and_shape_lines(raw.decode())[0] == text.tokens(raw.decode())[0], name
    assert time.perf_counter() - t0 < 30  # ~2 s here, against minutes before
