"""Records that cross module boundaries: frozen dataclasses and the Verdict enum.

Data flows one way: drop -> Member -> Fingerprint (triage.fingerprint) -> candidates
(triage.matcher) -> Finding -> Report.
Every record here is plain data (no I/O), so stages can be tested in isolation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    """What a dropped file is, relative to the internal inventory."""

    REAL = "real"  # bytes equal the current content of some internal file (any path)
    OUTDATED = "outdated"  # bytes equal an older internal version, and no current one
    ALTERED = "altered"  # derived from internal content, then modified
    FABRICATED = "fabricated"  # not derived from internal content

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


VERDICT_ORDER = (Verdict.ALTERED, Verdict.FABRICATED, Verdict.OUTDATED, Verdict.REAL)


@dataclass(frozen=True)
class Spilled:
    """Bytes too large to hold in memory (model weights), left in a file that is mapped read-only
    when fingerprinted: the drop's or the inventory's own file, or a copy in a work folder."""

    path: str
    size: int
    temporary: bool = False  # a copy triage made: removed once fingerprinted
    git_oid: str = ""  # the blob id when the source already knows it (git); never recomputed


@dataclass(frozen=True)
class Member:
    """One regular file read out of a drop.

    ``path`` is the member's path as written in the archive (nested archives joined with ``!``),
    already made safe for display. ``data`` holds the bytes, read under the reader's limits;
    for a member too large for memory (model weights over the member limit) ``data`` is empty
    and ``spilled`` says where its bytes are.
    """

    path: str
    data: bytes
    mtime: float | None = None
    notes: tuple[str, ...] = ()
    spilled: Spilled | None = None

    @property
    def size(self) -> int:
        return self.spilled.size if self.spilled is not None else len(self.data)

    @property
    def content(self) -> bytes | Spilled:
        """What ``fingerprint()`` reads: the bytes, or the file they were spilled to."""
        return self.spilled if self.spilled is not None else self.data


@dataclass(frozen=True)
class Skipped:
    """A drop member that was not triaged, and why (a result, not an exception)."""

    path: str
    reason: str  # a short code from triage.read.reasons
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    """The verdict on one dropped file with its reasons and evidence (JSON-ready dict)."""

    path: str
    size: int
    sha256: str
    mime: str
    verdict: Verdict
    confidence: float
    reasons: tuple[str, ...]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The one result document; every renderer is a function of it alone."""

    schema: str
    tool: dict[str, Any]
    drop: dict[str, Any]
    inventory: dict[str, Any]
    files: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    snapshot: dict[str, Any]
    summary: dict[str, int]
    generated_at: str
    verdict_text: tuple[str, ...] = ()  # the drop's verdict in plain sentences, first in every output
    signatures: tuple[dict[str, Any], ...] = ()  # rule hits: {rule, kind, action, path, line, redacted, ...}
    ruleset: dict[str, Any] = field(default_factory=dict)  # {"id": sha256 of sorted rule hashes, "rules": n}
    embedded_repos: tuple[dict[str, Any], ...] = ()  # .git folders and bundles in the drop: internal vs foreign commits
    extra: dict[str, Any] = field(default_factory=dict)
