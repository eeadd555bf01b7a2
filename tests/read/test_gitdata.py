"""Git repositories in a drop: .git folders and bundles become EmbeddedRepo, never members."""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.conftest import Repo
from triage.model import Member, Skipped
from triage.read import read_drop, reasons
from triage.read.gitdata import (
    EmbeddedRepo,
    _Found,
    apply_delta,
    git_root,
    loose_object,
    object_id,
    parse_commit,
    read_pack,
)

from .helpers import compress, tar_bytes, write, zip_bytes

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git builds the fixtures")


def history(repo: Repo) -> list[str]:
    repo.commit({"src/app.py": "print('v1')\n", "README": "internal\n"}, "first")
    repo.commit({"src/app.py": "print('v2')\n"}, "second: fix the thing")
    repo.commit({"src/new.py": "x = 1\n"}, "third")
    return repo.git("rev-list", "--all").split()


def repos(results: list) -> list[EmbeddedRepo]:
    return [r for r in results if isinstance(r, EmbeddedRepo)]


def test_git_folder_in_directory_drop(repo: Repo) -> None:
    oids = history(repo)
    results = list(read_drop(repo.path))
    assert sorted(r.path for r in results if isinstance(r, Member)) == ["README", "src/app.py", "src/new.py"]
    [found] = repos(results)
    assert found.path == ".git" and found.kind == "git-dir"
    assert sorted(c["oid"] for c in found.commits) == sorted(oids)
    head = next(c for c in found.commits if c["oid"] == oids[0])
    assert head["subject"] == "third"
    assert head["author"] == "Test <test@example.com>"
    assert head["committer_date"] == "2023-11-17T22:13:20Z"
    assert head["parents"] == (oids[1],)
    assert (oids[0], "refs/heads/main") in found.refs
    assert "HEAD -> refs/heads/main" in found.notes
    [note] = [r for r in results if isinstance(r, Skipped)]
    assert note.path == ".git" and note.reason == reasons.GIT_OBJECTS


def test_packed_repository_in_archive(repo: Repo, tmp_path: Path) -> None:
    oids = history(repo)
    repo.git("gc", "-q", "--aggressive")
    files = [
        (str(p.relative_to(repo.path.parent)), p.read_bytes())
        for p in sorted(repo.path.rglob("*"))
        if p.is_file()
    ]
    for name, data in (("drop.zip", zip_bytes(files)), ("drop.tgz", compress(tar_bytes(files), "gz"))):
        results = list(read_drop(write(tmp_path, name, data)))
        [found] = repos(results)
        assert found.path == "internal/.git"
        assert sorted(c["oid"] for c in found.commits) == sorted(oids)
        assert (oids[0], "refs/heads/main") in found.refs  # from packed-refs
        assert not any(isinstance(r, Member) and ".git/" in r.path for r in results)
        assert {r.path for r in results if isinstance(r, Member)} == {
            "internal/README",
            "internal/src/app.py",
            "internal/src/new.py",
        }


def test_bundles(repo: Repo, tmp_path: Path) -> None:
    oids = history(repo)
    full = tmp_path / "full.bundle"
    repo.git("bundle", "create", str(full), "--all")
    [found] = repos(list(read_drop(full)))
    assert found.kind == "bundle" and found.path == "full.bundle"
    assert sorted(c["oid"] for c in found.commits) == sorted(oids)
    assert (oids[0], "refs/heads/main") in found.refs
    assert found.prerequisites == ()
    part = tmp_path / "part.bundle"
    repo.git("bundle", "create", "--version=3", str(part), "main~1..main")
    results = list(read_drop(write(tmp_path, "d.zip", zip_bytes([("x/part.bundle", part.read_bytes())]))))
    [found] = repos(results)
    assert found.path == "x/part.bundle"
    assert [c["oid"] for c in found.commits] == [oids[0]]
    assert found.prerequisites == (oids[1],)


def test_forged_loose_object_noted(repo: Repo, tmp_path: Path) -> None:
    history(repo)
    body = b"tree " + b"1" * 40 + b"\nauthor Eve <e@x> 1 +0000\ncommitter Eve <e@x> 1 +0000\n\nforged\n"
    fake = "ab" + "c" * 38
    obj = repo.path / ".git" / "objects" / "ab" / ("c" * 38)
    obj.parent.mkdir(exist_ok=True)
    obj.write_bytes(zlib.compress(b"commit %d\x00" % len(body) + body))
    [found] = repos(list(read_drop(repo.path)))
    real = object_id(b"commit", body)
    assert any(fake in n and "does not match" in n for n in found.notes)
    assert any(c["oid"] == real and c["subject"] == "forged" for c in found.commits)


