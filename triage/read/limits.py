"""Reading limits for hostile drops: named constants with the reason for each, and a budget.

Every expansion of a drop (decompression, nesting, member count) is charged against one
``Budget`` shared by all nesting levels, so a nested bomb cannot multiply its allowance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from triage.errors import LimitExceeded
from triage.read import reasons

# Largest single member kept in memory for fingerprinting: keeps a scan's peak memory bounded.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
# Total bytes expanded from one drop, all nesting levels together: stops decompression bombs.
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
# Expanded/compressed ratio above which a member is treated as a bomb (zip bombs reach 1e6+;
# ordinary source compresses 3-10x, sparse data rarely past 200x).
MAX_RATIO = 1000
# Ratio is only judged past this many expanded bytes: tiny members compress absurdly well.
RATIO_GRACE_BYTES = 1024 * 1024
# Members in one drop, all levels together: bounds work and report size.
MAX_MEMBERS = 200_000
# Archives inside archives: five levels is more than any genuine leak needs.
MAX_DEPTH = 8
# Longest member name accepted (bytes, UTF-8): longer names are a parser attack, not a file.
MAX_NAME_BYTES = 4096
# Wall time for reading one drop, in seconds.
MAX_SECONDS = 3600.0

# Not user-adjustable: parser-level caps.
# Largest tar extension header (pax / GNU long name): tarfile reads these whole into memory.
MAX_HEADER_BYTES = 1024 * 1024
# xz decoder memory: ``xz -9`` needs 65 MiB; a crafted header may ask for gigabytes.
XZ_MEMLIMIT = 256 * 1024 * 1024
# zstd window: 128 MiB is libzstd's own default cap (``--long=27``).
ZSTD_MAX_WINDOW = 1 << 27
# Bytes read per call while streaming a member: bounds the overshoot past any limit.
READ_CHUNK = 1024 * 1024
# Bytes of a file or member inspected to detect its format by content (ISO 9660 puts its
# "CD001" volume descriptor at byte 32769, so the head reaches past it).
HEAD_BYTES = 36 * 1024


@dataclass(frozen=True)
class Limits:
    """User-adjustable limits (``triage scan --max-...`` options)."""

    member_bytes: int = MAX_MEMBER_BYTES
    total_bytes: int = MAX_TOTAL_BYTES
    ratio: float = MAX_RATIO
    members: int = MAX_MEMBERS
    depth: int = MAX_DEPTH
    name_bytes: int = MAX_NAME_BYTES
    seconds: float = MAX_SECONDS


@dataclass
class Budget:
    """What is left of the limits while one drop is read."""

    limits: Limits
    expanded: int = 0
    members: int = 0
    started: float = field(default_factory=time.monotonic)

    # Set to the reason code once a drop-wide limit (count, total, time) is reached: reading stops.
    halted: str | None = None

    def time_left(self) -> bool:
        return time.monotonic() - self.started < self.limits.seconds

    def check_time(self) -> None:
        if not self.time_left():
            raise Exceeded(reasons.TIME, f"reading took longer than {self.limits.seconds:g} s")

    def charge(self, n: int) -> None:
        """Count ``n`` decompressed bytes against the drop-wide total (and the clock)."""
        self.expanded += n
        if self.expanded > self.limits.total_bytes:
            raise Exceeded(
                reasons.TOTAL,
                f"the drop expands to more than {self.limits.total_bytes} bytes in total",
            )
        self.check_time()


class Exceeded(LimitExceeded):
    """A reading limit was hit; ``reason`` is the code from ``triage.read.reasons``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
