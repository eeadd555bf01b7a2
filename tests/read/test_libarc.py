"""7z, RAR, cpio and ISO 9660 through libarchive (fixtures written by libarchive itself)."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.read import describe_drop, libarc, reasons

from .helpers import members, read_all, skipped, write, zip_bytes

libarchive = pytest.importorskip("libarchive")

FILES = [("proj/src/a.py", b"print('a')\n"), ("proj/README", b"readme\n")]


def archive(tmp_path: Path, fmt: str, files: list[tuple[str, bytes]] = FILES, name: str = "x") -> bytes:
    path = tmp_path / f"{name}.{fmt}"
    with libarchive.file_writer(str(path), fmt) as writer:
        for member, data in files:
            writer.add_file_from_memory(member, len(data), data, mtime=1_700_000_000)
    return path.read_bytes()


def newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A hand-built SVR4 (newc) cpio: (name, mode, data), symlink targets as data."""
    out = b""
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        raw = name.encode() + b"\x00"
        fields = [
            ino,
            mode,
            0,
            0,
            1,
            1_700_000_000,
            len(data),
            0,
            0,
            1 if mode & 0o20000 else 0,
            3,
            len(raw),
            0,
        ]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + raw
        out += b"\x00" * (-len(out) % 4) + data + b"\x00" * (-len(data) % 4)
    return out


@pytest.mark.parametrize("fmt", ["7zip", "cpio", "cpio_newc", "iso9660"])
def test_formats_read_by_content(tmp_path: Path, fmt: str) -> None:
    data = archive(tmp_path, fmt)
    path = write(tmp_path, "drop.bin", data)  # the name says nothing
    assert members(read_all(path)) == dict(FILES)
    assert describe_drop(path)["kind"] == {"7zip": "7z", "cpio_newc": "cpio"}.get(fmt, fmt)
    assert describe_drop(path)["sha256"] == hashlib.sha256(data).hexdigest()


def test_nested_in_zip(tmp_path: Path) -> None:
    seven = archive(tmp_path, "7zip")
    iso = archive(tmp_path, "iso9660")
    drop = zip_bytes([("backup/site.7z", seven), ("backup/disk.iso", iso)], zipfile.ZIP_STORED)
    got = members(read_all(write(tmp_path, "d.zip", drop)))
    assert got["backup/site.7z!proj/src/a.py"] == b"print('a')\n"
    assert got["backup/disk.iso!proj/README"] == b"readme\n"


def test_cpio_links_devices_traversal(tmp_path: Path) -> None:
    data = newc(
        [
            ("ok.txt", 0o100644, b"fine"),
            ("link", 0o120777, b"/etc/shadow"),
            ("null", 0o020666, b""),
            ("fifo", 0o010644, b""),
            ("../../etc/cron.d/x", 0o100644, b"evil"),
        ]
    )
    results = read_all(write(tmp_path, "d.cpio", data))
    assert members(results) == {"ok.txt": b"fine"}
    assert skipped(results) == {
        "link": reasons.LINK,
        "null": reasons.SPECIAL,
        "fifo": reasons.SPECIAL,
        "../../etc/cron.d/x": reasons.PATH_TRAVERSAL,
    }
    link = next(r for r in results if r.path == "link")
    assert "/etc/shadow" in link.detail


def test_seven_zip_bomb_and_member_cap(tmp_path: Path) -> None:
    zeros = bytes(48 << 20)
    data = archive(tmp_path, "7zip", [("z", zeros), ("after", b"still read")])
    assert len(data) < 100_000
    bomb = read_all(write(tmp_path, "b.7z", data))
    assert skipped(bomb)["z"] == reasons.BOMB
    capped = read_all(write(tmp_path, "c.7z", data), member_bytes=4 << 20, ratio=10**9)
    assert skipped(capped)["z"] == reasons.TOO_LARGE
    assert members(capped)["after"] == b"still read"


def test_budget_total_applies(tmp_path: Path) -> None:
    data = archive(tmp_path, "7zip", [(f"f{i}", bytes(3 << 20)) for i in range(4)])
    results = read_all(write(tmp_path, "t.7z", data), total_bytes=7 << 20, ratio=10**9)
    assert [r.reason for r in results if not hasattr(r, "data")] == [reasons.TOTAL]


def test_rar_garbage_reported_cleanly(tmp_path: Path) -> None:
    for magic in (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00"):
        junk = magic + bytes(range(256)) * 4
        with pytest.raises(InputError, match=r"looks like rar data but cannot be opened"):
            read_all(write(tmp_path, "x.rar", junk))
        results = read_all(write(tmp_path, "d.zip", zip_bytes([("x.rar", junk), ("y", b"y")])))
        assert members(results) == {"x.rar": junk, "y": b"y"}
        assert skipped(results)["x.rar"] in (reasons.CORRUPT, reasons.TRUNCATED)


def test_truncated_7z(tmp_path: Path) -> None:
    data = archive(tmp_path, "7zip", [("a", bytes(range(256)) * 400)])
    with pytest.raises(InputError):
        read_all(write(tmp_path, "cut.7z", data[: len(data) // 2]))


def test_missing_library_degrades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libarc, "libarchive", None)
    monkeypatch.setattr(libarc, "LIBRARY_ERROR", "libarchive.so.13: cannot open shared object file")
    seven = archive(tmp_path, "7zip")
    with pytest.raises(InputError, match="libarchive13.*libarchive-c"):
        read_all(write(tmp_path, "x.7z", seven))
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("x.7z", seven)])))
    assert skipped(results) == {"x.7z": reasons.MISSING_LIBRARY}
    assert "libarchive13" in next(r.detail for r in results if r.path == "x.7z" and not hasattr(r, "data"))


def test_binary_cpio_needs_a_plausible_header() -> None:
    assert libarc.sniff(b"\xc7\x71" + bytes(40)) is None
    header = struct.pack("<13H", 0o070707, 0, 1, 0o100644, 0, 0, 1, 0, 0, 0, 6, 0, 0) + b"a.txt\x00"
    assert libarc.sniff(header) == libarc.CPIO
