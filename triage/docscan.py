"""Scan stage for documents and dumps without an exact match.

A dropped document is compared by its canonical text with internal documents' texts (found
through the index's sentence postings, MinHash bands and text hashes), a dump by its rows with
internal tables (row and key hashes). The classifier (``classify_documents``) decides; this
module gathers the figures and writes the evidence: ``evidence.document`` (text hash, text
identical, metadata and its field-by-field diff with the matched internal version) and
``evidence.table`` (rows present, altered, absent). An unreadable document is a Skipped entry
with the reason (one whose bytes are text is compared as text instead, the reason noted); a
Markdown, notebook or e-mail with no internal document to compare with, and a document without
text, go back to the plain text or bytes comparison with their evidence.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from triage.classify import Scored, evidence_strength
from triage.classify_documents import decide_document, decide_table, document_change_kinds, metadata_diff
from triage.compare import View, compare, diff_hunks, text_view
from triage.fingerprint import SPACE_TOKENS, Fingerprint
from triage.fingerprint.docprint import DocPrint
from triage.fingerprint.minhash import band_keys, from_bytes, jaccard
from triage.fingerprint.rowprint import TableFigures, TablePrint, compare_table
from triage.inventory.indexer import iso
from triage.matcher import PER_LOOKUP, POSTING_DF_LIMIT, line_weight, top
from triage.model import Finding, Member, Skipped, Verdict
from triage.read import reasons

# Internal documents compared with one dropped document; internal tables with one dump.
MAX_DOC_CANDIDATES = 8
MAX_TABLE_CANDIDATES = 4
# Rows of a dump used to nominate candidate tables (evenly spaced); every row is then counted.
NOMINATE_ROWS = 20_000
# Documents whose own bytes are their text: with no internal document to compare with, they are
# compared as plain text (the internal copy may not be a document). Containers (PDF, office) and
# HTML are not: their bytes and markup are the producer's template, shared by forgeries too.
PLAIN_TEXT_KINDS = frozenset({"markdown", "ipynb", "eml"})
# Internal paths listed per matched content, and characters of internal text views kept.
MAX_MATCH_PATHS = 10
TEXT_CACHE_CHARS = 64 * 1024 * 1024


@dataclass
class Outcome:
    """What the document stage made of one member."""

    finding: Finding | None = None  # None: compare it as plain text or bytes instead
    source: int | None = None  # content id of the internal version it was cut from (for dating)
    skipped: Skipped | None = None
    evidence: dict[str, Any] = field(default_factory=dict)  # to attach to the fallback finding
    # A Markdown, notebook or e-mail found fabricated by its text: its bytes are text, so the plain
    # text comparison gets a second look, and an altered verdict from it stands.
    second_opinion: bool = False


class TextCache:
    """Internal documents' text views (content id -> View), least recently used out, by characters."""

    def __init__(self, max_chars: int = TEXT_CACHE_CHARS):
        self.max_chars, self.used = max_chars, 0
        self.items: OrderedDict[int, View] = OrderedDict()

    def views(self, store: Any, cids: list[int]) -> dict[int, View]:
        out = {c: self.items[c] for c in cids if c in self.items}
        for c in out:
            self.items.move_to_end(c)
        for cid, text in store.document_texts([c for c in cids if c not in out]).items():
            out[cid] = self.items[cid] = text_view(text)
            self.used += len(text)
            while self.used > self.max_chars and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.used -= len(old.text or "")
        return out


def _occurrences(store: Any, cids: list[int], heads: dict[int, dict]) -> dict[int, list[dict]]:
    """Match records (the shape of report.json ``matches``) of internal contents, by path."""
    out: dict[int, list[dict]] = {}
    for cid, occ in store.occurrences(cids).items():
        by_path: dict[str, list[tuple]] = {}
        for o in occ:
            by_path.setdefault(o[0], []).append(o)
        out[cid] = [{"path": p, "source": by_path[p][0][1], "blob": heads.get(cid, {}).get("git_oid"),
                     "commits": [o[2] for o in by_path[p]], "first_seen": iso(min(o[3] for o in by_path[p])),
                     "last_seen": None} for p in sorted(by_path)[:MAX_MATCH_PATHS]]
    return out


def _base_evidence(member: Member, fp: Fingerprint, internal_path: str | None) -> dict[str, Any]:
    return {"kind": fp.kind, "git_blob": fp.git_oid, "internal_path": internal_path,
            "notes": list(member.notes), "matches": []}


