"""Property: whatever the bytes, read_drop either iterates normally or raises InputError."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import EmbeddedRepo, describe_drop, read_drop
from triage.read.limits import Limits

from .helpers import compress, simple_raw_zip, special, tar_bytes, zip_bytes

LIMITS = Limits(member_bytes=1 << 20, total_bytes=4 << 20, members=500, seconds=10, depth=4)
FILES = [("p/a.txt", b"alpha " * 50), ("p/b.bin", bytes(range(256))), ("p/c", b"")]
TAR = tar_bytes([*FILES, special("p/l", b"2", "/etc/passwd"), special("p/f", b"6")])
SEEDS = [
    zip_bytes(FILES),
    zip_bytes(FILES, zipfile.ZIP_STORED),
    zip_bytes(FILES, zipfile.ZIP_BZIP2),
    zip_bytes(FILES, zipfile.ZIP_LZMA),
    zip_bytes([("n/inner.zip", zip_bytes(FILES)), ("n/t.tgz", compress(TAR, "gz"))]),
    simple_raw_zip([(b"../x", b"1"), (b"caf\xe9", b"2")]),
    TAR,
    compress(TAR, "gz"),
    compress(TAR, "bz2"),
    compress(TAR, "xz"),
    compress(TAR, "zst"),
    compress(b"single file " * 40, "gz"),
    compress(b"single file " * 40, "zst"),
]


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drop"
        path.write_bytes(data)
        try:
            results = list(read_drop(path, LIMITS))
        except InputError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        for r in results:
            assert isinstance(r, (Member, Skipped, EmbeddedRepo))
            assert r.path.isprintable()
        assert describe_drop(path)["size"] == len(data)
        assert list(read_drop(path, LIMITS)) == results  # deterministic, even on broken input


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_after_magic(data: bytes) -> None:
    for magic in (b"PK\x03\x04", b"\x1f\x8b\x08", b"BZh91AY&SY", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"):
        _check(magic + data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_archives(seed: bytes, flips: list[tuple[float, int]], cut: float | None) -> None:
    data = bytearray(seed)
    for where, value in flips:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _check(bytes(data))
