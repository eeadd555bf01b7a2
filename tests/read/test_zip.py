"""Zip reader: round trip, hostile names, links, encryption, CRC, overlapping-entry bombs."""

from __future__ import annotations

import io
import stat
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import reasons

from .helpers import (
    central,
    deflate_raw,
    local_header,
    members,
    raw_zip,
    read_all,
    simple_raw_zip,
    skipped,
    write,
    zip_bytes,
)


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_zip_round_trip(tmp_path: Path, method: int) -> None:
    files = [
        ("proj/a.txt", b"alpha\n" * 100),
        ("proj/sub/b.bin", bytes(range(256)) * 10),
        ("proj/empty", b""),
    ]
    path = write(tmp_path, "drop.zip", zip_bytes(files + [("proj/dir/", b"")], method))
    results = read_all(path)
    assert [(r.path, r.data) for r in results] == files  # archive order, directories not reported
    assert all(isinstance(r, Member) and r.mtime is not None for r in results)


def test_traversal_and_absolute_members_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "evil"
    drop_dir = tmp_path / "drop"
    drop_dir.mkdir()
    data = simple_raw_zip(
        [
            (b"../evil", b"pwned"),
            (b"/tmp/abs", b"pwned"),
            (b"C:/win", b"pwned"),
            (b"a\\..\\..\\evil", b"pwned"),
            (b"ok/benign.txt", b"fine"),
        ]
    )
    path = write(drop_dir, "drop.zip", data)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    results = read_all(path)
    assert members(results) == {"ok/benign.txt": b"fine"}
    assert skipped(results) == {
        "../evil": reasons.PATH_TRAVERSAL,
        "/tmp/abs": reasons.PATH_TRAVERSAL,
        "C:/win": reasons.PATH_TRAVERSAL,
        "a\\\\..\\\\..\\\\evil": reasons.PATH_TRAVERSAL,
    }
    assert not outside.exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_control_and_bidi_names_escaped_and_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.zip",
        zip_bytes(
            [
                ("bad\x1b[2Jname", b"x"),
                ("invoice\u202egpj.exe", b"y"),
                ("good.txt", b"z"),
            ]
        ),
    )
    results = read_all(path)
    assert members(results) == {"good.txt": b"z"}
    assert skipped(results) == {
        "bad\\x1b[2Jname": reasons.NAME_UNSAFE,
        "invoice\\u202egpj.exe": reasons.NAME_UNSAFE,
    }
    for r in results:
        assert r.path.isprintable()


def test_non_utf8_and_long_names(tmp_path: Path) -> None:
    data = simple_raw_zip([(b"caf\xe9.txt", b"a"), (b"n" * 300, b"b"), (b"fine", b"c")])
    results = read_all(write(tmp_path, "d.zip", data), name_bytes=255)
    assert skipped(results) == {"caf\\xe9.txt": reasons.NAME_UNSAFE, "n" * 300: reasons.NAME_UNSAFE}
    assert members(results) == {"fine": b"c"}


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_and_case_colliding_names(tmp_path: Path) -> None:
    path = write(tmp_path, "d.zip", zip_bytes([("a.txt", b"1"), ("A.TXT", b"2"), ("a.txt", b"3")]))
    results = read_all(path)
    assert members(results) == {"a.txt": b"1", "A.TXT#2": b"2", "a.txt#3": b"3"}
    dups = [r for r in results if isinstance(r, Skipped)]
    assert [(d.path, d.reason) for d in dups] == [
        ("A.TXT#2", reasons.DUPLICATE),
        ("a.txt#3", reasons.DUPLICATE),
    ]
    assert next(r for r in results if r.path == "A.TXT#2").notes == (reasons.DUPLICATE,)


def test_corrupt_crc_member_skipped_others_read(tmp_path: Path) -> None:
    data = zip_bytes([("a.txt", b"A" * 64), ("b.txt", b"B" * 64), ("c.txt", b"C" * 64)], zipfile.ZIP_STORED)
    data = data.replace(b"B" * 64, b"B" * 63 + b"X")
    results = read_all(write(tmp_path, "d.zip", data))
    assert members(results) == {"a.txt": b"A" * 64, "c.txt": b"C" * 64}
    assert skipped(results) == {"b.txt": reasons.CORRUPT}


