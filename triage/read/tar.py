"""Tar reader (plain tar here; gz/bz2/xz/zst tars arrive through ``compressed``).

Streams with ``tarfile`` mode ``r|`` (forward only, nothing extracted): each member is read
before the next header is parsed. Extension headers (pax, GNU long names) are capped because
tarfile reads them whole into memory. A stream that ends inside a header or without the
end-of-archive blocks is reported as truncated after the last good member.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from triage.read import reasons
from triage.read.base import (
    DIR,
    FILE,
    LINK,
    SKIP,
    SPECIAL,
    Context,
    Entry,
    OpenError,
    Source,
    classify,
    short,
)
from triage.read.limits import MAX_HEADER_BYTES, Exceeded
from triage.read.streams import Counting

BLOCK = tarfile.BLOCKSIZE
_EXTENSION_TYPES = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


def looks_like_tar(head: bytes) -> bool:
    """True when ``head`` starts with a tar header: ustar magic or a valid v7 checksum."""
    if len(head) < BLOCK:
        return False
    block = head[:BLOCK]
    if block.count(0) == BLOCK:
        return False
    if block[257:262] == b"ustar":
        return True
    try:
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"x", 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    signed = unsigned - 2 * sum(b for b in block[:148] + block[156:] if b > 127)
    return stored in (unsigned, signed)


def detect(head: bytes, path: Path | None) -> bool:
    return looks_like_tar(head)


def kind(source: Source) -> str:
    return "tar"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    raw = source.open()
    return iter_stream(raw, ctx, counting=None, close=raw.close)


class HeaderTooLarge(Exception):
    pass


class _SafeTarInfo(tarfile.TarInfo):
    """TarInfo refusing extension headers larger than MAX_HEADER_BYTES (read whole by tarfile)."""

    def _proc_member(self, tf):  # type: ignore[no-untyped-def]
        if self.type in _EXTENSION_TYPES and self.size > MAX_HEADER_BYTES:
            raise HeaderTooLarge(f"extension header of {self.size} bytes (limit {MAX_HEADER_BYTES})")
        return super()._proc_member(tf)


class _Tracked:
    """Counts the bytes tarfile pulls and notes when the stream ran dry."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0
        self.eof = False

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.count += len(data)
        if not data and n != 0:
            self.eof = True
        return data


def iter_stream(
    stream: BinaryIO, ctx: Context, counting: Counting | None, close: Callable[[], None]
) -> Iterator[Entry]:
    """Open a tar on a forward-only ``stream`` now (errors: OpenError) and iterate it lazily.

    ``counting`` is the compressed side when the stream is decompressed (its bytes are then
    charged by the stream itself); ``close`` releases the underlying file.
    """
    tracked = _Tracked(stream)
    try:
        tf = tarfile.open(
            fileobj=tracked, mode="r|", tarinfo=_SafeTarInfo, encoding="utf-8", errors="surrogateescape"
        )
    except Exceeded as exc:
        close()
        raise OpenError(exc.detail, exc.reason) from None
    except Exception as exc:  # noqa: BLE001 - any library failure means "cannot open"
        close()
        raise OpenError(short(exc), classify(exc)) from None
    return _entries(tf, tracked, ctx, counting, close)


def _entries(
    tf: tarfile.TarFile,
    tracked: _Tracked,
    ctx: Context,
    counting: Counting | None,
    close: Callable[[], None],
) -> Iterator[Entry]:
    last: Entry | None = None
    broken = (reasons.TRUNCATED, reasons.CORRUPT)
    try:
        while True:
            try:
                info = tf.next()
            except Exceeded:
                raise
            except Exception as exc:  # noqa: BLE001
                if last is None or last.outcome not in broken:
                    yield Entry(None, SKIP, reason=classify(exc), detail=_after(last, short(exc)))
                return
            tf.members.clear()  # tarfile keeps every header otherwise; we never look back
            if info is None:
                if (
                    tracked.eof
                    and tracked.count < tf.offset + BLOCK
                    and (last is None or last.outcome not in broken)
                ):
                    yield Entry(
                        None, SKIP, reason=reasons.TRUNCATED, detail=_after(last, "archive ends early")
                    )
                return
            last = _entry(tf, info, counting)
            yield last
    finally:
        tf.close()
        close()


def _after(last: Entry | None, what: str) -> str:
    where = "at its start" if last is None else "after its last readable member"
    return f"{what} ({where})"


def _entry(tf: tarfile.TarFile, info: tarfile.TarInfo, counting: Counting | None) -> Entry:
    name, mtime = info.name, float(info.mtime)
    if info.isdir():
        return Entry(name, DIR)
    if info.issym():
        return Entry(name, LINK, target=info.linkname, detail="symlink")
    if info.islnk():
        return Entry(name, LINK, target=info.linkname, detail="hard link")
    if info.ischr() or info.isblk() or info.isfifo():
        what = "character device" if info.ischr() else "block device" if info.isblk() else "FIFO"
        return Entry(name, SPECIAL, detail=what)
    if not info.isreg():
        return Entry(name, SKIP, reason=reasons.UNSUPPORTED, detail=f"tar entry type {info.type!r}")
    compressed = None
    if counting is not None:
        start = counting.count
        compressed = lambda: counting.count - start  # noqa: E731
    return Entry(
        name,
        FILE,
        open=lambda: tf.extractfile(info),
        mtime=mtime,  # type: ignore[arg-type, return-value]
        compressed=compressed,
        charged=counting is not None,
    )
