"""The store's batched writes, the rows workers prepare for it, and the schema's dialect details."""

from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from tests.conftest import code_file
from triage.fingerprint import fingerprint
from triage.inventory import schema
from triage.inventory import store as store_mod
from triage.inventory.rows import BODY_MAX_BYTES, posting_hashes, prepare
from triage.inventory.store import SQLiteStore


def _datas() -> list[bytes]:
    return [code_file("alpha").encode(), bytes(range(256)) * 40, code_file("beta").encode(), b""]


def test_prepared_rows_are_what_the_index_holds():
    data = code_file("alpha").encode()
    fp = fingerprint(data)
    new = prepare(fp, data)
    assert zlib.decompress(new.body) == data
    assert np.array_equal(new.postings, np.unique(fp.lines[fp.informative]))
    assert len(new.bands) == 2 * 32 and new.bands.dtype == np.int64  # token and shape sketches
    assert prepare(replace(fp, size=BODY_MAX_BYTES + 1), data).body is None  # too large to keep
    binary = fingerprint(bytes(range(256)) * 40)
    assert np.array_equal(posting_hashes(binary), np.unique(binary.lines))  # every chunk of a binary


def test_add_contents_keeps_order_and_first_ids(tmp_path: Path):
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    datas = _datas()
    news = [prepare(fingerprint(d), d) for d in datas]
    with store.transaction():
        first = store.add_contents(news[:2])
        ids = store.add_contents([news[1], news[2], news[2], news[3], news[0]])
    assert first == [1, 2]
    assert ids == [2, 3, 3, 4, 1]  # known contents and repeats keep their first id
    postings = list(store.conn.execute("SELECT hash, content_id FROM postings"))
    assert postings == sorted(postings)
    expect = sorted((int(h), cid) for cid, new in zip((1, 2, 3, 4), news, strict=True) for h in new.postings)
    assert postings == expect
    bands = sorted(store.conn.execute("SELECT key, content_id FROM bands"))
    pairs = zip((1, 2, 3, 4), news, strict=True)
    assert bands == sorted((int(k), cid) for cid, new in pairs for k in new.bands)
    rows = store.content_rows([1, 4])
    assert rows[1]["body"] == datas[0] and rows[4]["kind"] == "empty"
    with store.transaction():
        assert store.add_content(fingerprint(datas[2]), datas[2]) == 3


def test_dialect_details_are_comments_elsewhere():
    sql = "CREATE TABLE t (k BIGINT PRIMARY KEY) /*sqlite: WITHOUT ROWID*/"
    assert schema.for_dialect(sql, "sqlite") == "CREATE TABLE t (k BIGINT PRIMARY KEY) WITHOUT ROWID"
    assert schema.for_dialect(sql, "postgresql") == sql


def test_old_layout_is_migrated_with_its_rows(tmp_path: Path, monkeypatch):
    db = tmp_path / "i.db"
    monkeypatch.setattr(store_mod, "MIGRATIONS", schema.MIGRATIONS[:1])
    old = SQLiteStore.create_or_open(db)
    datas = _datas()
    with old.transaction():
        old.add_contents([prepare(fingerprint(d), d) for d in datas])
    before = [sorted(old.conn.execute(f"SELECT * FROM {t}")) for t in ("postings", "bands")]  # noqa: S608
    old.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", schema.MIGRATIONS)
    new = SQLiteStore.create_or_open(db)
    after = [sorted(new.conn.execute(f"SELECT * FROM {t}")) for t in ("postings", "bands")]  # noqa: S608
    assert after == before and len(before[0]) > 0
    for table in ("postings", "bands"):
        sql = new.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        assert "WITHOUT ROWID" in sql
