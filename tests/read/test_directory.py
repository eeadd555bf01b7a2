"""Directory drops: sorted walk, links and special files reported, nothing followed or changed."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from triage.model import Member
from triage.read import reasons
from triage.read.directory import open_regular

from .helpers import members, read_all, skipped


def _snapshot(root: Path) -> list[tuple[str, int, float]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            st = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.join(dirpath, name), st.st_size, st.st_mtime))
    return sorted(out)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "drop"
    (root / "src" / "deep").mkdir(parents=True)
    (root / "b.txt").write_bytes(b"b")
    (root / "a.txt").write_bytes(b"a")
    (root / "src" / "deep" / "x.py").write_bytes(b"print(1)\n")
    (root / "src" / "z.c").write_bytes(b"int z;")
    secret = tmp_path / "outside-secret"
    secret.write_bytes(b"do not read")
    (root / "link-out").symlink_to(secret)
    (root / "link-dir").symlink_to(tmp_path)
    os.mkfifo(root / "fifo")
    return root


def test_directory_walk(tree: Path) -> None:
    before = _snapshot(tree)
    results = read_all(tree)
    assert [(r.path, type(r).__name__) for r in results] == [
        ("a.txt", "Member"),
        ("b.txt", "Member"),
        ("fifo", "Skipped"),
        ("link-dir", "Skipped"),
        ("link-out", "Skipped"),
        ("src/deep/x.py", "Member"),
        ("src/z.c", "Member"),
    ]
    assert members(results)["src/deep/x.py"] == b"print(1)\n"
    assert skipped(results) == {"fifo": reasons.SPECIAL, "link-dir": reasons.LINK, "link-out": reasons.LINK}
    assert all(b"do not read" not in r.data for r in results if isinstance(r, Member))
    assert _snapshot(tree) == before


def test_socket_and_unsafe_names(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "s"))
        os.close(os.open(os.path.join(os.fsencode(root), b"bad\xffname"), os.O_CREAT | os.O_WRONLY))
        (root / "ctl\x1bname").write_bytes(b"x")
        results = read_all(root)
    finally:
        sock.close()
    assert skipped(results) == {
        "bad\\xffname": reasons.NAME_UNSAFE,
        "ctl\\x1bname": reasons.NAME_UNSAFE,
        "s": reasons.SPECIAL,
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_subdirectory(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "locked").mkdir(parents=True)
    (root / "ok").write_bytes(b"ok")
    os.chmod(root / "locked", 0)
    try:
        results = read_all(root)
    finally:
        os.chmod(root / "locked", 0o755)
    assert skipped(results) == {"locked": reasons.UNREADABLE}
    assert members(results) == {"ok": b"ok"}


def test_directory_member_limit_and_nested_archive(tmp_path: Path) -> None:
    import gzip

    root = tmp_path / "d"
    root.mkdir()
    (root / "big").write_bytes(b"x" * 5000)
    (root / "notes.gz").write_bytes(gzip.compress(b"inner"))
    results = read_all(root, member_bytes=4096)
    assert skipped(results) == {"big": reasons.TOO_LARGE}
    assert members(results)["notes.gz!notes"] == b"inner"


def test_open_regular_refuses_fifo_and_symlink(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f")
    (tmp_path / "l").symlink_to(tmp_path / "f")
    with pytest.raises(OSError):
        open_regular(str(tmp_path / "f"))
    with pytest.raises(OSError):
        open_regular(str(tmp_path / "l"))
