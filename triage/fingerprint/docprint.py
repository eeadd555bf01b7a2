"""What the index and the scan keep of a document or a tabular dump, beside its bytes' fingerprint.

``describe(data, name)`` is the one function both sides call (like ``fingerprint``): a
document (PDF, office, OpenDocument, HTML, Markdown, notebook, e-mail) becomes a ``DocPrint``,
its canonical text fingerprinted with the source-text fingerprint (sentence lines, postings,
MinHash); a dump (CSV/TSV, SQL, JSON lines) becomes a ``TablePrint`` of normalised row hashes
(``triage.fingerprint.rowprint``). Anything else is None.

A document that cannot be read (refused DTD, encrypted, over a cap, a parser failure, the time
limit) is still a ``DocPrint``, with ``error`` saying why: a note in the index and the report,
never a crash. Every extraction runs under a hard wall-clock limit (SIGALRM, in the main thread
of the process that parses: an index worker or the scan) on top of the extractors' own caps.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from triage.fingerprint import FUZZY_MAX_BYTES, Fingerprint, fingerprint
from triage.fingerprint.deadline import ParseTimeout, hard_deadline
from triage.fingerprint.documents import DocLimits, DocumentError, canonical_text, detect_document, extract
from triage.fingerprint.rowprint import TablePrint, describe_table, sheet_table

# Cooperative cap inside the extractors (checked between pages, rows, parts)...
DOC_LIMITS = DocLimits(max_seconds=20.0)
# ...and the hard cap on one document: a parser stuck inside one page is interrupted here.
DOC_SECONDS = 30.0
# Characters of canonical text kept in the index per document (diffs and comparisons need it);
# a longer document is still matched by its text hash and postings, not compared line by line.
TEXT_KEEP_CHARS = 4 * 1024 * 1024

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# Workbooks are documents and tables at once: their cells are also hashed as rows.
SHEET_KINDS = frozenset({"xlsx", "ods"})


@dataclass(frozen=True)
class DocPrint:
    """One document: its canonical text (sentence lines), that text's fingerprint, its metadata."""

    kind: str  # documents.KINDS
    text_sha256: str | None  # SHA-256 of ``text`` (None when unreadable)
    text: str  # canonical text: one sentence per line, layout gone
    metadata: dict[str, Any]
    parts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    fp: Fingerprint | None = None  # fingerprint of ``text`` (None when there is no text)
    error: str | None = None  # why the document could not be read
    table: TablePrint | None = None  # a workbook's cells as rows (SHEET_KINDS)

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1 if self.text else 0


def describe(data: bytes, name: str = "", mime: str = "") -> DocPrint | TablePrint | None:
    """The document or table print of one content, or None for anything else.

    ``name`` (a path or file name) only decides Markdown (no signature) and which text files are
    dumps (by suffix); everything else is decided by content.
    """
    if not data or len(data) > FUZZY_MAX_BYTES:
        return None
    try:
        kind = detect_document(data, name, mime)
    except Exception:  # noqa: BLE001 - detection of hostile bytes failing means "not a document"
        kind = None
    if kind is not None:
        return describe_document(data, kind)
    return describe_table(data, name)


def describe_document(data: bytes, kind: str, limits: DocLimits = DOC_LIMITS,
                      seconds: float = DOC_SECONDS) -> DocPrint:
    """Extract and fingerprint one document; every failure becomes ``error``."""
    try:
        with hard_deadline(seconds):
            doc = extract(data, kind, limits)
    except ParseTimeout:
        return DocPrint(kind, None, "", {}, error=f"time limit: {kind} not read within {seconds:g} s")
    except DocumentError as exc:
        return DocPrint(kind, None, "", {}, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a library failing on hostile input is a note, not a crash
        return DocPrint(kind, None, "", {}, error=f"{kind} cannot be read: {type(exc).__name__}")
    text = _CONTROL.sub("", canonical_text(doc.text))
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    fp = fingerprint(text.encode("utf-8", "surrogatepass")) if text else None
    table = sheet_table(kind, doc.text) if kind in SHEET_KINDS else None
    return DocPrint(kind, sha, text, doc.metadata, doc.parts, doc.notes, fp, table=table)


__all__ = ["DOC_SECONDS", "DocPrint", "TablePrint", "describe", "describe_document"]
