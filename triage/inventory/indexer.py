"""Build or extend the inventory index from a source: a git history, a directory or a release archive.

Each distinct content is fingerprinted once. Commits are written in batches, one transaction
per batch (commit rows, their changes and the new contents together), parents before children:
an interrupted run leaves whole batches only, and the ``state`` meta key stays ``indexing`` until
refs, tips and line frequencies are written at the end, so a scan never trusts a half index.

Fingerprinting runs in worker processes (``Fingerprinter``) while this process reads blobs from
git and writes finished batches: contents go out in chunks, come back in order as rows ready to
write (``rows.prepare``: compressed body, postings, band keys), and are written in the order they
were read, many per statement, so content ids are the same whatever the number of workers.
Documents and dumps are described there too (``docprint.describe``: extracted text, metadata,
row hashes, under a time limit per document); one that cannot be read is recorded with the
reason, never a failure of the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from triage.errors import InputError, UsageError
from triage.fingerprint import Fingerprint, fingerprint
from triage.fingerprint.docprint import DocPrint, TablePrint, describe
from triage.inventory import runs
from triage.inventory.git import GITLINK, CommitMeta, GitRepo
from triage.inventory.rows import NewContent, prepare
from triage.inventory.store import Store
from triage.model import Spilled

# Commits per transaction: large enough to amortise commit cost, small enough that an
# interruption loses little work.
BATCH_COMMITS = 200
# Worker processes fingerprinting contents (TRIAGE_WORKERS overrides; 1 = in this process).
WORKERS_ENV = "TRIAGE_WORKERS"
# Contents go to a worker in chunks of at most this many items or bytes (one round trip each),
# and at most WINDOW_PER_WORKER chunks per worker are in flight: this bounds the memory held.
CHUNK_ITEMS = 64
CHUNK_BYTES = 4 * 1024 * 1024
WINDOW_PER_WORKER = 3
# Workers start only for a batch of at least this many new contents, or once this many bytes
# were read: a small run (a test, a re-run with a few new commits) is done before a pool starts.
PARALLEL_MIN_ITEMS = 64
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
# New contents are written to the store in groups of at most this many items or bytes (one
# statement per table per group): larger groups sort more postings together, smaller ones are
# written while the workers fingerprint the next (not all after the last one) and hold less.
WRITE_ITEMS = 1024
WRITE_BYTES = 16 * 1024 * 1024

Progress = Callable[[str, int, int], None]
K = TypeVar("K")
Content = bytes | Spilled  # a content in memory, or a large one left in a file (model weights)


@dataclass
class IndexStats:
    source: str
    kind: str
    commits_new: int = 0
    contents_new: int = 0
    bytes_fingerprinted: int = 0
    seconds: float = 0.0
    default_ref: str | None = None
    notes: list[str] = field(default_factory=list)
    documents: int = 0  # documents read (text and metadata indexed)
    documents_unreadable: int = 0  # documents recorded with the reason they could not be read
    tables: int = 0  # dumps whose rows were indexed


def _noop(stage: str, done: int, total: int) -> None:
    pass


# -- fingerprinting in worker processes ----------------------------------------------------------


def default_workers() -> int:
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise UsageError(f"{WORKERS_ENV}={value!r} is not a number of worker processes") from None
        if n < 1:
            raise UsageError(f"{WORKERS_ENV} must be at least 1")
        return n
    return os.cpu_count() or 1


def _worker_init() -> None:
    # The parent handles Ctrl-C (it rolls the open batch back and stops the pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


Described = DocPrint | TablePrint | None


def _prepare(data: Content, name: str) -> tuple[NewContent, Described]:
    # Documents and dumps are read from memory; a spilled content is a large weights file (its
    # bytes are not kept in the index).
    new = prepare(fingerprint(data, type_text=False), _body(data))
    return new, (describe(data, name) if isinstance(data, bytes) else None)


def _fingerprint_chunk(items: list[tuple[Content, str]]) -> list[tuple]:
    """Worker side: plain tuples (builtins and NumPy arrays) go back, the fingerprint's fields
    first, then the rows to write and the document or dump description."""
    out = []
    for data, name in items:
        new, described = _prepare(data, name)
        fp = tuple(getattr(new.fp, f.name) for f in fields(Fingerprint))
        out.append((fp, new.body, new.postings, new.bands, described))
    return out


def _from_tuple(item: tuple) -> tuple[NewContent, Described]:
    if isinstance(item[0], NewContent):
        return item
    fp, body, postings, bands, described = item
    return NewContent(Fingerprint(*fp), body, postings, bands), described


def _nbytes(data: Content) -> int:
    return data.size if isinstance(data, Spilled) else len(data)


def _body(data: Content | None) -> bytes | None:
    """The bytes to keep in the index (a spilled content is too large to keep)."""
    return data if isinstance(data, bytes) else None


def _release(data: Content | None) -> None:
    """Remove the scratch copy of a spilled content once it is fingerprinted."""
    if isinstance(data, Spilled) and data.temporary:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(data.path)


class _Done:
    """A finished chunk computed in this process (the Future interface the pipeline reads)."""

    def __init__(self, results: list[tuple[NewContent, Described]]):
        self.results = results

    def result(self) -> list[tuple[NewContent, Described]]:
        return self.results


class Fingerprinter:
    """Fingerprint a stream of ``(key, data)`` and yield ``(key, data, NewContent, described)`` in
    order, ``described`` being the content's DocPrint, TablePrint or None (``hints`` maps a key to
    a file name, which decides Markdown and dumps).

    Everything runs in this process, calling this module's ``fingerprint``, until ``start()``
    finds the work large enough for a pool; then chunks go to worker processes while this
    process keeps reading the stream and the caller writes what came back.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers if workers is not None else default_workers()
        self.pool: ProcessPoolExecutor | None = None
        self.bytes_read = 0
        self.hints: dict[Any, str] = {}

    def __enter__(self) -> Fingerprinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def start(self, items_ahead: int, bytes_ahead: int = 0) -> None:
        """Start the workers if the work seen so far and ahead is worth it.

        Call it only where this process has no pipe to a child open (not while a ``git cat-file``
        runs): workers are forked from here, and a forked copy of that pipe would keep git
        waiting for more input forever.
        """
        if self.pool is not None or self.workers < 2:
            return
        if items_ahead < PARALLEL_MIN_ITEMS and self.bytes_read + bytes_ahead < PARALLEL_MIN_BYTES:
            return
        methods = multiprocessing.get_all_start_methods()
        # fork: workers start at once with the loaded modules (spawn where there is no fork).
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init)
        self.pool.submit(int).result()  # launch the processes now, not at the first real chunk

    def _submit(self, items: list[tuple[Content, str]]) -> Future | _Done:
        if self.pool is None:
            return _Done([_prepare(d, n) for d, n in items])
        return self.pool.submit(_fingerprint_chunk, items)

    def run(self, items: Iterable[tuple[K, Content | None]]
            ) -> Iterator[tuple[K, Content | None, NewContent | None, Described]]:
        """Items with ``data`` None are markers: they come back in their place, unfingerprinted.
        A temporary spilled content's scratch file is removed once it is fingerprinted."""
        window: deque[tuple[list, Future | _Done]] = deque()
        chunk: list[tuple[K, Content | None]] = []
        size = 0

        def flush() -> None:
            nonlocal chunk, size
            if chunk:
                todo = [(d, self.hints.pop(k, "")) for k, d in chunk if d is not None]
                window.append((chunk, self._submit(todo)))
                chunk, size = [], 0

        def drain(keep: int) -> Iterator[tuple[K, Content | None, NewContent | None, Described]]:
            while len(window) > keep:
                done, fut = window.popleft()
                try:
                    results = iter(fut.result())
                finally:
                    for _key, data in done:
                        _release(data)
                for key, data in done:
                    if data is None:
                        yield key, None, None, None
                        continue
                    new, described = _from_tuple(next(results))
                    yield key, data, new, described

        for key, data in items:
            chunk.append((key, data))
            if data is not None:
                size += _nbytes(data)
                self.bytes_read += _nbytes(data)
            if self.pool is None or len(chunk) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
                flush()
                yield from drain(WINDOW_PER_WORKER * self.workers if self.pool else 0)
        flush()
        yield from drain(0)


