"""read_drop / describe_drop: nesting, shared budget, drop-wide limits, top-level errors."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import describe_drop, read_drop, reasons
from triage.read.base import Context, spool
from triage.read.limits import Budget, Limits

from .helpers import compress, gzip_of_zeros, members, read_all, skipped, tar_bytes, write, zip_bytes


def nested_drop() -> bytes:
    """outer.zip > outer/lib/inner.tgz > pkg/deep.zip > x/notes.txt.gz > notes.txt (4 levels)."""
    level4 = compress(b"the secret", "gz")
    level3 = zip_bytes([("x/notes.txt.gz", level4), ("x/readme", b"r")])
    level2 = compress(tar_bytes([("pkg/deep.zip", level3)]), "gz")
    return zip_bytes([("outer/lib/inner.tgz", level2), ("outer/top.txt", b"t")])


def test_nested_archives_named_with_bang(tmp_path: Path) -> None:
    results = read_all(write(tmp_path, "drop.zip", nested_drop()))
    assert [r.path for r in results] == [
        "outer/lib/inner.tgz",
        "outer/lib/inner.tgz!pkg/deep.zip",
        "outer/lib/inner.tgz!pkg/deep.zip!x/notes.txt.gz",
        "outer/lib/inner.tgz!pkg/deep.zip!x/notes.txt.gz!notes.txt",
        "outer/lib/inner.tgz!pkg/deep.zip!x/readme",
        "outer/top.txt",
    ]
    assert all(isinstance(r, Member) for r in results)
    assert results[3].data == b"the secret"


def test_depth_limit(tmp_path: Path) -> None:
    results = read_all(write(tmp_path, "drop.zip", nested_drop()), depth=2)
    assert skipped(results) == {"outer/lib/inner.tgz!pkg/deep.zip!x/notes.txt.gz": reasons.DEPTH}
    # the archive itself is still a member; only its contents are not opened
    assert "outer/lib/inner.tgz!pkg/deep.zip!x/notes.txt.gz" in members(results)
    assert "outer/lib/inner.tgz!pkg/deep.zip!x/readme" in members(results)
    none = read_all(write(tmp_path, "drop2.zip", nested_drop()), depth=0)
    assert [(r.path, type(r).__name__) for r in none] == [
        ("outer/lib/inner.tgz", "Member"),
        ("outer/lib/inner.tgz", "Skipped"),
        ("outer/top.txt", "Member"),
    ]


def test_nested_by_content_not_name(tmp_path: Path) -> None:
    inner = zip_bytes([("a", b"1")])
    results = read_all(
        write(tmp_path, "d.zip", zip_bytes([("report.pdf", inner), ("page.zip", b"not a zip")]))
    )
    assert members(results) == {"report.pdf": inner, "report.pdf!a": b"1", "page.zip": b"not a zip"}


def test_corrupt_nested_archive_is_skipped(tmp_path: Path) -> None:
    results = read_all(
        write(tmp_path, "d.zip", zip_bytes([("x.zip", b"PK\x03\x04" + b"\x00" * 60), ("y", b"y")]))
    )
    assert members(results) == {"x.zip": b"PK\x03\x04" + b"\x00" * 60, "y": b"y"}
    assert skipped(results) == {"x.zip": reasons.CORRUPT}


def test_budget_shared_across_levels(tmp_path: Path) -> None:
    """42.zip style: nested copies of a gzip bomb; the total is drop-wide, not per level."""
    bomb = gzip_of_zeros(4)  # 4 MiB of zeros each
    inner = zip_bytes([(f"b{i}.gz", bomb) for i in range(4)], zipfile.ZIP_STORED)
    outer = zip_bytes([(f"l{i}.zip", inner) for i in range(4)], zipfile.ZIP_STORED)
    results = read_all(write(tmp_path, "42.zip", outer), total_bytes=10 << 20, ratio=10**9)
    expanded = [r.path for r in results if isinstance(r, Member) and len(r.data) == 4 << 20]
    assert expanded == ["l0.zip!b0.gz!b0", "l0.zip!b1.gz!b1"]
    assert results[-1] == Skipped("l0.zip!b2.gz!b2", reasons.TOTAL, results[-1].detail)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [reasons.TOTAL]  # stops at once


def test_member_count_limit(tmp_path: Path) -> None:
    data = zip_bytes([(f"f{i}", b"x") for i in range(50)])
    results = read_all(write(tmp_path, "d.zip", data), members=10)
    assert len(results) == 11
    assert [r.path for r in results if isinstance(r, Member)] == [f"f{i}" for i in range(10)]
    assert results[-1] == Skipped("f10", reasons.COUNT, results[-1].detail)


def test_time_limit(tmp_path: Path) -> None:
    data = zip_bytes([(f"f{i}", b"x") for i in range(5)])
    results = read_all(write(tmp_path, "d.zip", data), seconds=0)
    assert [(r.path, r.reason) for r in results] == [("f0", reasons.TIME)]


def test_deterministic(tmp_path: Path) -> None:
    path = write(tmp_path, "drop.zip", nested_drop())
    assert list(read_drop(path)) == list(read_drop(path))
    root = tmp_path / "dir"
    (root / "b").mkdir(parents=True)
    for name in ("z", "a", "b/c", "M"):
        (root / name).write_bytes(name.encode())
    assert [r.path for r in read_drop(root)] == ["M", "a", "b/c", "z"]
    assert list(read_drop(root)) == list(read_drop(root))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.zip", b"just some text\n", r"is named like an archive but is not one triage can read"
                                          r" \(detected: text/plain\)"),
        ("garbage.tar.gz", bytes(range(256)) * 8, r"is named like an archive but is not one triage can read"),
        ("empty.zip", b"", r"is named like an archive"),
        ("cut.zip", None, r"looks like a zip archive but cannot be opened"),
    ],
)
def test_input_errors(tmp_path: Path, name: str, data: bytes | None, message: str) -> None:
    if data is None:
        data = zip_bytes([("a", b"b" * 1000)])[:-30]  # end of central directory cut off
    path = write(tmp_path, name, data)
    with pytest.raises(InputError, match=message) as info:
        read_drop(path)
    assert "\n" not in str(info.value)


def test_a_single_file_is_a_drop_of_one(tmp_path: Path) -> None:
    """A file that is not an archive (an e-mail attachment: text, a PDF, binary data), and an
    office document even though it is a zip, is a drop of one member named by its base name."""
    docx = zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
    for name, data in [("notes.txt", b"just some text\n"), ("blob.bin", bytes(range(256)) * 8),
                       ("memo.docx", docx)]:
        path = write(tmp_path, name, data)
        results = list(read_drop(path))
        assert [(type(r).__name__, r.path) for r in results] == [("Member", name)]
        assert results[0].data == data
        assert describe_drop(path)["kind"] == "file"
    bundle = write(tmp_path, "parts.zip", zip_bytes([("a.txt", b"a"), ("b.txt", b"b")]))
    assert [r.path for r in read_drop(bundle)] == ["a.txt", "b.txt"]  # a plain zip is still opened


def test_missing_and_special_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_drop(tmp_path / "nope.zip")
    with pytest.raises(InputError, match="does not exist"):
        describe_drop(tmp_path / "nope.zip")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match="neither a regular file nor a directory"):
        read_drop(tmp_path / "fifo")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.zip", zip_bytes([("a", b"b")]))
    os.chmod(path, 0)
    with pytest.raises(InputError, match="cannot read"):
        read_drop(path)


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("d.zip", lambda: zip_bytes([("a", b"b")]), "zip"),
        ("d.tar", lambda: tar_bytes([("a", b"b")]), "tar"),
        ("d.tgz", lambda: compress(tar_bytes([("a", b"b")]), "gz"), "tar.gz"),
        ("d.tbz2", lambda: compress(tar_bytes([("a", b"b")]), "bz2"), "tar.bz2"),
        ("d.txz", lambda: compress(tar_bytes([("a", b"b")]), "xz"), "tar.xz"),
        ("d.tar.zst", lambda: compress(tar_bytes([("a", b"b")]), "zst"), "tar.zst"),
        ("n.gz", lambda: compress(b"hello", "gz"), "gz"),
        ("n.zst", lambda: compress(b"hello", "zst"), "zst"),
    ],
)
def test_describe_drop(tmp_path: Path, name: str, make, kind: str) -> None:  # type: ignore[no-untyped-def]
    data = make()
    path = write(tmp_path, name, data)
    assert describe_drop(path) == {
        "path": str(path),
        "kind": kind,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


def test_describe_directory(tmp_path: Path) -> None:
    (tmp_path / "d" / "s").mkdir(parents=True)
    (tmp_path / "d" / "a").write_bytes(b"12345")
    (tmp_path / "d" / "s" / "b").write_bytes(b"678")
    (tmp_path / "d" / "l").symlink_to(tmp_path / "d" / "a")
    assert describe_drop(tmp_path / "d") == {
        "path": str(tmp_path / "d"),
        "kind": "directory",
        "sha256": None,
        "size": 8,
    }


def test_describe_non_archive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="named like an archive"):
        describe_drop(write(tmp_path, "t.zip", b"text"))
    one = describe_drop(write(tmp_path, "t.txt", b"text"))
    assert one["kind"] == "file" and one["size"] == 4


def test_spool_stays_in_workdir(tmp_path: Path) -> None:
    ctx = Context(Limits(), Budget(Limits()), workdir=tmp_path)
    with spool(ctx) as handle:
        handle.write(b"abc")
        handle.seek(0)
        assert handle.read() == b"abc"
        assert [p.name.startswith("triage-spool-") for p in tmp_path.iterdir()] == [True]
    assert list(tmp_path.iterdir()) == []
    with spool(Context(Limits(), Budget(Limits()))) as handle:
        handle.write(b"in memory")


def test_workdir_untouched_by_reading(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = write(tmp_path, "drop.zip", nested_drop())
    list(read_drop(path, workdir=work))
    assert list(work.iterdir()) == []


def test_consumer_may_stop_early(tmp_path: Path) -> None:
    path = write(tmp_path, "drop.zip", nested_drop())
    it = read_drop(path)
    first = next(it)
    assert first.path == "outer/lib/inner.tgz"
    it.close()  # closes the nested generators and files
