"""The embedded inventory store (SQLite): opening, migrations, writes and the scan's queries.

A scan opens the database read-only (``mode=ro``), so the inventory, which is evidence too, is
never modified by a scan. Indexing writes in transactions; the ``state`` meta key is
``complete`` only after a whole run, and a scan refuses a database left ``indexing``.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from triage.errors import InventoryError
from triage.fingerprint import PARAMS, Fingerprint
from triage.fingerprint.minhash import band_keys, to_bytes
from triage.inventory.schema import MIGRATIONS, SCHEMA_VERSION

# Contents up to this size keep their bytes (zlib) in the index, so that a scan can show what
# changed without the source repository at hand. Larger ones keep fingerprints only.
BODY_MAX_BYTES = 2 * 1024 * 1024
# SQLite binds at most 32,766 parameters per statement; stay well under it.
IN_CHUNK = 900


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= (1 << 63) else h


class SQLiteStore:
    """Inventory index in one SQLite file."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool):
        self.conn = conn
        self.path = path
        self.writable = writable

    # -- opening ---------------------------------------------------------------------------

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
            store = cls(conn, path, True)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise InventoryError(f"--db {path} is not a triage index ({exc})") from None
        store._check_identity(fresh_ok=True)
        return store

    @classmethod
    def open_readonly(cls, path: Path) -> SQLiteStore:
        path = Path(path)
        if not path.is_file():
            raise InventoryError(f"--db {path} does not exist (build it with: triage index SOURCE --db {path})")
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise InventoryError(f"--db {path} is not a readable SQLite database ({exc})") from None
        store = cls(conn, path, False)
        store._check_identity(fresh_ok=False)
        return store

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for stmt in sql.split(";"):
                    if stmt.strip():
                        self.conn.execute(stmt)
                self.conn.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (name,))

    def _check_identity(self, fresh_ok: bool) -> None:
        try:
            meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            raise InventoryError(f"--db {self.path} is not a triage index") from None
        if not meta:
            if not fresh_ok:
                raise InventoryError(f"--db {self.path} is an empty index: run triage index first")
            with self.transaction():
                self.set_meta("schema_version", str(SCHEMA_VERSION))
                self.set_meta("params", json.dumps(PARAMS, sort_keys=True))
                self.set_meta("state", "empty")
            return
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise InventoryError(
                f"--db {self.path} has index schema {version}, this triage reads schema {SCHEMA_VERSION}: rebuild it"
            )
        if json.loads(meta.get("params", "{}")) != PARAMS:
            raise InventoryError(
                f"--db {self.path} was built with other fingerprint parameters: rebuild it with this triage"
            )
        if not fresh_ok:
            state = meta.get("state")
            if state == "indexing":
                raise InventoryError(
                    f"--db {self.path} is from an interrupted index run: re-run triage index to complete it"
                )
            if state != "complete" or self.count("contents") == 0:
                raise InventoryError(f"--db {self.path} is an empty index: run triage index first")

    # -- small helpers ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    def _chunks(self, items: Sequence) -> Iterator[Sequence]:
        for i in range(0, len(items), IN_CHUNK):
            yield items[i : i + IN_CHUNK]

    # -- writes (index) --------------------------------------------------------------------

    def source_id(self, kind: str, location: str, name: str, default_ref: str | None) -> int:
        row = self.conn.execute("SELECT id, location FROM sources WHERE name = ?", (name,)).fetchone()
        if row:
            self.conn.execute("UPDATE sources SET kind = ?, location = ?, default_ref = ? WHERE id = ?",
                              (kind, location, default_ref, row[0]))
            return int(row[0])
        cur = self.conn.execute("INSERT INTO sources (kind, location, name, default_ref) VALUES (?, ?, ?, ?)",
                                (kind, location, name, default_ref))
        return int(cur.lastrowid)

    def path_ids(self, paths: Iterable[str]) -> dict[str, int]:
        paths = sorted(set(paths))
        out: dict[str, int] = {}
        for chunk in self._chunks(paths):
            q = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT path, id FROM paths WHERE path IN ({q})", chunk))  # noqa: S608
        missing = [p for p in paths if p not in out]
        for p in missing:
            cur = self.conn.execute("INSERT INTO paths (path, basename) VALUES (?, ?)", (p, p.rsplit("/", 1)[-1]))
            out[p] = int(cur.lastrowid)
        return out

    def content_ids_by_oid(self, oids: Iterable[str]) -> dict[str, int]:
        oids = sorted(set(oids))
        out: dict[str, int] = {}
        for chunk in self._chunks(oids):
            q = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT git_oid, id FROM contents WHERE git_oid IN ({q})", chunk))  # noqa: S608
        return out

    def add_content(self, fp: Fingerprint, body: bytes | None) -> int:
        row = self.conn.execute("SELECT id FROM contents WHERE sha256 = ?", (fp.sha256,)).fetchone()
        if row:
            return int(row[0])
        keep = zlib.compress(body, 6) if body is not None and fp.size <= BODY_MAX_BYTES else None
        cur = self.conn.execute(
            "INSERT INTO contents (sha256, git_oid, size, mime, kind, encoding, norm_sha256, ws_sha256, lines,"
            " sig_tokens, sig_shapes, tlsh, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fp.sha256, fp.git_oid, fp.size, fp.mime, fp.kind, fp.encoding, fp.norm_sha256, fp.ws_sha256,
                fp.lines.astype("<u4").tobytes() if len(fp.lines) else None,
                to_bytes(fp.sig_tokens) if fp.sig_tokens is not None else None,
                to_bytes(fp.sig_shapes) if fp.sig_shapes is not None else None,
                fp.tlsh, keep,
            ),
        )
        cid = int(cur.lastrowid)
        if len(fp.lines):
            hashes = np.unique(fp.lines[fp.informative]) if fp.kind == "text" else np.unique(fp.lines)
            self.conn.executemany("INSERT OR IGNORE INTO postings VALUES (?, ?)",
                                  ((int(h), cid) for h in hashes))
        keys = [k for space, sig in fp.sketches() for k in band_keys(sig, space)]
        self.conn.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", ((k, cid) for k in keys))
        return cid

    def add_commit(self, source_id: int, oid: str, tree: str | None, parents: Sequence[str], seq: int,
                   date: int, author_date: int | None, author: str, committer: str, subject: str) -> int:
        fp = None
        if parents:
            row = self.conn.execute("SELECT id FROM commits WHERE source_id = ? AND oid = ?",
                                    (source_id, parents[0])).fetchone()
            fp = row[0] if row else None
        cur = self.conn.execute(
            "INSERT INTO commits (source_id, oid, tree, parents, first_parent, seq, date, author_date, author,"
            " committer, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source_id, oid, tree, " ".join(parents), fp, seq, date, author_date, author, committer, subject),
        )
        return int(cur.lastrowid)

    def add_changes(self, commit_id: int, rows: Iterable[tuple[int, int | None, str]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO changes VALUES (?, ?, ?, ?)",
                              ((commit_id, p, c, m) for p, c, m in rows))

    def known_commits(self, source_id: int) -> dict[str, int]:
        return dict(self.conn.execute("SELECT oid, id FROM commits WHERE source_id = ?", (source_id,)))

    def max_seq(self, source_id: int) -> int:
        row = self.conn.execute("SELECT max(seq) FROM commits WHERE source_id = ?", (source_id,)).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def set_refs(self, source_id: int, refs: dict[str, int], default: str | None) -> None:
        self.conn.execute("DELETE FROM refs WHERE source_id = ?", (source_id,))
        self.conn.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)",
                              ((source_id, n, c, int(n == default)) for n, c in sorted(refs.items())))

    def set_tip_files(self, source_id: int, rows: Iterable[tuple[int, int]]) -> None:
        self.conn.execute("DELETE FROM tip_files WHERE source_id = ?", (source_id,))
        self.conn.executemany("INSERT OR REPLACE INTO tip_files VALUES (?, ?, ?)",
                              ((source_id, p, c) for p, c in rows))

    def state_at(self, commit_id: int) -> dict[int, int]:
        """Path id -> content id at a commit, replayed along its first-parent chain."""
        chain = []
        cur: int | None = commit_id
        while cur is not None:
            chain.append(cur)
            row = self.conn.execute("SELECT first_parent FROM commits WHERE id = ?", (cur,)).fetchone()
            cur = row[0] if row else None
        state: dict[int, int] = {}
        for cid in reversed(chain):
            for path_id, content_id in self.conn.execute(
                "SELECT path_id, content_id FROM changes WHERE commit_id = ?", (cid,)
            ):
                if content_id is None:
                    state.pop(path_id, None)
                else:
                    state[path_id] = content_id
        return state

    def recompute_line_df(self) -> None:
        """Document frequency of each informative line over internal paths (boilerplate weight)."""
        self.conn.execute("DELETE FROM line_df")
        # The (content, path) pairs first: a small table the database builds once (SQLite with an
        # automatic index), so each of the tens of millions of postings meets it in memory
        # instead of two index lookups into changes (3.5x faster at 250k contents).
        self.conn.execute(
            "INSERT INTO line_df (hash, paths) SELECT p.hash, count(DISTINCT cp.path_id) FROM postings p"
            " JOIN (SELECT DISTINCT content_id, path_id FROM changes WHERE content_id IS NOT NULL) cp"
            " ON cp.content_id = p.content_id GROUP BY p.hash HAVING count(DISTINCT cp.path_id) > 1"
        )

    # -- reads (scan) ----------------------------------------------------------------------

    def sources(self) -> list[dict]:
        out = []
        for sid, kind, loc, name, ref in self.conn.execute(
            "SELECT id, kind, location, name, default_ref FROM sources ORDER BY id"
        ):
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
        for chunk in self._chunks(values):
            q = ",".join("?" * len(chunk))
            for v, cid in self.conn.execute(
                f"SELECT {column}, id FROM contents WHERE {column} IN ({q}) ORDER BY id", chunk  # noqa: S608
            ):
                out.setdefault(v, []).append(cid)
        return out

    def current_contents(self, content_ids: Iterable[int]) -> set[int]:
        ids = sorted(set(content_ids))
        out: set[int] = set()
        for chunk in self._chunks(ids):
            q = ",".join("?" * len(chunk))
            out.update(r[0] for r in self.conn.execute(
                f"SELECT DISTINCT content_id FROM tip_files WHERE content_id IN ({q})", chunk))  # noqa: S608
        return out

    def content_rows(self, content_ids: Iterable[int]) -> dict[int, dict]:
        ids = sorted(set(content_ids))
        out: dict[int, dict] = {}
        cols = ("id", "sha256", "git_oid", "size", "mime", "kind", "encoding", "norm_sha256", "ws_sha256",
                "lines", "sig_tokens", "sig_shapes", "tlsh", "body")
        for chunk in self._chunks(ids):
            q = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT {', '.join(cols)} FROM contents WHERE id IN ({q})", chunk):  # noqa: S608
                rec = dict(zip(cols, row))
                if rec["body"] is not None:
                    rec["body"] = zlib.decompress(rec["body"])
                out[rec["id"]] = rec
        return out

    def occurrences(self, content_ids: Iterable[int]) -> dict[int, list[tuple]]:
        """content id -> [(path, source name, commit oid, commit date, commit id)] introducing it."""
        ids = sorted(set(content_ids))
        out: dict[int, list[tuple]] = {}
        for chunk in self._chunks(ids):
            q = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                "SELECT ch.content_id, p.path, s.name, c.oid, c.date, c.id FROM changes ch"
                " JOIN paths p ON p.id = ch.path_id JOIN commits c ON c.id = ch.commit_id"
                f" JOIN sources s ON s.id = c.source_id WHERE ch.content_id IN ({q})"  # noqa: S608
                " ORDER BY c.date, c.seq, p.path", chunk,
            ):
                out.setdefault(row[0], []).append(row[1:])
        return out

    def candidates_by_postings(self, hashes: Sequence[int], limit_df: int) -> dict[int, int]:
        """content id -> number of the given line hashes it holds (lines held by <= limit_df paths)."""
        hashes = sorted(set(int(h) for h in hashes))
        # Boilerplate lines first, from the small line_df table: their posting lists grow with
        # the inventory (a license line is in most contents), so they are never read.
        common: set[int] = set()
        for chunk in self._chunks(hashes):
            q = ",".join("?" * len(chunk))
            common.update(r[0] for r in self.conn.execute(
                f"SELECT hash FROM line_df WHERE hash IN ({q}) AND paths > ?", (*chunk, limit_df)))  # noqa: S608
        counts: dict[int, int] = {}
        for chunk in self._chunks([h for h in hashes if h not in common]):
            q = ",".join("?" * len(chunk))
            for cid, n in self.conn.execute(
                f"SELECT content_id, count(*) FROM postings WHERE hash IN ({q}) GROUP BY content_id", chunk  # noqa: S608
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
        for chunk in self._chunks(keys):
            q = ",".join("?" * len(chunk))
            for cid, n in self.conn.execute(
                f"SELECT content_id, count(*) FROM bands WHERE key IN ({q}) GROUP BY content_id", chunk  # noqa: S608
            ):
                counts[cid] = counts.get(cid, 0) + n
        return counts

    def band_buckets(self, keys: Iterable[int], max_bucket: int) -> dict[int, list[int] | None]:
        """key -> the content ids holding it, or None when more than ``max_bucket`` do.

        One bounded query per key: a band that many contents share says nothing about one of
        them (files of one shape: configs, locales, generated code), and its bucket grows with
        the inventory, so it is never read whole."""
        out: dict[int, list[int] | None] = {}
        for key in sorted(set(keys)):
            rows = self.conn.execute("SELECT content_id FROM bands WHERE key = ? LIMIT ?",
                                     (key, max_bucket + 1)).fetchall()
            out[key] = [r[0] for r in rows] if len(rows) <= max_bucket else None
        return out

    def contents_at_paths(self, paths: Iterable[str], by_basename: bool = False) -> dict[str, set[int]]:
        """internal path (or basename) -> content ids ever held there."""
        col = "basename" if by_basename else "path"
        vals = sorted(set(paths))
        out: dict[str, set[int]] = {}
        for chunk in self._chunks(vals):
            q = ",".join("?" * len(chunk))
            for key, cid in self.conn.execute(
                f"SELECT p.{col}, ch.content_id FROM paths p JOIN changes ch ON ch.path_id = p.id"  # noqa: S608
                f" WHERE p.{col} IN ({q}) AND ch.content_id IS NOT NULL", chunk,
            ):
                out.setdefault(key, set()).add(cid)
        return out

    def line_df(self, hashes: Iterable[int]) -> dict[int, int]:
        hs = sorted(set(int(h) for h in hashes))
        out: dict[int, int] = {}
        for chunk in self._chunks(hs):
            q = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT hash, paths FROM line_df WHERE hash IN ({q})", chunk))  # noqa: S608
        return out

    def total_paths(self) -> int:
        return self.count("paths")

    def commits_table(self) -> list[tuple]:
        """(id, source_id, oid, first_parent, seq, date, parents) for every commit, topological."""
        return list(self.conn.execute(
            "SELECT id, source_id, oid, first_parent, seq, date, parents FROM commits ORDER BY source_id, seq"))

    def changes_for_paths(self, path_ids: Iterable[int]) -> list[tuple[int, int, int | None]]:
        ids = sorted(set(path_ids))
        out: list[tuple[int, int, int | None]] = []
        for chunk in self._chunks(ids):
            q = ",".join("?" * len(chunk))
            out.extend(self.conn.execute(
                f"SELECT commit_id, path_id, content_id FROM changes WHERE path_id IN ({q})", chunk))  # noqa: S608
        return out

    def path_ids_readonly(self, paths: Iterable[str]) -> dict[str, int]:
        vals = sorted(set(paths))
        out: dict[str, int] = {}
        for chunk in self._chunks(vals):
            q = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT path, id FROM paths WHERE path IN ({q})", chunk))  # noqa: S608
        return out

    def known_commit_oids(self, oids: Iterable[str]) -> dict[str, str]:
        """Commit id -> source name, for the given ids that the index holds (any source)."""
        vals = sorted(set(oids))
        out: dict[str, str] = {}
        for chunk in self._chunks(vals):
            q = ",".join("?" * len(chunk))
            out.update(self.conn.execute(
                f"SELECT c.oid, s.name FROM commits c JOIN sources s ON s.id = c.source_id WHERE c.oid IN ({q})",  # noqa: S608
                chunk))
        return out

    def refs(self) -> list[tuple[int, str, int, int]]:
        return list(self.conn.execute("SELECT source_id, name, commit_id, is_default FROM refs ORDER BY source_id, name"))

    def digest(self) -> str:
        """A digest of the index's identity: schema, params, sources, refs and content count."""
        import hashlib

        h = hashlib.sha256()
        h.update((self.meta("schema_version") or "").encode())
        h.update((self.meta("params") or "").encode())
        for row in self.conn.execute(
            "SELECT s.name, r.name, c.oid FROM refs r JOIN sources s ON s.id = r.source_id"
            " JOIN commits c ON c.id = r.commit_id ORDER BY s.name, r.name"
        ):
            h.update(("\x00".join(map(str, row)) + "\n").encode())
        h.update(str(self.count("contents")).encode())
        h.update(str(self.count("commits")).encode())
        return h.hexdigest()


__all__ = ["SQLiteStore", "BODY_MAX_BYTES", "_signed"]