def detect_kind(location: Path) -> str:
    if not location.exists():
        raise InputError(f"{location} does not exist")
    if location.is_dir():
        return "git" if GitRepo.is_repo_root(location) else "directory"
    if location.is_file():
        return "archive"
    raise InputError(f"{location} is neither a directory nor a file")


def index_source(store: Store, location: Path, *, name: str | None = None, kind: str | None = None,
                 default_branch: str | None = None, version: str | None = None, date: str | None = None,
                 progress: Progress = _noop) -> IndexStats:
    location = Path(location)
    detected = detect_kind(location)
    if kind == "git" and detected != "git":
        raise InputError(f"{location} is not a git repository")
    if kind == "archive" and detected != "archive" or kind == "directory" and detected == "archive":
        raise InputError(f"{location} is not a {kind}")
    kind = kind or detected
    started = time.monotonic()
    # No state change here: a git run marks the index "indexing" in the transaction that plans
    # it, and a directory or archive version is written and published in one transaction. A
    # mistaken source (missing, empty, no refs) then leaves a complete index complete.
    if kind == "git":
        stats = _index_git(store, location, name, default_branch, progress)
    elif kind in ("directory", "archive"):
        stats = _index_version(store, location, kind, name, version, date, progress)
    else:
        raise InputError(f"unknown source kind {kind!r}")
    store.optimize()
    stats.seconds = time.monotonic() - started
    return stats


