"""Row hashes of a tabular dump: what the index keeps of a table, and how a dropped one compares.

A dump's rows are read with ``triage.fingerprint.tables`` (values normalised: whitespace,
NULL spellings, ``1.50`` = ``1.5``), then each row is kept as:

- a 64-bit hash of its values in sorted order (SQL rows without their table name): a table
  dumped as SQL, exported as CSV or JSON lines, with its columns in any order, gives the same rows;
- the hashes of its first 1, 2 and 3 values (the key candidates), and the table's key width:
  the shortest prefix unique among its rows (per SQL table);
- one byte of hash per value (the first ``FIELD_SIG_MAX``): enough to tell a near match (same
  key, most values equal: an altered row) from a synthetic row that only reuses a real key.

``compare_table`` counts a dropped dump's rows present in an internal table, altered (same key,
at least ``NEAR_MATCH_SHARE`` of the other values equal) and absent; the classifier decides.
Changing any of this changes ``PARAMS["tables"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xxhash

from triage.fingerprint.deadline import ParseTimeout, hard_deadline
from triage.fingerprint.tables import _NUM, TableError, TableLimits, detect_table, normalize_value, read_table

# Rows read per dump (index and scan): bounds memory and the index; the rest is noted.
TABLE_LIMITS = TableLimits(max_rows=1_000_000, max_seconds=60.0)
# Hard cap on reading one dump.
TABLE_SECONDS = 90.0
# Fewer data rows than this is not a dump: the file is compared as text.
MIN_TABLE_ROWS = 3
# Values per row in the per-value signature; widest key prefix tried.
FIELD_SIG_MAX = 64
KEY_MAX_WIDTH = 3
# A row with the key of an internal row is altered from it when at least this share of its
# other values are equal; fewer, and it only reuses a real key (synthetic).
NEAR_MATCH_SHARE = 0.5

# Suffixes whose text files are dumps when their content reads as one; plain text names
# (.txt, no suffix) only when the content is unmistakable (SQL INSERT/COPY, JSON lines).
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".tab", ".psv", ".sql", ".jsonl", ".ndjson"})
PLAIN_SUFFIXES = frozenset({"", ".txt", ".dat", ".dump", ".out", ".log"})

_SEP = "\x1f"


@dataclass(frozen=True)
class TablePrint:
    """One dump's rows, hashed. Arrays are per row, in the dump's order."""

    kind: str  # csv | sql | jsonl
    rows: int
    columns: tuple[str, ...] | None
    key_width: int  # 0: no unique key prefix (altered rows cannot be told)
    row_hashes: np.ndarray  # int64
    prefix_hashes: np.ndarray  # int64, shape (rows, KEY_MAX_WIDTH)
    fields: tuple[bytes, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def key_hashes(self, width: int) -> np.ndarray:
        return self.prefix_hashes[:, width - 1] if width else np.zeros(0, dtype=np.int64)


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= (1 << 63) else h


def _h(values: tuple[str, ...] | list[str]) -> int:
    return _signed(xxhash.xxh3_64_intdigest(_SEP.join(values).encode("utf-8", "surrogatepass")))


def _suffix(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    return "." + base.rsplit(".", 1)[1].lower() if "." in base.lstrip(".") else ""


def table_kind(data: bytes, name: str) -> str | None:
    """csv / sql / jsonl when ``data`` named ``name`` is a dump (see TABLE_SUFFIXES), else None."""
    ext = _suffix(name)
    if ext in TABLE_SUFFIXES:
        kind = detect_table(data, name)
        if ext == ".sql" and kind != "sql":
            return None
        return kind
    if ext in PLAIN_SUFFIXES:  # a file with no suffix, .txt, .log...: only unmistakable dumps
        return detect_table(data, name, csv_ok=False)
    return None


# Rows looked at to decide whether the first CSV row names the columns.
HEADER_SAMPLE = 200


def _header(rows: tuple[tuple[str, ...], ...]) -> bool:
    """Whether the first row names the columns: distinct non-numeric names, none of them found in
    its column below, over at least one column that is numeric below (or the sniffer said so)."""
    if len(rows) < 2:
        return False
    first, below = rows[0], rows[1: 1 + HEADER_SAMPLE]
    if not first or any(not v or len(v) > 64 or _NUM.fullmatch(v) or v.isdigit() for v in first):
        return False
    if len(set(first)) != len(first):
        return False
    numeric = False
    for j, name in enumerate(first):
        col = [r[j] for r in below if j < len(r)]
        if name in col:
            return False
        if col and sum(1 for v in col if v.isdigit() or _NUM.fullmatch(v)) >= 0.9 * len(col):
            numeric = True
    return numeric


def _key_width(values: list[tuple[str, ...]], groups: list[str]) -> int:
    """Shortest prefix (1..KEY_MAX_WIDTH values, leaving one value out) unique within each group."""
    if not values:
        return 0
    width = min(len(v) for v in values)
    for k in range(1, min(KEY_MAX_WIDTH, width - 1) + 1):
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for g, v in zip(groups, values, strict=True):
            key = (g, v[:k])
            if key in seen:
                break
            seen.add(key)
        else:
            return k
    return 0


def print_rows(kind: str, rows: list[tuple[str, ...]], columns: tuple[str, ...] | None = None,
               notes: tuple[str, ...] = ()) -> TablePrint:
    """Hash normalised rows (``tables`` output; SQL rows start with their table's name)."""
    if kind == "sql":
        groups = [r[0] if r else "" for r in rows]
        values = [r[1:] for r in rows]
    else:
        groups = [""] * len(rows)
        values = rows
    n = len(values)
    row_h = np.fromiter((_h(sorted(v)) for v in values), dtype=np.int64, count=n)
    pre = np.zeros((n, KEY_MAX_WIDTH), dtype=np.int64)
    for i, v in enumerate(values):
        for k in range(KEY_MAX_WIDTH):
            pre[i, k] = _h(v[: k + 1])
    sigs = tuple(bytes(xxhash.xxh3_64_intdigest(x.encode("utf-8", "surrogatepass")) & 0xFF
                       for x in v[:FIELD_SIG_MAX]) for v in values)
    return TablePrint(kind, n, columns, _key_width(values, groups), row_h, pre, sigs, notes)


def describe_table(data: bytes, name: str) -> TablePrint | None:
    """The row print of a dump named ``name``, or None when it is not one (or too small to be)."""
    try:
        kind = table_kind(data, name)
    except Exception:  # noqa: BLE001 - detection failing on hostile bytes means "not a dump"
        return None
    if kind is None:
        return None
    try:
        with hard_deadline(TABLE_SECONDS):
            table = read_table(data, kind, TABLE_LIMITS)
    except ParseTimeout:
        return None
    except (TableError, ValueError, RecursionError, MemoryError):
        return None
    return table_from_rows(kind, table.rows, table.columns, table.notes)


def table_from_rows(kind: str, rows: tuple[tuple[str, ...], ...], columns: tuple[str, ...] | None = None,
                    notes: tuple[str, ...] = ()) -> TablePrint | None:
    """The row print of normalised rows (None under MIN_TABLE_ROWS); a first row that names the
    columns is taken as the header when the reader did not say."""
    if kind != "sql" and columns is None and _header(rows):  # the CSV sniffer's guess missed it
        rows, columns = rows[1:], rows[0]
    if len(rows) < MIN_TABLE_ROWS:
        return None
    return print_rows(kind, list(rows), columns, notes)


def sheet_table(kind: str, text: str) -> TablePrint | None:
    """A workbook's cells (extracted text: one row per line, cells separated by tabs) as a table,
    so that a sheet exported as CSV, or a dump saved as a workbook, meets its rows."""
    rows = tuple(tuple(normalize_value(v) for v in line.split("\t"))
                 for line in text.split("\n") if line.strip())
    return table_from_rows(kind, rows)


# --------------------------------------------------------------------------------------------
# Comparison with one internal table.


@dataclass(frozen=True)
class InternalTable:
    """An internal table as the index holds it: distinct rows with their key hash and values."""

    content_id: int
    rows: int  # rows in the dump (duplicates included)
    key_width: int
    row_hashes: set[int]
    by_key: dict[int, list[tuple[bytes, int]]]  # key hash -> (value signature, row hash) of its rows


def near_share(a: bytes, b: bytes, skip: int) -> float:
    """Share of equal values (by their signature byte) past the first ``skip`` (the key)."""
    n = max(len(a), len(b)) - skip
    if n <= 0:
        return 0.0
    same = sum(1 for x, y in zip(a[skip:], b[skip:], strict=False) if x == y)
    return same / n


@dataclass(frozen=True)
class TableFigures:
    rows: int
    present: int  # the whole row exists in this internal table
    altered: int  # a row with its key exists there, most other values equal
    elsewhere: int  # not in this table, but the row exists in another internal table
    absent: int  # exists in no internal table
    duplicates: int
    internal_rows: int
    internal_covered: float  # share of this table's distinct rows found in the dump (whole or altered)
    altered_columns: dict[str, int]


def compare_table(drop: TablePrint, internal: InternalTable, anywhere: set[int]) -> TableFigures:
    """Count the dropped rows present in / altered from one internal table, or absent."""
    present = altered = elsewhere = duplicates = 0
    seen: set[int] = set()
    covered: set[int] = set()
    cols: dict[str, int] = {}
    width = internal.key_width
    keys = drop.key_hashes(width)
    for i, h in enumerate(drop.row_hashes.tolist()):
        if h in seen:
            duplicates += 1
        seen.add(h)
        if h in internal.row_hashes:
            present += 1
            covered.add(h)
            continue
        if width:
            best, best_sig, best_row = 0.0, b"", 0
            for sig, row in internal.by_key.get(int(keys[i]), ()):
                share = near_share(drop.fields[i], sig, width)
                if share > best:
                    best, best_sig, best_row = share, sig, row
            if best >= NEAR_MATCH_SHARE:
                altered += 1
                covered.add(best_row)
                mine = drop.fields[i]
                for j in range(width, max(len(mine), len(best_sig))):
                    if (mine[j] if j < len(mine) else None) != (best_sig[j] if j < len(best_sig) else None):
                        cols[str(j)] = cols.get(str(j), 0) + 1
                continue
        if h in anywhere:
            elsewhere += 1
    absent = drop.rows - present - altered - elsewhere
    distinct = len(internal.row_hashes)
    return TableFigures(drop.rows, present, altered, elsewhere, absent, duplicates, internal.rows,
                        round(len(covered) / distinct, 6) if distinct else 0.0,
                        dict(sorted(cols.items(), key=lambda kv: int(kv[0]))))
