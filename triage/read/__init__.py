"""Reading drops: turn an archive or directory from an adversary into Members and Skipped.

Hostile input is the normal case. Nothing is ever extracted to disk; each member is streamed
into memory under ``Limits``, with one ``Budget`` shared by all nesting levels. Readers
(``registry.READERS``) only report what a format says; this module judges every entry the
same way: names (traversal, unsafe characters, duplicates), links and special files, limits,
and archives inside archives (detected by content and named ``outer!inner``).

Public API: ``read_drop`` and ``describe_drop``. Only ``InputError`` (top-level problems)
escapes; everything that goes wrong with one member becomes a ``Skipped``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from triage.errors import InputError, TriageError
from triage.model import Member, Skipped
from triage.read import reasons, registry
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
from triage.read.directory import total_size
from triage.read.limits import HEAD_BYTES, RATIO_GRACE_BYTES, READ_CHUNK, Budget, Exceeded, Limits
from triage.read.names import display, traversal, unsafe

__all__ = ["read_drop", "describe_drop", "Limits"]

_HALTING = (reasons.TOTAL, reasons.TIME, reasons.COUNT)


def read_drop(
    path: Path,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, never mutated
    workdir: Path | None = None,
) -> Iterator[Member | Skipped]:
    """Yield every regular file of the drop as a Member and every other entry as a Skipped.

    Deterministic: archive order for archives, sorted depth-first walk for directories.
    Raises InputError at once (before iteration) when the drop is missing, unreadable, not a
    format triage reads, or too broken to open at all.
    """
    path = Path(path)
    reader, source = _top(path)
    ctx = Context(limits=limits, budget=Budget(limits), workdir=workdir)
    try:
        entries = reader.iter_members(source, ctx)
    except OpenError as exc:
        raise _unopenable(path, reader, source, exc) from None
    return _read(entries, source, ctx, 0)


def describe_drop(path: Path) -> dict:
    """Identify the drop: ``{"path", "kind", "sha256" (None for a directory), "size"}``."""
    path = Path(path)
    reader, source = _top(path)
    if source.path is not None and reader.__name__.endswith(".directory"):
        return {"path": str(path), "kind": "directory", "sha256": None, "size": total_size(path)}
    digest, size = hashlib.sha256(), 0
    try:
        kind = reader.kind(source)
        with source.open() as handle:
            while chunk := handle.read(READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OpenError as exc:
        raise _unopenable(path, reader, source, exc) from None
    except OSError as exc:
        raise InputError(f"cannot read {_shown(path)}: {exc.strerror or exc}") from None
    return {"path": str(path), "kind": kind, "sha256": digest.hexdigest(), "size": size}


def _top(path: Path) -> tuple[ModuleType, Source]:
    """Check the top-level path and find its reader, or raise InputError (one sentence)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{_shown(path)} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {_shown(path)}: {exc.strerror or exc}") from None
    name = path.name or str(path)
    shown = display(name)
    if stat.S_ISDIR(info.st_mode):
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError(f"cannot read {_shown(path)}: permission denied")
        return registry.find(b"", path), Source(shown, "", _no_open, 0, b"", path=path, raw=name)  # type: ignore[return-value]
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{_shown(path)} is neither a regular file nor a directory")
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {_shown(path)}: {exc.strerror or exc}") from None
    reader = registry.find(head, path)
    if reader is None:
        raise InputError(f"{_shown(path)} is not an archive triage can read (detected: {_magic(head)})")
    source = Source(shown, "", lambda: open(path, "rb"), info.st_size, head, path=path, raw=name)
    return reader, source


def _unopenable(path: Path, reader: ModuleType, source: Source, exc: OpenError) -> InputError:
    if source.path is not None and reader.__name__.endswith(".directory"):
        return InputError(f"cannot read directory {_shown(path)}: {exc}")
    what = _what(reader, source)
    return InputError(f"{_shown(path)} looks like {what} but cannot be opened (corrupt or truncated: {exc})")


def _shown(path: Path) -> str:
    """The drop path as given, escaped like member names (it may come from the adversary)."""
    return display(str(path))


def _no_open():  # type: ignore[no-untyped-def]
    raise OSError("a directory has no byte stream")


def _magic(head: bytes) -> str:
    try:
        import magic

        return str(magic.from_buffer(head, mime=True))
    except Exception:  # noqa: BLE001 - libmagic missing or confused: the message still helps
        return "unknown data" if head else "empty file"


def _what(reader: ModuleType, source: Source) -> str:
    fmt = reader.__name__.rsplit(".", 1)[-1]
    if fmt == "compressed":
        from triage.read.streams import sniff

        fmt = sniff(source.head) or fmt
    return f"a {fmt} archive" if fmt in ("zip", "tar") else f"{fmt} data"


