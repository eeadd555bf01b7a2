"""Bounded work: long lines, adversarial near-misses, per-rule caps."""

from __future__ import annotations

import time

from triage.rules.engine import MAX_REGEX_LINE

# generous bounds: the point is "linear", not a benchmark (each takes well under a second)
BUDGET_S = 5.0


def test_one_megabyte_adversarial_line(builtin):
    line = ("eyJ" + "a" * 7 + "." + "ghp_" + "A" * 30 + "-----BEGIN PRIVATE KEY-----" + "AKIA" + "2" * 15
            + "password='" + "curl x " * 3) * 10_000
    text = line[:1_000_000] + "\nAKIA6LAXYOEYZGCHNYG2\n"
    t = time.perf_counter()
    hits = builtin.scan_text("big.js", text)
    assert time.perf_counter() - t < BUDGET_S
    assert [(h["rule"], h["line"]) for h in hits] == [("aws-access-key-id", 2)]  # the long line is skipped


def test_near_misses_just_under_the_line_limit(builtin):
    """Every rule's positive examples, cut short and repeated to a line just under the regex limit:
    the shape that makes a backtracking regex go quadratic or worse."""
    worst, worst_rule = 0.0, ""
    n = MAX_REGEX_LINE - 10
    for rule in builtin.rules:
        for ex in rule.positive:
            for cut in (len(ex.text) // 2, len(ex.text) - 1):
                piece = ex.text[:cut].replace("\n", " ") or "x"
                line = (piece * (n // len(piece) + 1))[:n]
                text = "\n".join([line] * 3)
                t = time.perf_counter()
                builtin.scan_text(ex.path or "f.py", text)
                builtin.scan_added(ex.path or "f.py", [(1, line)])
                dt = time.perf_counter() - t
                if dt > worst:
                    worst, worst_rule = dt, rule.id
    assert worst < BUDGET_S, (worst_rule, worst)


def test_many_short_lines_of_keywords(builtin):
    text = "password token secret eyJ AKIA ghp_ -----BEGIN PRIVATE KEY-----\n" * 20_000
    t = time.perf_counter()
    assert builtin.scan_text("k.txt", text) == []
    assert time.perf_counter() - t < BUDGET_S
