"""Read rule files (YAML, one rule or a small list of rules per file), validate and lint them.

Every problem is reported as "<file>: <problem>" so that a user can fix the file it names.
Only ``yaml.safe_load`` is used: rule folders may come from users.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from triage.rules.rule import Example, Rule
from triage.rules.schema import RULE_SCHEMA

# the regex parser, to look for nested repeats (re._parser since 3.11, sre_parse before)
_sre_c: Any
_sre_p: Any
try:
    _sre_c, _sre_p = importlib.import_module("re._constants"), importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _sre_c, _sre_p = importlib.import_module("sre_constants"), importlib.import_module("sre_parse")

SUFFIXES = (".yml", ".yaml")
# Rule files a user is meant to copy and fill in (org-markers.example.yml): skipped when a folder
# is read, loaded only when renamed or named explicitly.
EXAMPLE_SUFFIXES = (".example.yml", ".example.yaml")
# A rule file larger than this is not a rule file (the built-in ones are 1-4 KB).
MAX_RULE_FILE_BYTES = 256 * 1024
# Regex flags every rule pattern is compiled with: ^ and $ anchor at lines.
REGEX_FLAGS = re.MULTILINE
# An outer repeat allowing more iterations than this must not hold a variable-length repeat or an
# alternation: (a+)+ and (a|ab)* backtrack exponentially on a long near-miss.
MAX_NESTED_REPEAT = 16

_VALIDATOR = jsonschema.Draft202012Validator(RULE_SCHEMA)


def rule_files(dirs: Sequence[Path]) -> list[Path]:
    """The rule files under ``dirs`` (recursively; hidden entries and *.example.yml skipped) and
    the files named in ``dirs`` themselves, in a stable order."""
    out: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            out.append(d)
            continue
        for p in sorted(d.rglob("*")):
            rel = p.relative_to(d).parts
            if (p.is_file() and p.suffix in SUFFIXES and not p.name.endswith(EXAMPLE_SUFFIXES)
                    and not any(s.startswith(".") for s in rel)):
                out.append(p)
    return out


def ruleset_id(file_hashes: Iterable[str]) -> str:
    """SHA-256 of the sorted SHA-256 (hex) of every rule file, one per line."""
    return hashlib.sha256("\n".join(sorted(file_hashes)).encode()).hexdigest()


def read_rules(dirs: Sequence[Path]) -> tuple[list[Rule], list[str], list[str]]:
    """(rules, per-file sha256, problems) for every rule file under ``dirs``."""
    rules: list[Rule] = []
    hashes: list[str] = []
    problems: list[str] = []
    for d in dirs:
        if not Path(d).exists():
            problems.append(f"{d}: no such rule file or directory")
    seen: dict[str, str] = {}
    for path in rule_files([d for d in dirs if Path(d).exists()]):
        file_rules, sha, errs = _read_file(path)
        problems.extend(errs)
        if sha:
            hashes.append(sha)
        for r in file_rules:
            if r.id in seen:
                problems.append(f"{path}: duplicate rule id {r.id!r} (also in {seen[r.id]})")
                continue
            seen[r.id] = str(path)
            rules.append(r)
    return rules, hashes, problems


def _read_file(path: Path) -> tuple[list[Rule], str, list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        return [], "", [f"{path}: cannot read ({e.strerror or e})"]
    sha = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_RULE_FILE_BYTES:
        return [], sha, [f"{path}: larger than {MAX_RULE_FILE_BYTES} bytes"]
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return [], sha, [f"{path}: not UTF-8 text"]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        return [], sha, [f"{path}: invalid YAML{where}: {what}"]
    if isinstance(doc, dict):
        docs, pack = [doc], False
    elif isinstance(doc, list) and doc:
        docs, pack = doc, True
    else:
        return [], sha, [f"{path}: expected a rule (a mapping) or a list of rules"]
    rules: list[Rule] = []
    problems: list[str] = []
    for i, d in enumerate(docs):
        where = str(path)
        if pack:
            rid = d.get("id") if isinstance(d, dict) else None
            where = f"{path}: rule {i + 1}" + (f" ({rid})" if isinstance(rid, str) else "")
        errs = _schema_problems(d)
        if not errs:
            rule = _build(d, path, sha)
            errs = _regex_problems(rule)
        problems.extend(f"{where}: {e}" for e in errs)
        if not errs:
            rules.append(rule)
    return rules, sha, problems


def _schema_problems(doc: object) -> list[str]:
    errors = sorted(_VALIDATOR.iter_errors(doc),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    out = []
    for e in errors[:3]:
        at = ".".join(str(p) for p in e.absolute_path)
        msg = e.message if len(e.message) <= 200 else e.message[:200] + "…"
        out.append(f"{at}: {msg}" if at else msg)
    return out


def _examples(items: list) -> tuple[Example, ...]:
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(Example(it))
        else:
            out.append(Example(it["text"], it.get("path", ""), it.get("recipient")))
    return tuple(out)


def _build(d: dict, path: Path, sha: str) -> Rule:
    m = d.get("match", {})
    f = d.get("files", {})
    kind = d["kind"]
    recipients = tuple(sorted(d.get("recipients", {}).items()))
    literals = tuple(m.get("literals", ()))
    if kind == "canary" and not m.get("regex"):
        literals = tuple(dict.fromkeys(literals + tuple(k for k, _ in recipients)))
    return Rule(
        id=d["id"], title=d["title"], description=d["description"].strip(), severity=d["severity"],
        kind=kind, action=d["action"], source=str(path), sha256=sha,
        enabled=d.get("enabled", True), generic=d.get("generic", False),
        scope=tuple(d.get("scope", ["added"] if kind == "policy" else ["file"])),
        regex=tuple(m.get("regex", ())), literals=literals, keywords=tuple(m.get("keywords", ())),
        multiline=m.get("multiline", False),
        ignore_case=m.get("ignore_case", False), word=m.get("word", False),
        min_length=m.get("min_length", 1), entropy=m.get("entropy"), validate=m.get("validate"),
        placeholders=m.get("placeholders", kind == "secret"), allow=tuple(m.get("allow", ())),
        paths=tuple(f.get("paths", ())), exclude=tuple(f.get("exclude", ())), mime=tuple(f.get("mime", ())),
        max_size=f.get("max_size"), references=tuple(d.get("references", ())), recipients=recipients,
        positive=_examples(d["examples"]["positive"]), negative=_examples(d["examples"]["negative"]),
    )


def _regex_problems(rule: Rule) -> list[str]:
    out = []
    flags = REGEX_FLAGS | (re.IGNORECASE if rule.ignore_case else 0)
    for label, patterns in (("match.regex", rule.regex), ("match.allow", rule.allow)):
        for i, pat in enumerate(patterns):
            try:
                compiled = re.compile(pat, flags)
            except re.error as e:
                out.append(f"{label}.{i}: invalid regular expression: {e}")
                continue
            if compiled.search("") is not None:
                out.append(f"{label}.{i}: matches the empty string")
            danger = nested_repeat(pat)
            if danger:
                out.append(f"{label}.{i}: {danger} (catastrophic backtracking); rewrite it flat")
    return out


def nested_repeat(pattern: str) -> str:
    """Why ``pattern`` could backtrack catastrophically ('' when it looks safe).

    A repeat allowing more than MAX_NESTED_REPEAT iterations may not contain a variable-length
    repeat or an alternation. A heuristic: it rejects the classic shapes, not every slow regex.
    """
    try:
        parsed = _sre_p.parse(pattern)
    except Exception:  # pragma: no cover - compile already failed
        return ""
    return _walk(list(parsed), False)


_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", _sre_c.MAX_REPEAT)}


def _walk(items: list, in_wide: bool) -> str:
    for op, av in items:
        if op in _REPEATS:
            lo, hi, sub = av
            if in_wide and lo != hi:
                return "a variable-length repeat inside a repeat"
            wide = hi == _sre_c.MAXREPEAT or hi > MAX_NESTED_REPEAT
            found = _walk(list(sub), in_wide or wide)
            if found:
                return found
        elif op is _sre_c.BRANCH:
            if in_wide:
                return "an alternation inside a repeat"
            for alt in av[1]:
                found = _walk(list(alt), in_wide)
                if found:
                    return found
        elif op is _sre_c.SUBPATTERN:
            found = _walk(list(av[-1]), in_wide)
            if found:
                return found
        elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            found = _walk(list(av[1]), in_wide)
            if found:
                return found
        elif op is getattr(_sre_c, "ATOMIC_GROUP", None):
            continue  # atomic groups never backtrack into
    return ""
