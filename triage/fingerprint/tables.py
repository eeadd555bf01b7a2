"""Tabular dumps (CSV/TSV, SQL INSERT or COPY dumps, JSON lines): rows, and rows compared.

A leaked customer table is judged row by row: how many dropped rows exist in the internal
copy, how many exist under the same key with other values (altered), how many exist nowhere
(invented or from elsewhere). Values are normalised first (whitespace, NULL spellings,
``1.50`` = ``1.5``, booleans) so a dump re-exported by another tool still matches.

Reading is bounded: input bytes, rows, fields per row and field length are capped, and a row
past a cap ends the table with a note instead of an exception.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from triage.errors import InputError

KINDS = ("csv", "sql", "jsonl")

# Largest dump read (bytes); rows read; fields in one row; characters in one field.
MAX_TABLE_BYTES = 1024 * 1024 * 1024
MAX_ROWS = 5_000_000
MAX_FIELDS = 10_000
MAX_FIELD_CHARS = 131_072  # the csv module's own default field limit
MAX_SECONDS = 600.0
# Rows sampled in detail (keys of altered and unknown rows) in a comparison.
MAX_EXAMPLES = 20


class TableError(InputError):
    """A dump that is not readable as the table kind it was given."""


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = MAX_TABLE_BYTES
    max_rows: int = MAX_ROWS
    max_fields: int = MAX_FIELDS
    max_field_chars: int = MAX_FIELD_CHARS
    max_seconds: float = MAX_SECONDS


@dataclass(frozen=True)
class Table:
    kind: str
    rows: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# Values.

_NUM = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+[eE][+-]?\d+|\d+\.\d*[eE][+-]?\d+)")
_NULLS = frozenset({"null", "\\n", "none", "nil"})


def normalize_value(v: Any) -> str:
    """One field as compared: trimmed, NULL -> "", decimals without trailing zeros, booleans lower."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    s = str(v).strip()
    low = s.lower()
    if low in _NULLS:
        return ""
    if low in ("true", "false"):
        return low
    if _NUM.fullmatch(s):
        try:
            d = Decimal(s).normalize()
        except InvalidOperation:
            return s
        return format(d, "f") if -30 < d.adjusted() < 30 else str(d)
    return s


# --------------------------------------------------------------------------------------------
# Detection.

_SQL_RE = re.compile(rb"^\s*(INSERT\s+(IGNORE\s+)?INTO|REPLACE\s+INTO|COPY\s+\S+.*FROM\s+stdin)", re.I | re.M)


