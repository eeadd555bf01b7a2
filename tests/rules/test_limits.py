"""Bounded work: long lines, adversarial near-misses, per-rule caps.

Work is counted, not timed: every regex run is checked before it starts (the windows of text the
engine gives a rule's regexes) and while it goes (the matches they yield). No line over
MAX_REGEX_LINE reaches a regex, a rule's windows cover each character at most once, and at most
MAX_CANDIDATES_PER_RULE matches are examined per rule. A run out of bounds fails at once, before
it costs anything. (What one regex costs on one window is its own shape: nested repeats are
refused by the lint, see test_builtin.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from triage.rules import engine
from triage.rules.engine import MAX_CANDIDATES_PER_RULE, MAX_REGEX_LINE


@dataclass
class _Run:
    """One rule's regexes over one text (one ``_Matcher._regex`` call)."""

    rule: str
    windows: list[tuple[int, int]]
    longest: int  # longest line inside a window
    examined: int = 0  # matches the regexes yielded


class _CountingPattern:
    """A compiled rule regex that counts the matches it yields to the engine, within the cap."""

    def __init__(self, pattern, run: _Run) -> None:
        self.pattern, self.run = pattern, run

    def __getattr__(self, name: str):
        return getattr(self.pattern, name)

    def finditer(self, text: str, pos: int, endpos: int):
        for m in self.pattern.finditer(text, pos, endpos):
            self.run.examined += 1
            assert self.run.examined <= MAX_CANDIDATES_PER_RULE + 1, (self.run.rule, "candidates uncapped")
            yield m


def _checked(rule: str, text: str, windows: list[tuple[int, int]]) -> _Run:
    ends = [0] + [x for w in windows for x in w] + [len(text)]
    assert ends == sorted(ends), (rule, "windows overlap or repeat", windows[:5])
    longest = max((max(map(len, text[a:b].split("\n"))) for a, b in windows), default=0)
    assert longest <= MAX_REGEX_LINE, (rule, f"a line of {longest} characters reaches a regex")
    return _Run(rule, windows, longest)


@pytest.fixture
def regex_runs(monkeypatch) -> list[_Run]:
    runs: list[_Run] = []
    real = engine._Matcher._regex

    def checked(self, i, c, text, ranges, counts):  # type: ignore[no-untyped-def]
        run = _checked(c.rule.id, text, list(ranges))
        runs.append(run)
        counted = dataclasses.replace(c, patterns=tuple(_CountingPattern(p, run) for p in c.patterns))
        return real(self, i, counted, text, ranges, counts)

    monkeypatch.setattr(engine._Matcher, "_regex", checked)
    return runs


def test_one_megabyte_adversarial_line(builtin, regex_runs):
    line = ("eyJ" + "a" * 7 + "." + "ghp_" + "A" * 30 + "-----BEGIN PRIVATE KEY-----" + "AKIA" + "2" * 15
            + "password='" + "curl x " * 3) * 10_000
    text = line[:1_000_000] + "\nAKIA6LAXYOEYZGCHNYG2\n"
    hits = builtin.scan_text("big.js", text)
    assert [(h["rule"], h["line"]) for h in hits] == [("aws-access-key-id", 2)]  # the long line is skipped
    assert regex_runs, "no regex ran: nothing was measured"
    # Only the short line reaches a regex: not one character of the megabyte line.
    assert all(a >= 1_000_000 for run in regex_runs for a, _ in run.windows)


def test_near_misses_just_under_the_line_limit(builtin, regex_runs):
    """Every rule's positive examples, cut short and repeated to a line just under the regex limit:
    the shape that makes a backtracking regex go quadratic or worse. The lines reach the regexes
    whole, each once per rule, and the matches examined stop at the cap."""
    n = MAX_REGEX_LINE - 10
    for rule in builtin.rules:
        for ex in rule.positive:
            for cut in (len(ex.text) // 2, len(ex.text) - 1):
                piece = ex.text[:cut].replace("\n", " ") or "x"
                line = (piece * (n // len(piece) + 1))[:n]
                text = "\n".join([line] * 3)
                builtin.scan_text(ex.path or "f.py", text)
                builtin.scan_added(ex.path or "f.py", [(1, line)])
    assert max(run.longest for run in regex_runs) == n  # maximal lines were scanned
    assert max(run.examined for run in regex_runs) == MAX_CANDIDATES_PER_RULE + 1  # the cap was reached


def test_many_short_lines_of_keywords(builtin, regex_runs):
    text = "password token secret eyJ AKIA ghp_ -----BEGIN PRIVATE KEY-----\n" * 20_000
    assert builtin.scan_text("k.txt", text) == []
    # Each line once per rule, however many keywords it holds (checked as each run starts).
    assert regex_runs and len({run.rule for run in regex_runs}) == len(regex_runs)
