"""Build or extend the inventory index from a source: a git history, a directory or a release archive.

Each distinct content is fingerprinted once. Commits are written in batches, one transaction
per batch (commit rows, their changes and the new contents together), parents before children:
an interrupted run leaves whole batches only, and the ``state`` meta key stays ``indexing`` until
refs, tips and line frequencies are written at the end, so a scan never trusts a half index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from triage.errors import InputError, UsageError
from triage.fingerprint import fingerprint
from triage.inventory.git import GITLINK, CommitMeta, GitRepo
from triage.inventory.store import SQLiteStore

# Commits per transaction: large enough to amortise commit cost, small enough that an
# interruption loses little work.
BATCH_COMMITS = 200

Progress = Callable[[str, int, int], None]


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


def _noop(stage: str, done: int, total: int) -> None:
    pass


def detect_kind(location: Path) -> str:
    if not location.exists():
        raise InputError(f"{location} does not exist")
    if location.is_dir():
        return "git" if GitRepo.is_repo_root(location) else "directory"
    if location.is_file():
        return "archive"
    raise InputError(f"{location} is neither a directory nor a file")


def index_source(store: SQLiteStore, location: Path, *, name: str | None = None, kind: str | None = None,
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
    with store.transaction():
        store.set_meta("state", "indexing")
    if kind == "git":
        stats = _index_git(store, location, name, default_branch, progress)
    elif kind in ("directory", "archive"):
        stats = _index_version(store, location, kind, name, version, date, progress)
    else:
        raise InputError(f"unknown source kind {kind!r}")
    progress("line frequencies", 0, 1)
    with store.transaction():
        store.recompute_line_df()
        store.set_meta("state", "complete")
    stats.seconds = time.monotonic() - started
    return stats


# -- git ---------------------------------------------------------------------------------------


def _index_git(store: SQLiteStore, location: Path, name: str | None, default_branch: str | None,
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
    known = store.known_commits(sid)
    new = repo.new_commits(sorted(set(refs.values())), sorted(known))
    seq = store.max_seq(sid) + 1
    total = len(new)
    for start in range(0, total, BATCH_COMMITS):
        batch = new[start : start + BATCH_COMMITS]
        progress("commits", start, total)
        seq = _index_git_batch(store, repo, sid, batch, seq, stats)
    progress("commits", total, total)
    known = store.known_commits(sid)
    with store.transaction():
        store.set_refs(sid, {r: known[oid] for r, oid in refs.items() if oid in known}, default)
        tip = known.get(refs[default]) if default else None
        store.set_tip_files(sid, sorted(store.state_at(tip).items()) if tip else [])
        store.conn.execute("UPDATE sources SET indexed_at = ? WHERE id = ?", (_now(), sid))
    return stats


def _resolve_ref(name: str, refs: dict[str, str]) -> str | None:
    for cand in (name, f"refs/heads/{name}", f"refs/remotes/{name}", f"refs/tags/{name}"):
        if cand in refs:
            return cand
    return None


def _index_git_batch(store: SQLiteStore, repo: GitRepo, sid: int, batch: list[CommitMeta], seq: int,
                     stats: IndexStats) -> int:
    diffs = repo.diffs(batch)
    oids = {ch.oid for changes in diffs.values() for ch in changes if ch.oid and ch.mode != GITLINK}
    have = store.content_ids_by_oid(oids)
    missing = sorted(oids - set(have))
    with store.transaction():
        for oid, data in repo.blobs(missing):
            fp = fingerprint(data)
            have[oid] = store.add_content(fp, data)
            stats.contents_new += 1
            stats.bytes_fingerprinted += len(data)
        paths = store.path_ids(ch.path for changes in diffs.values() for ch in changes)
        for c in batch:
            cid = store.add_commit(sid, c.oid, c.tree, c.parents, seq, c.date, c.author_date, c.author,
                                   c.committer, c.subject)
            seq += 1
            rows = []
            for ch in diffs.get(c.oid, []):
                if ch.mode == GITLINK:
                    continue
                rows.append((paths[ch.path], have.get(ch.oid) if ch.oid else None, ch.mode))
            store.add_changes(cid, rows)
            stats.commits_new += 1
    return seq


def _repo_name(location: Path) -> str:
    p = location.resolve()
    return p.name[:-4] if p.name.endswith(".git") else p.name


# -- directories and release archives -------------------------------------------------------------


def _index_version(store: SQLiteStore, location: Path, kind: str, name: str | None, version: str | None,
                   date: str | None, progress: Progress) -> IndexStats:
    files = _read_directory(location) if kind == "directory" else _read_archive(location)
    if not files:
        raise InputError(f"{location} holds no files to index")
    name = name or _series_name(location)
    version = version or location.name
    when = parse_date(date) if date else int(max((m for _, _, m in files), default=0) or time.time())
    listing = sorted((p, hashlib.sha256(d).hexdigest()) for p, d, _ in files)
    oid = hashlib.sha1(repr((name, version, listing)).encode(), usedforsecurity=False).hexdigest()
    with store.transaction():
        sid = store.source_id(kind, str(location.resolve()), name, "latest")
    stats = IndexStats(name, kind, default_ref="latest")
    known = store.known_commits(sid)
    if oid in known:
        stats.notes.append(f"version {version} already indexed")
        return stats
    parent_row = store.conn.execute(
        "SELECT c.id, c.oid FROM refs r JOIN commits c ON c.id = r.commit_id WHERE r.source_id = ? AND r.name = 'latest'",
        (sid,)).fetchone()
    parent_state = store.state_at(parent_row[0]) if parent_row else {}
    before = store.count("contents")
    with store.transaction():
        ids = {}
        for i, (path, data, _m) in enumerate(files):
            progress("files", i, len(files))
            ids[path] = store.add_content(fingerprint(data), data)
            stats.bytes_fingerprinted += len(data)
        paths = store.path_ids(ids)
        cid = store.add_commit(sid, oid, None, [parent_row[1]] if parent_row else [], store.max_seq(sid) + 1,
                               when, when, "", "", f"version {version}")
        state = {paths[p]: c for p, c in ids.items()}
        rows = [(p, c, "100644") for p, c in state.items() if parent_state.get(p) != c]
        rows += [(p, None, "000000") for p in parent_state if p not in state]
        store.add_changes(cid, rows)
        stats.commits_new = 1
        stats.contents_new = store.count("contents") - before
        refs = dict(store.conn.execute("SELECT name, commit_id FROM refs WHERE source_id = ?", (sid,)))
        refs[f"version/{version}"] = cid
        latest = max(refs.items(), key=lambda kv: _commit_date(store, kv[1]) if kv[0] != "latest" else -1)[1]
        refs["latest"] = latest
        store.set_refs(sid, refs, "latest")
        store.set_tip_files(sid, sorted(store.state_at(latest).items()))
        store.conn.execute("UPDATE sources SET indexed_at = ? WHERE id = ?", (_now(), sid))
    return stats


def _commit_date(store: SQLiteStore, commit_id: int) -> int:
    return int(store.conn.execute("SELECT date FROM commits WHERE id = ?", (commit_id,)).fetchone()[0])


def _read_directory(location: Path) -> list[tuple[str, bytes, float]]:
    from triage.read import read_drop
    from triage.model import Member

    out = []
    for item in read_drop(location):
        if isinstance(item, Member) and "!" not in item.path and not item.path.startswith(".git/"):
            out.append((item.path, item.data, item.mtime or 0.0))
    return out


def _read_archive(location: Path) -> list[tuple[str, bytes, float]]:
    from triage.read import read_drop
    from triage.model import Member

    members = [m for m in read_drop(location) if isinstance(m, Member) and m.path.count("!") <= 1]
    # A single-file compressed tarball reads as "x.tar.gz!..." ; strip that container prefix.
    files = []
    for m in members:
        path = m.path.split("!", 1)[1] if "!" in m.path else m.path
        if "!" in m.path and not m.path.split("!", 1)[0] == location.name:
            continue
        files.append((path, m.data, m.mtime or 0.0))
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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
