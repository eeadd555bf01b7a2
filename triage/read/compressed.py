"""Single compressed streams (gzip, bzip2, xz, zstd), and tars inside them.

Detected by magic bytes. The first decompressed block decides: a tar header means the stream
is read as a tar (members named as in the tar); anything else is one member named after the
file without its compression suffix (``notes.txt.gz`` -> ``notes.txt.gz!notes.txt``). Every
decompressed byte is charged to the Budget as it comes out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from triage.read import tar
from triage.read.base import FILE, Context, Entry, OpenError, Source, classify, short
from triage.read.limits import Exceeded
from triage.read.streams import ZSTD, Charging, decompressor, sniff

SUFFIXES = (".gz", ".gzip", ".bz2", ".bzip2", ".xz", ".zst", ".zstd")


def detect(head: bytes, path: Path | None) -> bool:
    return sniff(head) is not None


def kind(source: Source) -> str:
    fmt = sniff(source.head) or "compressed"
    return f"tar.{fmt}" if tar.looks_like_tar(_peek(source, fmt)) else fmt


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    fmt = sniff(source.head)
    assert fmt is not None
    first = _peek(source, fmt)
    raw = source.open()
    try:
        stream, counting, at_eof = decompressor(fmt, raw)
    except Exception as exc:  # noqa: BLE001
        raw.close()
        raise OpenError(short(exc), classify(exc)) from None
    charged = Charging(stream, ctx.budget, at_eof, partial=fmt != ZSTD)
    if tar.looks_like_tar(first):
        return tar.iter_stream(charged, ctx, counting=counting, close=raw.close)  # type: ignore[arg-type]
    name = stem(source.raw)
    if not source.nested:  # at the top the drop file itself is the container: "x.gz!x"
        name = f"{source.raw}!{name}"
    entry = Entry(
        name,
        FILE,
        open=lambda: charged,
        compressed=lambda: counting.count,
        charged=True,  # type: ignore[arg-type,return-value]
    )
    return _single(entry, raw.close)


def _single(entry: Entry, close) -> Iterator[Entry]:  # type: ignore[no-untyped-def]
    try:
        yield entry
    finally:
        close()


def stem(name: str) -> str:
    """Base name of ``name`` without its compression suffix (the name itself if none)."""
    base = name.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    for suffix in SUFFIXES:
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def _peek(source: Source, fmt: str, size: int = tar.BLOCK) -> bytes:
    """Up to ``size`` decompressed bytes from the start (not charged: bounded by ``size``).

    Raises OpenError when the data is not a valid stream of that format; a stream cut short
    before its first output returns b"" (the member is then reported as truncated).
    """
    got = b""
    raw = source.open()
    try:
        stream, _, _ = decompressor(fmt, raw)
        while len(got) < size:
            chunk = stream.read(size - len(got))
            if not chunk:
                break
            got += chunk
    except Exceeded:
        raise
    except EOFError:
        pass
    except Exception as exc:  # noqa: BLE001
        if not got:
            raise OpenError(short(exc), classify(exc)) from None
    finally:
        raw.close()
    return got
