"""Builders for drop fixtures, all in memory or under tmp_path (no binary files committed)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import zstandard

from triage.model import Member, Skipped
from triage.read import read_drop
from triage.read.limits import Limits


def zip_bytes(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6)), data, compress_type=method)
    return buf.getvalue()


def tar_bytes(members: list[tuple[str, bytes] | tarfile.TarInfo]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for item in members:
            if isinstance(item, tarfile.TarInfo):
                tf.addfile(item)
            else:
                name, data = item
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(data), 1_700_000_000
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def compress(data: bytes, fmt: str) -> bytes:
    if fmt == "gz":
        return gzip.compress(data, mtime=0)
    if fmt == "bz2":
        return bz2.compress(data)
    if fmt == "xz":
        return lzma.compress(data)
    if fmt == "zst":
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(fmt)


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **limits: object) -> list[Member | Skipped]:
    return list(read_drop(path, Limits(**limits)))  # type: ignore[arg-type]


T = TypeVar("T")


def steps(fn: Callable[[], T]) -> tuple[T, int]:
    """``fn()`` and the number of Python lines it executed (triage's and the standard library's):
    a count of work that the same input always gives, however busy the machine. The tracer in
    force before (a coverage tool's) is put back afterwards."""
    count = 0

    def line(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return line

    before = sys.gettrace()
    sys.settrace(lambda frame, event, arg: line)
    try:
        out = fn()
    finally:
        sys.settrace(before)
    return out, count


def members(results: list[Member | Skipped]) -> dict[str, bytes]:
    return {r.path: r.data for r in results if isinstance(r, Member)}


def skipped(results: list[Member | Skipped]) -> dict[str, str]:
    return {r.path: r.reason for r in results if isinstance(r, Skipped)}


# Raw zip records, for what zipfile refuses to write (overlaps, odd flags, raw name bytes).


def local_header(name: bytes, data: bytes, method: int, crc: int, usize: int, flags: int = 0) -> bytes:
    return (
        struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, len(data), usize, len(name), 0
        )
        + name
        + data
    )


def central(
    name: bytes,
    method: int,
    crc: int,
    csize: int,
    usize: int,
    offset: int,
    flags: int = 0,
    external: int = 0,
    system: int = 0,
) -> bytes:
    return (
        struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            (system << 8) | 20,
            20,
            flags,
            method,
            0,
            0x21,
            crc,
            csize,
            usize,
            len(name),
            0,
            0,
            0,
            0,
            external,
            offset,
        )
        + name
    )


def raw_zip(locals_: list[bytes], centrals: list[bytes]) -> bytes:
    body = b"".join(locals_)
    cd = b"".join(centrals)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(centrals), len(centrals), len(cd), len(body), 0)
    return body + cd + end


def simple_raw_zip(entries: list[tuple[bytes, bytes]], flags: int = 0, method: int = 0) -> bytes:
    """Stored entries with raw name bytes (flags applied to every entry)."""
    locals_, centrals, offset = [], [], 0
    for name, data in entries:
        crc = zlib.crc32(data)
        rec = local_header(name, data, method, crc, len(data), flags)
        centrals.append(central(name, method, crc, len(data), len(data), offset, flags))
        locals_.append(rec)
        offset += len(rec)
    return raw_zip(locals_, centrals)


def deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def gzip_of_zeros(megabytes: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    return b"".join(c.compress(chunk) for _ in range(megabytes)) + c.flush()
