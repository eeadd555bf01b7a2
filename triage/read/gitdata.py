"""Git repositories inside a drop, read as evidence of which commits exist, never run.

A ``.git`` folder (in a directory drop or inside an archive) or a git bundle is not a set of
files to fingerprint: its object files are zlib-compressed git objects. ``read_drop`` yields
one ``EmbeddedRepo`` for each, listing the commits it holds, its refs and notes, and one
Skipped ``git-object`` summarising the folder's files (not one per object). The work-tree
files beside ``.git`` are ordinary members.

Everything is parsed here in pure Python from hostile bytes, with caps: loose objects are
inflated only far enough to read their type, commits (and tags) are kept up to
``MAX_OBJECT_BYTES``, packs are walked object by object (other objects inflated and
discarded in bounded pieces, ``MAX_INFLATE_BYTES`` per pack), commit deltas are resolved
against commits already seen (OFS and REF), anything else is counted in ``notes``. No
``git`` process ever touches the data.

The ``EmbeddedRepo`` contract (for the pipeline): ``path`` is the display path of the
``.git`` folder or bundle; ``commits`` holds dicts with keys ``oid``, ``tree``, ``parents``
(tuple), ``author``, ``author_date``, ``committer``, ``committer_date`` (ISO 8601 UTC,
``...Z``, or None) and ``subject`` (first message line, display-escaped); ``refs`` holds
``(oid, refname)`` pairs; ``prerequisites`` the commit ids a bundle needs but does not hold
(they exist upstream if the bundle is genuine); ``notes`` what could not be read or looked
wrong (an object file whose name does not match its content, a corrupt pack...).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from triage.read import reasons
from triage.read.base import REPO, Context, Entry, OpenError, Source, short
from triage.read.limits import Exceeded
from triage.read.names import display

# Largest commit or tag object kept (real ones are a few KiB; Linux's largest merge ~100 KiB).
MAX_OBJECT_BYTES = 1024 * 1024
# Inflated bytes walked through in one pack (all object kinds): bounds CPU on a pack bomb.
MAX_INFLATE_BYTES = 8 * 1024 * 1024 * 1024
# Commits listed per repository (each is a small dict): bounds memory and report size.
MAX_COMMITS = 250_000
# Refs listed per repository, and bytes of a bundle header or a refs file read.
MAX_REFS = 100_000
MAX_REF_FILE_BYTES = 16 * 1024 * 1024
# Notes kept per repository (the rest are counted).
MAX_NOTES = 50
# Compressed bytes of a loose object read (only the header of a large blob is needed).
MAX_LOOSE_BYTES = 2 * 1024 * 1024
# Input fed to zlib per call: bounds the copy of unused input made at each object end.
_FEED = 4096

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG, OBJ_OFS_DELTA, OBJ_REF_DELTA = 1, 2, 3, 4, 6, 7
_TYPE_NAMES = {OBJ_COMMIT: b"commit", OBJ_TREE: b"tree", OBJ_BLOB: b"blob", OBJ_TAG: b"tag"}
_HEX = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_PERSON = re.compile(rb"^(.*?) ?(-?\d{1,15}) ([+-]\d{4})$")
_BUNDLE = re.compile(rb"^# v([23]) git bundle\n")
_GIT_DIR_CHILDREN = frozenset(("objects", "refs", "HEAD", "packed-refs", "config", "hooks", "info", "logs"))


@dataclass(frozen=True)
class EmbeddedRepo:
    """A git repository (``.git`` folder or bundle) found in a drop: the commits it holds."""

    path: str
    commits: tuple[dict[str, Any], ...]
    refs: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    prerequisites: tuple[str, ...] = ()
    kind: str = "git-dir"  # "git-dir" or "bundle"


# ---------------------------------------------------------------------------------------------
# Objects


def parse_commit(oid: str, body: bytes) -> dict[str, Any] | None:
    """The commit's fields as the EmbeddedRepo dict, or None when ``body`` is not a commit."""
    header, _, message = body.partition(b"\n\n")
    tree: str | None = None
    parents: list[str] = []
    author = committer = None
    for line in header.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"tree" and tree is None:
            tree = _hex(value)
            if tree is None:
                return None
        elif key == b"parent":
            parent = _hex(value)
            if parent is not None:
                parents.append(parent)
        elif key == b"author" and author is None:
            author = _person(value)
        elif key == b"committer" and committer is None:
            committer = _person(value)
    if tree is None:
        return None
    subject = message.split(b"\n", 1)[0].decode("utf-8", "replace")
    return {
        "oid": oid,
        "tree": tree,
        "parents": tuple(parents),
        "author": author[0] if author else None,
        "author_date": author[1] if author else None,
        "committer": committer[0] if committer else None,
        "committer_date": committer[1] if committer else None,
        "subject": _cap(display(subject), 300),
    }


