"""Tar reader: plain and compressed round trips, links, special files, truncation, header caps."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import reasons
from triage.read.limits import MAX_HEADER_BYTES
from triage.read.tar import looks_like_tar

from .helpers import compress, members, read_all, skipped, special, tar_bytes, write

FILES = [("proj/README.md", b"# hi\n"), ("proj/src/main.c", b"int main(){}\n" * 50), ("proj/empty", b"")]


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        ("tar", None),
        ("tgz", "gz"),
        ("tar.bz2", "bz2"),
        ("tar.xz", "xz"),
        ("tar.zst", "zst"),
    ],
)
def test_tar_round_trip(tmp_path: Path, suffix: str, fmt: str | None) -> None:
    data = tar_bytes([special("proj", tarfile.DIRTYPE), *FILES])
    if fmt:
        data = compress(data, fmt)
    results = read_all(write(tmp_path, f"drop.{suffix}", data))
    assert [(r.path, r.data) for r in results] == FILES
    assert all(isinstance(r, Member) and r.mtime == 1_700_000_000 for r in results)


def test_links_and_special_files(tmp_path: Path) -> None:
    data = tar_bytes(
        [
            special("p/sym", tarfile.SYMTYPE, "/etc/shadow"),
            special("p/hard", tarfile.LNKTYPE, "p/file"),
            special("p/fifo", tarfile.FIFOTYPE),
            special("p/dev", tarfile.CHRTYPE),
            special("p/blk", tarfile.BLKTYPE),
            ("p/file", b"content"),
        ]
    )
    results = read_all(write(tmp_path, "d.tar", data))
    assert members(results) == {"p/file": b"content"}
    by_path = {r.path: r for r in results if isinstance(r, Skipped)}
    assert {p: r.reason for p, r in by_path.items()} == {
        "p/sym": reasons.LINK,
        "p/hard": reasons.LINK,
        "p/fifo": reasons.SPECIAL,
        "p/dev": reasons.SPECIAL,
        "p/blk": reasons.SPECIAL,
    }
    assert "/etc/shadow" in by_path["p/sym"].detail and "hard link" in by_path["p/hard"].detail
    assert not list(tmp_path.glob("p*"))


def test_traversal_in_tar(tmp_path: Path) -> None:
    data = tar_bytes([("../../evil", b"x"), ("/abs/path", b"y"), ("ok", b"z")])
    results = read_all(write(tmp_path, "d.tar", data))
    assert skipped(results) == {"../../evil": reasons.PATH_TRAVERSAL, "/abs/path": reasons.PATH_TRAVERSAL}
    assert members(results) == {"ok": b"z"}


def test_non_utf8_tar_name(tmp_path: Path) -> None:
    hdr = tarfile.TarInfo("caf\xe9").tobuf(tarfile.GNU_FORMAT, encoding="latin-1")  # raw byte 0xe9
    results = read_all(write(tmp_path, "d.tar", hdr + b"\x00" * 1024))
    assert skipped(results) == {"caf\\xe9": reasons.NAME_UNSAFE}


def test_truncated_tgz_yields_members_before_cut(tmp_path: Path) -> None:
    blobs = [os.urandom(20_000) for _ in range(4)]
    data = compress(tar_bytes([(f"m{i}", b) for i, b in enumerate(blobs)]), "gz")
    cut = data[: int(len(data) * 0.6)]
    results = read_all(write(tmp_path, "cut.tgz", cut))
    assert members(results) == {"m0": blobs[0], "m1": blobs[1]}
    assert isinstance(results[-1], Skipped) and results[-1].reason == reasons.TRUNCATED
    assert results[-1].path == "m2"
    assert len(results) == 3


@pytest.mark.parametrize("fmt", ["bz2", "xz", "zst"])
def test_truncated_compressed_tar(tmp_path: Path, fmt: str) -> None:
    blobs = [os.urandom(300_000) for _ in range(4)]
    data = compress(tar_bytes([(f"m{i}", b) for i, b in enumerate(blobs)]), fmt)
    # past bzip2's first 900 kB block, so that something decodes before the cut
    results = read_all(write(tmp_path, f"cut.tar.{fmt}", data[: int(len(data) * 0.85)]))
    got = members(results)
    assert got and all(got[p] == blobs[int(p[1])] for p in got)
    assert isinstance(results[-1], Skipped) and results[-1].reason in (reasons.TRUNCATED, reasons.CORRUPT)


def test_plain_tar_cut_inside_member_data(tmp_path: Path) -> None:
    data = tar_bytes([("a", b"A" * 1000), ("b", b"B" * 2000)])
    cut = data[: 512 + 1024 + 512 + 700]
    results = read_all(write(tmp_path, "t.tar", cut))
    assert members(results) == {"a": b"A" * 1000}
    assert skipped(results) == {"b": reasons.TRUNCATED}


def test_plain_tar_cut_inside_header(tmp_path: Path) -> None:
    data = tar_bytes([("a", b"A" * 1000), ("b", b"B" * 2000)])
    # pax format writes no extended header for plain ascii names: a = 512 + 1024
    cut = data[: 512 + 1024 + 100]
    results = read_all(write(tmp_path, "t.tar", cut))
    assert members(results) == {"a": b"A" * 1000}
    assert skipped(results) == {"t.tar": reasons.TRUNCATED}


def test_tar_without_end_marker_flagged(tmp_path: Path) -> None:
    data = tar_bytes([("a", b"A" * 10)])
    results = read_all(write(tmp_path, "t.tar", data[: 512 + 512]))
    assert members(results) == {"a": b"A" * 10}
    assert skipped(results) == {"t.tar": reasons.TRUNCATED}


def test_oversized_pax_header_refused(tmp_path: Path) -> None:
    info = tarfile.TarInfo("x")
    info.pax_headers = {"comment": "c" * (MAX_HEADER_BYTES + 10)}
    data = tar_bytes([("first", b"1"), info, ("after", b"2")])
    results = read_all(write(tmp_path, "t.tar", data))
    assert members(results) == {"first": b"1"}
    assert skipped(results) == {"t.tar": reasons.CORRUPT}


def test_tgz_stream_bomb_member_charged(tmp_path: Path) -> None:
    data = compress(tar_bytes([("zeros", bytes(30 << 20)), ("after", b"a")]), "gz")
    results = read_all(write(tmp_path, "b.tgz", data), total_bytes=8 << 20)
    assert not members(results)
    assert results[0].path == "zeros" and results[0].reason in (reasons.BOMB, reasons.TOTAL)
    # skipping the rest of the bomb to reach the next header is charged too: reading stops
    assert results[-1].reason == reasons.TOTAL


def test_too_large_member_in_tgz_skipped_then_continues(tmp_path: Path) -> None:
    data = compress(tar_bytes([("big", os.urandom(9000)), ("small", b"s")]), "gz")
    results = read_all(write(tmp_path, "b.tgz", data), member_bytes=4096)
    assert skipped(results) == {"big": reasons.TOO_LARGE}
    assert members(results) == {"small": b"s"}


def _v7_header(name: str, size: int) -> bytes:
    """An old-style (pre-POSIX) header: no ustar magic, only the checksum identifies it."""
    info = tarfile.TarInfo(name)
    info.size = size
    hdr = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    hdr[257:265] = b"\x00" * 8
    hdr[148:156] = b" " * 8
    hdr[148:156] = b"%06o\x00 " % sum(hdr)
    return bytes(hdr)


def test_looks_like_tar() -> None:
    assert looks_like_tar(tar_bytes([("a", b"b")]))
    assert looks_like_tar(_v7_header("a", 0))
    assert not looks_like_tar(b"\x00" * 1024)
    assert not looks_like_tar(b"hello" * 200)
    assert not looks_like_tar(b"ustar")


def test_v7_tar_read(tmp_path: Path) -> None:
    data = _v7_header("old.txt", 3) + b"abc".ljust(512, b"\x00") + b"\x00" * 1024
    assert members(read_all(write(tmp_path, "old.tar", data))) == {"old.txt": b"abc"}


def test_corrupt_first_header_is_input_error(tmp_path: Path) -> None:
    data = bytearray(tar_bytes([("a", b"b")]))
    data[257:262] = b"xxxxx"  # ustar magic gone and checksum now wrong
    data[0] = ord("Q")
    with pytest.raises(InputError):
        read_all(write(tmp_path, "t.tar", bytes(data)))
