"""Zip reader (stdlib ``zipfile``): stored, deflate, bzip2 and lzma members, in central-directory order.

Before any data is read, every entry's local header is located and the byte ranges compared:
entries sharing bytes (Fifield's overlapping-file zip bomb) are reported as bombs, never
decompressed. Encrypted entries and unknown methods are reported, never guessed at. Unix
mode bits (``create_system == 3``) reveal symlinks and special files stored in a zip.
"""

from __future__ import annotations

import bz2
import calendar
import copy
import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

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
from triage.read.limits import READ_CHUNK, XZ_MEMLIMIT
from triage.read.names import display, from_bytes

SUPPORTED_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
KNOWN_METHODS = {9: "deflate64", 10: "PKWARE imploding", 6: "implode", 93: "zstd", 95: "xz", 98: "ppmd"}
AES_METHOD = 99
_LOCAL = b"PK\x03\x04"


def detect(head: bytes, path: Path | None) -> bool:
    return head.startswith((_LOCAL, b"PK\x05\x06", b"PK\x07\x08PK\x03\x04"))


def kind(source: Source) -> str:
    return "zip"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    handle = source.open()
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
        overlaps = _overlaps(handle, infos)
    except Exception as exc:  # noqa: BLE001 - any failure here means the zip cannot be opened
        handle.close()
        raise OpenError(short(exc), classify(exc)) from None
    return _entries(archive, handle, infos, overlaps, source, ctx)


def name_of(info: zipfile.ZipInfo) -> str:
    """The raw entry name: UTF-8 if flagged (or if it decodes so), else bytes kept as escapes."""
    if info.flag_bits & 0x800:
        return info.orig_filename
    return from_bytes(info.orig_filename.encode("cp437"))


def _overlaps(handle: BinaryIO, infos: list[zipfile.ZipInfo]) -> dict[int, str]:
    """Entries whose local header + data share bytes with another entry's: {index: detail}."""
    spans = []
    for index, info in enumerate(infos):
        try:
            handle.seek(info.header_offset)
            header = handle.read(30)
        except (OSError, ValueError, OverflowError):
            continue  # an impossible offset: zipfile reports the entry as corrupt when opened
        if len(header) < 30 or not header.startswith(_LOCAL):
            continue  # zipfile reports this entry as corrupt when it is opened
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        end = info.header_offset + 30 + name_len + extra_len + info.compress_size
        spans.append((info.header_offset, end, index))
    spans.sort()
    hits: dict[int, int] = {}
    reach, owner = -1, -1
    for start, end, index in spans:
        if start < reach:
            hits.setdefault(index, owner)
            hits.setdefault(owner, index)
        if end > reach:
            reach, owner = end, index
    return {
        index: f"its bytes overlap those of entry {display(name_of(infos[other]))!r} "
        "(overlapping-entry zip bomb)"
        for index, other in hits.items()
    }


def _entries(
    archive: zipfile.ZipFile,
    handle: BinaryIO,
    infos: list[zipfile.ZipInfo],
    overlaps: dict[int, str],
    source: Source,
    ctx: Context,
) -> Iterator[Entry]:
    try:
        for index, info in enumerate(infos):
            yield _entry(archive, info, overlaps.get(index), source, ctx)
    finally:
        archive.close()
        handle.close()