# -- git ---------------------------------------------------------------------------------------


# A worker asked for other refs than the run in progress completes that run first, then plans its
# own; it gives up after this many runs (others keep planning new ones).
MAX_RUNS_JOINED = 5


def _index_git(store: Store, location: Path, name: str | None, default_branch: str | None,
               progress: Progress) -> IndexStats:
    repo = GitRepo(location)
    refs = repo.refs()
    if not refs:
        raise InputError(f"{location} has no branches or tags to index")
    default = default_branch and _resolve_ref(default_branch, refs)
    if default_branch and not default:
        raise InputError(f"branch {default_branch!r} not found in {location}")
    default = default or repo.default_branch(refs)
    name = name or _repo_name(location)
    with store.transaction():
        sid = store.source_id("git", str(location.resolve()), name, default)
    stats = IndexStats(name, "git", default_ref=default)
    for _ in range(MAX_RUNS_JOINED):
        run = runs.join_or_plan(store, repo, sid, refs, default, BATCH_COMMITS)
        _write_batches(store, repo, sid, stats, progress)
        outcome = runs.finish(store, sid, lambda r: _complete_git(store, sid, r))
        if outcome == "others":
            stats.notes.append("other workers are still writing batches of this run; the last one to finish"
                               " completes the index")
            break
        if run == runs.Run(refs, default):
            break
    return stats


def _complete_git(store: Store, sid: int, run: runs.Run) -> None:
    known = store.known_commits(sid)
    store.set_refs(sid, {r: known[oid] for r, oid in run.refs.items() if oid in known}, run.default)
    tip = known.get(run.refs[run.default]) if run.default else None
    store.set_tip_files(sid, sorted(store.state_at(tip).items()) if tip else [])


