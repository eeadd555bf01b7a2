"""7z, RAR (4 and 5), cpio and ISO 9660 through libarchive (the engine behind bsdtar).

Detected by magic bytes only, then read as a forward stream with libarchive restricted to
that one format and no filters: entries are listed and their data pulled in bounded chunks
(``read(n)`` never returns more than ``n``); nothing is extracted. The orchestrator applies
the same member cap, ratio, budget, name, link and special-file rules as for zip and tar.

Needs the system library (Debian ``libarchive13``) and the binding ``libarchive-c``. When
either is missing these formats are reported, not crashed on: a nested archive becomes a
Skipped ``missing-library``, a top-level drop an InputError naming what to install.
"""

from __future__ import annotations

import contextlib
import ctypes
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from triage.read import reasons
from triage.read.base import (
    DIR,
    FILE,
    LINK,
    SKIP,
    SPECIAL,
    Context,
    Entry,
    OpenError,
    Source,
    classify,
    short,
)
from triage.read.limits import READ_CHUNK
from triage.read.names import display, from_bytes

INSTALL_HINT = "install the Debian package libarchive13 and the Python package libarchive-c"

try:
    import libarchive
    from libarchive import ffi

    _lib = ffi.libarchive
    for _name in ("pathname", "symlink", "hardlink"):
        _fn = getattr(_lib, f"archive_entry_{_name}_utf8")
        _fn.argtypes, _fn.restype = [ctypes.c_void_p], ctypes.c_char_p
    for _name in ("archive_entry_is_encrypted",):
        _fn = getattr(_lib, _name)
        _fn.argtypes, _fn.restype = [ctypes.c_void_p], ctypes.c_int
    LIBRARY_ERROR: str | None = None
except Exception as _exc:  # noqa: BLE001 - libarchive missing, too old, or its binding missing
    libarchive = None
    LIBRARY_ERROR = f"libarchive is not available ({short(_exc)})"

SEVEN_ZIP, RAR, RAR5, CPIO, ISO = "7z", "rar", "rar5", "cpio", "iso9660"
# libarchive's read-format names for each of ours.
_FORMATS = {SEVEN_ZIP: "7zip", RAR: "rar", RAR5: "rar5", CPIO: "cpio", ISO: "iso9660"}
_COMPRESSED = (SEVEN_ZIP, RAR, RAR5)  # formats whose member data is decompressed (ratio, budget)
_ISO_AT = 32769


def sniff(head: bytes) -> str | None:
    """The libarchive format ``head`` starts with, by magic bytes, or None."""
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVEN_ZIP
    if head.startswith(b"Rar!\x1a\x07\x01\x00"):
        return RAR5
    if head.startswith(b"Rar!\x1a\x07\x00"):
        return RAR
    if head[:6] in (b"070707", b"070701", b"070702"):
        return CPIO
    if head[:2] in (b"\xc7\x71", b"\x71\xc7") and _binary_cpio(head):
        return CPIO
    if head[_ISO_AT : _ISO_AT + 5] == b"CD001":
        return ISO
    return None


def _binary_cpio(head: bytes) -> bool:
    """Old binary cpio has a 2-byte magic only: also require a plausible first header."""
    if len(head) < 28:
        return False
    namesize = int.from_bytes(head[20:22], "little" if head[:2] == b"\xc7\x71" else "big")
    return 1 < namesize <= 4096 and len(head) >= 26 + namesize and head[26 + namesize - 1] == 0


def detect(head: bytes, path: Path | None) -> bool:
    return sniff(head) is not None


def kind(source: Source) -> str:
    fmt = sniff(source.head) or "archive"
    return "rar" if fmt == RAR5 else fmt


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    fmt = sniff(source.head)
    assert fmt is not None
    if libarchive is None:
        raise OpenError(
            f"reading {kind(source)} needs libarchive: {INSTALL_HINT} ({LIBRARY_ERROR})",
            reasons.MISSING_LIBRARY,
        )
    stack = contextlib.ExitStack()
    try:
        handle = stack.enter_context(source.open())
        archive = stack.enter_context(
            libarchive.stream_reader(
                handle, format_name=_FORMATS[fmt], filter_name="none", block_size=64 * 1024
            )
        )
        items = iter(archive)
        first = next(items, None)  # libarchive opens lazily: the first header decides
    except Exception as exc:  # noqa: BLE001 - libarchive refuses the header: cannot be opened
        stack.close()
        message = _message(exc)
        raise OpenError(message, classify(ValueError(message))) from None
    return _entries(archive, items, first, fmt, stack, source)


