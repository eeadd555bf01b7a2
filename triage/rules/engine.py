"""Run a ruleset over text: one Aho-Corasick automaton for every literal and keyword, regexes
compiled once and run only where their keywords appear, candidates checked, hits redacted.

A hit never holds a secret whole: only its redacted form and its SHA-256 fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import ahocorasick

from triage.rules.checks import VALIDATORS, entropy, fingerprint, is_placeholder, redact
from triage.rules.load import REGEX_FLAGS
from triage.rules.rule import Rule

# Regexes skip lines longer than this (minified bundles, data blobs): bounds regex time per line.
MAX_REGEX_LINE = 100_000
# Hits reported per rule per member: a file of 10,000 keys needs rotating as a whole, not 10,000 lines.
MAX_HITS_PER_RULE = 50
# Regex matches examined per rule per member (validators cost): bounds work on pathological files.
MAX_CANDIDATES_PER_RULE = 2_000
# Characters of a marker or policy match kept as the hit's excerpt (secrets inside are redacted).
EXCERPT_CHARS = 120

_LONG_LINE = re.compile(rf"^[^\n]{{{MAX_REGEX_LINE + 1},}}", re.MULTILINE)
_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}
_KW, _LIT = 0, 1


class _Raw(NamedTuple):
    rule: int  # index into the matcher's rules
    start: int  # span of the whole match
    end: int
    s_start: int  # span of the secret inside it
    s_end: int
    recipient: str | None


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    patterns: tuple[re.Pattern, ...]
    allow: tuple[re.Pattern, ...]


def _windows(text: str, ends: list[int]) -> list[tuple[int, int]]:
    """Where a keyword-gated regex runs: the lines holding a keyword, but those over MAX_REGEX_LINE.
    (A multiline rule runs instead from the first such line to the end of the text.)"""
    out: list[tuple[int, int]] = []
    stop = -1
    for pos in ends:
        if pos < stop:
            continue
        a = text.rfind("\n", 0, pos) + 1
        b = text.find("\n", pos)
        b = len(text) if b < 0 else b
        stop = b
        if b - a > MAX_REGEX_LINE:
            continue
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Matcher:
    """The compiled form of a list of rules: one automaton, compiled regexes."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: list[_Compiled] = []
        words: dict[str, list[tuple[int, int, str]]] = {}
        for i, r in enumerate(rules):
            flags = REGEX_FLAGS | (re.IGNORECASE if r.ignore_case else 0)
            self.rules.append(_Compiled(r, tuple(re.compile(p, flags) for p in r.regex),
                                        tuple(re.compile(p, flags) for p in r.allow)))
            if r.regex:
                for kw in r.keywords:
                    words.setdefault(kw.lower(), []).append((i, _KW, kw))
            for lit in r.literals:
                words.setdefault(lit.lower(), []).append((i, _LIT, lit))
        self.automaton: Any = None
        if words:
            self.automaton = ahocorasick.Automaton()
            for key, payload in words.items():
                self.automaton.add_word(key, (len(key), tuple(payload)))
            self.automaton.make_automaton()

    def scan(self, text: str, path: str = "", mime: str = "", size: int = 0,
             filters: bool = True) -> list[_Raw]:
        live = [i for i, c in enumerate(self.rules) if not filters or c.rule.applies(path, mime, size)]
        if not live or not text:
            return []
        live_set = set(live)
        out: list[_Raw] = []
        at: dict[int, list[int]] = {}  # keyword-gated rule -> where its keywords end in the text
        counts: dict[int, int] = {}
        if self.automaton is not None:
            low = text.lower()
            if len(low) != len(text):  # a few characters lower-case to two; keep offsets aligned
                low = text.translate(_ASCII_LOWER)
            for end, (n, payload) in self.automaton.iter(low):
                for i, role, word in payload:
                    if i not in live_set:
                        continue
                    if role == _KW:
                        at.setdefault(i, []).append(end)
                        continue
                    start = end + 1 - n
                    rule = self.rules[i].rule
                    if not rule.ignore_case and text[start:end + 1] != word:
                        continue
                    if rule.word and ((start > 0 and _is_word(text[start - 1])) or
                                      (end + 1 < len(text) and _is_word(text[end + 1]))):
                        continue
                    if counts.get(i, 0) >= MAX_HITS_PER_RULE:
                        continue
                    counts[i] = counts.get(i, 0) + 1
                    out.append(_Raw(i, start, end + 1, start, end + 1, rule.recipient(word)))
        ranges: list[tuple[int, int]] | None = None
        for i in live:
            c = self.rules[i]
            if not c.patterns:
                continue
            if c.rule.keywords and i not in at:
                continue
            if c.rule.keywords and not c.rule.multiline:
                windows = _windows(text, at[i])
            else:
                ranges = ranges if ranges is not None else self._ranges(text)
                first = text.rfind("\n", 0, at[i][0]) + 1 if c.rule.keywords else 0
                windows = [(max(a, first), b) for a, b in ranges if b > first]
            out.extend(self._regex(i, c, text, windows, counts))
        return out

    @staticmethod
    def _ranges(text: str) -> list[tuple[int, int]]:
        if len(text) <= MAX_REGEX_LINE:
            return [(0, len(text))]
        ranges, pos = [], 0
        for m in _LONG_LINE.finditer(text):
            if m.start() > pos:
                ranges.append((pos, m.start()))
            pos = m.end()
        if pos < len(text):
            ranges.append((pos, len(text)))
        return ranges

    def _regex(self, i: int, c: _Compiled, text: str, ranges: list[tuple[int, int]],
               counts: dict[int, int]) -> list[_Raw]:
        rule, examined = c.rule, 0
        out: list[_Raw] = []
        seen: set[tuple[int, int]] = set()
        for pat in c.patterns:
            named = "secret" in pat.groupindex
            for a, b in ranges:
                for m in pat.finditer(text, a, b):
                    examined += 1
                    if examined > MAX_CANDIDATES_PER_RULE or counts.get(i, 0) >= MAX_HITS_PER_RULE:
                        return out
                    s_start, s_end = m.span("secret") if named and m.group("secret") is not None else m.span()
                    if (s_start, s_end) in seen:
                        continue
                    secret = text[s_start:s_end]
                    if not self._accept(c, secret):
                        continue
                    seen.add((s_start, s_end))
                    counts[i] = counts.get(i, 0) + 1
                    out.append(_Raw(i, m.start(), m.end(), s_start, s_end,
                                    rule.recipient(secret) if rule.kind == "canary" else None))
        return out

    @staticmethod
    def _accept(c: _Compiled, secret: str) -> bool:
        rule = c.rule
        if len(secret) < rule.min_length:
            return False
        if rule.placeholders and is_placeholder(secret):
            return False
        if any(a.search(secret) for a in c.allow):
            return False
        if rule.entropy is not None and entropy(secret) < rule.entropy:
            return False
        return rule.validate is None or VALIDATORS[rule.validate](secret)


