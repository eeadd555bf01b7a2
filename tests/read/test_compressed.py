"""Single compressed files (gz/bz2/xz/zst), the zstd frame follower, and stream bombs."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import compressed, reasons, tar
from triage.read.compressed import stem
from triage.read.limits import READ_CHUNK
from triage.read.streams import ZstdFrames, sniff

from .helpers import compress, gzip_of_zeros, members, read_all, skipped, write

FORMATS = ["gz", "bz2", "xz", "zst"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_file_round_trip(tmp_path: Path, fmt: str) -> None:
    payload = b"internal notes\n" * 1000
    results = read_all(write(tmp_path, f"notes.txt.{fmt}", compress(payload, fmt)))
    assert results == [Member(f"notes.txt.{fmt}!notes.txt", payload)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_detected_by_content_not_name(tmp_path: Path, fmt: str) -> None:
    results = read_all(write(tmp_path, "blob", compress(b"data", fmt)))
    assert members(results) == {"blob!blob": b"data"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_single_file(tmp_path: Path, fmt: str) -> None:
    payload = os.urandom(200_000)
    data = compress(payload, fmt)
    results = read_all(write(tmp_path, f"x.{fmt}", data[: len(data) - 100]))
    assert [(r.path, r.reason) for r in results] == [(f"x.{fmt}!x", reasons.TRUNCATED)]


def test_empty_gzip_gives_empty_member(tmp_path: Path) -> None:
    assert read_all(write(tmp_path, "e.gz", compress(b"", "gz"))) == [Member("e.gz!e", b"")]


def test_concatenated_streams(tmp_path: Path) -> None:
    data = compress(b"one ", "gz") + compress(b"two", "gz")
    assert members(read_all(write(tmp_path, "c.gz", data))) == {"c.gz!c": b"one two"}
    zst = compress(b"one ", "zst") + compress(b"two", "zst")
    assert members(read_all(write(tmp_path, "c.zst", zst))) == {"c.zst!c": b"one two"}


class _Outflow:
    """A decompressed stream that tallies the bytes it hands out."""

    def __init__(self, inner, tally: list[int]) -> None:
        self.inner, self.tally = inner, tally

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.tally[0] += len(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self.inner.read1(n)
        self.tally[0] += len(data)
        return data


def test_gzip_stream_bomb_total_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 MB of zeros in ~200 kB: stopped within one read of the 8 MiB total, memory flat.
    Work, not time: every byte the decompressor hands out is counted."""
    inflated = [0]
    real = compressed.decompressor

    def metered(kind, raw):  # type: ignore[no-untyped-def]
        stream, counting, at_eof = real(kind, raw)
        return _Outflow(stream, inflated), counting, at_eof

    monkeypatch.setattr(compressed, "decompressor", metered)
    path = write(tmp_path, "zeros.gz", gzip_of_zeros(200))
    total = 8 << 20
    tracemalloc.start()
    try:
        results = read_all(path, total_bytes=total)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(results) == 1 and isinstance(results[0], Skipped)
    assert results[0].path == "zeros.gz!zeros" and results[0].reason in (reasons.BOMB, reasons.TOTAL)
    # The total, one read past it, and the first block peeked at: not the 200 MB behind them.
    assert 0 < inflated[0] <= total + READ_CHUNK + tar.BLOCK, inflated[0]
    assert peak < 32 << 20


def test_gzip_bomb_ratio_with_default_total(tmp_path: Path) -> None:
    results = read_all(write(tmp_path, "z.gz", gzip_of_zeros(40)))
    assert skipped(results) == {"z.gz!z": reasons.BOMB}


def test_garbage_after_magic_is_input_error(tmp_path: Path) -> None:
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 6  # valid gzip header, then an invalid deflate block
    with pytest.raises(InputError, match="looks like gz data but cannot be opened"):
        read_all(write(tmp_path, "bad.gz", header + b"\xff" * 200))


def test_header_only_gzip_is_truncated_member(tmp_path: Path) -> None:
    results = read_all(write(tmp_path, "cut.gz", b"\x1f\x8b\x08\xff" + b"\xff" * 50))
    assert [(r.path, r.reason) for r in results] == [("cut.gz!cut", reasons.TRUNCATED)]


def test_zstd_window_limit(tmp_path: Path) -> None:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=30, enable_ldm=True)
    data = zstandard.ZstdCompressor(compression_params=params).compress(b"x" * 1000)
    results = read_all(write(tmp_path, "w.zst", data))
    assert len(results) <= 1  # either refused (skipped) or decoded: never a 1 GiB window


def test_sniff() -> None:
    assert sniff(compress(b"a", "gz")) == "gz"
    assert sniff(compress(b"a", "bz2")) == "bz2"
    assert sniff(compress(b"", "bz2")) == "bz2"
    assert sniff(compress(b"a", "xz")) == "xz"
    assert sniff(compress(b"a", "zst")) == "zst"
    assert sniff(b"BZh9garbage") is None
    assert sniff(b"\x1f\x8b") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt.gz", "a.txt"),
        ("dir/B.ZST", "B"),
        ("x.gz!inner.xz", "inner"),
        ("noext", "noext"),
        (".gz", ".gz"),
    ],
)
def test_stem(name: str, expected: str) -> None:
    assert stem(name) == expected


def test_zstd_frames_follower() -> None:
    payload = os.urandom(50_000)
    for writer in (
        zstandard.ZstdCompressor(write_checksum=True),
        zstandard.ZstdCompressor(write_content_size=False),
    ):
        data = writer.compress(payload) + writer.compress(b"more")
        frames = ZstdFrames()
        for i in range(0, len(data), 777):
            frames.feed(data[i : i + 777])
        assert frames.complete
        for cut in (1, 5, len(data) // 2, len(data) - 1):
            partial = ZstdFrames()
            partial.feed(data[:cut])
            assert not partial.complete
    skippable = (0x184D2A50).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    frames = ZstdFrames()
    frames.feed(skippable + zstandard.ZstdCompressor().compress(b"x"))
    assert frames.complete
