"""report.csv: one row per dropped file, then one per member not triaged, for spreadsheets.

Cells are neutralised against formula injection (a cell that starts with ``= + - @``, a tab or
a carriage return gets a leading ``'``, as OWASP advises) and invisible or control characters
are shown as visible escapes, so opening the file in Excel or LibreOffice runs nothing and hides
nothing. The first columns match report.json field names.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from triage.model import Finding, Report, Verdict
from triage.render.html import visible

COLUMNS = ("path", "verdict", "confidence", "size", "sha256", "mime", "internal_path", "source_blob",
           "first_seen", "last_seen", "change_kinds", "impersonates", "reason", "detail")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One safe cell: visible escapes for control characters, and no leading formula trigger."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    s = str(value)
    if s.startswith(_FORMULA):  # checked before escaping too: a raw tab/CR would become \x09/\x0d
        return "'" + visible(s)
    s = visible(s)
    return "'" + s if s.startswith(_FORMULA) else s


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(value: Any) -> dict[str, Any]:
    return _d(value[0]) if isinstance(value, list) and value else {}


def _row(f: Finding) -> dict[str, Any]:
    ev = _d(f.evidence)
    src: dict[str, Any] = {}
    blob = None
    if f.verdict in (Verdict.REAL, Verdict.OUTDATED):
        src = _first(ev.get("matches"))
        blob = src.get("blob")
    elif f.verdict is Verdict.ALTERED:
        derived = _first(ev.get("derived_from"))
        src = _first(derived.get("occurrences"))
        blob = derived.get("blob")
    kinds = ev.get("change_kinds") or []
    return {
        "path": f.path, "verdict": f.verdict.value, "confidence": f.confidence, "size": f.size,
        "sha256": f.sha256, "mime": f.mime, "internal_path": src.get("path"), "source_blob": blob,
        "first_seen": src.get("first_seen"), "last_seen": src.get("last_seen"),
        "change_kinds": ";".join(str(k) for k in kinds) if isinstance(kinds, list) else kinds,
        "impersonates": ev.get("impersonates"), "reason": "; ".join(f.reasons), "detail": None,
    }


def render(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, dialect="excel", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in report.files:
        row = _row(f)
        writer.writerow([cell(row[c]) for c in COLUMNS])
    for s in report.skipped:
        row = {c: None for c in COLUMNS}
        row.update(path=s.path, verdict="skipped", reason=s.reason, detail=s.detail or None)
        writer.writerow([cell(row[c]) for c in COLUMNS])
    return buf.getvalue()