def _text(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8-sig")
        return data.decode("cp1252", errors="replace")


def detect_table(data: bytes, name: str = "", csv_ok: bool = True) -> str | None:
    """``"csv"``, ``"sql"`` or ``"jsonl"`` by content (the name only breaks a CSV tie).
    ``csv_ok=False``: never CSV, and the CSV sniffer (most of the cost) is not run."""
    head = bytes(data[:65536])
    text = _text(head)
    if text is None or not text.strip():
        return None
    lines = [ln for ln in text.split("\n")[: -1 if len(data) > len(head) else None] if ln.strip()][:20]
    if not lines:
        return None
    if _SQL_RE.search(head):
        return "sql"
    if lines[0].lstrip().startswith(("{", "[")):
        try:
            if all(isinstance(json.loads(ln), (dict, list)) for ln in lines[:5]) and len(lines) >= 1:
                return "jsonl" if len(lines) > 1 or name.endswith((".jsonl", ".ndjson")) else None
        except ValueError:
            return None
    if not csv_ok:
        return None
    dialect = _sniff(text)
    if dialect is not None:
        counts = [len(r) for r in csv.reader(lines[:10], dialect)]
        if len(counts) >= 2 and counts[0] >= 2 and sum(c == counts[0] for c in counts) >= 0.8 * len(counts):
            return "csv"
    if name.lower().endswith((".csv", ".tsv")):
        return "csv"
    return None


def _sniff(text: str) -> type[csv.Dialect] | None:
    try:
        return csv.Sniffer().sniff(text[:32768], delimiters=",;\t|")
    except csv.Error:
        return None


# --------------------------------------------------------------------------------------------
# Rows.


class _Guard:
    def __init__(self, limits: TableLimits, notes: list[str]):
        self.limits, self.notes = limits, notes
        self.n = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def ok(self, row: tuple[str, ...]) -> bool:
        """False once a cap is reached (with a note): the caller stops."""
        self.n += 1
        if self.n > self.limits.max_rows:
            self.notes.append(f"truncated: over {self.limits.max_rows} rows")
            return False
        if len(row) > self.limits.max_fields:
            self.notes.append(
                f"truncated: row {self.n} has {len(row)} fields (limit {self.limits.max_fields})"
            )
            return False
        if self.n % 4096 == 0 and time.monotonic() > self.deadline:
            self.notes.append(f"time limit: stopped after {self.n - 1} rows")
            return False
        return True


def _csv_rows(text: str, guard: _Guard) -> Iterator[tuple[str, ...]]:
    dialect = _sniff(text) or csv.excel
    try:
        for raw in csv.reader(io.StringIO(text), dialect):
            if not raw or not any(x.strip() for x in raw):
                continue
            row = tuple(normalize_value(x) for x in raw)
            if not guard.ok(row):
                return
            yield row
    except csv.Error as exc:
        guard.notes.append(f"stopped at a malformed CSV row: {exc}")


def _jsonl_rows(text: str, guard: _Guard) -> Iterator[tuple[str, ...]]:
    columns: list[str] | None = None
    for n, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        if len(line) > guard.limits.max_field_chars * 16:
            guard.notes.append(f"stopped at line {n + 1}: longer than the limit")
            return
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            guard.notes.append(f"stopped at line {n + 1}: not JSON")
            return
        if isinstance(obj, dict):
            if columns is None:
                columns = sorted(str(k) for k in obj)[: guard.limits.max_fields]  # key order is no evidence
            keys = {str(k): v for k, v in obj.items()}
            values = [normalize_value(keys.pop(c, None)) for c in columns]
            values += [f"{k}={normalize_value(v)}" for k, v in sorted(keys.items())]
            row = tuple(values)
        elif isinstance(obj, list):
            row = tuple(normalize_value(v) for v in obj)
        else:
            row = (normalize_value(obj),)
        if not guard.ok(row):
            return
        yield row


# One SQL literal: a quoted string (with '' and backslash escapes), a number, NULL/TRUE/FALSE,
# X'..'/B'..' literals, or any other bare word (a function name or keyword, kept as text).
_SQL_VALUE = re.compile(
    r"""\s*(?:
        (?P<str>[EeNn]?'(?:[^'\\]|\\.|'')*')(?:::[\w\s\[\]()]+)?
      | (?P<hex>[xXbB]'[0-9A-Fa-f]*')
      | (?P<num>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+))
      | (?P<word>[A-Za-z_][\w.]*(?:\([^()']*\))?)
    )\s*""",
    re.X | re.S,
)
_SQL_INSERT = re.compile(
    r"(?:INSERT\s+(?:IGNORE\s+)?INTO|REPLACE\s+INTO)\s+(?P<table>[`\"\[]?[\w.$]+[`\"\]]?(?:\.[`\"\[]?[\w$]+[`\"\]]?)?)"
    r"\s*(?:\((?P<cols>[^)]*)\))?\s*VALUES\s*",
    re.I,
)
_SQL_COPY = re.compile(
    r"^COPY\s+(?P<table>\S+)\s*(?:\((?P<cols>[^)]*)\))?\s+FROM\s+stdin[^\n]*\n", re.I | re.M
)
_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a", "\\": "\\", "'": "'", '"': '"'}


def _unquote(tok: str) -> str:
    body = tok[tok.index("'") + 1 : tok.rindex("'")]
    body = body.replace("''", "'")
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)), body, flags=re.S)


