"""Memory and work bounds: a 300 MB member under a 64 MB cap, and 10,000 tiny entries."""

from __future__ import annotations

import resource
import tarfile
import tracemalloc
import zlib
from pathlib import Path

from triage.model import Member
from triage.read import read_drop, reasons
from triage.read.limits import Limits

from .helpers import skipped, steps, zip_bytes

BIG = 300 * 1024 * 1024
CAP = 64 * 1024 * 1024


def write_big_tgz(path: Path) -> None:
    """big.tgz: a 300 MB member of zeros then a small one, compressed as a stream (never held)."""
    header = tarfile.TarInfo("data/huge.bin")
    header.size = BIG
    small = tarfile.TarInfo("data/after.txt")
    small.size = 5
    gz = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    with open(path, "wb") as out:
        out.write(gz.compress(header.tobuf(tarfile.PAX_FORMAT)))
        for _ in range(BIG >> 20):
            out.write(gz.compress(chunk))
        out.write(gz.compress(small.tobuf(tarfile.PAX_FORMAT) + b"after" + bytes(507) + bytes(1024)))
        out.write(gz.flush())


def test_300mb_member_under_64mb_cap_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "big.tgz"
    write_big_tgz(path)
    limits = Limits(member_bytes=CAP, ratio=10**9)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    try:
        results = list(read_drop(path, limits))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    assert skipped(results) == {"data/huge.bin": reasons.TOO_LARGE}
    assert [r.path for r in results if isinstance(r, Member)] == ["data/after.txt"]
    assert peak < 3 * CAP, f"python peak {peak >> 20} MiB"
    assert rss_growth < 1 << 30, f"RSS grew {rss_growth >> 20} MiB"
    print(f"\n300 MB member: python peak {peak >> 20} MiB, RSS growth {rss_growth >> 20} MiB")


def many_tiny(path: Path, n: int) -> Path:
    path.write_bytes(zip_bytes([(f"d{i % 100}/f{i}.txt", b"%d\n" % i) for i in range(n)]))
    return path


def test_ten_thousand_tiny_entries(tmp_path: Path) -> None:
    results = list(read_drop(many_tiny(tmp_path / "many.zip", 10_000)))
    assert sum(isinstance(r, Member) for r in results) == 10_000


def test_tiny_entries_each_cost_the_same(tmp_path: Path) -> None:
    """Work, not time: the Python lines run per entry are the same for 1,000 and 4,000 entries (a
    step comparing every entry with every other would make the 4,000 cost four times as much each)."""
    per_entry = {}
    for n in (1000, 4000):
        path = many_tiny(tmp_path / f"many{n}.zip", n)
        results, lines = steps(lambda: list(read_drop(path)))  # noqa: B023 - called at once
        assert sum(isinstance(r, Member) for r in results) == n
        per_entry[n] = lines / n
    assert per_entry[4000] <= 1.25 * per_entry[1000], per_entry