def test_corrupt_deflate_stream_skipped(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 64
    data = bytearray(zip_bytes([("a.bin", payload), ("b.txt", b"ok")], zipfile.ZIP_DEFLATED))
    start = 30 + len("a.bin")
    for i in range(start + 5, start + 40):
        data[i] ^= 0x55
    results = read_all(write(tmp_path, "d.zip", bytes(data)))
    assert members(results) == {"b.txt": b"ok"}
    assert skipped(results)["a.bin"] in (reasons.CORRUPT, reasons.TRUNCATED)


def test_encrypted_and_unsupported_methods(tmp_path: Path) -> None:
    enc = simple_raw_zip([(b"secret.txt", b"\x00" * 20)], flags=0x1)
    results = read_all(write(tmp_path, "e.zip", enc))
    assert skipped(results) == {"secret.txt": reasons.ENCRYPTED}
    d64 = simple_raw_zip([(b"d64.bin", b"xxxx")], method=9)
    results = read_all(write(tmp_path, "u.zip", d64))
    assert [(r.path, r.reason, r.detail) for r in results] == [
        ("d64.bin", reasons.UNSUPPORTED, "compression method 9 (deflate64) not supported")
    ]


def test_symlink_and_special_entries(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/\x1bpasswd")
        fifo = zipfile.ZipInfo("fifo")
        fifo.create_system, fifo.external_attr = 3, (stat.S_IFIFO | 0o644) << 16
        zf.writestr(fifo, "")
        zf.writestr("plain.txt", "hello")
    results = read_all(write(tmp_path, "d.zip", buf.getvalue()))
    assert members(results) == {"plain.txt": b"hello"}
    by_path = {r.path: r for r in results if isinstance(r, Skipped)}
    assert by_path["link"].reason == reasons.LINK
    assert "/etc/\\x1bpasswd" in by_path["link"].detail
    assert by_path["fifo"].reason == reasons.SPECIAL


def test_overlapping_entry_zip_bomb(tmp_path: Path) -> None:
    kernel = bytes(8 << 20)
    packed = deflate_raw(kernel)
    crc = zlib.crc32(kernel)
    first = local_header(b"k", packed, 8, crc, len(kernel))
    benign = local_header(b"ok.txt", b"fine", 0, zlib.crc32(b"fine"), 4)
    centrals = [central(f"k{i}".encode(), 8, crc, len(packed), len(kernel), 0) for i in range(50)]
    centrals.append(central(b"ok.txt", 0, zlib.crc32(b"fine"), 4, 4, len(first)))
    data = raw_zip([first, benign], centrals)
    tracemalloc.start()
    try:
        results = read_all(write(tmp_path, "bomb.zip", data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert members(results) == {"ok.txt": b"fine"}
    flagged = skipped(results)
    assert len(flagged) == 50 and set(flagged.values()) == {reasons.BOMB}
    assert peak < 4 << 20  # nothing was decompressed


def test_quoted_overlap_detected(tmp_path: Path) -> None:
    """Entry A's data range covers entry B's local header (Fifield's quoted overlap)."""
    inner = local_header(b"b", b"bbbb", 0, zlib.crc32(b"bbbb"), 4)
    outer_data = b"xx" + inner
    outer = local_header(b"a", outer_data, 0, zlib.crc32(outer_data), len(outer_data))
    b_offset = 30 + 1 + 2
    data = raw_zip(
        [outer],
        [
            central(b"a", 0, zlib.crc32(outer_data), len(outer_data), len(outer_data), 0),
            central(b"b", 0, zlib.crc32(b"bbbb"), 4, 4, b_offset),
        ],
    )
    results = read_all(write(tmp_path, "q.zip", data))
    assert skipped(results) == {"a": reasons.BOMB, "b": reasons.BOMB}


def test_ratio_bomb_member(tmp_path: Path) -> None:
    data = zip_bytes([("zeros", bytes(20 << 20)), ("ok", b"fine")])
    results = read_all(write(tmp_path, "r.zip", data))
    assert skipped(results) == {"zeros": reasons.BOMB}
    assert members(results) == {"ok": b"fine"}


def test_bzip2_member_bomb_memory_bounded(tmp_path: Path) -> None:
    """zipfile feeds bzip2 unbounded; our reader must not inflate 100 MB in one call."""
    import bz2

    comp = bz2.BZ2Compressor(9)
    zeros = bytes(1 << 20)
    packed = b"".join(comp.compress(zeros) for _ in range(100)) + comp.flush()
    crc = 0
    for _ in range(100):
        crc = zlib.crc32(zeros, crc)
    entry = local_header(b"bomb", packed, 12, crc, 100 << 20)
    data = raw_zip([entry], [central(b"bomb", 12, crc, len(packed), 100 << 20, 0)])
    tracemalloc.start()
    try:
        results = read_all(write(tmp_path, "b.zip", data), member_bytes=4 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert skipped(results)["bomb"] in (reasons.BOMB, reasons.TOO_LARGE)
    assert peak < 24 << 20


def test_member_over_per_member_limit(tmp_path: Path) -> None:
    data = zip_bytes([("big", b"x" * 5000), ("small", b"y" * 10)], zipfile.ZIP_STORED)
    results = read_all(write(tmp_path, "d.zip", data), member_bytes=4096)
    assert skipped(results) == {"big": reasons.TOO_LARGE}
    assert members(results) == {"small": b"y" * 10}


def test_declared_sizes_not_trusted(tmp_path: Path) -> None:
    """A central directory declaring a tiny size does not let a large member through."""
    payload = b"z" * 6000
    packed = deflate_raw(payload)
    crc = zlib.crc32(payload)
    data = raw_zip([local_header(b"m", packed, 8, crc, 10)], [central(b"m", 8, crc, len(packed), 10, 0)])
    results = read_all(write(tmp_path, "d.zip", data), member_bytes=4096)
    assert len(results) == 1 and isinstance(results[0], Skipped)


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + b"\x00" * 100, zip_bytes([("a", b"b" * 100)])[:60], b"PK\x05\x06" + b"\xff" * 30],
)
def test_unopenable_zip_is_input_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputError, match="looks like a zip archive but cannot be opened"):
        read_all(write(tmp_path, "bad.zip", data))


def test_empty_zip(tmp_path: Path) -> None:
    assert read_all(write(tmp_path, "e.zip", zip_bytes([]))) == []