def _table_name(raw: str) -> str:
    return re.sub(r"[`\"\[\]]", "", raw).lower()


def _sql_rows(text: str, guard: _Guard) -> Iterator[tuple[str, ...]]:
    pos = 0
    copies = {m.start(): m for m in _SQL_COPY.finditer(text)}
    inserts = _SQL_INSERT.finditer(text)
    events = sorted(
        [(m.start(), "insert", m) for m in inserts] + [(s, "copy", m) for s, m in copies.items()],
        key=lambda e: e[0],
    )
    for start, kind, m in events:
        if start < pos:
            continue  # inside a previous statement's values
        table = _table_name(m.group("table"))
        if kind == "copy":
            end = text.find("\n\\.", m.end())
            end = len(text) if end < 0 else end
            for line in text[m.end() : end].split("\n"):
                if not line:
                    continue
                fields = [
                    ("" if f == "\\N" else re.sub(r"\\(.)", lambda x: _ESC.get(x.group(1), x.group(1)), f))
                    for f in line.split("\t")
                ]
                row = (table, *(normalize_value(f) if f else "" for f in fields))
                if not guard.ok(row):
                    return
                yield row
            pos = end + 3
            continue
        i = m.end()
        while i < len(text) and text[i] == "(":
            i += 1
            values: list[str] = []
            while True:
                vm = _SQL_VALUE.match(text, i)
                if vm is None:
                    guard.notes.append(f"stopped at an unreadable SQL value near byte {i}")
                    return
                if vm.group("str") is not None:
                    values.append(normalize_value(_unquote(vm.group("str"))))
                elif vm.group("hex") is not None:
                    values.append(vm.group("hex").lower())
                else:
                    values.append(normalize_value(vm.group("num") or vm.group("word")))
                if len(values) > guard.limits.max_fields:
                    guard.notes.append(f"truncated: a row with over {guard.limits.max_fields} values")
                    return
                i = vm.end()
                if i < len(text) and text[i] == ",":
                    i += 1
                    continue
                break
            if i >= len(text) or text[i] != ")":
                guard.notes.append(f"stopped at a malformed SQL row near byte {i}")
                return
            i += 1
            row = (table, *values)
            if not guard.ok(row):
                return
            yield row
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
            if i < len(text) and text[i] == ",":
                i += 1
                while i < len(text) and text[i] in " \t\r\n":
                    i += 1
        pos = i


def _iter_rows(data: bytes, kind: str, limits: TableLimits, notes: list[str]) -> Iterator[tuple[str, ...]]:
    if kind not in KINDS:
        raise ValueError(f"unknown table kind {kind!r}; expected one of {', '.join(KINDS)}")
    if len(data) > limits.max_bytes:
        raise TableError(f"table of {len(data)} bytes is over the {limits.max_bytes}-byte limit")
    text = _text(bytes(data))
    if text is None:
        raise TableError(f"{kind} dump is not text")
    guard = _Guard(limits, notes)
    reader = {"csv": _csv_rows, "jsonl": _jsonl_rows, "sql": _sql_rows}[kind]
    for row in reader(text, guard):
        if any(len(v) > limits.max_field_chars for v in row):
            row = tuple(v[: limits.max_field_chars] for v in row)
            if "truncated: long fields cut" not in notes:
                notes.append("truncated: long fields cut")
        yield row


def rows(data: bytes, kind: str, limits: TableLimits = TableLimits()) -> Iterator[tuple[str, ...]]:  # noqa: B008
    """Normalised rows of a dump, in order (a CSV header is a row; SQL rows start with the table)."""
    return _iter_rows(data, kind, limits, [])


def read_table(data: bytes, kind: str, limits: TableLimits = TableLimits()) -> Table:  # noqa: B008
    """All rows with the notes on what was cut, and the CSV header when the sniffer sees one."""
    notes: list[str] = []
    got = tuple(_iter_rows(data, kind, limits, notes))
    columns = None
    if kind == "csv" and got:
        try:
            if csv.Sniffer().has_header(_text(bytes(data[:32768])) or ""):
                columns, got = got[0], got[1:]
        except csv.Error:
            pass
    return Table(kind, got, columns, tuple(notes))


