"""Model weights members: kept whole, and kept out of memory when over the member limit.

A torch checkpoint or an ``.npz`` is a zip, but it is one file to triage (its tensors are read
by ``triage.fingerprint.tensors``), not an archive whose parts are members: it gets the note
``weights: torch (one file, not expanded)``, as office documents get ``document: ...``.

A member over the member limit is normally refused (``too-large``). When its first bytes say it
is a weights file, it is kept instead, up to the drop's total-bytes limit, without ever being
held whole in memory: an archive member is streamed to a scratch file in the work folder
(charged to the drop's budget) that the scan removes once the member is fingerprinted. A
directory's weights file is used in place as soon as it is over ``IN_PLACE_BYTES``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import Protocol

from triage.fingerprint.tensors import detect_weights
from triage.model import Spilled
from triage.read import reasons
from triage.read.base import Context, Entry
from triage.read.limits import READ_CHUNK, Exceeded

NOTE = "weights:"
# Bytes of a member's head that decide whether it is a weights file (formats say so in their
# first bytes; a torch zip names data.pkl in its first local header).
HEAD = 64 * 1024
# A directory's weights file larger than this is mapped where it is rather than read into memory
# (it costs no copy; the index reads a whole folder before fingerprinting it).
IN_PLACE_BYTES = 16 * 1024 * 1024


class Stream(Protocol):
    """The guarded member stream of ``triage.read`` (reads charge the budget and the clock)."""

    charge: bool
    stream: object

    def read(self, n: int = READ_CHUNK) -> bytes: ...


def kind(head: bytes, size: int | None = None) -> str | None:
    """The weights format of a member from its bytes (``size``: the whole member's, if only its
    head is given)."""
    return detect_weights(head, size=size)


def notes(data: bytes, size: int | None = None) -> tuple[str, ...]:
    """``weights: torch (one file, not expanded)`` for a weights file that is a zip."""
    found = kind(data[:HEAD] if size is not None else data, size)
    return (f"{NOTE} {found} (one file, not expanded)",) if found in ("torch", "npz") else ()


def is_weights(notes_: tuple[str, ...]) -> bool:
    return any(n.startswith(NOTE) for n in notes_)


def cap(ctx: Context) -> int:
    """Largest weights member kept out of memory: the drop's total-bytes limit."""
    return max(ctx.limits.member_bytes, ctx.limits.total_bytes)


def in_place(entry: Entry, stream: Stream, limit: int) -> Spilled | None:
    """A directory drop's regular file over ``limit``, used where it is (no copy)."""
    if entry.path is None:
        return None
    fileno = getattr(stream.stream, "fileno", None)
    if fileno is None:
        return None
    try:
        info = os.fstat(fileno())
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size <= limit:
        return None
    return Spilled(os.path.abspath(entry.path), info.st_size)


def copy(stream: Stream, first: bytes, ctx: Context) -> Spilled:
    """Stream the rest of a member (after ``first``) to a scratch file in the work folder."""
    if ctx.workdir is None:
        raise Exceeded(reasons.TOO_LARGE, "weights over the member limit, and no work folder to spill to")
    fd, name = tempfile.mkstemp(prefix="triage-weights-", dir=ctx.workdir)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = first
            while chunk:
                if not stream.charge:  # stored members are not charged as they are read: charge the copy
                    ctx.budget.charge(len(chunk))
                out.write(chunk)
                size += len(chunk)
                chunk = stream.read(READ_CHUNK)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Spilled(name, size, temporary=True)
