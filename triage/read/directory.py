"""Directory drops: a depth-first walk, children sorted by name, never following a symlink.

Uses ``os.scandir`` without following links; regular files are opened read-only with
``O_NOFOLLOW | O_NONBLOCK`` (and ``O_NOATIME`` where allowed) and re-checked with ``fstat``,
so a file swapped for a FIFO or a link between listing and opening is refused, not followed
or waited on. Nothing in the drop is modified.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from triage.read import reasons
from triage.read.base import DIR, FILE, LINK, SKIP, SPECIAL, Context, Entry, OpenError, Source, short

_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)
_NOATIME = getattr(os, "O_NOATIME", 0)


def detect(head: bytes, path: Path | None) -> bool:
    return path is not None and path.is_dir()


def kind(source: Source) -> str:
    return "directory"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    assert source.path is not None
    try:
        first = _listing(source.path)
    except OSError as exc:
        raise OpenError(short(exc), reasons.UNREADABLE) from None
    return _walk(first)


def _listing(path: str | Path) -> list[os.DirEntry[str]]:
    """Children of ``path`` sorted by name, reversed so that ``pop()`` yields them in order."""
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name, reverse=True)


def _walk(first: list[os.DirEntry[str]]) -> Iterator[Entry]:
    stack: list[tuple[str, list[os.DirEntry[str]]]] = [("", first)]
    while stack:
        rel, pending = stack[-1]
        if not pending:
            stack.pop()
            continue
        item = pending.pop()
        name = rel + item.name
        try:
            if item.is_symlink():
                yield Entry(name, LINK, target=os.readlink(item.path), detail="symlink")
            elif item.is_dir(follow_symlinks=False):
                try:
                    children = _listing(item.path)
                except OSError as exc:
                    yield Entry(name, SKIP, reason=reasons.UNREADABLE, detail=short(exc))
                    continue
                stack.append((name + "/", children))
                yield Entry(name, DIR)
            elif item.is_file(follow_symlinks=False):
                mtime = item.stat(follow_symlinks=False).st_mtime
                yield Entry(name, FILE, open=lambda p=item.path: open_regular(p), mtime=mtime, path=item.path)
            else:
                mode = item.stat(follow_symlinks=False).st_mode
                yield Entry(name, SPECIAL, detail=describe_mode(mode))
        except OSError as exc:
            yield Entry(name, SKIP, reason=reasons.UNREADABLE, detail=short(exc))


def describe_mode(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return f"special file (mode {mode:o})"


def open_regular(path: str) -> BinaryIO:
    """Open a regular file read-only without following links, blocking or touching atime."""
    try:
        fd = os.open(path, _FLAGS | _NOATIME)
    except PermissionError:  # O_NOATIME needs ownership of the file
        fd = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{os.path.basename(path)!r} stopped being a regular file while read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def total_size(root: Path) -> int:
    """Sum of the sizes of the regular files under ``root`` (links not followed)."""
    total, stack = 0, [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for item in it:
                    try:
                        if item.is_dir(follow_symlinks=False):
                            stack.append(item.path)
                        elif item.is_file(follow_symlinks=False):
                            total += item.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total