def _read(entries: Iterator[Entry], source: Source, ctx: Context, depth: int) -> Iterator[Member | Skipped]:
    """Judge and read the entries of one container; recurse into archives found inside."""
    budget = ctx.budget
    last: Entry | None = None
    try:
        while budget.halted is None:
            try:
                entry = next(entries)
            except StopIteration:
                return
            except Exceeded as exc:  # raised by a decompressing stream between members
                budget.halted = exc.reason
                yield Skipped(source.display, exc.reason, exc.detail)
                return
            except TriageError:
                raise
            except Exception as exc:  # noqa: BLE001 - a reader/library failure ends this container
                if last is None or last.outcome is None:
                    yield Skipped(source.display, classify(exc), f"archive unreadable: {short(exc)}")
                return
            last = entry
            yield from _judge(entry, source, ctx, depth)
    finally:
        close = getattr(entries, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


def _judge(entry: Entry, source: Source, ctx: Context, depth: int) -> Iterator[Member | Skipped]:
    budget, limits = ctx.budget, ctx.limits
    raw = entry.name
    path = source.display if raw is None else source.prefix + display(raw)
    budget.members += 1
    if budget.members > limits.members:
        budget.halted = reasons.COUNT
        yield Skipped(path, reasons.COUNT, f"over {limits.members} entries: this and later ones not read")
        return
    if not budget.time_left():
        budget.halted = reasons.TIME
        yield Skipped(
            path, reasons.TIME, f"reading took over {limits.seconds:g} s: this and later ones not read"
        )
        return
    if entry.kind == DIR:
        return
    if entry.kind == SKIP or raw is None:
        yield Skipped(path, entry.reason or reasons.CORRUPT, entry.detail)
        return
    why = traversal(raw)
    if why:
        yield Skipped(path, reasons.PATH_TRAVERSAL, why)
        return
    why = unsafe(raw, limits.name_bytes)
    if why:
        yield Skipped(path, reasons.NAME_UNSAFE, why)
        return
    if entry.kind == LINK:
        yield Skipped(path, reasons.LINK, f"{entry.detail} to '{display(entry.target or '')}' (not followed)")
        return
    if entry.kind == SPECIAL:
        yield Skipped(path, reasons.SPECIAL, entry.detail)
        return
    assert entry.kind == FILE
    path, first = ctx.names.claim(path)
    try:
        data = _read_capped(entry, ctx)
    except Exceeded as exc:
        entry.outcome = exc.reason
        if exc.reason in _HALTING:
            budget.halted = exc.reason
        yield Skipped(path, exc.reason, exc.detail)
        return
    except TriageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any library failure on one member skips that member
        entry.outcome = classify(exc)
        yield Skipped(path, entry.outcome, short(exc))
        return
    yield Member(path, data, entry.mtime, (reasons.DUPLICATE,) if first else ())
    if first:
        yield Skipped(
            path, reasons.DUPLICATE, f"same name as '{first}' (exactly or by case); read as '{path}'"
        )
    yield from _nested(path, raw, data, ctx, depth)


def _read_capped(entry: Entry, ctx: Context) -> bytes:
    """Read one member into memory, judging what actually comes out (never declared sizes)."""
    budget, limits = ctx.budget, ctx.limits
    cap = limits.member_bytes
    charge = entry.compressed is not None and not entry.charged
    buf = bytearray()
    assert entry.open is not None
    stream = entry.open()
    try:
        while True:
            chunk = stream.read(min(READ_CHUNK, cap + 1 - len(buf)))
            if not chunk:
                break
            buf += chunk
            if charge:
                budget.charge(len(chunk))
            else:
                budget.check_time()
            if len(buf) > cap:
                raise Exceeded(reasons.TOO_LARGE, f"larger than the {cap}-byte member limit")
            if entry.compressed is not None and len(buf) > RATIO_GRACE_BYTES:
                packed = max(1, entry.compressed())
                if len(buf) / packed > limits.ratio:
                    raise Exceeded(
                        reasons.BOMB,
                        f"expands over {limits.ratio:g}x ({len(buf)} bytes out of {packed} compressed)",
                    )
    finally:
        stream.close()
    return bytes(buf)


def _nested(path: str, raw: str, data: bytes, ctx: Context, depth: int) -> Iterator[Member | Skipped]:
    """Open a member whose content is an archive, as ``path!member`` (depth and budget shared)."""
    reader = registry.find(data[:HEAD_BYTES], None)
    if reader is None:
        return
    source = Source.from_bytes(path, raw, data, HEAD_BYTES)
    if depth + 1 > ctx.limits.depth:
        yield Skipped(
            path,
            reasons.DEPTH,
            f"{_what(reader, source)} nested over {ctx.limits.depth} levels deep: not opened",
        )
        return
    try:
        entries = reader.iter_members(source, ctx)
    except OpenError as exc:
        yield Skipped(path, exc.reason, f"looks like {_what(reader, source)} but cannot be opened: {exc}")
        return
    yield from _read(entries, source, ctx, depth + 1)
