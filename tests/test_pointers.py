"""Pointer files (triage.pointers): what counts as an LFS pointer or a DVC output."""

from __future__ import annotations

from triage import pointers as lfs

SHA = "4d7a2145a7b8e3c2b5b1b51f0f4d7c1a2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b"


def test_pointer_is_parsed_only_when_whole():
    good = f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 12345\n".encode()
    assert lfs.parse_lfs(good) == (SHA, 12345)
    assert lfs.parse_lfs(good.replace(b"\n", b"\r\n")) == (SHA, 12345)
    assert lfs.parse_lfs(good.replace(b"size 12345\n", b"")) is None  # no size
    assert lfs.parse_lfs(good.replace(SHA.encode(), SHA[:-1].encode())) is None  # not 64 hex digits
    assert lfs.parse_lfs(b"# notes\n" + good) is None  # the version line must come first
    assert lfs.parse_lfs(good + b"x" * lfs.LFS_MAX_BYTES) is None  # too large to be a pointer


def test_oid_line_hash_is_the_indexed_line():
    from triage.fingerprint import fingerprint

    fp = fingerprint(f"version https://git-lfs.github.com/spec/v1\noid sha256:{SHA}\nsize 1\n".encode())
    assert lfs.oid_line_hash(SHA) in set(fp.lines.tolist())


def test_dvc_outputs_are_read_safely():
    md5 = "a304afb96060aad90176268345e10355"
    dvc = f"outs:\n- md5: {md5}\n  size: 1234\n  path: model.pt\n- md5: {md5[:-4]}abcd.dir\n  size: 9\n  path: data\n"
    assert lfs.parse_dvc(dvc.encode()) == {(md5, 1234)}  # a directory output is left out
    lock = f"schema: '2.0'\nstages:\n  train:\n    outs:\n    - path: model.pt\n      md5: {md5}\n      size: 99\n"
    assert lfs.parse_dvc(lock.encode()) == {(md5, 99)}
    assert lfs.parse_dvc(b"md5: [unclosed") == set()
    assert lfs.parse_dvc(b"!!python/object/apply:os.system ['echo md5']") == set()  # safe_load: no tags