def _hex(value: bytes) -> str | None:
    text = value.decode("ascii", "replace").strip()
    return text if _HEX.match(text) else None


def _person(value: bytes) -> tuple[str, str | None]:
    match = _PERSON.match(value)
    who, when = (match.group(1), _date(int(match.group(2)))) if match else (value, None)
    return _cap(display(who.decode("utf-8", "replace")), 300), when


def _date(seconds: int) -> str | None:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _cap(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def object_id(kind: bytes, body: bytes, algo: str = "sha1") -> str:
    return hashlib.new(algo, b"%s %d\x00" % (kind, len(body)) + body).hexdigest()


def loose_object(compressed: bytes) -> tuple[bytes, bytes | None]:
    """``(type, body)`` of a loose object file; body only for commits/tags (else None).

    Raises ValueError when the file is not a zlib git object or breaks a cap.
    """
    inflater = zlib.decompressobj()
    try:
        head = inflater.decompress(compressed, 64)
    except zlib.error as exc:
        raise ValueError(f"not a zlib stream: {exc}") from None
    kind, sep, rest = head.partition(b"\x00")
    if not sep:
        raise ValueError("no object header")
    name, _, size_text = kind.partition(b" ")
    if name not in _TYPE_NAMES.values() or not size_text.isdigit():
        raise ValueError("bad object header")
    size = int(size_text)
    if name not in (b"commit", b"tag"):
        return name, None
    if size > MAX_OBJECT_BYTES:
        raise ValueError(f"{name.decode()} of {size} bytes, over the {MAX_OBJECT_BYTES}-byte cap")
    try:
        body = rest + inflater.decompress(inflater.unconsumed_tail, size + 1 - len(rest))
    except zlib.error as exc:
        raise ValueError(f"corrupt object data: {exc}") from None
    if len(body) != size:
        raise ValueError(f"object says {size} bytes but holds {len(body)}")
    return name, body


def apply_delta(base: bytes, delta: bytes, cap: int = MAX_OBJECT_BYTES) -> bytes:
    """Git's delta format: copy/insert instructions over ``base``. ValueError when malformed."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(delta) or shift > 63:
                raise ValueError("delta header truncated")
            byte = delta[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    if varint() != len(base):
        raise ValueError("delta base size mismatch")
    size = varint()
    if size > cap:
        raise ValueError(f"delta result of {size} bytes over the cap")
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = length = 0
            for i in range(4):
                if op & (1 << i):
                    if pos >= len(delta):
                        raise ValueError("delta copy truncated")
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (1 << (4 + i)):
                    if pos >= len(delta):
                        raise ValueError("delta copy truncated")
                    length |= delta[pos] << (8 * i)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(base):
                raise ValueError("delta copies outside its base")
            out += base[offset : offset + length]
        elif op:
            if pos + op > len(delta):
                raise ValueError("delta insert truncated")
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ValueError("delta opcode 0")
        if len(out) > size:
            raise ValueError("delta result longer than declared")
    if len(out) != size:
        raise ValueError("delta result shorter than declared")
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Packs


class _Input:
    """Forward reader over ``read(n)`` with a small buffer and bounded zlib inflation."""

    def __init__(self, read: Callable[[int], bytes], tick: Callable[[], None]) -> None:
        self._read, self._tick = read, tick
        self.buf = b""
        self.pos = 0
        self.offset = 0  # bytes consumed from the start
        self.inflated = 0

    def _fill(self) -> bool:
        chunk = self._read(256 * 1024)
        self._tick()
        if not chunk:
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def take(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            if not self._fill():
                raise EOFError("pack ends early")
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        self.offset += n
        return data

    def inflate(self, declared: int, keep: bool) -> bytes | None:
        """Inflate one zlib stream; its output kept only when ``keep``. Checks ``declared``."""
        inflater = zlib.decompressobj()
        out = bytearray() if keep else None
        produced = 0
        while not inflater.eof:
            if self.pos >= len(self.buf) and not self._fill():
                raise EOFError("pack ends inside an object")
            piece = self.buf[self.pos : self.pos + _FEED]
            self.pos += len(piece)
            self.offset += len(piece)
            data = piece
            while True:
                chunk = inflater.decompress(data, 256 * 1024)
                produced += len(chunk)
                self.inflated += len(chunk)
                if produced > declared:
                    raise ValueError("object inflates past its declared size")
                if self.inflated > MAX_INFLATE_BYTES:
                    raise Exceeded(reasons.BOMB, f"pack inflates past {MAX_INFLATE_BYTES} bytes")
                if out is not None:
                    out += chunk
                data = inflater.unconsumed_tail
                if not data or inflater.eof:
                    break
            if inflater.eof:
                back = len(inflater.unused_data)
                self.pos -= back
                self.offset -= back
        if produced != declared:
            raise ValueError("object size differs from its header")
        return bytes(out) if out is not None else None


@dataclass
class _Found:
    """What a repository's parsing collected so far."""

    algo: str = "sha1"
    commits: dict[str, dict[str, Any]] | None = None
    notes: list[str] | None = None
    dropped_notes: int = 0

    def __post_init__(self) -> None:
        self.commits = {} if self.commits is None else self.commits
        self.notes = [] if self.notes is None else self.notes

    def note(self, text: str) -> None:
        assert self.notes is not None
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.dropped_notes += 1

    def add(self, oid: str, body: bytes) -> None:
        assert self.commits is not None
        if oid in self.commits:
            return
        if len(self.commits) >= MAX_COMMITS:
            self.note(f"more than {MAX_COMMITS} commits: the rest are not listed")
            return
        commit = parse_commit(oid, body)
        if commit is None:
            self.note(f"object {oid} is typed commit but is not one")
        else:
            self.commits[oid] = commit


def read_pack(read: Callable[[int], bytes], found: _Found, where: str, tick: Callable[[], None]) -> None:
    """Walk a packfile from its first byte, adding its commits (plain or deltified) to ``found``."""
    src = _Input(read, tick)
    try:
        head = src.take(12)
    except EOFError:
        found.note(f"{where}: empty or truncated pack")
        return
    if head[:4] != b"PACK" or int.from_bytes(head[4:8], "big") not in (2, 3):
        found.note(f"{where}: not a git pack")
        return
    count = int.from_bytes(head[8:12], "big")
    kept: dict[int, tuple[int, bytes]] = {}  # offset -> (type, body) of commits and tags
    by_oid: dict[str, tuple[int, bytes]] = {}
    unresolved = 0
    oid_len = 32 if found.algo == "sha256" else 20
    index = 0
    try:
        for index in range(count):  # noqa: B007 - reported when the walk stops
            start = src.offset
            byte = src.take(1)[0]
            kind, size, shift = (byte >> 4) & 7, byte & 15, 4
            while byte & 0x80:
                byte = src.take(1)[0]
                size |= (byte & 0x7F) << shift
                shift += 7
                if shift > 70:
                    raise ValueError("object size varint too long")
            if kind in (OBJ_COMMIT, OBJ_TAG):
                keep = size <= MAX_OBJECT_BYTES
                body = src.inflate(size, keep)
                if body is None:
                    found.note(f"{where}: object at {start} of {size} bytes over the cap, not read")
                    continue
                _keep(found, kept, by_oid, start, kind, body)
            elif kind in (OBJ_TREE, OBJ_BLOB):
                src.inflate(size, False)
            elif kind in (OBJ_OFS_DELTA, OBJ_REF_DELTA):
                base = None
                if kind == OBJ_OFS_DELTA:
                    byte = src.take(1)[0]
                    rel = byte & 0x7F
                    while byte & 0x80:
                        byte = src.take(1)[0]
                        rel = ((rel + 1) << 7) | (byte & 0x7F)
                        if rel > start:
                            raise ValueError("delta base before the pack start")
                    base = kept.get(start - rel)
                else:
                    base_oid = src.take(oid_len).hex()
                    base = by_oid.get(base_oid)
                    if base is None:
                        unresolved += 1
                if base is None or size > MAX_OBJECT_BYTES:
                    src.inflate(size, False)
                    continue
                delta = src.inflate(size, True)
                assert delta is not None
                try:
                    body = apply_delta(base[1], delta)
                except ValueError as exc:
                    found.note(f"{where}: bad delta at {start}: {exc}")
                    continue
                _keep(found, kept, by_oid, start, base[0], body)
            else:
                raise ValueError(f"unknown object type {kind}")
    except EOFError:
        found.note(f"{where}: pack truncated after {index} of {count} objects")
    except (ValueError, zlib.error) as exc:
        found.note(f"{where}: pack corrupt after {index} of {count} objects ({short(exc)})")
    except Exceeded as exc:
        found.note(f"{where}: pack reading stopped after {index} of {count} objects: {exc.detail}")
    if unresolved:
        found.note(f"{where}: {unresolved} deltas against objects outside the pack (not resolved)")


def _keep(found: _Found, kept: dict, by_oid: dict, start: int, kind: int, body: bytes) -> None:
    oid = object_id(_TYPE_NAMES[kind], body, found.algo)
    kept[start] = (kind, body)
    by_oid[oid] = (kind, body)
    if kind == OBJ_COMMIT:
        found.add(oid, body)


# ---------------------------------------------------------------------------------------------
# Bundles (a reader module: detect / kind / iter_members)


def detect(head: bytes, path: Path | None) -> bool:
    return _BUNDLE.match(head) is not None


def kind(source: Source) -> str:
    return "git-bundle"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    handle = source.open()
    try:
        refs, prerequisites, algo, rest = _bundle_header(handle)
    except Exception as exc:  # noqa: BLE001 - a header this broken means "cannot open"
        handle.close()
        raise OpenError(short(exc)) from None
    return _bundle(handle, source, ctx, refs, prerequisites, algo, rest)


def _bundle_header(handle: Any) -> tuple[list[tuple[str, str]], list[str], str, bytes]:
    data = b""
    while b"\n\n" not in data:
        chunk = handle.read(64 * 1024)
        if not chunk:
            raise EOFError("git bundle ends inside its header")
        data += chunk
        if len(data) > MAX_REF_FILE_BYTES:
            raise ValueError(f"git bundle header over {MAX_REF_FILE_BYTES} bytes")
    header, _, rest = data.partition(b"\n\n")
    lines = header.split(b"\n")
    if not _BUNDLE.match(lines[0] + b"\n"):
        raise ValueError("not a git bundle")
    refs: list[tuple[str, str]] = []
    prerequisites: list[str] = []
    algo = "sha1"
    for line in lines[1:]:
        if line.startswith(b"@"):
            if line.strip() == b"@object-format=sha256":
                algo = "sha256"
            continue
        if line.startswith(b"-"):
            oid = _hex(line[1:].split(b" ", 1)[0])
            if oid and len(prerequisites) < MAX_REFS:
                prerequisites.append(oid)
            continue
        oid_text, _, name = line.partition(b" ")
        oid = _hex(oid_text)
        if oid is None:
            raise ValueError("bad ref line in git bundle header")
        if len(refs) < MAX_REFS:
            refs.append((oid, _refname(name)))
    return refs, prerequisites, algo, rest


def _refname(raw: bytes) -> str:
    return _cap(display(raw.decode("utf-8", "surrogateescape").strip()), 1024)


def _bundle(
    handle: Any,
    source: Source,
    ctx: Context,
    refs: list[tuple[str, str]],
    prerequisites: list[str],
    algo: str,
    rest: bytes,
) -> Iterator[Entry]:
    try:
        found = _Found(algo=algo)
        pending = [rest]

        def read(n: int) -> bytes:
            if pending:
                return pending.pop()
            return handle.read(n)

        read_pack(read, found, "bundle", ctx.budget.check_time)
        repo = finish(source.display, found, refs, "bundle", prerequisites)
        yield Entry(None, REPO, repo=repo)
    finally:
        handle.close()


def finish(
    path: str,
    found: _Found,
    refs: list[tuple[str, str]],
    kind: str,
    prerequisites: list[str] | tuple[str, ...] = (),
) -> EmbeddedRepo:
    assert found.commits is not None and found.notes is not None
    commits = sorted(found.commits.values(), key=lambda c: (c["committer_date"] or "", c["oid"]))
    notes = list(found.notes)
    if found.dropped_notes:
        notes.append(f"{found.dropped_notes} more notes not listed")
    return EmbeddedRepo(
        path, tuple(commits), tuple(sorted(set(refs))), tuple(notes), tuple(prerequisites), kind
    )


# ---------------------------------------------------------------------------------------------
# .git folders inside a directory drop or an archive


def git_root(name: str) -> tuple[str, str] | None:
    """``(root, inner)`` when ``name`` lies inside a ``.git`` folder (or a bare ``x.git``).

    ``root`` ends with the ``.git`` component; ``inner`` is the path below it. A *file* named
    ``.git`` (a worktree pointer) is not inside one.
    """
    parts = name.split("/")
    for i, part in enumerate(parts[:-1]):
        below = parts[i + 1 :]
        bare = part.endswith(".git") and below[0] in _GIT_DIR_CHILDREN
        if bare and len(below) == 1 and below[0] not in ("HEAD", "packed-refs", "config"):
            bare = False  # "x.git/objects" as a plain file: not a repository layout
        if part == ".git" or bare:
            return "/".join(parts[: i + 1]), "/".join(below)
    return None


_LOOSE = re.compile(r"^objects/([0-9a-f]{2})/([0-9a-f]{38}|[0-9a-f]{62})$")
_PACK = re.compile(r"^objects/pack/pack-([0-9a-f]{40}|[0-9a-f]{64})\.pack$")


class GitFolder:
    """Collects one ``.git`` folder's files as they stream past; ``finish()`` gives the repo."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found = _Found()
        self.refs: list[tuple[str, str]] = []
        self.files = 0
        self.loose = 0
        self.packs = 0

    def feed(self, inner: str, read: Callable[[int], bytes], tick: Callable[[], None]) -> None:
        """Take one file of the folder (``inner`` relative to ``.git``), read through ``read``."""
        self.files += 1
        match = _LOOSE.match(inner)
        if match:
            self.loose += 1
            self._loose(match.group(1) + match.group(2), _read_upto(read, MAX_LOOSE_BYTES))
            return
        match = _PACK.match(inner)
        if match:
            self.packs += 1
            self.found.algo = "sha256" if len(match.group(1)) == 64 else "sha1"
            read_pack(read, self.found, inner, tick)
            return
        if inner in ("HEAD", "packed-refs", "shallow", "config") or inner.startswith("refs/"):
            self._small(inner, _read_upto(read, MAX_REF_FILE_BYTES))

    def _loose(self, named: str, data: bytes) -> None:
        try:
            kind, body = loose_object(data)
        except ValueError as exc:
            self.found.note(f"objects/{named[:2]}/{named[2:]}: {short(exc)}")
            return
        if body is None or kind != b"commit":
            return
        algo = "sha256" if len(named) == 64 else "sha1"
        oid = object_id(kind, body, algo)
        if oid != named:
            self.found.note(f"object file {named} holds object {oid} (name does not match content)")
        self.found.add(oid, body)

    def _small(self, inner: str, data: bytes) -> None:
        text = data.decode("utf-8", "surrogateescape")
        if inner == "HEAD":
            line = text.strip()
            if line.startswith("ref:"):
                self.found.note(f"HEAD -> {_cap(display(line[4:].strip()), 300)}")
            elif _hex(line.encode()):
                self._ref(line, "HEAD")
        elif inner == "packed-refs":
            for line in text.splitlines():
                if line[:1] in ("#", "^"):
                    continue
                oid, _, name = line.partition(" ")
                if _hex(oid.encode()):
                    self._ref(oid, name)
        elif inner == "shallow":
            count = sum(1 for line in text.splitlines() if _hex(line.encode()))
            self.found.note(f"shallow clone ({count} boundary commits: their parents are not here)")
        elif inner == "config":
            for url in re.findall(r"(?m)^\s*url\s*=\s*(.+?)\s*$", text)[:10]:
                self.found.note(f"remote url: {_cap(display(url), 300)}")
            if re.search(r"(?mi)^\s*objectformat\s*=\s*sha256", text):
                self.found.algo = "sha256"
        else:
            line = text.strip()
            if _hex(line.encode()):
                self._ref(line, inner)

    def _ref(self, oid: str, name: str) -> None:
        if len(self.refs) < MAX_REFS:
            self.refs.append((oid.strip(), _cap(display(name.strip()), 1024)))

    def finish(self) -> EmbeddedRepo:
        found = self.found
        found.note(f"{self.files} files: {self.loose} loose objects, {self.packs} packs")
        return finish(self.path, found, self.refs, "git-dir")


def _read_upto(read: Callable[[int], bytes], cap: int) -> bytes:
    buf = bytearray()
    while len(buf) < cap:
        chunk = read(min(256 * 1024, cap - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)
