"""Helpers comparing indexes and reports across backends (SQLite file, PostgreSQL server)."""

from __future__ import annotations

import json
from pathlib import Path

from triage.inventory import open_store
from triage.inventory.indexer import index_source
from triage.inventory.store import Store
from triage.render import json as rjson

# Every table's rows by natural keys (no ids): what must be equal whoever wrote the index.
NATURAL = {
    "sources": "SELECT kind, name, default_ref FROM sources",
    "contents": "SELECT sha256, git_oid, size, mime, kind, encoding, norm_sha256, ws_sha256, lines,"
                " sig_tokens, sig_shapes, tlsh, body FROM contents",
    "paths": "SELECT path, basename FROM paths",
    "commits": "SELECT s.name, c.oid, c.tree, c.parents, p.oid, c.seq, c.date, c.author_date, c.author,"
               " c.committer, c.subject FROM commits c JOIN sources s ON s.id = c.source_id"
               " LEFT JOIN commits p ON p.id = c.first_parent",
    "changes": "SELECT c.oid, p.path, k.sha256, ch.mode FROM changes ch JOIN commits c ON c.id = ch.commit_id"
               " JOIN paths p ON p.id = ch.path_id LEFT JOIN contents k ON k.id = ch.content_id",
    "refs": "SELECT s.name, r.name, c.oid, r.is_default FROM refs r JOIN sources s ON s.id = r.source_id"
            " JOIN commits c ON c.id = r.commit_id",
    "tip_files": "SELECT s.name, p.path, k.sha256 FROM tip_files t JOIN sources s ON s.id = t.source_id"
                 " JOIN paths p ON p.id = t.path_id JOIN contents k ON k.id = t.content_id",
    "postings": "SELECT x.hash, k.sha256 FROM postings x JOIN contents k ON k.id = x.content_id",
    "bands": "SELECT x.key, k.sha256 FROM bands x JOIN contents k ON k.id = x.content_id",
    "line_df": "SELECT hash, paths FROM line_df",
    "documents": "SELECT k.sha256, d.kind, d.text_sha256, d.chars, d.lines, d.sig_tokens, d.body, d.metadata,"
                 " d.parts, d.notes, d.error FROM documents d JOIN contents k ON k.id = d.content_id",
    "doc_postings": "SELECT x.hash, k.sha256 FROM doc_postings x JOIN contents k ON k.id = x.content_id",
    "doc_bands": "SELECT x.key, k.sha256 FROM doc_bands x JOIN contents k ON k.id = x.content_id",
    "dump_tables": "SELECT k.sha256, t.kind, t.rows_total, t.key_width, t.column_names, t.notes"
                   " FROM dump_tables t JOIN contents k ON k.id = t.content_id",
    "dump_rows": "SELECT k.sha256, x.row_hash, x.key_hash, x.fields FROM dump_rows x"
                 " JOIN contents k ON k.id = x.content_id",
    "weights": "SELECT k.sha256, w.format, w.tensors, w.informative, w.complete, w.error, w.notes"
               " FROM weights w JOIN contents k ON k.id = w.content_id",
    "tensors": "SELECT k.sha256, t.seq, t.name, t.norm_name, t.dtype, t.shape, t.nbytes, t.sha256, t.sketch,"
               " t.why FROM tensors t JOIN contents k ON k.id = t.content_id",
}


def natural_dump(store: Store) -> dict[str, list[tuple]]:
    out = {}
    for table, sql in NATURAL.items():
        rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                for r in store.conn.execute(sql)]
        out[table] = sorted(rows, key=repr)
    return out


def dump_db(db: str | Path) -> dict[str, list[tuple]]:
    store = open_store(db, writable=False)
    try:
        return natural_dump(store)
    finally:
        store.close()


def index_into(db: str | Path, source: Path, **kw) -> None:
    store = open_store(db, writable=True)
    try:
        index_source(store, source, **kw)
    finally:
        store.close()


def comparable(report) -> dict:
    """A report as JSON, without what names the backend or the moment."""
    doc = json.loads(rjson.render(report))
    doc["inventory"].pop("db", None)
    doc.pop("generated_at", None)
    return doc
