"""The index: whole history, incremental re-runs, interruption, other source kinds, refusals."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from tests.conftest import Repo, code_file
from triage.errors import InputError, InventoryError, UsageError
from triage.inventory import indexer
from triage.inventory.indexer import index_source
from triage.inventory.store import SQLiteStore


def _build(repo: Repo) -> dict[str, str]:
    c1 = repo.commit({"src/a.py": code_file("alpha"), "README.md": "# project\n"}, "one")
    c2 = repo.commit({"src/a.py": code_file("alpha", salt="v2"), "src/b.py": code_file("beta")}, "two")
    repo.git("checkout", "-q", "-b", "side")
    c3 = repo.commit({"src/side.py": code_file("side")}, "side work")
    repo.git("checkout", "-q", "main")
    c4 = repo.commit({"README.md": None, "docs/x.md": "# docs\n"}, "three")
    repo.git("tag", "v1", c2)
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}


def test_indexes_every_branch_and_tag(repo: Repo, tmp_path: Path):
    ids = _build(repo)
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    stats = index_source(store, repo.path)
    assert stats.commits_new == 4 and stats.default_ref == "refs/heads/main"
    known = store.known_commits(1)
    assert set(ids.values()) <= set(known)
    tip = {p for p, in store.conn.execute("SELECT p.path FROM tip_files t JOIN paths p ON p.id = t.path_id")}
    assert tip == {"src/a.py", "src/b.py", "docs/x.md"}  # README deleted, side branch not on main
    assert store.meta("state") == "complete"


def test_rerun_reads_only_new_commits(repo: Repo, tmp_path: Path):
    _build(repo)
    db = tmp_path / "i.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    again = index_source(store, repo.path)
    assert again.commits_new == 0 and again.contents_new == 0
    repo.commit({"src/c.py": code_file("gamma")}, "four")
    third = index_source(store, repo.path)
    assert third.commits_new == 1 and third.contents_new == 1


def test_interrupted_index_is_refused_then_resumed(repo: Repo, tmp_path: Path, monkeypatch):
    for i in range(6):
        repo.commit({f"src/m{i}.py": code_file(f"m{i}")}, f"c{i}")
    db = tmp_path / "i.db"
    monkeypatch.setattr(indexer, "BATCH_COMMITS", 2)
    real_fp = indexer.fingerprint
    calls = {"n": 0}

    def flaky(data, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_fp(data, **kw)

    monkeypatch.setattr(indexer, "fingerprint", flaky)
    store = SQLiteStore.create_or_open(db)
    with pytest.raises(KeyboardInterrupt):
        index_source(store, repo.path)
    store.close()
    with pytest.raises(InventoryError, match="interrupted"):
        SQLiteStore.open_readonly(db)
    partial = SQLiteStore.create_or_open(db)
    assert 0 < partial.count("commits") < 6  # whole batches only
    monkeypatch.setattr(indexer, "fingerprint", real_fp)
    index_source(partial, repo.path)
    partial.close()
    clean = SQLiteStore.create_or_open(tmp_path / "clean.db")
    index_source(clean, repo.path)
    resumed = SQLiteStore.open_readonly(db)
    q = "SELECT c.oid, p.path, k.sha256 FROM changes ch JOIN commits c ON c.id = ch.commit_id " \
        "JOIN paths p ON p.id = ch.path_id LEFT JOIN contents k ON k.id = ch.content_id"
    assert sorted(resumed.conn.execute(q)) == sorted(clean.conn.execute(q))


def test_directory_and_release_archive_versions(tmp_path: Path):
    d = tmp_path / "pkg-1.0"
    (d / "lib").mkdir(parents=True)
    (d / "lib" / "x.py").write_text(code_file("x"))
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    s1 = index_source(store, d, name="pkg", version="1.0", date="2024-01-01")
    assert s1.kind == "directory" and s1.commits_new == 1
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = code_file("x", salt="2").encode()
        info = tarfile.TarInfo("pkg-2.0/lib/x.py")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    arc = tmp_path / "pkg-2.0.tar.gz"
    arc.write_bytes(buf.getvalue())
    s2 = index_source(store, arc, name="pkg", version="2.0", date="2024-06-01")
    assert s2.kind == "archive" and s2.commits_new == 1
    tip = list(store.conn.execute("SELECT p.path FROM tip_files t JOIN paths p ON p.id = t.path_id"))
    assert tip == [("lib/x.py",)]  # the archive's top folder is stripped so paths stay stable


def test_not_a_repository_and_missing(tmp_path: Path):
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    with pytest.raises(InputError, match="does not exist"):
        index_source(store, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no files"):
        index_source(store, tmp_path / "empty")


def test_store_refusals(tmp_path: Path):
    with pytest.raises(InventoryError, match="does not exist"):
        SQLiteStore.open_readonly(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InventoryError):
        SQLiteStore.open_readonly(junk)
    SQLiteStore.create_or_open(tmp_path / "empty.db").close()
    with pytest.raises(InventoryError, match="empty index"):
        SQLiteStore.open_readonly(tmp_path / "empty.db")


def _dump(db: Path) -> list:
    store = SQLiteStore.open_readonly(db)
    try:
        rows = []
        for table, order in (("contents", "id"), ("postings", "hash, content_id"),
                             ("bands", "key, content_id"),
                             ("changes", "commit_id, path_id"), ("commits", "id"), ("paths", "id"),
                             ("tip_files", "source_id, path_id"), ("line_df", "hash"),
                             ("documents", "content_id"), ("doc_postings", "hash, content_id"),
                             ("doc_bands", "key, content_id"), ("dump_tables", "content_id"),
                             ("dump_rows", "content_id, row_hash")):
            cols = "*" if table != "commits" else "id, source_id, oid, tree, parents, first_parent, seq, date"
            rows.append(list(store.conn.execute(f"SELECT {cols} FROM {table} ORDER BY {order}")))  # noqa: S608
        return rows
    finally:
        store.close()


def test_worker_processes_build_the_same_index(repo: Repo, tmp_path: Path, monkeypatch):
    for i in range(5):
        files = {f"src/m{i}.py": code_file(f"m{i}", n=60), f"data/b{i}.bin": bytes(range(256)) * (i + 3),
                 f"docs/n{i}.md": f"# Note {i}\n\nThe plan for step {i} is set. It ships in week {i + 7}.\n",
                 f"data/t{i}.csv": "id,v\n" + "".join(f"{j},{i * j}\n" for j in range(5))}
        repo.commit(files, f"c{i}")
    monkeypatch.setattr(indexer, "BATCH_COMMITS", 2)
    monkeypatch.setattr(indexer, "CHUNK_ITEMS", 3)
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ITEMS", 1)  # a pool even for this small history
    dbs = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("TRIAGE_WORKERS", workers)
        dbs[workers] = tmp_path / f"w{workers}.db"
        store = SQLiteStore.create_or_open(dbs[workers])
        stats = index_source(store, repo.path)
        store.close()
        assert stats.contents_new == 20 and stats.documents == 5 and stats.tables == 5
    assert _dump(dbs["1"]) == _dump(dbs["2"])  # same rows, same content ids: order is kept


def test_fingerprinter_keeps_order_and_markers(monkeypatch):
    monkeypatch.setattr(indexer, "CHUNK_ITEMS", 2)
    items = [(i, code_file(f"f{i}", n=3).encode()) for i in range(7)]
    items.insert(3, ("marker", None))
    with indexer.Fingerprinter(2) as fper:
        fper.start(items_ahead=10_000)
        out = list(fper.run(items))
    assert [k for k, _d, _new, _doc in out] == [k for k, _d in items]
    assert [new.fp.sha256 if new else None for _k, _d, new, _doc in out] == \
           [indexer.fingerprint(d).sha256 if d is not None else None for _k, d in items]


def test_workers_setting(monkeypatch):
    monkeypatch.setenv("TRIAGE_WORKERS", "3")
    assert indexer.default_workers() == 3
    monkeypatch.setenv("TRIAGE_WORKERS", "0")
    with pytest.raises(UsageError):
        indexer.default_workers()
    monkeypatch.setenv("TRIAGE_WORKERS", "many")
    with pytest.raises(UsageError):
        indexer.default_workers()


def test_unreadable_document_is_a_note_not_a_failure(repo: Repo, tmp_path: Path):
    from tests.fingerprint.test_documents import LAUGHS, make_docx, rezip

    bomb = rezip(make_docx(), {"word/document.xml": LAUGHS.encode()})
    repo.commit({"docs/bomb.docx": bomb, "docs/ok.docx": make_docx(), "src/a.py": code_file("a")}, "docs")
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    stats = index_source(store, repo.path)
    assert stats.documents == 1 and stats.documents_unreadable == 1
    assert any(n.startswith("docs/bomb.docx: docx not read:") and "DTD" in n for n in stats.notes)
    [(kind, text_sha, error)] = store.conn.execute(
        "SELECT kind, text_sha256, error FROM documents WHERE error IS NOT NULL").fetchall()
    assert kind == "docx" and text_sha is None and "DTD" in error
    assert store.document_counts() == {"documents": 1, "documents_unreadable": 1, "tables": 0}
    store.close()


def test_index_of_an_older_schema_is_refused(tmp_path: Path):
    import sqlite3

    db = tmp_path / "old.db"
    SQLiteStore.create_or_open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(InventoryError, match="schema 1"):
        SQLiteStore.create_or_open(db)


def test_index_types_binaries_only(repo: Repo, tmp_path: Path):
    gz = gzip.compress(bytes(range(256)) * 4, mtime=0)
    repo.commit({"src/a.py": code_file("alpha"), "data/x.gz": gz, "empty.txt": ""}, "one")
    store = SQLiteStore.create_or_open(tmp_path / "i.db")
    index_source(store, repo.path)
    rows = dict(store.conn.execute("SELECT kind, mime FROM contents"))
    # libmagic's text types are left to the scan (a dropped file is typed in full).
    assert rows == {"text": None, "binary": "application/gzip", "empty": "inode/x-empty"}
    assert indexer.fingerprint(code_file("alpha").encode()).mime == "text/plain"
