"""Signatures: YAML rules that find credentials to rotate, canaries naming a recipient's copy,
an organisation's own markers, and policy breaches in the lines an altered file adds.

Rules live one per file (or in small lists) in the top-level ``signatures/`` folder and in
folders a user adds; each is validated against ``RULE_SCHEMA`` and carries its own positive and
negative examples (``selftest``). A ruleset's id is the SHA-256 of its sorted rule-file hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from triage.rules.engine import RuleSet, selftest, trojanized
from triage.rules.load import read_rules, ruleset_id
from triage.rules.rule import Example, Rule, RuleError
from triage.rules.schema import RULE_SCHEMA

__all__ = ["BUILTIN_DIR", "Example", "RULE_SCHEMA", "Rule", "RuleError", "RuleSet", "lint", "load_rules",
           "selftest", "trojanized"]


def _builtin_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "signatures", here.parents[1] / "signatures"):
        if candidate.is_dir():
            return candidate
    return here.parents[2] / "signatures"


BUILTIN_DIR: Path = _builtin_dir()


def load_rules(extra_dirs: Sequence[Path] = (), include_builtin: bool = True) -> RuleSet:
    """The built-in rules plus those under ``extra_dirs``, validated and compiled once.

    Raises RuleError naming the first bad file and problem (all of them in ``.problems``).
    """
    dirs = ([BUILTIN_DIR] if include_builtin else []) + [Path(d) for d in extra_dirs]
    rules, hashes, problems = read_rules(dirs)
    if problems:
        raise RuleError(problems)
    return RuleSet(tuple(rules), ruleset_id(hashes))


def lint(dirs: Sequence[Path]) -> list[str]:
    """Problems with the rule files under ``dirs`` ("file: problem"; empty when all is well):
    YAML, schema, duplicate ids, examples, invalid or backtracking-prone regexes, keywords."""
    rules, _, problems = read_rules([Path(d) for d in dirs])
    for r in rules:
        if r.keywords and r.regex:
            kws = [k.lower() for k in r.keywords]
            for n, ex in enumerate(r.positive, 1):
                if not any(k in ex.text.lower() for k in kws):
                    problems.append(f"{r.source}: {r.id}: positive example {n} holds none of the keywords "
                                    "(the regexes never run on it)")
        if not r.references and r.kind == "secret":
            problems.append(f"{r.source}: {r.id}: a secret rule should cite references "
                            "(where the format is documented)")
    return problems