@dataclass(frozen=True)
class _Engine:
    file: _Matcher
    added: _Matcher
    secrets: _Matcher  # used to redact secrets inside marker and policy excerpts

    @classmethod
    def build(cls, rules: tuple[Rule, ...]) -> _Engine:
        on = [r for r in rules if r.enabled]
        return cls(_Matcher(r for r in on if "file" in r.scope),
                   _Matcher(r for r in on if "added" in r.scope),
                   _Matcher(r for r in on if r.kind == "secret"))


@dataclass(frozen=True)
class RuleSet:
    """Loaded rules and their id (SHA-256 of the sorted rule-file hashes); compiled once."""

    rules: tuple[Rule, ...]
    id: str
    _engine: _Engine = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_engine", _Engine.build(self.rules))

    def describe(self) -> dict[str, Any]:
        """For the report: {"id", "rules": enabled rules, "disabled": n}."""
        on = sum(r.enabled for r in self.rules)
        return {"id": self.id, "rules": on, "disabled": len(self.rules) - on}

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def scan_text(self, path: str, text: str, mime: str = "", size: int = 0) -> list[dict]:
        """Hits of the whole-member rules in one member's text, in the order of the text."""
        m = self._engine.file
        raws = m.scan(text, path, mime, size or len(text))
        return self._hits(m, path, text, raws, "file")

    def scan_added(self, path: str, added_lines: list[tuple[int, str]]) -> list[dict]:
        """Hits of the added-line rules (policy: trojanized copies) over the lines an altered file
        adds to its internal source, each given as (line number in the drop file, text)."""
        if not added_lines:
            return []
        m = self._engine.added
        text = "\n".join(t.replace("\r", "").replace("\n", " ") for _, t in added_lines)
        raws = m.scan(text, path, "", len(text))
        numbers = [n for n, _ in added_lines]
        return self._hits(m, path, text, raws, "added", numbers)

    def _hits(self, m: _Matcher, path: str, text: str, raws: list[_Raw], scope: str,
              numbers: list[int] | None = None) -> list[dict]:
        hits, seen = [], set()
        line, pos = 1, 0
        for raw in _distinct(m, raws):
            line += text.count("\n", pos, raw.start)  # the line where the match starts (a PEM's BEGIN)
            pos = raw.start
            rule = m.rules[raw.rule].rule
            secret = text[raw.s_start:raw.s_end]
            at = numbers[line - 1] if numbers is not None else line
            key = (rule.id, at, secret)
            if key in seen:
                continue
            seen.add(key)
            hit: dict[str, Any] = {
                "rule": rule.id, "kind": rule.kind, "action": rule.action, "severity": rule.severity,
                "title": rule.title, "path": path, "line": at, "scope": scope,
                "redacted": redact(_normal(secret).strip()), "fingerprint": fingerprint(_normal(secret)),
            }
            if rule.kind == "canary":
                hit["recipient"] = raw.recipient
            if rule.kind in ("marker", "policy"):
                hit["excerpt"] = self._excerpt(text[raw.start:raw.end])
            hits.append(hit)
        return hits

    def _excerpt(self, s: str) -> str:
        s = s[:EXCERPT_CHARS] + ("…" if len(s) > EXCERPT_CHARS else "")
        for raw in sorted(self._engine.secrets.scan(s, filters=False), key=lambda r: -r.s_start):
            s = s[:raw.s_start] + redact(s[raw.s_start:raw.s_end]) + s[raw.s_end:]
        return s


