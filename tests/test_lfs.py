"""Git LFS pointers (triage.lfs): what counts as one."""

from __future__ import annotations

from triage import lfs

SHA = "4d7a2145a7b8e3c2b5b1b51f0f4d7c1a2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b"


def test_pointer_is_parsed_only_when_whole():
    good = f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 12345\n".encode()
    assert lfs.parse(good) == (SHA, 12345)
    assert lfs.parse(good.replace(b"\n", b"\r\n")) == (SHA, 12345)
    assert lfs.parse(good.replace(b"size 12345\n", b"")) is None  # no size
    assert lfs.parse(good.replace(SHA.encode(), SHA[:-1].encode())) is None  # not 64 hex digits
    assert lfs.parse(b"# notes\n" + good) is None  # the version line must come first
    assert lfs.parse(good + b"x" * lfs.POINTER_MAX_BYTES) is None  # too large to be a pointer


def test_oid_line_hash_is_the_indexed_line():
    from triage.fingerprint import fingerprint

    fp = fingerprint(f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 1\n".encode())
    assert lfs.oid_line_hash(SHA) in set(fp.lines.tolist())
