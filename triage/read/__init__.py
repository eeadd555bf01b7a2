"""Reading drops: turn an archive or directory from an adversary into Members and Skipped.

Hostile input is the normal case. Nothing is ever extracted to disk; each member is streamed
into memory under ``Limits``, with one ``Budget`` shared by all nesting levels. Readers
(``registry.READERS``) only report what a format says; this module judges every entry the
same way: names (traversal, unsafe characters, duplicates), links and special files, limits,
and archives inside archives (detected by content and named ``outer!inner``).

Public API: ``read_drop`` and ``describe_drop``. Only ``InputError`` (top-level problems)
escapes; everything that goes wrong with one member becomes a ``Skipped``.

``read_drop`` yields three kinds of result: ``Member`` (a file to triage; ``notes`` may say
``duplicate-name``, ``path-traversal`` (source-map names), ``name-content-mismatch: ...``,
``polyglot: ...`` or ``document: ...``), ``Skipped`` (not triaged, with a reason code), and
``gitdata.EmbeddedRepo`` (a ``.git`` folder or git bundle found in the drop, with the commits
it holds; its object files are not yielded as Members).

Formats (``registry.READERS``): directory, zip, gzip/bzip2/xz/zstd (and tars in them), 7z,
RAR, cpio and ISO 9660 (``libarc``, needs libarchive), JavaScript source maps with
``sourcesContent`` (``sourcemap``), git bundles (``gitdata``), tar. Office documents (OOXML,
ODF, EPUB) are zips but stay one Member (``content.document``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from triage.errors import InputError, TriageError
from triage.model import Member, Skipped, Spilled
from triage.read import content, gitdata, reasons, registry, single, weights
from triage.read import zip as zip_reader
from triage.read.base import (
    DIR,
    FILE,
    LINK,
    REPO,
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
from triage.read.gitdata import EmbeddedRepo, GitFolder
from triage.read.limits import HEAD_BYTES, RATIO_GRACE_BYTES, READ_CHUNK, Budget, Exceeded, Limits
from triage.read.names import display, traversal, unsafe

__all__ = ["read_drop", "describe_drop", "Limits", "EmbeddedRepo", "ARCHIVE_NOTE"]

Result = Member | Skipped | EmbeddedRepo
# Names that promise an archive: a top-level file named so that no reader takes is refused as a
# broken archive rather than read as one file.
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".apk", ".aar", ".whl", ".egg", ".nupkg", ".xpi", ".crx",
                    ".ipa", ".vsix", ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".gz", ".gzip", ".bz2",
                    ".xz", ".zst", ".zstd", ".7z", ".rar", ".cpio", ".iso", ".bundle")
# Note on a member whose bytes are an archive that the reader opens (its files follow as
# ``path!member``): "archive: zip", "archive: gzip", "archive: sourcemap", ...
ARCHIVE_NOTE = "archive: "

_HALTING = (reasons.TOTAL, reasons.TIME, reasons.COUNT)


def read_drop(
    path: Path,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, never mutated
    workdir: Path | None = None,
) -> Iterator[Member | Skipped | EmbeddedRepo]:
    """Yield every regular file of the drop as a Member and every other entry as a Skipped;
    each git repository (``.git`` folder, bundle) as one EmbeddedRepo.

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
    if reader is None and _zip_at_end(path, info.st_size):
        reader = zip_reader  # a polyglot (GIF/PDF/... header, zip directory at the end)
    if reader is zip_reader and _document_file(path, head):
        reader = single  # a document given alone is one file, not an archive of its parts
    if reader is None:
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            raise InputError(f"{_shown(path)} is named like an archive but is not one triage can read"
                             f" (detected: {_magic(head)})")
        reader = single  # one file: a document, a dump, a source file
    source = Source(shown, "", lambda: open(path, "rb"), info.st_size, head, path=path, raw=name)
    return reader, source


def _document_file(path: Path, head: bytes) -> bool:
    """An office document or e-book (a zip by format), by its first entry or its listing."""
    if content.document(head):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return content.listed_document(set(archive.namelist()[:10_000])) is not None
    except Exception:  # noqa: BLE001 - not a readable zip: the zip reader will say so
        return False


def _zip_at_end(path: Path, size: int) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, size - content.EOCD_WINDOW))
            tail = handle.read(content.EOCD_WINDOW)
    except OSError:
        return False
    return content.trailing_zip(tail, partial=size > len(tail))