def pack(objects: list[tuple[int, bytes, int | None]]) -> bytes:
    """A v2 pack: (type, payload, ofs-delta base index or None)."""
    out = bytearray(b"PACK" + (2).to_bytes(4, "big") + len(objects).to_bytes(4, "big"))
    starts: list[int] = []
    for kind, payload, base in objects:
        starts.append(len(out))
        size = len(payload)
        byte = (kind << 4) | (size & 15)
        size >>= 4
        header = bytearray()
        while size:
            header.append(byte | 0x80)
            byte, size = size & 0x7F, size >> 7
        header.append(byte)
        if base is not None:
            rel = starts[-1] - starts[base]
            enc = bytearray([rel & 0x7F])
            rel >>= 7
            while rel:
                rel -= 1
                enc.insert(0, 0x80 | (rel & 0x7F))
                rel >>= 7
            header += enc
        out += header + zlib.compress(payload)
    return bytes(out + b"\x00" * 20)


COMMIT_A = (
    b"tree " + b"a" * 40 + b"\nauthor A <a@x> 1700000000 +0100\ncommitter A <a@x> 1700000000 +0100\n\nfirst\n"
)
COMMIT_B = COMMIT_A.replace(b"first", b"other")


def delta(base: bytes, target: bytes) -> bytes:
    """Copy the common prefix, insert the rest (enough for tests)."""
    common = 0
    while common < min(len(base), len(target)) and base[common] == target[common]:
        common += 1

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    rest = target[common:]
    ops = bytes([0x80 | 0x10, common]) if common else b""
    return varint(len(base)) + varint(len(target)) + ops + bytes([len(rest)]) + rest


def test_pack_with_deltified_commit() -> None:
    data = pack([(1, COMMIT_A, None), (3, b"blob data" * 100, None), (6, delta(COMMIT_A, COMMIT_B), 0)])
    found = _Found()
    read_pack(io.BytesIO(data).read, found, "t", lambda: None)
    assert found.commits is not None
    assert sorted(c["subject"] for c in found.commits.values()) == ["first", "other"]
    assert found.notes == []
    cut = _Found()
    read_pack(io.BytesIO(data[:-40]).read, cut, "t", lambda: None)
    assert cut.notes and "truncated" in cut.notes[0]


def test_parsers_units() -> None:
    assert apply_delta(COMMIT_A, delta(COMMIT_A, COMMIT_B)) == COMMIT_B
    with pytest.raises(ValueError):
        apply_delta(b"short", delta(COMMIT_A, COMMIT_B))
    commit = parse_commit("f" * 40, COMMIT_A)
    assert commit is not None
    assert commit["author_date"] == "2023-11-14T22:13:20Z" and commit["subject"] == "first"
    assert parse_commit("f" * 40, b"not a commit") is None
    assert loose_object(zlib.compress(b"blob 3\x00abc")) == (b"blob", None)
    assert loose_object(zlib.compress(b"commit %d\x00" % len(COMMIT_A) + COMMIT_A)) == (b"commit", COMMIT_A)
    with pytest.raises(ValueError):
        loose_object(zlib.compress(b"commit 999\x00short"))
    assert git_root("a/.git/objects/ab/cd") == ("a/.git", "objects/ab/cd")
    assert git_root("srv/repo.git/refs/heads/main") == ("srv/repo.git", "refs/heads/main")
    assert git_root("a/.git") is None  # a worktree pointer file is an ordinary member
    assert git_root("docs/my.git/notes.txt") is None


def test_hostile_subject_and_names_are_escaped() -> None:
    body = COMMIT_A.replace(b"first", b"evil\x1b[2J\xe2\x80\xae")
    commit = parse_commit("f" * 40, body)
    assert commit is not None and commit["subject"].isprintable()


def test_git_not_needed_at_read_time(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo)
    monkeypatch.setattr(subprocess, "run", None)
    monkeypatch.setattr(subprocess, "Popen", None)
    assert repos(list(read_drop(repo.path)))