def _doc_record(doc: DocPrint) -> dict[str, Any]:
    return {"kind": doc.kind, "text_sha256": doc.text_sha256, "text_identical": False, "chars": len(doc.text),
            "lines": doc.lines, "parts": len(doc.parts), "metadata": doc.metadata, "notes": list(doc.notes)}


def _impersonates(store: Any, ev: dict[str, Any], internal_path: str | None) -> None:
    if internal_path and store.contents_at_paths([internal_path]).get(internal_path):
        ev["impersonates"] = internal_path


# -- documents -------------------------------------------------------------------------------------


def _doc_candidates(store: Any, fp: Fingerprint, identical: list[int]) -> list[int]:
    picked = list(identical[:MAX_DOC_CANDIDATES])

    def take(counts: dict[int, int]) -> None:
        for cid in top(store, counts, PER_LOOKUP):
            if cid not in picked:
                picked.append(cid)

    hashes = np.unique(fp.lines[fp.informative]).tolist() if len(fp.lines) else []
    df = store.doc_line_df(hashes)
    take(store.doc_candidates_by_postings([h for h in hashes if df.get(h, 1) <= POSTING_DF_LIMIT]))
    if fp.sig_tokens is not None:
        take(store.doc_candidates_by_bands(band_keys(fp.sig_tokens, SPACE_TOKENS)))
    return picked[:MAX_DOC_CANDIDATES]


def _doc_similarity(doc: DocPrint, cmp: Any, internal: dict[str, Any]) -> dict[str, Any]:
    sim = {"containment_drop": round(cmp.containment_drop, 4),
           "containment_source": round(cmp.containment_source, 4),
           "token_containment": None if cmp.token_containment is None else round(cmp.token_containment, 4),
           "matched_lines": cmp.matched_lines, "drop_lines": cmp.drop_lines, "source_lines": cmp.source_lines}
    if doc.fp is not None and doc.fp.sig_tokens is not None and internal.get("sig_tokens"):
        sim["jaccard_tokens"] = round(jaccard(doc.fp.sig_tokens, from_bytes(internal["sig_tokens"])), 4)
    return sim