def _write_batches(store: Store, repo: GitRepo, sid: int, stats: IndexStats, progress: Progress) -> None:
    """Claim open batches of the run and write each in one transaction, until none is left."""
    total = sum(len(oids) for _, _, oids in store.open_batches(sid))
    claimed: deque[tuple[runs.Batch, list[CommitMeta], dict[str, list]]] = deque()
    have: dict[str, int] = {}  # blob oid -> content id, for the batches read so far
    labels: dict[str, str] = {}  # blob oid -> a path of it (for notes on unreadable documents)

    def blobs() -> Iterator[tuple[str | int, Content | None]]:
        """Every claimed batch's new blobs, then its marker; runs ahead of the writes below."""
        scheduled: set[str] = set()
        for batch in runs.claims(store, sid):
            metas = repo.commits(batch.oids)
            diffs = repo.diffs(metas)
            claimed.append((batch, metas, diffs))
            oids = {ch.oid for chs in diffs.values() for ch in chs if ch.oid and ch.mode != GITLINK}
            have.update(store.content_ids_by_oid([o for o in oids if o not in have and o not in scheduled]))
            missing = sorted(o for o in oids if o not in have and o not in scheduled)
            scheduled.update(missing)
            named = _names(diffs, set(missing))
            fper.hints.update(named)
            labels.update(named)
            fper.start(len(missing))  # here, before cat-file starts
            yield from repo.blobs(missing, spill_dir)
            yield batch.number, None

    done = 0
    fper = Fingerprinter()
    with fper, tempfile.TemporaryDirectory(prefix="triage-index-") as scratch:
        spill_dir = Path(scratch)
        results = fper.run(blobs())
        while True:
            progress("commits", done, total)
            with store.transaction():
                marker = _write_contents(store, results, have, stats, labels)
                if marker is None:
                    break
                batch, metas, diffs = claimed.popleft()
                _write_commits(store, sid, batch, metas, diffs, have, stats)
                store.mark_batch_done(sid, batch.number)
            runs.release(store, sid, batch)
            done += len(batch.oids)
        stats.bytes_fingerprinted += fper.bytes_read
    progress("commits", total, total)


def _write_contents(store: Store, results: Iterator[tuple[str | int, Content | None, NewContent | None, Described]],
                    have: dict[str, int], stats: IndexStats, labels: dict[str, str]) -> int | None:
    """Write the new contents up to the next batch marker, in groups; the marker (a batch number),
    or None when the stream ended."""
    marker = None

    def until_marker() -> Iterator[tuple[str | int, Content | None, NewContent | None, Described]]:
        nonlocal marker
        for item in results:
            if item[2] is None:
                marker = item[0]
                return
            yield item

    for group in _groups(until_marker()):
        ids = store.add_contents([n for _, n, _d in group])
        for (oid, _n, described), cid in zip(group, ids, strict=True):
            have[str(oid)] = cid
            _add_described(store, cid, described, stats, labels.pop(str(oid), str(oid)))
        stats.contents_new += len(group)
    return marker


def _names(diffs: dict[str, list], oids: set[str]) -> dict[str, str]:
    """A path for each blob (the first seen), so that documents and dumps are recognised by name
    where content alone cannot tell (Markdown, CSV)."""
    out: dict[str, str] = {}
    for changes in diffs.values():
        for ch in changes:
            if ch.oid in oids and ch.oid not in out:
                out[ch.oid] = ch.path
    return out


# Unreadable documents listed by name in the index run's notes (the count is always given).
MAX_NOTED_DOCUMENTS = 20


def _add_described(store: Store, content_id: int, described: Described, stats: IndexStats,
                   label: str) -> None:
    """Record a content's document text and metadata, or a dump's row hashes."""
    if isinstance(described, DocPrint):
        store.add_document(content_id, described)
        if described.table is not None:  # a workbook's cells, as rows
            store.add_table(content_id, described.table)
            stats.tables += 1
        if described.error:
            stats.documents_unreadable += 1
            if stats.documents_unreadable <= MAX_NOTED_DOCUMENTS:
                stats.notes.append(f"{label}: {described.kind} not read: {described.error}")
        else:
            stats.documents += 1
    elif isinstance(described, TablePrint):
        store.add_table(content_id, described)
        stats.tables += 1