def _unopenable(path: Path, reader: ModuleType, source: Source, exc: OpenError) -> InputError:
    if source.path is not None and reader.__name__.endswith(".directory"):
        return InputError(f"cannot read directory {_shown(path)}: {exc}")
    what = _what(reader, source)
    if exc.reason in (reasons.MISSING_LIBRARY, reasons.TOO_LARGE):
        return InputError(f"{_shown(path)} looks like {what} but cannot be read: {exc}")
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
    elif fmt in ("libarc", "sourcemap", "gitdata"):
        fmt = reader.kind(source)
    return f"a {fmt} archive" if fmt in ("zip", "tar") else f"{fmt} data"


def _read(entries: Iterator[Entry], source: Source, ctx: Context, depth: int) -> Iterator[Result]:
    """Judge and read the entries of one container; recurse into archives found inside."""
    budget = ctx.budget
    last: Entry | None = None
    repos: dict[str, GitFolder] = {}
    try:
        while budget.halted is None:
            try:
                entry = next(entries)
            except StopIteration:
                break
            except Exceeded as exc:  # raised by a decompressing stream between members
                budget.halted = exc.reason
                yield Skipped(source.display, exc.reason, exc.detail)
                break
            except TriageError:
                raise
            except Exception as exc:  # noqa: BLE001 - a reader/library failure ends this container
                if last is None or last.outcome is None:
                    yield Skipped(source.display, classify(exc), f"archive unreadable: {short(exc)}")
                break
            last = entry
            yield from _judge(entry, source, ctx, depth, repos)
        yield from _repos(repos, budget.halted)
    finally:
        close = getattr(entries, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


def _repos(repos: dict[str, GitFolder], halted: str | None) -> Iterator[Result]:
    """One EmbeddedRepo and one ``git-object`` Skipped per ``.git`` folder of a container."""
    for key in sorted(repos):
        folder = repos[key]
        if halted:
            folder.found.note(f"incomplete: reading the drop stopped ({halted})")
        repo = folder.finish()
        yield repo
        yield Skipped(
            folder.path,
            reasons.GIT_OBJECTS,
            f"git repository data ({folder.files} files) read as commit evidence "
            f"({len(repo.commits)} commits), not triaged as files",
        )


def _judge(
    entry: Entry, source: Source, ctx: Context, depth: int, repos: dict[str, GitFolder]
) -> Iterator[Result]:
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
    if entry.kind == REPO:
        assert isinstance(entry.repo, EmbeddedRepo)
        yield entry.repo
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
    if entry.kind == FILE:
        inside = gitdata.git_root(raw)
        if inside is not None:
            yield from _git(entry, inside, source, ctx, repos)
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
        got = _read_capped(entry, ctx)
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
    spilled = got if isinstance(got, Spilled) else None
    data = got if isinstance(got, bytes) else b""
    if spilled is not None:
        head = _head(spilled)
        found = content.notes(raw, head) + weights.notes(head, spilled.size)
    else:
        found = content.notes(raw, data) + weights.notes(data)
    notes = entry.notes + ((reasons.DUPLICATE,) if first else ()) + found
    if entry.warn:
        notes += (entry.warn[0],)
    leaf = content.is_document(notes) or weights.is_weights(notes) or spilled is not None
    polyglot = content.is_polyglot(notes)
    reader = None if leaf else registry.find(data[:HEAD_BYTES], None)
    if reader is None and polyglot and not leaf:
        reader = zip_reader  # the zip part of a polyglot (zipfile finds it from the end)
    if reader is not None and not polyglot and reader is not gitdata:  # bundles: embedded_repos
        notes += (f"{ARCHIVE_NOTE}{_format(reader, data)}",)
    yield Member(path, data, entry.mtime, notes, spilled)
    if first:
        yield Skipped(
            path, reasons.DUPLICATE, f"same name as '{first}' (exactly or by case); read as '{path}'"
        )
    if entry.warn:
        yield Skipped(path, entry.warn[0], entry.warn[1])
    if reader is not None:  # an office document or a checkpoint is one file: its parts are not members
        yield from _nested(path, raw, data, ctx, depth, reader)


def _git(
    entry: Entry, inside: tuple[str, str], source: Source, ctx: Context, repos: dict[str, GitFolder]
) -> Iterator[Result]:
    """Feed one file of a ``.git`` folder to its collector (read under the limits, not kept)."""
    root, inner = inside
    folder = repos.get(root)
    if folder is None:
        folder = repos[root] = GitFolder(source.prefix + display(root))
    try:
        stream = _Guarded(entry, ctx, ctx.limits.total_bytes)
        try:
            folder.feed(inner, stream.read, ctx.budget.check_time)
        finally:
            stream.close()
    except Exceeded as exc:
        entry.outcome = exc.reason
        if exc.reason in _HALTING:
            ctx.budget.halted = exc.reason
            yield Skipped(source.prefix + display(entry.name or ""), exc.reason, exc.detail)
        else:
            folder.found.note(f"{display(inner)}: {exc.detail}")
    except TriageError:
        raise
    except Exception as exc:  # noqa: BLE001 - one unreadable git file is a note, not a failure
        entry.outcome = classify(exc)
        folder.found.note(f"{display(inner)}: {short(exc)}")
    return
    yield  # pragma: no cover - makes this a generator


class _Guarded:
    """A member's data stream, judged as it comes out (never by declared sizes).

    Raises Exceeded past ``cap`` bytes, past the ratio limit (compressed members), and when
    the drop's total or time runs out (every expanded byte is charged to the Budget).
    """

    def __init__(self, entry: Entry, ctx: Context, cap: int) -> None:
        assert entry.open is not None
        self.entry, self.ctx, self.cap = entry, ctx, cap
        self.charge = entry.compressed is not None and not entry.charged
        self.got = 0
        self.stream = entry.open()

    def read(self, n: int = READ_CHUNK) -> bytes:
        budget, limits = self.ctx.budget, self.ctx.limits
        want = min(n if n > 0 else READ_CHUNK, READ_CHUNK, self.cap + 1 - self.got)
        chunk = self.stream.read(want) if want > 0 else b""
        if not chunk:
            return b""
        self.got += len(chunk)
        if self.charge:
            budget.charge(len(chunk))
        else:
            budget.check_time()
        if self.got > self.cap:
            raise Exceeded(reasons.TOO_LARGE, f"larger than the {self.cap}-byte member limit")
        if self.entry.compressed is not None and self.got > RATIO_GRACE_BYTES:
            packed = max(1, self.entry.compressed())
            if self.got / packed > limits.ratio:
                raise Exceeded(
                    reasons.BOMB,
                    f"expands over {limits.ratio:g}x ({self.got} bytes out of {packed} compressed)",
                )
        return chunk

    def close(self) -> None:
        self.stream.close()


def _read_capped(entry: Entry, ctx: Context) -> bytes | Spilled:
    """Read one member into memory under the member limit; a weights file over it is kept out
    of memory instead (``triage.read.weights``), up to the drop's total-bytes limit."""
    limit = ctx.limits.member_bytes
    buf = bytearray()
    stream = _Guarded(entry, ctx, max(limit, weights.HEAD + READ_CHUNK))  # the head, whatever the limit
    try:
        while len(buf) < weights.HEAD and (chunk := stream.read(READ_CHUNK)):
            buf += chunk
        big = weights.kind(bytes(buf[: weights.HEAD]), weights.cap(ctx)) is not None
        if big:
            stream.cap = weights.cap(ctx)
            here = weights.in_place(entry, stream, min(limit, weights.IN_PLACE_BYTES))
            if here is not None:
                return here
            if len(buf) > limit:
                return weights.copy(stream, bytes(buf), ctx)
        else:
            stream.cap = limit
            if len(buf) > limit:
                raise Exceeded(reasons.TOO_LARGE, f"larger than the {limit}-byte member limit")
        while chunk := stream.read(READ_CHUNK):
            if big and len(buf) + len(chunk) > limit:
                return weights.copy(stream, bytes(buf) + chunk, ctx)
            buf += chunk
    finally:
        stream.close()
    return bytes(buf)


def _head(spilled: Spilled) -> bytes:
    """The first bytes of a spilled member (for the content notes)."""
    from triage.fingerprint.weights import open_spilled

    fd = open_spilled(spilled)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(HEAD_BYTES)


def _format(reader: ModuleType, data: bytes) -> str:
    """The archive format named in a member's ``archive:`` note: its reader's ``kind`` (zip, tar,
    gz, tar.gz, 7z, sourcemap, ...)."""
    try:
        return reader.kind(Source.from_bytes("", "", data, HEAD_BYTES))
    except OpenError:  # not a valid stream: the reader will say so when it opens it
        return reader.__name__.rsplit(".", 1)[-1]


def _nested(
    path: str, raw: str, data: bytes, ctx: Context, depth: int, reader: ModuleType
) -> Iterator[Result]:
    """Open a member whose content is an archive, as ``path!member`` (depth and budget shared)."""
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
