"""What readers exchange with the orchestrator: sources, entries, the shared context.

A reader turns one ``Source`` (a drop file, a directory, or an archive held in memory) into
``Entry`` records, in archive order. It does not decide what is safe: names, links, limits
and recursion are judged once, in ``triage.read.__init__``, for every format alike.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from triage.read import reasons
from triage.read.limits import Budget, Limits
from triage.read.names import Names

FILE = "file"
DIR = "dir"
LINK = "link"
SPECIAL = "special"
SKIP = "skip"  # the reader already knows this entry cannot be read (``reason``/``detail``)
REPO = "repo"  # a git repository found whole by the reader (``repo`` holds the EmbeddedRepo)


class OpenError(Exception):
    """A source cannot be opened at all (top level: InputError; nested: a Skipped)."""

    def __init__(self, message: str, reason: str = reasons.CORRUPT) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Source:
    """One container to read.

    ``display`` names the container in output (drop basename at the top, the member path
    when nested); ``prefix`` is prepended to its members' names ("" at the top, "x.zip!").
    ``open()`` returns a fresh, seekable, read-only binary stream of the container's bytes.
    """

    display: str
    prefix: str
    open: Callable[[], BinaryIO]
    size: int
    head: bytes
    path: Path | None = None  # the filesystem path, for a top-level drop only
    raw: str = ""  # the container's own raw name (drop basename, or member name when nested)

    @property
    def nested(self) -> bool:
        return self.path is None

    @classmethod
    def from_bytes(cls, display: str, raw: str, data: bytes, head_bytes: int) -> Source:
        """A nested archive held in memory (a member already read under the limits)."""
        return cls(display, display + "!", lambda: io.BytesIO(data), len(data), data[:head_bytes], raw=raw)


@dataclass
class Entry:
    """One record of a container, as the format states it (nothing judged yet).

    ``name`` is the raw name (undecodable bytes as surrogate escapes); None means the
    container itself (for a SKIP about the whole container). ``compressed`` returns the
    compressed bytes consumed so far for this member (None when the data is stored as is);
    ``charged`` says the stream already charges the Budget for every byte it yields.
    ``outcome`` is set by the orchestrator when reading the data failed (a reason code),
    so a streaming reader knows not to report the same breakage twice.
    ``notes`` go onto the Member; ``warn`` (reason, detail) is reported as a Skipped with the
    member's path *and* the member is still read (as for duplicate names).
    """

    name: str | None
    kind: str
    open: Callable[[], BinaryIO] | None = None
    mtime: float | None = None
    target: str | None = None
    reason: str = ""
    detail: str = ""
    compressed: Callable[[], int] | None = None
    charged: bool = False
    outcome: str | None = None
    notes: tuple[str, ...] = ()
    warn: tuple[str, str] | None = None
    repo: object | None = None
    path: str | None = None  # a directory drop file's own path (large weights are read in place)


@dataclass
class Context:
    """State shared by all nesting levels while one drop is read."""

    limits: Limits
    budget: Budget
    workdir: Path | None = None
    names: Names = field(default_factory=Names)


def classify(exc: BaseException) -> str:
    """Map a library exception raised while reading member data to a reason code."""
    text = str(exc).lower()
    if isinstance(exc, PermissionError):
        return reasons.UNREADABLE
    if isinstance(exc, EOFError) or "unexpected end" in text or "truncated" in text:
        return reasons.TRUNCATED
    if "end of data" in text or "ended before" in text:
        return reasons.TRUNCATED
    if isinstance(exc, NotImplementedError) or "not supported" in text or "unsupported" in text:
        return reasons.UNSUPPORTED
    if "encrypt" in text or "password" in text:
        return reasons.ENCRYPTED
    if isinstance(exc, (zlib.error, ValueError, OSError, RuntimeError)):
        return reasons.CORRUPT
    return reasons.CORRUPT


def short(exc: BaseException) -> str:
    """One-line, bounded description of an exception for a Skipped detail."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@contextlib.contextmanager
def spool(ctx: Context) -> Iterator[BinaryIO]:
    """A scratch file for a library that needs a seekable file (future libarchive readers).

    Created with ``tempfile`` inside ``ctx.workdir`` and removed on exit; without a workdir the
    scratch space stays in memory. Never anywhere else on disk.
    """
    if ctx.workdir is None:
        buf = io.BytesIO()
        try:
            yield buf
        finally:
            buf.close()
        return
    fd, name = tempfile.mkstemp(prefix="triage-spool-", dir=ctx.workdir)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
