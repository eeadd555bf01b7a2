"""Records that cross module boundaries: frozen dataclasses and the Verdict enum.

Data flows one way: drop -> Member -> Fingerprint -> Candidate -> Finding -> Report.
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
class Member:
    """One regular file read out of a drop.

    ``path`` is the member's path as written in the archive (nested archives joined with ``!``),
    already made safe for display. ``data`` holds the bytes, read under the reader's limits.
    """

    path: str
    data: bytes
    mtime: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Skipped:
    """A drop member that was not triaged, and why (a result, not an exception)."""

    path: str
    reason: str  # a short code from triage.read.reasons
    detail: str = ""


@dataclass(frozen=True)
class Fingerprint:
    """Everything triage computes from one content's bytes (drop file or inventory blob)."""

    sha256: str
    git_oid: str
    size: int
    mime: str
    kind: str  # "text" or "binary"
    norm_sha256: str | None = None  # text with line endings/trailing space normalized
    ws_sha256: str | None = None  # text with all whitespace removed (format-insensitive)
    struct_sha256: str | None = None  # token stream with names/literals/comments abstracted
    lines: tuple[int, ...] = ()  # per-line (or per-chunk for binaries) 32-bit hashes, in order
    code_mask: tuple[bool, ...] = ()  # per entry of ``lines``: True when the line is code
    struct_lines: tuple[int, ...] = ()  # per-line hashes of the abstracted token stream
    minhash: bytes | None = None  # LeanMinHash.serialize() layout, little-endian
    tlsh: str | None = None
    language: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """Where an internal content lived: at one path, in which commits and when."""

    path: str
    blob: str  # git blob id of the internal content
    sha256: str
    commits: tuple[str, ...]  # commits that introduced this content at this path
    first_seen: str | None  # ISO-8601 UTC
    last_seen: str | None  # ISO-8601 UTC; None when still present at a tip
    current: bool  # present at the tip of its source's default branch
    source: str = ""


@dataclass(frozen=True)
class Candidate:
    """An internal content that a dropped file may derive from, with comparison figures."""

    content_id: int
    sha256: str
    blob: str
    occurrences: tuple[Occurrence, ...]
    shared_lines: int = 0
    jaccard: float = 0.0  # estimated from MinHash signatures
    containment_drop: float = 0.0  # weighted share of the drop file found in the candidate
    containment_source: float = 0.0  # weighted share of the candidate found in the drop file


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
    verdict_text: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
