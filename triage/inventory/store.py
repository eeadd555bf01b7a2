"""The inventory store: one backend-neutral set of queries over a DB-API connection.

``Store`` holds every write and read the indexer and the scan use, written once in the SQL that
SQLite and PostgreSQL share (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``). A backend
subclass supplies the opening, and a few small hooks where the two differ: how a list of values
is matched (``_in``), how many rows are loaded at once (``_bulk``, COPY on PostgreSQL), locks
for concurrent writers, and what a scan may see while an index run is writing.

``SQLiteStore`` is the embedded default. A scan opens it read-only (``mode=ro``), so the
inventory, which is evidence too, is never modified by a scan. Indexing writes in transactions;
the ``state`` meta key is ``complete`` only after a whole run, and a scan refuses a database left
``indexing``. ``triage.inventory.postgres.PostgresStore`` keeps the same index on a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import InventoryError
from triage.fingerprint import PARAMS, Fingerprint
from triage.fingerprint.tensors import TensorRecord, norm_name
from triage.fingerprint.weights import WeightsPrint
from triage.inventory.docstore import DocumentStore
from triage.inventory.rows import BODY_MAX_BYTES, CONTENTS_COLUMNS, NewContent, prepare
from triage.inventory.schema import MIGRATIONS, SCHEMA_VERSION, for_dialect

# SQLite binds at most 32,766 parameters per statement; stay well under it.
IN_CHUNK = 900
# Page cache of a scan's connection (KiB): the inner pages of the postings, bands and contents
# B-trees stay in it (a few MB at 1M contents), so a lookup reads one leaf page, not a path
# from the root (SQLite's default is 2 MB).
READ_CACHE_KIB = 64 * 1024
# Band buckets are read this many rows at first: most hold one or two contents; a larger one is
# counted (bounded) before its rows are fetched, so a bucket over the bound costs no rows.
BUCKET_PEEK = 32
CONTENT_COLUMNS = CONTENTS_COLUMNS  # the contents columns after id (rows.NewContent.contents_row order)
# Page cache of an indexing connection (KiB): a batch's sorted postings and bands are written
# without spilling pages mid-transaction (a spill syncs the journal; measured on pygments: the
# write of 3,344 contents went from 1.9 s to 1.2 s wall, the same CPU).
WRITE_CACHE_KIB = 64 * 1024

_INSERT_CONTENT = (f"INSERT INTO contents ({', '.join(CONTENTS_COLUMNS)})"
                   f" VALUES ({', '.join('?' * len(CONTENTS_COLUMNS))})")


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= (1 << 63) else h


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_new(item: NewContent | tuple[Fingerprint, bytes | None]) -> NewContent:
    """A content to add: already prepared (``rows.prepare``, in a worker), or a ``(fingerprint,
    bytes)`` pair prepared here (bytes None for a spilled content)."""
    return item if isinstance(item, NewContent) else prepare(*item)


class Store(DocumentStore):
    """Inventory index queries, shared by every backend (see the module docstring); documents and
    dumps: ``DocumentStore``."""

    # Where the index lives, for messages and the report (a file path, or a URL without password).
    label: str
    # Which ``/*dialect: ...*/`` parts of the migrations apply (``schema.for_dialect``).
    dialect = "sqlite"

    def __init__(self, conn: Any, label: str, writable: bool):
        self.conn = conn
        self.label = label
        self.writable = writable

    @property
    def path(self) -> str:
        """What the report records as ``inventory.db``."""
        return self.label

    # -- backend hooks ---------------------------------------------------------------------

    def _in(self, values: Sequence) -> Iterator[tuple[str, tuple]]:
        """``(sql, params)`` pairs matching a column against all ``values`` (``col {sql}``)."""
        for i in range(0, len(values), IN_CHUNK):
            chunk = tuple(values[i : i + IN_CHUNK])
            yield f"IN ({','.join('?' * len(chunk))})", chunk

    def _bulk(self, table: str, cols: Sequence[str], rows: Iterable[tuple], *, key: int,
              replace: bool = False, fresh: bool = False) -> None:
        """Insert many rows; a row whose first ``key`` columns already exist is skipped (or
        replaces the old one). ``fresh``: the caller knows no key is in the table yet (the rows
        belong to a content or commit this transaction created), so a backend may load them
        without conflict checks."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.conn.executemany(f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                              rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def lock(self, name: str, *ids: int) -> None:
        """Hold a named lock until this transaction ends (writers of one source queue here)."""

    def try_claim(self, name: str, *ids: int) -> bool:
        """Take a lock held until ``release`` or until this connection ends; False if taken."""
        return True

    def release(self, name: str, *ids: int) -> None:
        pass

    def close(self) -> None:
        self.conn.close()

    def optimize(self) -> None:
        """After an index run: refresh what the query planner knows (nothing to do for SQLite)."""

    # -- opening ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations"
                          " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                self.lock("migrate")
                if self.conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    continue  # another process applied it while this one waited
                for stmt in for_dialect(sql, self.dialect).split(";"):
                    if stmt.strip():
                        self._ddl(stmt)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, now_utc()))

    def _ddl(self, stmt: str) -> None:
        self.conn.execute(stmt)

    def _read_meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def _check_identity(self, fresh_ok: bool) -> None:
        try:
            meta = self._read_meta()
        except (sqlite3.DatabaseError, self._db_error()):
            raise InventoryError(f"--db {self.label} is not a triage index") from None
        if not meta:
            if not fresh_ok:
                raise InventoryError(f"--db {self.label} is an empty index: run triage index first")
            with self.transaction():
                self.lock("migrate")
                if not self._read_meta():
                    self.set_meta("schema_version", str(SCHEMA_VERSION))
                    self.set_meta("params", json.dumps(PARAMS, sort_keys=True))
                    self.set_meta("state", "empty")
                    self.set_meta("index_id", uuid.uuid4().hex)
            return
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise InventoryError(
                f"--db {self.label} has index schema {version}, this triage reads schema {SCHEMA_VERSION}: rebuild it"
            )
        if json.loads(meta.get("params", "{}")) != PARAMS:
            raise InventoryError(
                f"--db {self.label} was built with other fingerprint parameters: rebuild it with this triage"
            )
        if fresh_ok and "index_id" not in meta:
            with self.transaction():
                self.set_meta("index_id", uuid.uuid4().hex)
        if not fresh_ok:
            self._check_state(meta)

    def _db_error(self) -> type[Exception]:
        return sqlite3.DatabaseError

    def _check_state(self, meta: dict[str, str]) -> None:
        """Whether a scan may read this index (the embedded file: only after a whole run)."""
        state = meta.get("state")
        if state == "indexing":
            raise InventoryError(
                f"--db {self.label} is from an interrupted index run: re-run triage index to complete it"
            )
        if state != "complete" or not self.has_contents():
            raise InventoryError(f"--db {self.label} is an empty index: run triage index first")

    # -- small helpers ---------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    def has_contents(self) -> bool:
        """Whether any content is indexed (``count`` reads a whole index: 0.7 s at 1M contents)."""
        return self.conn.execute("SELECT 1 FROM contents LIMIT 1").fetchone() is not None

    def _insert_id(self, sql: str, params: Sequence) -> int | None:
        """Run an INSERT and return the new row's id (None when ON CONFLICT skipped it)."""
        rows = self.conn.execute(f"{sql} RETURNING id", params).fetchall()
        return int(rows[0][0]) if rows else None

    def _pairs(self, sql: str, values: Iterable, before: tuple = ()) -> dict:
        """``{a: b}`` from ``SELECT a, b ... WHERE x {IN}`` over all values (``before``: the
        parameters of placeholders ahead of ``{IN}``)."""
        vals = sorted(set(values))
        out: dict = {}
        for frag, params in self._in(vals):
            out.update(self.conn.execute(sql.format(IN=frag), (*before, *params)))
        return out

    # -- writes (index) --------------------------------------------------------------------

    def source_id(self, kind: str, location: str, name: str, default_ref: str | None) -> int:
        row = self.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        if row:
            self.conn.execute("UPDATE sources SET kind = ?, location = ?, default_ref = ? WHERE id = ?",
                              (kind, location, default_ref, row[0]))
            return int(row[0])
        new = self._insert_id("INSERT INTO sources (kind, location, name, default_ref) VALUES (?, ?, ?, ?)"
                              " ON CONFLICT (name) DO NOTHING", (kind, location, name, default_ref))
        return new if new is not None else self.source_id(kind, location, name, default_ref)

    def path_ids(self, paths: Iterable[str]) -> dict[str, int]:
        paths = sorted(set(paths))
        out = self._pairs("SELECT path, id FROM paths WHERE path {IN}", paths)
        missing = [p for p in paths if p not in out]
        for p in missing:
            pid = self._insert_id("INSERT INTO paths (path, basename) VALUES (?, ?)"
                                  " ON CONFLICT (path) DO NOTHING", (p, p.rsplit("/", 1)[-1]))
            if pid is not None:
                out[p] = pid
        lost = [p for p in missing if p not in out]  # written by another worker meanwhile
        out.update(self._pairs("SELECT path, id FROM paths WHERE path {IN}", lost))
        return out

    def content_ids_by_oid(self, oids: Iterable[str]) -> dict[str, int]:
        return self._pairs("SELECT git_oid, id FROM contents WHERE git_oid {IN}", oids)

    def add_content(self, fp: Fingerprint, body: bytes | None) -> int:
        """One content (its bytes in ``body``, None for a spilled one); indexing writes many at once
        with ``add_contents``. Model weights also get their tensor records (``add_weights``)."""
        return self.add_contents([prepare(fp, body)])[0]

    def add_contents(self, items: Sequence[NewContent | tuple[Fingerprint, bytes | None]]) -> list[int]:
        """Write contents in their order and return their ids (an already indexed content, or a
        repeat within ``items``, keeps its first id). The postings and bands of the whole batch go
        in with one statement per table, sorted by key: each B-tree page is visited once per batch
        instead of once per row."""
        items = [as_new(it) for it in items]
        known = self._pairs("SELECT sha256, id FROM contents WHERE sha256 {IN}", [it.fp.sha256 for it in items])
        ids: list[int] = []
        new: list[tuple[int, NewContent]] = []
        for it in items:
            cid = known.get(it.fp.sha256)
            if cid is None:
                cur = self.conn.execute(_INSERT_CONTENT, it.contents_row())
                cid = known[it.fp.sha256] = int(cur.lastrowid)
                new.append((cid, it))
                if it.fp.weights is not None:
                    self.add_weights(cid, it.fp.weights)
            ids.append(cid)
        if new:
            self._insert_sorted("postings", [(cid, it.postings) for cid, it in new])
            self._insert_sorted("bands", [(cid, it.bands) for cid, it in new])
        return ids

    def _insert_sorted(self, table: str, parts: Sequence[tuple[int, np.ndarray]]) -> None:
        """(key, content_id) rows of several contents in key order (``table``: postings or bands)."""
        lens = [len(keys) for _cid, keys in parts]
        if not sum(lens):
            return
        keys = np.concatenate([k.astype(np.int64, copy=False) for _cid, k in parts])
        cids = np.repeat(np.array([cid for cid, _k in parts], dtype=np.int64), lens)
        order = np.argsort(keys, kind="stable")  # ties keep content id order: (key, content_id)
        self.conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)",  # noqa: S608
                              zip(keys[order].tolist(), cids[order].tolist(), strict=True))

    def add_weights(self, cid: int, wp: WeightsPrint) -> None:
        """A weights content's tensor records (identities and sketches, never tensor bytes)."""
        self.conn.execute(
            "INSERT INTO weights (content_id, format, tensors, informative, complete, error, notes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, wp.format, len(wp.records), wp.informative, int(wp.complete), wp.error, json.dumps(list(wp.notes))),
        )
        self.conn.executemany(
            "INSERT INTO tensors (content_id, seq, name, norm_name, dtype, shape, nbytes, sha256, sketch, why)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((cid, i, r.name, norm_name(r.name), r.dtype, shape_key(r.shape), r.nbytes, r.sha256, r.sketch or None,
              r.why or ("uninformative" if r.uninformative else None)) for i, r in enumerate(wp.records)),
        )

    def add_commit(self, source_id: int, oid: str, tree: str | None, parents: Sequence[str], seq: int,
                   date: int, author_date: int | None, author: str, committer: str, subject: str) -> int:
        fp = None
        if parents:
            row = self.conn.execute("SELECT id FROM commits WHERE source_id = ? AND oid = ?",
                                    (source_id, parents[0])).fetchone()
            fp = row[0] if row else None
        cid = self._insert_id(
            "INSERT INTO commits (source_id, oid, tree, parents, first_parent, seq, date, author_date, author,"
            " committer, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source_id, oid, tree, " ".join(parents), fp, seq, date, author_date, author, committer, subject),
        )
        assert cid is not None
        return cid

    def add_changes(self, commit_id: int, rows: Iterable[tuple[int, int | None, str]]) -> None:
        """The changes of a commit this transaction added."""
        self._bulk("changes", ("commit_id", "path_id", "content_id", "mode"),
                   ((commit_id, p, c, m) for p, c, m in rows), key=2, replace=True, fresh=True)

    def link_first_parents(self, source_id: int) -> int:
        """Fill ``first_parent`` where the parent was written after its child (parallel workers)."""
        rows = list(self.conn.execute(
            "SELECT id, parents FROM commits WHERE source_id = ? AND first_parent IS NULL AND parents <> ''",
            (source_id,)))
        if not rows:
            return 0
        known = self._pairs("SELECT oid, id FROM commits WHERE source_id = ? AND oid {IN}",
                            [p.split(" ", 1)[0] for _, p in rows], (source_id,))
        updates = [(known[p.split(" ", 1)[0]], cid) for cid, p in rows if p.split(" ", 1)[0] in known]
        self.conn.executemany("UPDATE commits SET first_parent = ? WHERE id = ?", updates)
        return len(updates)

    def known_commits(self, source_id: int) -> dict[str, int]:
        return dict(self.conn.execute("SELECT oid, id FROM commits WHERE source_id = ?", (source_id,)))

    def max_seq(self, source_id: int) -> int:
        row = self.conn.execute("SELECT max(seq) FROM commits WHERE source_id = ?", (source_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def set_refs(self, source_id: int, refs: dict[str, int], default: str | None) -> None:
        self.conn.execute("DELETE FROM refs WHERE source_id = ?", (source_id,))
        self.conn.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)",
                              ((source_id, n, c, int(n == default)) for n, c in sorted(refs.items())))

    def source_refs(self, source_id: int) -> dict[str, int]:
        return dict(self.conn.execute("SELECT name, commit_id FROM refs WHERE source_id = ?", (source_id,)))

    def set_tip_files(self, source_id: int, rows: Iterable[tuple[int, int]]) -> None:
        self.conn.execute("DELETE FROM tip_files WHERE source_id = ?", (source_id,))
        self._bulk("tip_files", ("source_id", "path_id", "content_id"), ((source_id, p, c) for p, c in rows),
                   key=2, replace=True, fresh=True)

    def set_indexed_at(self, source_id: int) -> None:
        self.conn.execute("UPDATE sources SET indexed_at = ? WHERE id = ?", (now_utc(), source_id))

    def commit_date(self, commit_id: int) -> int:
        return int(self.conn.execute("SELECT date FROM commits WHERE id = ?", (commit_id,)).fetchone()[0])

    def state_at(self, commit_id: int) -> dict[int, int]:
        """Path id -> content id at a commit, replayed along its first-parent chain."""
        rows = self.conn.execute(
            "WITH RECURSIVE chain (id, depth) AS (SELECT CAST(? AS BIGINT), 0 UNION ALL"
            " SELECT c.first_parent, chain.depth + 1 FROM commits c JOIN chain ON c.id = chain.id"
            " WHERE c.first_parent IS NOT NULL)"
            " SELECT chain.depth, ch.path_id, ch.content_id FROM chain"
            " JOIN changes ch ON ch.commit_id = chain.id",
            (commit_id,)).fetchall()
        rows.sort(key=lambda r: -r[0])  # the root first, then each commit's changes over its parent's
        state: dict[int, int] = {}
        for _depth, path_id, content_id in rows:
            if content_id is None:
                state.pop(path_id, None)
            else:
                state[path_id] = content_id
        return state

    def recompute_line_df(self) -> None:
        """Document frequency of each informative line over internal paths (boilerplate weight).

        Only published commits count (see ``publish``): a run still writing elsewhere does not
        change what a scan of the published index weighs.
        """
        self.conn.execute("DELETE FROM line_df")
        pending = self.conn.execute(
            "SELECT 1 FROM commits c JOIN sources s ON s.id = c.source_id"
            " WHERE s.published_seq IS NULL OR c.seq > s.published_seq LIMIT 1").fetchone()
        where = ""
        if pending:
            where = (" JOIN commits c ON c.id = ch.commit_id JOIN sources s ON s.id = c.source_id"
                     " WHERE c.seq <= s.published_seq AND ch.content_id IS NOT NULL")
        # The distinct (content, path) pairs first: a small table the database builds once
        # (SQLite with an automatic index), so each of the tens of millions of postings meets it
        # in memory instead of two index lookups into changes (3.5x faster at 250k contents).
        self.conn.execute(
            "INSERT INTO line_df (hash, paths) SELECT p.hash, count(DISTINCT cp.path_id) FROM postings p"
            " JOIN (SELECT DISTINCT ch.content_id, ch.path_id FROM changes ch"
            f"{where or ' WHERE ch.content_id IS NOT NULL'}) cp ON cp.content_id = p.content_id"
            " GROUP BY p.hash HAVING count(DISTINCT cp.path_id) > 1"
        )

    def publish(self, source_id: int) -> None:
        """Make every commit of a source written so far visible to scans of a shared index."""
        self.conn.execute("UPDATE sources SET published_seq = (SELECT max(seq) FROM commits c"
                          " WHERE c.source_id = sources.id) WHERE id = ?", (source_id,))

    # -- index runs: batches planned once, claimed by any number of workers ---------------------

    def pending_run(self, source_id: int) -> tuple[dict[str, str], str | None] | None:
        row = self.conn.execute("SELECT refs, default_ref FROM index_runs WHERE source_id = ?",
                                (source_id,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def plan_run(self, source_id: int, refs: dict[str, str], default: str | None,
                 batches: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Record a run: the refs it indexes and its batches (first seq, commit ids in order)."""
        self.conn.execute("INSERT INTO index_runs (source_id, refs, default_ref, started_at) VALUES (?, ?, ?, ?)",
                          (source_id, json.dumps(refs, sort_keys=True), default, now_utc()))
        self.conn.executemany("INSERT INTO index_batches (source_id, batch, seq, oids) VALUES (?, ?, ?, ?)",
                              ((source_id, i, seq, " ".join(oids)) for i, (seq, oids) in enumerate(batches)))

    def open_batches(self, source_id: int) -> list[tuple[int, int, list[str]]]:
        """(batch, first seq, commit ids) of the current run's batches not yet written."""
        return [(b, s, o.split()) for b, s, o in self.conn.execute(
            "SELECT batch, seq, oids FROM index_batches WHERE source_id = ? AND done = 0 ORDER BY batch",
            (source_id,))]

    def batch_done(self, source_id: int, batch: int) -> bool:
        row = self.conn.execute("SELECT done FROM index_batches WHERE source_id = ? AND batch = ?",
                                (source_id, batch)).fetchone()
        return row is None or bool(row[0])

    def mark_batch_done(self, source_id: int, batch: int) -> None:
        self.conn.execute("UPDATE index_batches SET done = 1 WHERE source_id = ? AND batch = ?",
                          (source_id, batch))

    def end_run(self, source_id: int) -> None:
        self.conn.execute("DELETE FROM index_batches WHERE source_id = ?", (source_id,))
        self.conn.execute("DELETE FROM index_runs WHERE source_id = ?", (source_id,))

    def runs_in_progress(self) -> int:
        return self.count("index_runs")

    # -- reads (scan) ----------------------------------------------------------------------

    def sources(self) -> list[dict]:
        out = []
        for sid, kind, loc, name, ref in self.conn.execute(
            "SELECT id, kind, location, name, default_ref FROM sources ORDER BY id"
        ).fetchall():
            tip = self.conn.execute(
                "SELECT c.oid, c.date FROM refs r JOIN commits c ON c.id = r.commit_id"
                " WHERE r.source_id = ? AND r.is_default = 1", (sid,)).fetchone()
            n = self.conn.execute("SELECT count(*) FROM commits WHERE source_id = ?", (sid,)).fetchone()[0]
            out.append({"id": sid, "kind": kind, "location": loc, "name": name, "default_ref": ref,
                        "current": {"commit": tip[0], "date": tip[1]} if tip else None, "commits": n})
        return out

    def contents_by(self, column: str, values: Iterable[str]) -> dict[str, list[int]]:
        if column not in ("sha256", "norm_sha256", "ws_sha256"):
            raise ValueError(column)
        values = sorted(set(v for v in values if v))
        out: dict[str, list[int]] = {}
        for frag, params in self._in(values):
            for v, cid in self.conn.execute(
                f"SELECT {column}, id FROM contents WHERE {column} {frag} ORDER BY sha256", params  # noqa: S608
            ):
                out.setdefault(v, []).append(cid)
        return out

    def current_contents(self, content_ids: Iterable[int]) -> set[int]:
        ids = sorted(set(content_ids))
        out: set[int] = set()
        for frag, params in self._in(ids):
            out.update(r[0] for r in self.conn.execute(
                f"SELECT DISTINCT content_id FROM tip_files WHERE content_id {frag}", params))  # noqa: S608
        return out

    def content_rows(self, content_ids: Iterable[int]) -> dict[int, dict]:
        ids = sorted(set(content_ids))
        out: dict[int, dict] = {}
        cols = ("id", *CONTENT_COLUMNS)
        for frag, params in self._in(ids):
            for row in self.conn.execute(f"SELECT {', '.join(cols)} FROM contents WHERE id {frag}", params):  # noqa: S608
                rec = dict(zip(cols, row))
                for blob in ("lines", "sig_tokens", "sig_shapes", "body"):
                    if isinstance(rec[blob], memoryview):
                        rec[blob] = bytes(rec[blob])
                if rec["body"] is not None:
                    rec["body"] = zlib.decompress(rec["body"])
                out[rec["id"]] = rec
        return out

    def occurrences(self, content_ids: Iterable[int]) -> dict[int, list[tuple]]:
        """content id -> [(path, source name, commit oid, commit date, commit id)] introducing it."""
        ids = sorted(set(content_ids))
        out: dict[int, list[tuple]] = {}
        for frag, params in self._in(ids):
            for row in self.conn.execute(
                "SELECT ch.content_id, p.path, s.name, c.oid, c.date, c.id FROM changes ch"
                " JOIN paths p ON p.id = ch.path_id JOIN commits c ON c.id = ch.commit_id"
                f" JOIN sources s ON s.id = c.source_id WHERE ch.content_id {frag}"  # noqa: S608
                " ORDER BY c.date, c.seq, p.path", params,
            ):
                out.setdefault(row[0], []).append(tuple(row[1:]))
        return out

    def candidates_by_postings(self, hashes: Sequence[int], limit_df: int) -> dict[int, int]:
        """content id -> number of the given line hashes it holds (lines held by <= limit_df paths)."""
        hashes = sorted(set(int(h) for h in hashes))
        # Boilerplate lines first, from the small line_df table: their posting lists grow with
        # the inventory (a license line is in most contents), so they are never read.
        common: set[int] = set()
        for frag, params in self._in(hashes):
            common.update(r[0] for r in self.conn.execute(
                f"SELECT hash FROM line_df WHERE hash {frag} AND paths > ?", (*params, limit_df)))  # noqa: S608
        counts: dict[int, int] = {}
        for frag, params in self._in([h for h in hashes if h not in common]):
            for cid, n in self.conn.execute(
                f"SELECT content_id, count(*) FROM postings WHERE hash {frag} GROUP BY content_id", params  # noqa: S608
            ):
                counts[cid] = counts.get(cid, 0) + n
        return counts

    def candidates_by_bands(self, keys: Sequence[int], max_bucket: int | None = None) -> dict[int, int]:
        """content id -> number of the given LSH band keys it shares (with ``max_bucket``: keys
        held by more contents than that left out, see ``band_buckets``)."""
        keys = sorted(set(keys))
        counts: dict[int, int] = {}
        if max_bucket is not None:
            for cids in self.band_buckets(keys, max_bucket).values():
                for cid in cids or ():
                    counts[cid] = counts.get(cid, 0) + 1
            return counts
        for frag, params in self._in(keys):
            for cid, n in self.conn.execute(
                f"SELECT content_id, count(*) FROM bands WHERE key {frag} GROUP BY content_id", params  # noqa: S608
            ):
                counts[cid] = counts.get(cid, 0) + n
        return counts

    def band_buckets(self, keys: Iterable[int], max_bucket: int) -> dict[int, list[int] | None]:
        """key -> the content ids holding it, or None when more than ``max_bucket`` do.

        One bounded query per key: a band that many contents share says nothing about one of
        them (files of one shape: configs, locales, generated code), and its bucket grows with
        the inventory, so it is never read whole."""
        out: dict[int, list[int] | None] = {}
        small = min(BUCKET_PEEK, max_bucket)
        for key, ids in self._bucket_peek(sorted(set(keys)), small + 1).items():
            if len(ids) > small:  # a large bucket: counted by the database before any row is fetched
                n = self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM bands WHERE key = ? LIMIT ?) AS b",
                                      (key, max_bucket + 1)).fetchone()[0]
                ids = [r[0] for r in self.conn.execute("SELECT content_id FROM bands WHERE key = ?", (key,))] \
                    if n <= max_bucket else None
            out[key] = ids
        return out

    def _bucket_peek(self, keys: list[int], limit: int) -> dict[int, list[int]]:
        """key -> up to ``limit`` content ids holding it (every key present, maybe empty)."""
        return {key: [r[0] for r in self.conn.execute("SELECT content_id FROM bands WHERE key = ? LIMIT ?",
                                                      (key, limit))] for key in keys}

    def contents_at_paths(self, paths: Iterable[str], by_basename: bool = False) -> dict[str, set[int]]:
        """internal path (or basename) -> content ids ever held there."""
        col = "basename" if by_basename else "path"
        vals = sorted(set(paths))
        out: dict[str, set[int]] = {}
        for frag, params in self._in(vals):
            for key, cid in self.conn.execute(
                f"SELECT p.{col}, ch.content_id FROM paths p JOIN changes ch ON ch.path_id = p.id"  # noqa: S608
                f" WHERE p.{col} {frag} AND ch.content_id IS NOT NULL", params,
            ):
                out.setdefault(key, set()).add(cid)
        return out

    def newest_at(self, path: str, limit: int) -> list[int]:
        """The ``limit`` most recent contents held at this internal path: by the last commit
        date that wrote each there, ties by SHA-256, so the choice depends on the history only,
        not on the order in which index workers numbered the contents."""
        rows = self.conn.execute(
            "SELECT ch.content_id, max(c.date), k.sha256 FROM paths p JOIN changes ch ON ch.path_id = p.id"
            " JOIN commits c ON c.id = ch.commit_id JOIN contents k ON k.id = ch.content_id"
            " WHERE p.path = ? GROUP BY ch.content_id, k.sha256", (path,)).fetchall()
        return _newest_first(rows, limit)

    def newest_named(self, basename: str, limit: int, max_paths: int) -> list[int] | None:
        """``newest_at`` over every path with this file name, or None when more than
        ``max_paths`` paths have it (read with a bounded query: README.md and index.js are at
        thousands of paths in a large inventory, and the number grows with it)."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM paths WHERE basename = ? LIMIT ?",
                                               (basename, max_paths + 1))]
        if len(ids) > max_paths:
            return None
        rows = []
        for frag, ps in self._in(sorted(ids)):
            rows.extend(self.conn.execute(
                "SELECT ch.content_id, max(c.date), k.sha256 FROM changes ch JOIN commits c ON c.id = ch.commit_id"
                f" JOIN contents k ON k.id = ch.content_id WHERE ch.path_id {frag}"  # noqa: S608
                " GROUP BY ch.content_id, k.sha256", ps).fetchall())
        return _newest_first(rows, limit)

    def sha256_of(self, content_ids: Iterable[int]) -> dict[int, str]:
        """content id -> SHA-256 (hex): the order of contents that does not depend on their ids."""
        return self._pairs("SELECT id, sha256 FROM contents WHERE id {IN}", sorted(set(content_ids)))

    def line_df(self, hashes: Iterable[int]) -> dict[int, int]:
        """hash -> internal paths holding the line, for lines held at 2+ paths (a scan's
        matcher remembers the answers: ``matcher.ViewCache.line_df``)."""
        return self._pairs("SELECT hash, paths FROM line_df WHERE hash {IN}", (int(h) for h in hashes))

    def total_paths(self) -> int:
        return self.count("paths")

    def commits_table(self, sources: Iterable[int] | None = None) -> np.ndarray:
        """int64 rows (id, source_id, first_parent or -1, seq, date) of every commit (of these
        sources), topological: numbers only (a scan reads them all; the few it names get their
        oids from ``commit_oids``)."""
        sql = "SELECT id, source_id, coalesce(first_parent, -1), seq, date FROM commits"
        if sources is None:
            rows = self.conn.execute(sql + " ORDER BY source_id, seq").fetchall()
        else:
            rows = []
            for frag, params in self._in(sorted(set(sources))):
                rows.extend(self.conn.execute(f"{sql} WHERE source_id {frag} ORDER BY source_id, seq", params))
            rows.sort(key=lambda r: (r[1], r[3]))
        return np.array(rows, dtype=np.int64).reshape(-1, 5)

    def source_names(self) -> dict[int, str]:
        return dict(self.conn.execute("SELECT id, name FROM sources"))

    def sources_of_contents(self, content_ids: Iterable[int]) -> set[int]:
        """The sources whose history ever held one of these contents."""
        out: set[int] = set()
        for frag, params in self._in(sorted(set(content_ids))):
            out.update(r[0] for r in self.conn.execute(
                "SELECT DISTINCT c.source_id FROM changes ch JOIN commits c ON c.id = ch.commit_id"
                f" WHERE ch.content_id {frag}", params))  # noqa: S608
        return out

    def commit_oids(self, commit_ids: Iterable[int]) -> dict[int, str]:
        return self._pairs("SELECT id, oid FROM commits WHERE id {IN}", (int(c) for c in commit_ids))

    def changes_for_paths(self, path_ids: Iterable[int]) -> list[tuple[int, int, int | None]]:
        ids = sorted(set(path_ids))
        out: list[tuple[int, int, int | None]] = []
        for frag, params in self._in(ids):
            out.extend(tuple(r) for r in self.conn.execute(
                f"SELECT commit_id, path_id, content_id FROM changes WHERE path_id {frag}", params))  # noqa: S608
        return out

    def path_ids_readonly(self, paths: Iterable[str]) -> dict[str, int]:
        return self._pairs("SELECT path, id FROM paths WHERE path {IN}", paths)

    def known_commit_oids(self, oids: Iterable[str]) -> dict[str, str]:
        """Commit id -> source name, for the given ids that the index holds (any source)."""
        return self._pairs("SELECT c.oid, s.name FROM commits c JOIN sources s ON s.id = c.source_id"
                           " WHERE c.oid {IN}", oids)

    def refs(self) -> list[tuple[int, str, int, int]]:
        return [tuple(r) for r in self.conn.execute(
            "SELECT source_id, name, commit_id, is_default FROM refs ORDER BY source_id, name")]

    # -- model weights (scan) ------------------------------------------------------------------

    def weights_info(self, content_ids: Iterable[int]) -> dict[int, dict]:
        """content id -> {format, tensors, informative, complete, error, notes} of weights contents."""
        ids = sorted(set(content_ids))
        out: dict[int, dict] = {}
        cols = ("content_id", "format", "tensors", "informative", "complete", "error", "notes")
        for frag, params in self._in(ids):
            for row in self.conn.execute(f"SELECT {', '.join(cols)} FROM weights WHERE content_id {frag}", params):  # noqa: S608
                rec = dict(zip(cols, row))
                rec["notes"] = json.loads(rec["notes"])
                rec["complete"] = bool(rec["complete"])
                out[rec.pop("content_id")] = rec
        return out

    def tensor_records(self, content_ids: Iterable[int]) -> dict[int, list[TensorRecord]]:
        """content id -> its tensor records, in file order."""
        ids = sorted(set(content_ids))
        out: dict[int, list[TensorRecord]] = {cid: [] for cid in ids}
        for frag, params in self._in(ids):
            for row in self.conn.execute(
                "SELECT content_id, name, dtype, shape, sha256, nbytes, sketch, why FROM tensors"  # noqa: S608
                f" WHERE content_id {frag} ORDER BY content_id, seq", params,
            ):
                out[row[0]].append(_record(row[1:]))
        return out

    def tensor_holders(self, hashes: Iterable[str], limit: int) -> dict[str, list[int]]:
        """tensor SHA-256 -> the weights contents holding it (at most ``limit`` each, by the
        contents' SHA-256: ids depend on the order in which index workers wrote them)."""
        vals = sorted(set(hashes))
        out: dict[str, list[int]] = {}
        for frag, params in self._in(vals):
            for sha, cid, _c in self.conn.execute(
                f"SELECT DISTINCT t.sha256, t.content_id, c.sha256 FROM tensors t JOIN contents c ON c.id = t.content_id"  # noqa: S608
                f" WHERE t.sha256 {frag} ORDER BY t.sha256, c.sha256",
                params,
            ):
                held = out.setdefault(sha, [])
                if len(held) < limit:
                    held.append(cid)
        return out

    def tensors_like(self, shape: tuple[int, ...], name: str | None, limit: int) -> list[tuple[int, TensorRecord]]:
        """(content id, record) of internal tensors of this shape (and normalised name, if given)."""
        sql = ("SELECT t.content_id, t.name, t.dtype, t.shape, t.sha256, t.nbytes, t.sketch, t.why FROM tensors t"
               " JOIN contents c ON c.id = t.content_id WHERE t.shape = ?")
        args: list = [shape_key(shape)]
        if name is not None:
            sql += " AND t.norm_name = ?"
            args.append(norm_name(name))
        sql += " ORDER BY c.sha256, t.seq LIMIT ?"  # not by id: see tensor_holders
        return [(row[0], _record(row[1:])) for row in self.conn.execute(sql, (*args, limit))]

    def digest(self) -> str:
        """A digest of the index's identity: schema, params, sources, refs and content count."""
        h = hashlib.sha256()
        h.update((self.meta("schema_version") or "").encode())
        h.update((self.meta("params") or "").encode())
        for row in self.conn.execute(
            "SELECT s.name, r.name, c.oid FROM refs r JOIN sources s ON s.id = r.source_id"
            " JOIN commits c ON c.id = r.commit_id ORDER BY s.name, r.name"
        ):
            h.update(("\x00".join(map(str, row)) + "\n").encode())
        # The content count as of the last publication (counting a million contents at every scan
        # took a second); an index published before this key existed is counted.
        contents = self.meta("contents_count")
        h.update((contents if contents is not None else str(self.count("contents"))).encode())
        h.update(str(self.count("commits")).encode())
        return h.hexdigest()


def _newest_first(rows: Iterable[tuple[int, int, str]], limit: int) -> list[int]:
    """Content ids of (content id, last date, SHA-256) rows, newest first, ties by SHA-256."""
    last: dict[int, tuple[int, str]] = {}
    for cid, date, sha in rows:
        if cid not in last or date > last[cid][0]:
            last[cid] = (int(date), sha)
    return sorted(last, key=lambda cid: (-last[cid][0], last[cid][1]))[:limit]


class SQLiteStore(Store):
    """Inventory index in one SQLite file (the embedded default for a single responder)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool):
        super().__init__(conn, str(path), writable)
        self.file = path

    def _insert_id(self, sql: str, params: Sequence) -> int | None:
        # lastrowid, not RETURNING: SQLite has RETURNING only since 3.35 (Debian 11 ships 3.34).
        cur = self.conn.execute(sql, params)
        return int(cur.lastrowid) if cur.rowcount == 1 else None

    @classmethod
    def create_or_open(cls, path: Path) -> SQLiteStore:
        path = Path(path)
        if path.exists() and not path.is_file():
            raise InventoryError(f"--db {path} exists and is not a file")
        try:
            conn = sqlite3.connect(str(path), isolation_level=None)
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
            store = cls(conn, path, True)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            if not path.exists():  # nothing there, and nothing could be made
                raise InventoryError(f"--db {path} cannot be created ({exc})") from None
            raise InventoryError(f"--db {path} is not a triage index ({exc})") from None
        store._check_identity(fresh_ok=True)
        return store

    @staticmethod
    def remove_if_unused(path: Path) -> None:
        """Remove an index file into which no run was ever planned (state ``empty``), with its
        journal files; leave anything else alone."""
        try:
            with contextlib.closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as conn:
                row = conn.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()
        except (sqlite3.Error, OSError):
            return
        if row and row[0] == "empty":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    @classmethod
    def open_readonly(cls, path: Path) -> SQLiteStore:
        path = Path(path)
        if path.exists() and not path.is_file():
            raise InventoryError(f"--db {path} is not a file (an index is one file: triage index SOURCE --db FILE)")
        if not path.is_file():
            raise InventoryError(f"--db {path} does not exist (build it with: triage index SOURCE --db {path})")
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        except sqlite3.DatabaseError as exc:
            raise InventoryError(f"--db {path} is not a readable SQLite database ({exc})") from None
        store = cls(conn, path, False)
        store._check_identity(fresh_ok=False)
        return store


def shape_key(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)


def _record(row: tuple) -> TensorRecord:
    name, dtype, shape, sha, nbytes, sketch, why = row
    dims = tuple(int(d) for d in shape.split(",")) if shape else ()
    return TensorRecord(name, dtype, dims, sha, int(nbytes), bytes(sketch or b""), why is not None, why or "")


__all__ = ["Store", "SQLiteStore", "BODY_MAX_BYTES", "CONTENT_COLUMNS", "_signed", "as_new", "shape_key"]
