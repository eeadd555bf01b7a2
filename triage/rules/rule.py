"""A signature rule as loaded from YAML (plain, frozen data) and the error a bad rule file raises."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from triage.errors import TriageError

KINDS = ("secret", "canary", "marker", "policy")


class RuleError(TriageError):
    """A rule file cannot be loaded: the message names the file and the problem."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"signatures: {problems[0]}{more}" if problems else "signatures: invalid rules")


@dataclass(frozen=True)
class Example:
    """A rule's own positive or negative example: text, optionally at a member path."""

    text: str
    path: str = ""
    recipient: str | None = None  # (canary) the copy a hit on this example must name


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    severity: str  # critical | high | medium | low | info
    kind: str  # secret | canary | marker | policy
    action: str  # rotate | attribute | flag
    source: str  # the rule file it came from
    sha256: str  # of that file's bytes
    enabled: bool = True
    generic: bool = False  # a catch-all: yields to a specific rule reporting an overlapping match
    scope: tuple[str, ...] = ("file",)  # "file" (whole members) and/or "added" (lines an altered file adds)
    regex: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    multiline: bool = False  # a match may span lines: keyword-gated regexes then run past the keyword's line
    ignore_case: bool = False
    word: bool = False
    min_length: int = 1
    entropy: float | None = None
    validate: str | None = None
    placeholders: bool = True
    allow: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    mime: tuple[str, ...] = ()
    max_size: int | None = None
    references: tuple[str, ...] = ()
    recipients: tuple[tuple[str, str], ...] = ()  # (canary) planted token, copy it was given as
    positive: tuple[Example, ...] = ()
    negative: tuple[Example, ...] = ()

    def recipient(self, token: str) -> str | None:
        for key, who in self.recipients:
            if key == token or (self.ignore_case and key.lower() == token.lower()):
                return who
        return None

    def applies(self, path: str, mime: str = "", size: int = 0) -> bool:
        """Whether the rule runs on a member at ``path`` of this type and size."""
        if self.max_size is not None and size > self.max_size:
            return False
        if self.mime and mime and not any(fnmatch.fnmatchcase(mime, m) for m in self.mime):
            return False
        name = path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
        if self.paths and not any(_glob(path, name, g) for g in self.paths):
            return False
        return not any(_glob(path, name, g) for g in self.exclude)


def _glob(path: str, name: str, pattern: str) -> bool:
    if "/" not in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return fnmatch.fnmatchcase(path, pattern)
