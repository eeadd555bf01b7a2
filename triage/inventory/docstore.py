"""Index reads and writes for documents and dumps (migration ``0002_documents``).

Mixed into the store class: it needs only ``self.conn`` (DB-API connection, ``?`` parameters)
and the store's ``_in`` hook (how a column is matched against a list of values). The SQL is kept
to what SQLite and PostgreSQL both accept.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from triage.fingerprint import SPACE_TOKENS
from triage.fingerprint.docprint import TEXT_KEEP_CHARS, DocPrint
from triage.fingerprint.minhash import band_keys, to_bytes
from triage.fingerprint.rowprint import InternalTable, TablePrint


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=str)


class DocumentStore:
    """Documents (canonical text, metadata) and dumps (row hashes) in the index."""

    conn: Any

    def _in(self, values: Sequence) -> Iterator[tuple[str, tuple]]:  # pragma: no cover - the store's hook
        raise NotImplementedError

    def _rows_in(self, sql: str, values: Iterable) -> Iterator[tuple]:
        """Run ``sql`` (with one ``{IN}``: the backend's match of a column against a list) over
        all ``values``."""
        vals = sorted(set(values))
        for frag, params in self._in(vals):
            yield from self.conn.execute(sql.replace("{IN}", frag), params)

    # -- writes (index) --------------------------------------------------------------------

    def add_document(self, content_id: int, doc: DocPrint) -> None:
        if self.conn.execute("SELECT 1 FROM documents WHERE content_id = ?", (content_id,)).fetchone():
            return
        fp = doc.fp
        body = zlib.compress(doc.text.encode("utf-8", "surrogatepass"), 6) \
            if doc.text and len(doc.text) <= TEXT_KEEP_CHARS else None
        self.conn.execute(
            "INSERT INTO documents (content_id, kind, text_sha256, chars, lines, sig_tokens, body, metadata,"
            " parts, notes, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (content_id, doc.kind, doc.text_sha256, len(doc.text), doc.lines,
             to_bytes(fp.sig_tokens) if fp is not None and fp.sig_tokens is not None else None, body,
             _json(doc.metadata), _json(list(doc.parts)), _json(list(doc.notes)), doc.error),
        )
        if fp is None:
            return
        if len(fp.lines):
            hashes = np.unique(fp.lines[fp.informative])
            self.conn.executemany("INSERT INTO doc_postings VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  ((int(h), content_id) for h in hashes))
        if fp.sig_tokens is not None:
            self.conn.executemany("INSERT INTO doc_bands VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  ((k, content_id) for k in set(band_keys(fp.sig_tokens, SPACE_TOKENS))))

    def add_table(self, content_id: int, table: TablePrint) -> None:
        if self.conn.execute("SELECT 1 FROM dump_tables WHERE content_id = ?", (content_id,)).fetchone():
            return
        self.conn.execute(
            "INSERT INTO dump_tables (content_id, kind, rows_total, key_width, column_names, notes)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (content_id, table.kind, table.rows, table.key_width,
             _json(list(table.columns)) if table.columns is not None else None, _json(list(table.notes))),
        )
        keys = table.key_hashes(table.key_width)
        seen: set[int] = set()
        rows = []
        for i, h in enumerate(table.row_hashes.tolist()):
            if h in seen:
                continue
            seen.add(h)
            rows.append((content_id, h, int(keys[i]) if table.key_width else None, table.fields[i]))
        self.conn.executemany("INSERT INTO dump_rows VALUES (?, ?, ?, ?)", rows)

    # -- reads (scan) ----------------------------------------------------------------------

    def documents(self, content_ids: Iterable[int]) -> dict[int, dict]:
        """content id -> document record (no text): kind, text_sha256, chars, lines, metadata,
        parts, notes, error, sig_tokens."""
        out: dict[int, dict] = {}
        for row in self._rows_in(
            "SELECT content_id, kind, text_sha256, chars, lines, metadata, parts, notes, error, sig_tokens"
            " FROM documents WHERE content_id {IN}", content_ids,
        ):
            out[row[0]] = {"kind": row[1], "text_sha256": row[2], "chars": row[3], "lines": row[4],
                           "metadata": json.loads(row[5]), "parts": json.loads(row[6]),
                           "notes": json.loads(row[7]), "error": row[8], "sig_tokens": row[9]}
        return out

    def document_texts(self, content_ids: Iterable[int]) -> dict[int, str]:
        """content id -> canonical text (documents whose text is kept)."""
        return {cid: zlib.decompress(body).decode("utf-8", "surrogatepass")
                for cid, body in self._rows_in("SELECT content_id, body FROM documents WHERE content_id {IN}"
                                          " AND body IS NOT NULL", content_ids)}

    def documents_by_text(self, shas: Iterable[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for sha, cid in self._rows_in("SELECT text_sha256, content_id FROM documents WHERE text_sha256 {IN}"
                                 " ORDER BY content_id", [s for s in shas if s]):
            out.setdefault(sha, []).append(cid)
        for v in out.values():
            v.sort()
        return out

    def doc_line_df(self, hashes: Iterable[int]) -> dict[int, int]:
        """Sentence hash -> distinct internal paths whose documents hold it (boilerplate weight)."""
        return dict(self._rows_in(
            "SELECT dp.hash, count(DISTINCT ch.path_id) FROM doc_postings dp"
            " JOIN changes ch ON ch.content_id = dp.content_id WHERE dp.hash {IN} GROUP BY dp.hash",
            (int(h) for h in hashes)))

    def doc_candidates_by_postings(self, hashes: Iterable[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for cid, n in self._rows_in("SELECT content_id, count(*) FROM doc_postings WHERE hash {IN}"
                               " GROUP BY content_id", (int(h) for h in hashes)):
            counts[cid] = counts.get(cid, 0) + n
        return counts

    def doc_candidates_by_bands(self, keys: Iterable[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for cid, n in self._rows_in("SELECT content_id, count(*) FROM doc_bands WHERE key {IN}"
                               " GROUP BY content_id", keys):
            counts[cid] = counts.get(cid, 0) + n
        return counts

    def tables(self, content_ids: Iterable[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for cid, kind, n, width, cols, notes in self._rows_in(
            "SELECT content_id, kind, rows_total, key_width, column_names, notes FROM dump_tables"
            " WHERE content_id {IN}", content_ids,
        ):
            out[cid] = {"kind": kind, "rows": n, "key_width": width,
                        "columns": json.loads(cols) if cols else None, "notes": json.loads(notes)}
        return out

    def dump_rows_by_hash(self, hashes: Iterable[int]) -> dict[int, set[int]]:
        """Row hash -> internal tables holding that row."""
        out: dict[int, set[int]] = {}
        for h, cid in self._rows_in("SELECT row_hash, content_id FROM dump_rows WHERE row_hash {IN}", hashes):
            out.setdefault(h, set()).add(cid)
        return out

    def table_candidates_by_keys(self, hashes: Iterable[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for cid, n in self._rows_in("SELECT content_id, count(*) FROM dump_rows WHERE key_hash {IN}"
                               " GROUP BY content_id", hashes):
            counts[cid] = counts.get(cid, 0) + n
        return counts

    def internal_table(self, content_id: int) -> InternalTable | None:
        meta = self.tables([content_id]).get(content_id)
        if meta is None:
            return None
        rows: set[int] = set()
        by_key: dict[int, list[tuple[bytes, int]]] = {}
        for h, k, sig in self.conn.execute(
            "SELECT row_hash, key_hash, fields FROM dump_rows WHERE content_id = ?", (content_id,)
        ):
            rows.add(h)
            if k is not None:
                by_key.setdefault(k, []).append((bytes(sig), h))
        return InternalTable(content_id, meta["rows"], meta["key_width"], rows, by_key)

    def content_heads(self, content_ids: Iterable[int]) -> dict[int, dict]:
        """content id -> sha256, git_oid, kind (without the body)."""
        return {cid: {"sha256": sha, "git_oid": oid, "kind": kind}
                for cid, sha, oid, kind in self._rows_in("SELECT id, sha256, git_oid, kind FROM contents"
                                                    " WHERE id {IN}", content_ids)}

    def document_counts(self) -> dict[str, int]:
        one = self.conn.execute
        return {"documents": int(one("SELECT count(*) FROM documents WHERE error IS NULL").fetchone()[0]),
                "documents_unreadable": int(one("SELECT count(*) FROM documents WHERE error IS NOT NULL")
                                            .fetchone()[0]),
                "tables": int(one("SELECT count(*) FROM dump_tables").fetchone()[0])}