def _groups(results: Iterator[tuple[K, Content | None, NewContent | None, Described]]
            ) -> Iterator[list[tuple[K, NewContent, Described]]]:
    """``(key, NewContent, described)`` groups of at most WRITE_ITEMS items or WRITE_BYTES bytes,
    up to the next marker (or the end)."""
    group: list[tuple[K, NewContent, Described]] = []
    size = 0
    for key, _data, new, described in results:
        if new is None:
            break
        group.append((key, new, described))
        size += len(new.body or b"") + 4 * len(new.fp.lines)
        if len(group) >= WRITE_ITEMS or size >= WRITE_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _resolve_ref(name: str, refs: dict[str, str]) -> str | None:
    for cand in (name, f"refs/heads/{name}", f"refs/remotes/{name}", f"refs/tags/{name}"):
        if cand in refs:
            return cand
    return None


def _write_commits(store: Store, sid: int, batch: runs.Batch, metas: list[CommitMeta], diffs: dict[str, list],
                   have: dict[str, int], stats: IndexStats) -> None:
    paths = store.path_ids(ch.path for changes in diffs.values() for ch in changes)
    for seq, c in enumerate(metas, start=batch.seq):
        cid = store.add_commit(sid, c.oid, c.tree, c.parents, seq, c.date, c.author_date, c.author,
                               c.committer, c.subject)
        rows = []
        for ch in diffs.get(c.oid, []):
            if ch.mode == GITLINK:
                continue
            rows.append((paths[ch.path], have.get(ch.oid) if ch.oid else None, ch.mode))
        store.add_changes(cid, rows)
        stats.commits_new += 1


def _repo_name(location: Path) -> str:
    p = location.resolve()
    return p.name[:-4] if p.name.endswith(".git") else p.name


# -- directories and release archives -------------------------------------------------------------


def _index_version(store: Store, location: Path, kind: str, name: str | None, version: str | None,
                   date: str | None, progress: Progress) -> IndexStats:
    with tempfile.TemporaryDirectory(prefix="triage-index-") as scratch:
        return _index_files(store, location, kind, name, version, date, progress, Path(scratch))


def _index_files(store: Store, location: Path, kind: str, name: str | None, version: str | None,
                 date: str | None, progress: Progress, scratch: Path) -> IndexStats:
    files = _read_directory(location) if kind == "directory" else _read_archive(location, scratch)
    if not files:
        raise InputError(f"{location} holds no files to index")
    name = name or _series_name(location)
    version = version or location.name
    when = parse_date(date) if date else int(max((m for _, _, m in files), default=0) or time.time())
    listing = sorted((p, _listed(d, m)) for p, d, m in files)
    oid = hashlib.sha1(repr((name, version, listing)).encode(), usedforsecurity=False).hexdigest()
    with store.transaction():
        sid = store.source_id(kind, str(location.resolve()), name, "latest")
    stats = IndexStats(name, kind, default_ref="latest")
    if oid in store.known_commits(sid):
        return _version_known(store, sid, version, stats)
    done: list[tuple[str, NewContent, Described]] = []
    with Fingerprinter() as fper:
        fper.start(len(files), sum(_nbytes(d) for _, d, _m in files))
        fper.hints.update({p: p for p, _d, _m in files})
        for i, (path, data, new, described) in enumerate(fper.run((p, d) for p, d, _m in files)):
            progress("files", i, len(files))
            assert data is not None and new is not None  # no markers here
            done.append((path, new, described))
        stats.bytes_fingerprinted = fper.bytes_read
    with store.transaction():
        store.lock("source", sid)  # versions of one series are written one at a time
        if oid in store.known_commits(sid):
            return _version_known(store, sid, version, stats, locked=True)
        refs = store.source_refs(sid)
        parent = refs.get("latest")
        parent_oid = [o for o, c in store.known_commits(sid).items() if c == parent] if parent else []
        parent_state = store.state_at(parent) if parent else {}
        stored = store.contents_by("sha256", [new.fp.sha256 for _, new, _d in done])
        ids: dict[str, int] = {}
        for i in range(0, len(done), WRITE_ITEMS):
            part = done[i : i + WRITE_ITEMS]
            for (path, _n, described), cid in zip(part, store.add_contents([n for _, n, _d in part]), strict=True):
                ids[path] = cid
                _add_described(store, cid, described, stats, path)
        stats.contents_new = len({new.fp.sha256 for _, new, _d in done} - set(stored))
        paths = store.path_ids(ids)
        cid = store.add_commit(sid, oid, None, parent_oid, store.max_seq(sid) + 1, when, when, "", "",
                               f"version {version}")
        state = {paths[p]: c for p, c in ids.items()}
        rows = [(p, c, "100644") for p, c in state.items() if parent_state.get(p) != c]
        rows += [(p, None, "000000") for p in parent_state if p not in state]
        store.add_changes(cid, rows)
        stats.commits_new = 1
        refs[f"version/{version}"] = cid
        latest = max(refs.items(), key=lambda kv: store.commit_date(kv[1]) if kv[0] != "latest" else -1)[1]
        refs["latest"] = latest
        store.set_refs(sid, refs, "latest")
        store.set_tip_files(sid, sorted(store.state_at(latest).items()))
        runs.publish(store, sid)
    return stats


