"""Tabular dumps: detection, bounded reading, normalised rows, and row-level comparison."""

from __future__ import annotations

import json

import pytest

from triage.errors import InputError
from triage.fingerprint.tables import (
    TableError,
    TableLimits,
    compare_rows,
    detect_table,
    normalize_value,
    read_table,
    rows,
)

PEOPLE = [
    ("1", "Dana Reyes", "dana@corp.example", "120000.50"),
    ("2", "Sam Ortiz", "sam@corp.example", "98000"),
    ("3", "Lee Park", "lee@corp.example", "101000"),
    ("4", "Ana Silva", "ana@corp.example", "87000.25"),
]


def csv_bytes(rs, header=("id", "name", "email", "salary"), delim=","):
    lines = [delim.join(header)] + [delim.join(r) for r in rs]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_normalize_value():
    assert [
        normalize_value(v)
        for v in (
            " 1.50 ",
            "1.0",
            "007",
            "NULL",
            None,
            "\\N",
            True,
            "TRUE",
            "1e3",
            {"b": 1, "a": [2]},
            "text",
        )
    ] == ["1.5", "1", "007", "", "", "", "true", "true", "1000", '{"a":[2],"b":1}', "text"]


def test_detect():
    assert detect_table(csv_bytes(PEOPLE)) == "csv"
    assert detect_table(csv_bytes(PEOPLE, delim="\t")) == "csv"
    assert detect_table(b"INSERT INTO users VALUES (1,'a');\n") == "sql"
    assert detect_table(b"-- dump\nCOPY public.users (id, name) FROM stdin;\n1\ta\n\\.\n") == "sql"
    assert detect_table(b'{"id": 1}\n{"id": 2}\n') == "jsonl"
    assert detect_table(b"just a sentence.\nand another one here.\n") is None
    assert detect_table(b"\x00\x01\x02") is None
    assert detect_table(b'{"a": 1}\n', "x.jsonl") == "jsonl"


def test_csv_rows_and_header():
    t = read_table(csv_bytes(PEOPLE), "csv")
    assert t.columns == ("id", "name", "email", "salary")
    assert t.rows[0] == ("1", "Dana Reyes", "dana@corp.example", "120000.5")
    assert len(list(rows(csv_bytes(PEOPLE), "csv"))) == 5  # rows() keeps the header as a row


def test_sql_insert_dump_mysql_style():
    dump = (
        b"-- MySQL dump 10.13\nDROP TABLE IF EXISTS `users`;\nCREATE TABLE `users` (id int, name text);\n"
        b"INSERT INTO `users` (`id`, `name`, `note`) VALUES (1,'Dana Reyes','it''s \\'ok\\''),"
        b"(2,'Sam, Ortiz',NULL),\n(3,'Lee (Park)',X'0aff');\n"
        b"INSERT INTO orders VALUES (10, 1, 99.90, NOW()), (11, 2, -5e1, 'x');\n"
    )
    got = list(rows(dump, "sql"))
    assert got == [
        ("users", "1", "Dana Reyes", "it's 'ok'"),
        ("users", "2", "Sam, Ortiz", ""),
        ("users", "3", "Lee (Park)", "x'0aff'"),
        ("orders", "10", "1", "99.9", "NOW()"),
        ("orders", "11", "2", "-50", "x"),
    ]


def test_sql_postgres_copy_and_casts():
    dump = (
        b"COPY public.users (id, name, email) FROM stdin;\n1\tDana\tdana@corp.example\n2\t\\N\tx\\ty\n\\.\n"
        b"INSERT INTO public.events VALUES (5, 'login'::text, E'a\\nb');\n"
    )
    assert list(rows(dump, "sql")) == [
        ("public.users", "1", "Dana", "dana@corp.example"),
        ("public.users", "2", "", "x\ty"),
        ("public.events", "5", "login", "a\nb"),
    ]