def _message(exc: BaseException) -> str:
    """libarchive's own message, without the pointer and codes libarchive-c appends."""
    if libarchive is None or not isinstance(exc, libarchive.ArchiveError):
        return short(exc)
    msg = getattr(exc, "msg", None)
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    if not isinstance(msg, str) or not msg:
        msg = f"libarchive error (code {getattr(exc, 'retcode', '?')})"
    return short(ValueError(display(msg)))


def _entries(
    archive: Any, items: Iterator[Any], first: Any, fmt: str, stack: contextlib.ExitStack, source: Source
) -> Iterator[Entry]:
    pointer = archive._pointer
    buffer = ctypes.create_string_buffer(READ_CHUNK)
    try:
        item = first
        while item is not None:
            yield _entry(item, pointer, fmt, buffer, source)
            try:
                item = next(items, None)
            except Exception as exc:  # noqa: BLE001 - reported by the orchestrator, message cleaned
                raise ValueError(_message(exc)) from None
    finally:
        stack.close()


def _text(fn: Callable[[Any], bytes | None], entry_p: Any) -> str | None:
    raw = fn(entry_p)
    return None if raw is None else from_bytes(raw)


def _entry(item: Any, pointer: Any, fmt: str, buffer: Any, source: Source) -> Entry:
    entry_p = item._entry_p
    name = _text(_lib.archive_entry_pathname_utf8, entry_p)
    if name is None:
        raw = ffi.entry_pathname(entry_p)
        name = from_bytes(raw) if raw is not None else ""
    mode = item.mode
    mtime = float(item.mtime) if ffi.entry_mtime_is_set(entry_p) else None
    if stat.S_ISDIR(mode) or name.endswith("/"):
        return Entry(name, DIR)
    hardlink = _text(_lib.archive_entry_hardlink_utf8, entry_p)
    if hardlink is not None:
        return Entry(name, LINK, target=hardlink, detail="hard link")
    if stat.S_ISLNK(mode):
        return Entry(
            name, LINK, target=_text(_lib.archive_entry_symlink_utf8, entry_p) or "", detail="symlink"
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        what = (
            "character device"
            if stat.S_ISCHR(mode)
            else "block device"
            if stat.S_ISBLK(mode)
            else ("FIFO" if stat.S_ISFIFO(mode) else "socket")
        )
        return Entry(name, SPECIAL, detail=what)
    if _lib.archive_entry_is_encrypted(entry_p):
        return Entry(name, SKIP, reason=reasons.ENCRYPTED, detail="encrypted entry (not decrypted)")
    if not stat.S_ISREG(mode) and mode != 0:
        return Entry(name, SKIP, reason=reasons.UNSUPPORTED, detail=f"entry type {mode:o}")
    compressed = None
    if fmt in _COMPRESSED:
        # Bytes libarchive has pulled from the container so far: for solid archives per-member
        # packed sizes do not exist, so the ratio is judged against the whole container read.
        compressed = lambda: max(1, int(ffi.filter_bytes(pointer, -1)))  # noqa: E731
    return Entry(
        name,
        FILE,
        open=lambda: _Data(pointer, buffer),  # type: ignore[arg-type,return-value]
        mtime=mtime,
        compressed=compressed,
    )


class _Data:
    """The current entry's data, pulled from libarchive in bounded chunks."""

    def __init__(self, pointer: Any, buffer: Any) -> None:
        self.pointer, self.buffer = pointer, buffer

    def read(self, n: int = -1) -> bytes:
        n = READ_CHUNK if n is None or n < 0 else min(n, READ_CHUNK)
        try:
            got = ffi.read_data(self.pointer, self.buffer, n)
        except Exception as exc:  # noqa: BLE001 - libarchive's message, cleaned of pointers
            raise OSError(_message(exc)) from None
        return ctypes.string_at(self.buffer, got) if got else b""

    def close(self) -> None:
        pass

    def __enter__(self) -> BinaryIO:
        return self  # type: ignore[return-value]

    def __exit__(self, *exc: object) -> None:
        pass
