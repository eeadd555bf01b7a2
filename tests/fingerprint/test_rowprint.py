"""Row prints of dumps: which files are dumps, hashes that survive re-export, keys, near matches."""

from __future__ import annotations

from triage.fingerprint.rowprint import (
    InternalTable,
    TablePrint,
    compare_table,
    describe_table,
    print_rows,
    table_kind,
)

CSV = b"id,name,email,plan\n" + b"".join(f"{i},user {i},u{i}@corp.example,team\n".encode()
                                        for i in range(1, 21))


def _internal(t: TablePrint, cid: int = 1) -> InternalTable:
    keys = t.key_hashes(t.key_width)
    by_key: dict[int, list[tuple[bytes, int]]] = {}
    for i, h in enumerate(t.row_hashes.tolist()):
        by_key.setdefault(int(keys[i]), []).append((t.fields[i], h))
    return InternalTable(cid, t.rows, t.key_width, set(t.row_hashes.tolist()), by_key)


def test_dumps_are_recognised_by_suffix_and_unmistakable_content_only():
    assert table_kind(CSV, "export/users.csv") == "csv"
    assert table_kind(CSV, "src/users.py") is None  # a code file is never a dump
    assert table_kind(CSV, "users.txt") is None  # CSV-looking text needs a dump suffix
    sql = b"INSERT INTO users VALUES (1, 'a');\nINSERT INTO users VALUES (2, 'b');\n"
    assert table_kind(sql, "dump.txt") == "sql" and table_kind(sql, "backup") == "sql"
    assert table_kind(b'{"a": 1}\n{"a": 2}\n', "events.log") == "jsonl"
    assert table_kind(b"print('x')\n", "x.sql") is None


def test_small_or_unreadable_dumps_are_compared_as_text():
    assert describe_table(b"id,v\n1,2\n", "t.csv") is None  # too few rows to be a dump
    assert describe_table(b"\x00\x01\x02" * 100, "t.csv") is None
    t = describe_table(CSV, "users.csv")
    assert t is not None and t.rows == 20 and t.columns == ("id", "name", "email", "plan") and t.key_width == 1


def test_row_hashes_survive_reexport_reordering_and_format_changes():
    a = describe_table(CSV, "a.csv")
    quoted = b'"plan","id","email","name"\r\n' + b"".join(
        f'"team","{i}","u{i}@corp.example","user {i}"\r\n'.encode() for i in range(1, 21))
    sql = "".join(f"INSERT INTO `users` (id, name, email, plan) VALUES ({i}, 'user {i}',"
                  f" 'u{i}@corp.example', 'team');\n" for i in range(1, 21)).encode()
    jsonl = b"".join(f'{{"plan": "team", "email": "u{i}@corp.example", "id": {i}, "name": "user {i}"}}\n'.encode()
                     for i in range(1, 21))
    for other, name in ((quoted, "b.csv"), (sql, "b.sql"), (jsonl, "b.jsonl")):
        b = describe_table(other, name)
        assert b is not None and sorted(b.row_hashes.tolist()) == sorted(a.row_hashes.tolist()), name


def test_sql_key_is_unique_within_each_table():
    rows = [("users", "1", "ann"), ("users", "2", "bob"), ("orders", "1", "ann"), ("orders", "2", "x")]
    t = print_rows("sql", rows)
    assert t.key_width == 1  # ids repeat across tables, not within one


def test_compare_counts_present_altered_elsewhere_absent():
    internal = describe_table(CSV, "a.csv")
    other = describe_table(b"id,x\n" + b"".join(f"{i},other {i}\n".encode() for i in range(100, 110)),
                           "o.csv")
    rows = [f"{i},user {i},u{i}@corp.example,team" for i in range(1, 11)]  # 10 present
    rows += [f"{i},user {i},u{i}@corp.example,enterprise" for i in range(11, 14)]  # 3 altered (plan changed)
    rows += [f"{i},someone,x{i}@elsewhere.example,free" for i in range(14, 17)]  # 3 reuse real ids only
    rows += ["100,other 100", "101,other 101"]  # 2 rows of another internal table
    drop = describe_table(b"id,name,email,plan\n" + "\n".join(rows).encode() + b"\n", "d.csv")
    anywhere = set(internal.row_hashes.tolist()) | set(other.row_hashes.tolist())
    f = compare_table(drop, _internal(internal), anywhere)
    assert (f.rows, f.present, f.altered, f.elsewhere, f.absent) == (18, 10, 3, 2, 3)
    assert f.altered_columns == {"3": 3} and f.internal_rows == 20
    assert f.internal_covered == round(13 / 20, 6)


def test_a_plain_text_file_is_never_sniffed_for_csv(monkeypatch):
    """Files with no suffix or .txt/.log are dumps only when unmistakable (SQL, JSON lines): the
    CSV sniffer, most of the cost of a look at every such file while indexing, is not run."""
    from triage.fingerprint import rowprint, tables

    def no_sniff(text):
        raise AssertionError("the CSV sniffer ran")

    monkeypatch.setattr(tables, "_sniff", no_sniff)
    csv_like = b"id,name,amount\n1,alpha,10\n2,beta,20\n3,gamma,30\n"
    for name in ("LICENSE", "notes.txt", "run.log", ""):
        assert rowprint.table_kind(csv_like, name) is None
    assert rowprint.table_kind(b'{"id": 1}\n{"id": 2}\n', "events.log") == "jsonl"
    monkeypatch.undo()
    assert rowprint.table_kind(csv_like, "export.csv") == "csv"  # a dump's suffix: sniffed
