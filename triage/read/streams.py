"""Streaming decompression under the Budget: gzip, bzip2, xz and zstd.

Every decompressor here produces output in bounded pieces (``read(n)`` never returns more
than ``n`` bytes, whatever the input ratio), so memory stays flat on a bomb. ``Counting``
measures compressed bytes consumed (for the per-member ratio) and ``Charging`` charges
each decompressed byte to the drop's Budget before anyone sees it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from typing import BinaryIO

import zstandard

from triage.read.limits import READ_CHUNK, XZ_MEMLIMIT, ZSTD_MAX_WINDOW, Budget

try:  # the stdlib's bounded decompress-reader (private, stable since 3.5)
    from _compression import DecompressReader
except ImportError:  # pragma: no cover - Python 3.14 moved it
    from compression._common._streams import DecompressReader  # type: ignore[no-redef]

GZIP, BZIP2, XZ, ZSTD = "gz", "bz2", "xz", "zst"


def sniff(head: bytes) -> str | None:
    """The compression format ``head`` starts with (by magic bytes), or None."""
    if head.startswith(b"\x1f\x8b\x08"):
        return GZIP
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[3:4] != b"":
        if head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
            return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return ZSTD
    return None


class Counting:
    """Read-only wrapper counting the (compressed) bytes read through it."""

    def __init__(self, raw: BinaryIO, observe: Callable[[bytes], None] | None = None) -> None:
        self.raw = raw
        self.count = 0
        self._observe = observe

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n is not None and n >= 0 else READ_CHUNK)
        self.count += len(data)
        if self._observe is not None:
            self._observe(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()


class Charging:
    """Read-only wrapper charging every byte read through it to the Budget.

    ``read(-1)`` returns at most READ_CHUNK bytes: nothing here ever reads "everything".
    ``at_eof`` runs when the inner stream reports end of data (it may raise EOFError when the
    stream turns out to be cut short).
    """

    def __init__(
        self, inner: BinaryIO, budget: Budget, at_eof: Callable[[], None] | None = None, partial: bool = True
    ):
        self.inner = inner
        self.budget = budget
        self._at_eof = at_eof
        # read1 hands out what is decoded so far, so the bytes before a cut are not lost in a
        # buffer when the next piece raises EOFError (callers loop on short reads anyway).
        self._read = inner.read1 if partial and hasattr(inner, "read1") else inner.read

    def read(self, n: int = -1) -> bytes:
        data = self._read(n if n is not None and n >= 0 else READ_CHUNK)
        if data:
            self.budget.charge(len(data))
        elif self._at_eof is not None and n != 0:
            self._at_eof()
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.inner.close()


class ZstdFrames:
    """Follows zstd frame and block headers over the raw bytes (the decoder silently stops at
    a cut frame, so completeness is judged here): ``complete`` is True at a frame boundary."""

    _FCS = ((0, 1), (2, 2), (4, 4), (8, 8))  # (size if not single-segment, if single-segment)

    def __init__(self) -> None:
        self.state, self.need, self.buf, self.skip = "magic", 4, b"", 0
        self.after = "magic"
        self.checksum = False
        self.bad = False

    @property
    def complete(self) -> bool:
        return self.state == "magic" and not self.buf and not self.skip and not self.bad

    def feed(self, data: bytes) -> None:
        pos = 0
        while pos < len(data) and not self.bad:
            if self.skip:
                n = min(self.skip, len(data) - pos)
                self.skip -= n
                pos += n
                if not self.skip:
                    self._go(self.after)
                continue
            take = min(self.need - len(self.buf), len(data) - pos)
            self.buf += data[pos : pos + take]
            pos += take
            if len(self.buf) == self.need:
                field, self.buf = self.buf, b""
                self._step(int.from_bytes(field, "little"))

    def _go(self, state: str) -> None:
        self.state = state
        self.need = {"magic": 4, "fhd": 1, "block": 3, "skipsize": 4, "cksum": 4}.get(state, self.need)

    def _step(self, value: int) -> None:
        if self.state == "magic":
            if value == 0xFD2FB528:
                self._go("fhd")
            elif value & 0xFFFFFFF0 == 0x184D2A50:
                self._go("skipsize")
            else:
                self.bad = True
        elif self.state == "fhd":
            single = (value >> 5) & 1
            self.checksum = bool((value >> 2) & 1)
            rest = (0 if single else 1) + (0, 1, 2, 4)[value & 3] + self._FCS[value >> 6][single]
            if rest:
                self.state, self.need = "fhrest", rest
            else:
                self._go("block")
        elif self.state == "fhrest":
            self._go("block")
        elif self.state == "block":
            last, btype, size = value & 1, (value >> 1) & 3, value >> 3
            if btype == 3:
                self.bad = True
                return
            nxt = "block" if not last else ("cksum" if self.checksum else "magic")
            self._skip(1 if btype == 1 else size, nxt)
        elif self.state == "skipsize":
            self._skip(value, "magic")
        elif self.state == "cksum":
            self._go("magic")

    def _skip(self, n: int, then: str) -> None:
        if n:
            self.state, self.skip, self.after = "payload", n, then
        else:
            self._go(then)


def decompressor(kind: str, raw: BinaryIO) -> tuple[BinaryIO, Counting, Callable[[], None] | None]:
    """Open ``raw`` (compressed bytes) as a bounded decompressed stream.

    Returns the stream (not charged), the Counting wrapper over ``raw``, and an end-of-data
    check raising EOFError when the compressed stream was cut short (gzip/bzip2/xz raise that
    themselves; zstd needs the frame follower).
    """
    if kind == ZSTD:
        frames = ZstdFrames()
        counting = Counting(raw, frames.feed)
        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        reader = dctx.stream_reader(counting, read_across_frames=True, closefd=False)

        def check() -> None:
            if not frames.complete:
                raise EOFError("zstd stream ends in the middle of a frame (truncated)")

        return reader, counting, check  # type: ignore[return-value]
    counting = Counting(raw)
    if kind == GZIP:
        return gzip.GzipFile(fileobj=counting, mode="rb"), counting, None  # type: ignore[arg-type]
    if kind == BZIP2:
        return bz2.BZ2File(counting), counting, None  # type: ignore[arg-type]
    if kind == XZ:
        inner = DecompressReader(
            counting, lzma.LZMADecompressor, trailing_error=lzma.LZMAError, memlimit=XZ_MEMLIMIT
        )
        return io.BufferedReader(inner), counting, None  # type: ignore[return-value]
    raise ValueError(f"unknown compression {kind!r}")