def test_jsonl_rows_key_order_independent():
    a = (
        b'{"id": 1, "name": "Dana", "tags": ["x"]}\n{"name": "Sam", "id": 2}\n'
        b'{"id": 3, "name": "Lee", "extra": 1}\n'
    )
    assert list(rows(a, "jsonl")) == [("1", "Dana", '["x"]'), ("2", "Sam", ""), ("3", "Lee", "", "extra=1")]


def test_caps_and_errors():
    big = csv_bytes([(str(i), f"n{i}", "e", "1") for i in range(1000)])
    t = read_table(big, "csv", TableLimits(max_rows=100))
    assert len(t.rows) == 99 and any("over 100 rows" in n for n in t.notes)
    wide = (",".join(str(i) for i in range(50)) + "\n").encode() * 3
    t = read_table(wide, "csv", TableLimits(max_fields=10))
    assert t.rows == () and any("fields" in n for n in t.notes)
    with pytest.raises(TableError):
        list(rows(b"a,b\n" * 10, "csv", TableLimits(max_bytes=5)))
    with pytest.raises(TableError):
        list(rows(b"\x00\x00binary", "csv"))
    assert issubclass(TableError, InputError)
    t = read_table(b'{"a": 1}\n{broken\n{"a": 2}\n', "jsonl")
    assert t.rows == (("1",),) and any("not JSON" in n for n in t.notes)
    t = read_table(b"INSERT INTO t VALUES (1, 'unterminated", "sql")
    assert t.rows == () and t.notes


def test_compare_rows_exact_altered_unknown():
    internal = list(rows(csv_bytes(PEOPLE), "csv"))
    drop_rows = [
        ("id", "name", "email", "salary"),
        ("1", "Dana Reyes", "dana@corp.example", "120000.5"),  # exact (normalised)
        ("2", "Sam Ortiz", "sam@corp.example", "198000"),  # altered salary
        ("3", "Lee Park", "lee@evil.example", "101000"),  # altered email
        ("9", "Invented Person", "x@corp.example", "1"),
    ]  # unknown
    out = compare_rows(drop_rows, internal)
    assert (out["rows"], out["exact"], out["altered"], out["unknown"]) == (5, 2, 2, 1)
    assert out["key_columns"] == [0] and out["altered_columns"] == {"2": 1, "3": 1}
    assert out["shares"] == {"exact": 0.4, "altered": 0.4, "unknown": 0.2}
    assert out["examples"] == {"altered": [["2"], ["3"]], "unknown": [["9"]]}
    assert out["hint"] == "altered" and out["internal_covered"] == 0.8


def test_compare_rows_subset_reexported_as_jsonl_is_part_of():
    internal = list(
        rows(b"".join(json.dumps({"id": int(r[0]), "name": r[1]}).encode() + b"\n" for r in PEOPLE), "jsonl")
    )
    drop = list(rows(b'{"name": "Sam Ortiz", "id": 2.0}\n{"id": 3, "name": "Lee Park"}\n', "jsonl"))
    out = compare_rows(drop, internal)
    assert out["exact"] == 2 and out["hint"] == "part-of" and out["internal_covered"] == 0.5


def test_compare_rows_sql_key_is_table_and_id_and_fabricated():
    internal = list(rows(b"INSERT INTO a VALUES (1,'x'),(2,'y');INSERT INTO b VALUES (1,'z');", "sql"))
    out = compare_rows([("a", "1", "x"), ("b", "1", "q"), ("a", "2", "y"), ("a", "2", "y")], internal)
    assert out["key_columns"] == [0, 1] and (out["exact"], out["altered"], out["duplicates"]) == (3, 1, 1)
    out = compare_rows([("c", "5", "w"), ("c", "6", "v")], internal)
    assert out["hint"] == "fabricated" and out["unknown"] == 2
    out = compare_rows([("x", "1"), ("y", "2")], [("x", "1"), ("x", "1")], key_columns=None)
    assert out["key_columns"] is None and (out["exact"], out["unknown"]) == (1, 1)
    assert compare_rows([], internal)["hint"] == "inconclusive"