def _version_known(store: Store, sid: int, version: str, stats: IndexStats, locked: bool = False) -> IndexStats:
    stats.notes.append(f"version {version} already indexed")
    if locked:
        runs.publish(store, sid)
        return stats
    with store.transaction():
        store.lock("source", sid)
        runs.publish(store, sid)
    return stats


def _listed(data: Content, mtime: float) -> str:
    """A file's identity in a version's listing: its SHA-256, or for a spilled file (too large
    to hash twice) its size and modification time."""
    if isinstance(data, Spilled):
        return f"spilled:{data.size}:{mtime!r}"
    return hashlib.sha256(data).hexdigest()


def _read_directory(location: Path) -> list[tuple[str, Content, float]]:
    from triage.read import read_drop
    from triage.model import Member

    out = []
    for item in read_drop(location):
        if isinstance(item, Member) and "!" not in item.path and not item.path.startswith(".git/"):
            out.append((item.path, item.content, item.mtime or 0.0))
    return out


def _read_archive(location: Path, scratch: Path) -> list[tuple[str, Content, float]]:
    from triage.read import Limits, read_drop
    from triage.model import Member

    members = [m for m in read_drop(location, Limits(), scratch)
               if isinstance(m, Member) and m.path.count("!") <= 1]
    # A single-file compressed tarball reads as "x.tar.gz!..." ; strip that container prefix.
    files = []
    for m in members:
        path = m.path.split("!", 1)[1] if "!" in m.path else m.path
        if "!" in m.path and not m.path.split("!", 1)[0] == location.name:
            continue
        files.append((path, m.content, m.mtime or 0.0))
    tops = {p.split("/", 1)[0] for p, _, _ in files}
    if len(tops) == 1 and all("/" in p for p, _, _ in files):
        files = [(p.split("/", 1)[1], d, t) for p, d, t in files]
    return files


def _series_name(location: Path) -> str:
    stem = location.name
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar", ".zip"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    # "requests-2.31.0" -> "requests"
    head, sep, tail = stem.rpartition("-")
    return head if sep and tail[:1].isdigit() else stem


def parse_date(value: str, option: str = "--date") -> int:
    """An ISO 8601 date or date-time (UTC when no zone is given) as Unix seconds."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO date (e.g. 2025-03-01 or 2025-03-01T12:00:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