def document_outcome(store: Any, member: Member, fp: Fingerprint, doc: DocPrint, internal_path: str | None,
                     cache: TextCache) -> Outcome:
    record = _doc_record(doc)
    if doc.error:
        if fp.kind == "text":  # its bytes are text: compare them as such, with the reason noted
            record["error"] = doc.error
            return Outcome(evidence={"document": record})
        return Outcome(skipped=Skipped(member.path, reasons.DOCUMENT_UNREADABLE, f"{doc.kind}: {doc.error}"))
    if doc.fp is None:
        record["notes"].append("no text could be extracted (images only?): compared by its bytes")
        return Outcome(evidence={"document": record})
    identical = store.documents_by_text([doc.text_sha256]).get(doc.text_sha256, [])
    if len(identical) > 1:
        identical.sort(key=store.sha256_of(identical).__getitem__)  # not by id: see matcher.top
    cids = _doc_candidates(store, doc.fp, identical)
    if not cids and doc.kind in PLAIN_TEXT_KINDS:
        return Outcome(evidence={"document": record})  # no internal document to compare it with
    dview = text_view(doc.text)
    views = cache.views(store, cids)
    for cid in identical:
        views.setdefault(cid, dview)  # an identical text too long to keep: the same lines
    hashes = set(dview.hashes.tolist())
    for v in views.values():
        hashes.update(v.hashes.tolist())
    weight = line_weight(store.doc_line_df(hashes))
    occ = store.occurrences(list(views))
    sha = store.sha256_of(views)
    scored = [Scored(cid, occ[cid][-1][0] if occ.get(cid) else str(cid), compare(dview, v, weight), sha[cid])
              for cid, v in sorted(views.items(), key=lambda kv: sha[kv[0]])]
    informative = int(doc.fp.informative.sum())
    decision = decide_document(scored, set(identical), informative)
    internal = store.documents([s.key for s in decision.sources])
    heads = store.content_heads([s.key for s in decision.sources])
    matches = _occurrences(store, [s.key for s in decision.sources], heads)
    ev = _base_evidence(member, fp, internal_path)
    source = None
    if decision.verdict is Verdict.ALTERED:
        first = decision.sources[0]
        same_text = len(decision.sources) == 1 and first.key in identical
        entries, kinds = [], ["concatenation"] if len(decision.sources) > 1 else []
        for s in decision.sources:
            idoc, head = internal.get(s.key, {}), heads.get(s.key, {})
            other_format = idoc.get("kind") != doc.kind
            changed = document_change_kinds(dview, views[s.key], same_text, converted=other_format)
            if len(decision.sources) == 1:
                kinds = changed
            entries.append({
                "sha256": head.get("sha256"), "blob": head.get("git_oid"),
                "occurrences": matches.get(s.key, []),
                "similarity": _doc_similarity(doc, s.cmp, idoc),
                "changes": {"kinds": changed, "inserted": s.cmp.inserted, "deleted": s.cmp.deleted,
                            "hunks": [] if same_text else diff_hunks(dview, views[s.key])},
            })
            ev["matches"].extend(matches.get(s.key, []))
        ev["derived_from"] = entries
        ev["change_kinds"] = kinds
        share = decision.union_share if len(entries) > 1 else first.cmp.containment_drop
        ev["derived_share"] = round(share, 4)
        record["text_identical"] = same_text
        idoc, head = internal.get(first.key, {}), heads.get(first.key, {})
        diff, same = metadata_diff(doc.metadata, idoc.get("metadata", {}))
        record["source"] = {"kind": idoc.get("kind"), "sha256": head.get("sha256"),
                            "text_sha256": idoc.get("text_sha256"),
                            "path": (matches.get(first.key) or [{}])[0].get("path"),
                            "metadata": idoc.get("metadata", {})}
        record["metadata_diff"] = diff
        record["metadata_same"] = same
        if len(entries) == 1 and not (same_text and len(identical) > 1):
            source = first.key  # one internal version explains it: date the drop through it
            ev["dated_by_source"] = True
    else:
        if decision.sources:
            s = decision.sources[0]
            head = heads.get(s.key, {})
            ev["closest"] = {"sha256": head.get("sha256"), "blob": head.get("git_oid"),
                             "path": (matches.get(s.key) or [{}])[0].get("path"),
                             "similarity": _doc_similarity(doc, s.cmp, internal.get(s.key, {}))}
        _impersonates(store, ev, internal_path)
    ev["document"] = record
    ev["evidence_strength"] = round(evidence_strength(informative), 3)
    finding = Finding(member.path, fp.size, fp.sha256, fp.mime, decision.verdict, decision.confidence,
                      decision.reasons, ev)
    if decision.verdict is Verdict.FABRICATED and doc.table is not None:
        rows = table_outcome(store, member, fp, doc.table, internal_path)  # a dump saved as a workbook?
        if rows.finding is not None and rows.finding.verdict is Verdict.ALTERED:
            rows.finding.evidence["document"] = record
            return rows
    second = decision.verdict is Verdict.FABRICATED and doc.kind in PLAIN_TEXT_KINDS
    return Outcome(finding=finding, source=source, second_opinion=second)


# -- dumps -----------------------------------------------------------------------------------------


def _table_record(table: TablePrint, f: TableFigures | None, key_width: int) -> dict[str, Any]:
    n = table.rows
    f = f or TableFigures(n, 0, 0, 0, n, 0, 0, 0.0, {})
    cols = list(table.columns) if table.columns else None

    def name(j: str | int) -> str:
        i = int(j)
        return cols[i] if cols and i < len(cols) else str(i)

    return {"kind": table.kind, "rows": n, "columns": cols, "rows_internal": f.internal_rows,
            "rows_present": f.present, "rows_altered": f.altered, "rows_elsewhere": f.elsewhere,
            "rows_absent": f.absent, "duplicates": f.duplicates,
            "shares": {k: round(v / n, 4) if n else 0.0 for k, v in
                       (("present", f.present), ("altered", f.altered), ("elsewhere", f.elsewhere),
                        ("absent", f.absent))},
            "internal_covered": f.internal_covered,
            "key_columns": [name(j) for j in range(key_width)],
            "altered_columns": {name(j): c for j, c in f.altered_columns.items()},
            "notes": list(table.notes)}


def _spread(values: np.ndarray, n: int) -> list[int]:
    if len(values) <= n:
        return values.tolist()
    return values[np.linspace(0, len(values) - 1, n).astype(int)].tolist()