def _entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, overlap: str | None, source: Source, ctx: Context
) -> Entry:
    name = name_of(info)
    if overlap:
        return Entry(name, SKIP, reason=reasons.BOMB, detail=overlap)
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    if name.endswith("/") or stat.S_ISDIR(mode):
        return Entry(name, DIR)
    if info.flag_bits & 0x41 or info.compress_type == AES_METHOD:
        return Entry(name, SKIP, reason=reasons.ENCRYPTED, detail="encrypted entry (not decrypted)")
    if stat.S_ISLNK(mode):
        return Entry(name, LINK, target=_link_target(archive, info, ctx), detail="symlink")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return Entry(name, SPECIAL, detail=f"special file (mode {mode:o})")
    if info.compress_type not in SUPPORTED_METHODS:
        method = KNOWN_METHODS.get(info.compress_type, "unknown")
        return Entry(
            name,
            SKIP,
            reason=reasons.UNSUPPORTED,
            detail=f"compression method {info.compress_type} ({method}) not supported",
        )
    compressed = None
    if info.compress_type != zipfile.ZIP_STORED:
        size = max(1, min(info.compress_size, source.size))
        compressed = lambda: size  # noqa: E731
    return Entry(
        name, FILE, open=lambda: open_member(archive, info), mtime=_mtime(info), compressed=compressed
    )


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> BinaryIO:
    """A stream of the member's data whose ``read(n)`` never returns more than ``n`` bytes.

    zipfile bounds deflate output itself, but feeds bzip2/lzma decompressors whole compressed
    chunks without an output cap (a few KiB of bzip2 can expand to gigabytes). For those the
    raw compressed bytes are taken from zipfile (local header and name still checked) and
    decompressed here with ``max_length``; the CRC is verified at the end.
    """
    if info.compress_type not in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        return archive.open(info)  # type: ignore[return-value]
    raw_info = copy.copy(info)
    raw_info.compress_type = zipfile.ZIP_STORED
    raw_info.file_size = info.compress_size
    del raw_info.CRC  # the CRC is of the decompressed data: checked by _Bounded
    raw = archive.open(raw_info)
    return _Bounded(raw, info.compress_type, info.CRC)  # type: ignore[return-value]


class _Bounded:
    """Bounded bzip2/lzma decompression of a zip member's raw data, with CRC check."""

    def __init__(self, raw: BinaryIO, method: int, crc: int) -> None:
        self.raw, self.method, self.expected = raw, method, crc
        self.crc = 0
        self.decomp: Any = bz2.BZ2Decompressor() if method == zipfile.ZIP_BZIP2 else None

    def _start_lzma(self) -> None:
        """zip's lzma layout: version (2), properties size (2), LZMA1 properties, raw stream."""
        head = self.raw.read(4)
        if len(head) < 4:
            raise EOFError("zip lzma member ends inside its header")
        (psize,) = struct.unpack("<H", head[2:4])
        props = self.raw.read(psize)
        if len(props) < 5 or len(props) != psize:
            raise zipfile.BadZipFile("bad lzma properties in zip member")
        (dict_size,) = struct.unpack("<I", props[1:5])
        if dict_size > XZ_MEMLIMIT:
            raise NotImplementedError(f"lzma dictionary of {dict_size} bytes not supported")
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]  # type: ignore[attr-defined]
        self.decomp = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)

    def read(self, n: int = -1) -> bytes:
        n = n if n is not None and n > 0 else READ_CHUNK
        if self.decomp is None:
            self._start_lzma()
        out = b""
        while not out:
            if self.decomp.eof:
                if self.crc != self.expected:
                    raise zipfile.BadZipFile("Bad CRC-32 for zip member")
                return b""
            data = b""
            if self.decomp.needs_input:
                data = self.raw.read(64 * 1024)
                if not data:
                    if self.method == zipfile.ZIP_LZMA and self.crc == self.expected:
                        return b""  # lzma in zip may omit the end marker: size and CRC decide
                    raise EOFError("zip member data ends before its compressed stream does")
            out = self.decomp.decompress(data, n)
        self.crc = zlib.crc32(out, self.crc)
        return out

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: Context) -> str:
    """A zip symlink stores its target as data: read it, capped at the name limit."""
    try:
        with open_member(archive, info) as stream:
            data = stream.read(ctx.limits.name_bytes + 1)
    except Exception as exc:  # noqa: BLE001
        return f"(target unreadable: {short(exc)})"
    return from_bytes(data[: ctx.limits.name_bytes])


def _mtime(info: zipfile.ZipInfo) -> float | None:
    try:
        return float(calendar.timegm((*info.date_time, 0, 0, 0)))
    except (ValueError, OverflowError, TypeError):
        return None