# --------------------------------------------------------------------------------------------
# Comparison.


def _h(values: Iterable[str]) -> bytes:
    return hashlib.blake2b("\x1f".join(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _auto_key(internal: list[tuple[str, ...]]) -> tuple[int, ...] | None:
    """The shortest column prefix (up to 3 columns) that is unique across the internal rows."""
    if not internal:
        return None
    width = min(len(r) for r in internal)
    for k in range(1, min(3, width - 1) + 1):
        keys = {_h(r[:k]) for r in internal}
        if len(keys) == len(internal):
            return tuple(range(k))
    return None


def compare_rows(
    drop_rows: Iterable[tuple[str, ...]],
    internal_rows: Iterable[tuple[str, ...]],
    key_columns: tuple[int, ...] | list[int] | None = None,
) -> dict[str, Any]:
    """How the dropped rows relate to the internal ones.

    ``exact``: the whole row exists internally; ``altered``: a row with the same key exists
    with other values (``altered_columns`` counts which columns changed); ``unknown``: no
    internal row has that key (or, without a key, that content). ``key_columns`` defaults to
    the shortest unique column prefix of the internal rows (for SQL rows, table + id).
    """
    internal = [tuple(r) for r in internal_rows]
    key = tuple(key_columns) if key_columns is not None else _auto_key(internal)
    full = Counter(_h(r) for r in internal)
    by_key: dict[bytes, tuple[str, ...]] = {}
    if key:
        for r in internal:
            by_key.setdefault(_h(r[i] if i < len(r) else "" for i in key), r)
    n = exact = altered = unknown = duplicates = 0
    seen: set[bytes] = set()
    covered: set[bytes] = set()
    altered_columns: Counter[int] = Counter()
    examples: dict[str, list[list[str]]] = {"altered": [], "unknown": []}
    for row in drop_rows:
        row = tuple(row)
        n += 1
        h = _h(row)
        if h in seen:
            duplicates += 1
        seen.add(h)
        if h in full:
            exact += 1
            covered.add(h)
            continue
        k = _h(row[i] if i < len(row) else "" for i in key) if key else None
        match = by_key.get(k) if k is not None else None
        if match is not None:
            altered += 1
            covered.add(_h(match))
            width = max(len(row), len(match))
            for i in range(width):
                if (row[i] if i < len(row) else None) != (match[i] if i < len(match) else None):
                    altered_columns[i] += 1
            if len(examples["altered"]) < MAX_EXAMPLES:
                examples["altered"].append([row[i] if i < len(row) else "" for i in key or ()])
        else:
            unknown += 1
            if len(examples["unknown"]) < MAX_EXAMPLES:
                examples["unknown"].append(list(row[: len(key)]) if key else list(row[:2]))
    share = {
        k: (v / n if n else 0.0) for k, v in (("exact", exact), ("altered", altered), ("unknown", unknown))
    }
    distinct_internal = len(full)
    if n == 0:
        hint = "inconclusive"
    elif exact == n:
        hint = "real" if len(covered) >= distinct_internal else "part-of"
    elif exact + altered >= 0.5 * n:
        hint = "altered"
    elif exact + altered == 0:
        hint = "fabricated"
    else:
        hint = "mixed"
    return {
        "rows": n,
        "exact": exact,
        "altered": altered,
        "unknown": unknown,
        "duplicates": duplicates,
        "shares": {k: round(v, 6) for k, v in share.items()},
        "internal_rows": len(internal),
        "internal_covered": round(len(covered) / distinct_internal, 6) if distinct_internal else 0.0,
        "key_columns": list(key) if key else None,
        "altered_columns": {str(k): v for k, v in sorted(altered_columns.items())},
        "examples": examples,
        "hint": hint,
    }