def table_outcome(store: Any, member: Member, fp: Fingerprint, table: TablePrint,
                  internal_path: str | None) -> Outcome:
    distinct = np.unique(table.row_hashes)
    where = store.dump_rows_by_hash(distinct.tolist())
    anywhere = set(where)
    sample = set(_spread(table.row_hashes, NOMINATE_ROWS))
    by_rows = Counter(cid for h in sample for cid in where.get(h, ()))
    by_keys = store.table_candidates_by_keys(_spread(np.unique(table.prefix_hashes), NOMINATE_ROWS * 3))
    cids: list[int] = []
    for counts in (dict(by_rows), by_keys):
        for cid, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TABLE_CANDIDATES]:
            if cid not in cids:
                cids.append(cid)
    figures = []
    for cid in cids[:MAX_TABLE_CANDIDATES]:
        internal = store.internal_table(cid)
        if internal is not None:
            figures.append((cid, internal.key_width, compare_table(table, internal, anywhere)))
    ev = _base_evidence(member, fp, internal_path)
    if not figures:  # no internal table holds any of its rows or keys
        f = TableFigures(table.rows, 0, 0, 0, table.rows, 0, 0, 0.0, {})
        decision, _kinds = decide_table(f)
        _impersonates(store, ev, internal_path)
        ev["table"] = _table_record(table, f, 0)
        ev["evidence_strength"] = round(evidence_strength(f.rows), 3)
        return Outcome(finding=Finding(member.path, fp.size, fp.sha256, fp.mime, decision.verdict,
                                       decision.confidence, decision.reasons, ev))
    cid, width, f = max(figures, key=lambda t: (t[2].present + t[2].altered, t[2].present, -t[0]))
    decision, kinds = decide_table(f)
    heads = store.content_heads([cid])
    head = heads.get(cid, {})
    matches = _occurrences(store, [cid], heads).get(cid, [])
    record = _table_record(table, f, width)
    record["source"] = {"kind": store.tables([cid]).get(cid, {}).get("kind"), "sha256": head.get("sha256"),
                        "path": (matches or [{}])[0].get("path")}
    from_it = (f.present + f.altered) / f.rows if f.rows else 0.0
    sim = {"containment_drop": round(from_it, 4), "containment_source": f.internal_covered,
           "matched_lines": f.present, "drop_lines": f.rows, "source_lines": f.internal_rows}
    source = None
    if decision.verdict is Verdict.ALTERED:
        ev["matches"] = matches
        ev["derived_from"] = [{"sha256": head.get("sha256"), "blob": head.get("git_oid"),
                               "occurrences": matches, "similarity": sim,
                               "changes": {"kinds": kinds, "inserted": f.absent + f.elsewhere,
                                           "deleted": round(f.internal_rows * (1 - f.internal_covered)),
                                           "hunks": []}}]
        ev["change_kinds"] = kinds
        ev["derived_share"] = round(from_it, 4)
        source = cid
        ev["dated_by_source"] = True
    else:
        ev["closest"] = {"sha256": head.get("sha256"), "blob": head.get("git_oid"),
                         "path": (matches or [{}])[0].get("path"), "similarity": sim}
        _impersonates(store, ev, internal_path)
    ev["table"] = record
    ev["evidence_strength"] = round(evidence_strength(f.rows), 3)
    return Outcome(finding=Finding(member.path, fp.size, fp.sha256, fp.mime, decision.verdict,
                                   decision.confidence, decision.reasons, ev), source=source)


# -- exact matches ---------------------------------------------------------------------------------


def exact_evidence(store: Any, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``evidence.document`` / ``evidence.table`` for dropped files equal to internal contents."""
    out: dict[int, dict[str, Any]] = {}
    for cid, d in store.documents(content_ids).items():
        rec = {"kind": d["kind"], "text_sha256": d["text_sha256"], "text_identical": d["error"] is None,
               "chars": d["chars"], "lines": d["lines"], "parts": len(d["parts"]), "metadata": d["metadata"],
               "notes": d["notes"]}
        if d["error"]:
            rec["error"] = d["error"]
        out[cid] = {"document": rec}
    for cid, t in store.tables(content_ids).items():
        n = t["rows"]
        out.setdefault(cid, {})["table"] = {
            "kind": t["kind"], "rows": n, "columns": t["columns"], "rows_internal": n, "rows_present": n,
            "rows_altered": 0, "rows_elsewhere": 0, "rows_absent": 0,
            "shares": {"present": 1.0, "altered": 0.0, "elsewhere": 0.0, "absent": 0.0},
            "internal_covered": 1.0, "notes": t["notes"]}
    return out