def _distinct(m: _Matcher, raws: list[_Raw]) -> list[_Raw]:
    """Raws in text order without overlaps within a rule, and without a generic rule's match
    where a specific rule matched an overlapping span (generic-secret-assignment yields to aws-...)."""
    raws = sorted(raws, key=lambda r: (r.start, r.rule, -r.s_end))
    specific = sorted((r.s_start, r.s_end) for r in raws if not m.rules[r.rule].rule.generic)
    out: list[_Raw] = []
    last_end: dict[int, int] = {}
    for r in raws:
        if r.s_start < last_end.get(r.rule, -1):
            continue
        if m.rules[r.rule].rule.generic and any(a < r.s_end and r.s_start < b for a, b in specific):
            continue
        last_end[r.rule] = r.s_end
        out.append(r)
    return out


def _normal(secret: str) -> str:
    """The form a secret is fingerprinted in: a multi-line secret (a key body, possibly with JSON
    escaped newlines) loses its line breaks and indentation, so the same key fingerprints alike
    in a PEM file and in a service-account JSON."""
    if len(secret) > 64 and ("\n" in secret or "\\n" in secret):
        return re.sub(r"\\n|\s", "", secret)
    return secret


def trojanized(hits: Iterable[dict]) -> bool:
    """Whether hits of ``scan_added`` mark the altered file as a trojanized copy."""
    return any(h["kind"] == "policy" and h.get("scope") == "added" for h in hits)


def selftest(ruleset: RuleSet) -> list[str]:
    """Every rule (enabled or not) against its own examples: failures as "rule id: ..." lines."""
    failures = []
    for rule in ruleset.rules:
        m = _Matcher([rule])
        for label, examples, want in (("positive", rule.positive, True), ("negative", rule.negative, False)):
            for n, ex in enumerate(examples, 1):
                raws = m.scan(ex.text, ex.path, "", len(ex.text), filters=bool(ex.path))
                if want and not raws:
                    failures.append(f"{rule.id}: {label} example {n} should match")
                elif want and ex.recipient is not None and ex.recipient not in {r.recipient for r in raws}:
                    failures.append(f"{rule.id}: {label} example {n} should name recipient {ex.recipient!r}")
                elif not want and raws:
                    shown = redact(ex.text[raws[0].s_start:raws[0].s_end])
                    failures.append(f"{rule.id}: {label} example {n} should not match (matched {shown})")
    return failures
