"""Verdicts for documents and dumps: pure functions from comparison figures to a Decision.

A document is judged by its canonical text (sentence lines), compared with internal documents'
texts like source is compared with source: the same text in other bytes is ``converted``; most
of its sentences from one internal document (boilerplate discounted) is altered; sharing only a
title, a header or a disclaimer is fabricated. A dump is judged by its rows: mostly rows that
exist internally (exactly or altered) is a recycled real dump (altered, with what changed);
mostly rows that exist nowhere is synthetic (fabricated).
"""

from __future__ import annotations

import re
from typing import Any

from triage.align import opcodes
from triage.classify import Decision, Scored, _cover, evidence_strength
from triage.compare import View
from triage.fingerprint.rowprint import TableFigures
from triage.model import Verdict

# A document derives from an internal one when this weighted share of its sentences aligns with
# it, or this share of the internal one survives in it...
DOC_DERIVED_DROP = 0.5
DOC_DERIVED_SOURCE = 0.6
# ...and the aligned sentences weigh at least this much (specific sentences weigh ~1; a title,
# header or disclaimer held by many internal documents weighs little): a forgery reusing the real
# title, header and author shares no more than that.
DOC_MIN_MATCHED = 2.0
# An excerpt: nearly all of it is internal text, in at least this many sentences.
DOC_EXCERPT_SHARE = 0.95
DOC_EXCERPT_LINES = 3
# Word runs (token 5-grams) when sentences do not align (text re-flowed by an extractor):
# nearly all of the document's runs must come from one internal document.
DOC_TOKEN_DERIVED = 0.85
DOC_MIN_SHINGLES = 40

# Several internal documents together (a mosaic of excerpts): each explains at least
# classify.CONCAT_PART of its sentences, together at least this share, and this much more than
# the best one alone (else the best one is its source, with passages added).
DOC_CONCAT_UNION = 0.7
DOC_CONCAT_GAIN = 0.2

# A dump is a copy of internal data when at least this share of its rows exist internally
# (whole, or altered from an internal row with the same key); below it, it is synthetic.
TABLE_DERIVED_SHARE = 0.5
# A dump holding every row of the internal table it matches is that table re-exported.
TABLE_FULL_COVER = 0.999

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _doc_derived(s: Scored) -> tuple[bool, str]:
    c = s.cmp
    if c.containment_drop >= DOC_EXCERPT_SHARE and c.matched_lines >= DOC_EXCERPT_LINES \
            and c.matched_weight >= DOC_MIN_MATCHED:
        return True, f"{c.containment_drop:.0%} of its text is an internal document's text"
    if c.matched_weight >= DOC_MIN_MATCHED:
        if c.containment_drop >= DOC_DERIVED_DROP:
            return True, (f"{c.containment_drop:.0%} of its sentences come from an internal document"
                          " (boilerplate discounted)")
        if c.containment_source >= DOC_DERIVED_SOURCE:
            return True, f"{c.containment_source:.0%} of an internal document's sentences survive in it"
    tc = c.token_containment or 0.0
    if tc >= DOC_TOKEN_DERIVED and c.token_shingles >= DOC_MIN_SHINGLES:
        return True, f"{tc:.0%} of its word runs come from an internal document"
    return False, ""


def decide_document(scored: list[Scored], identical: set[int], informative_lines: int) -> Decision:
    """Altered (converted or edited) or fabricated, from the candidates' figures.

    ``identical``: candidates whose canonical text equals the dropped document's.
    """
    strength = evidence_strength(informative_lines)
    if not scored:
        return Decision(Verdict.FABRICATED, round(strength, 3),
                        ("no internal document shares specific sentences or word runs with it",), ())
    ranked = sorted(scored, key=lambda s: (s.key not in identical, -s.cmp.containment_drop,
                                           -s.cmp.containment_source, s.order, s.key))
    best = ranked[0]
    if best.key in identical:
        return Decision(Verdict.ALTERED, round(strength, 3),
                        ("its text is identical to an internal document's text in other bytes (converted)",),
                        (best,))
    derived = [(s, why) for s in ranked for ok, why in [_doc_derived(s)] if ok]
    parts, union = _cover(ranked)
    alone = max((float(s.cmp.matched_drop_mask.mean()) for s in ranked if len(s.cmp.matched_drop_mask)),
                default=0.0)
    if len(parts) >= 2 and union >= DOC_CONCAT_UNION and (not derived or union >= alone + DOC_CONCAT_GAIN):
        return Decision(Verdict.ALTERED, round(strength * min(1.0, 0.5 + union / 2), 3),
                        (f"{union:.0%} of its sentences come from {len(parts)} internal documents",),
                        tuple(parts), union)
    if derived:
        src, why = min(derived, key=lambda t: (-(t[0].cmp.containment_drop + t[0].cmp.containment_source),
                                                -(t[0].cmp.token_containment or 0.0), t[0].order, t[0].key))
        conf = strength * min(1.0, 0.5 + max(src.cmp.containment_drop, src.cmp.token_containment or 0.0) / 2)
        return Decision(Verdict.ALTERED, round(conf, 3), (why,), (src,))
    top = best.cmp.containment_drop
    return Decision(Verdict.FABRICATED, round(strength * (1.0 - top / 2), 3),
                    (f"closest internal document explains only {top:.0%} of its text"
                     f" ({best.cmp.matched_weight:.1f} specific sentences in common)",), (best,))


def document_change_kinds(drop: View, source: View, identical: bool, converted: bool) -> list[str]:
    """What changed between an internal document's text and the dropped one's: ``converted``
    (other format or other bytes), then ``figures-changed`` (sentences that differ only in their
    numbers), ``passages-inserted``, ``passages-deleted``, ``passages-edited``, ``truncated``."""
    kinds = ["converted"] if identical or converted else []
    if identical:
        return kinds
    a, b = source.raw_lines, drop.raw_lines
    found: set[str] = set()
    # Changed blocks between aligned lines: (old lines, new lines); LCS opcodes give a
    # replacement as a deletion and an insertion side by side.
    blocks: list[tuple[list[str], list[str], int]] = []
    pending: tuple[int, int, int, int] | None = None
    for op in opcodes(a, b):
        if op.tag == "equal":
            if pending:
                blocks.append((a[pending[0]: pending[1]], b[pending[2]: pending[3]], pending[1]))
            pending = None
            continue
        if pending is None:
            pending = (op.src_start, op.src_end, op.dest_start, op.dest_end)
        else:
            pending = (min(pending[0], op.src_start), max(pending[1], op.src_end),
                       min(pending[2], op.dest_start), max(pending[3], op.dest_end))
    if pending:
        blocks.append((a[pending[0]: pending[1]], b[pending[2]: pending[3]], pending[1]))
    for old, new, _end in blocks:
        if not old:
            found.add("passages-inserted")
        elif not new:
            found.add("passages-deleted")
        elif len(old) == len(new) and all(_DIGITS.sub("#", x) == _DIGITS.sub("#", y)
                                          for x, y in zip(old, new, strict=True)):
            found.add("figures-changed")
        else:
            found.add("passages-edited")
    if len(blocks) == 1 and not blocks[0][1] and blocks[0][2] == len(a):
        return [*kinds, "truncated"]
    order = ("figures-changed", "passages-edited", "passages-inserted", "passages-deleted")
    return [*kinds, *(k for k in order if k in found)]


def metadata_diff(drop: dict[str, Any], internal: dict[str, Any]) -> tuple[dict[str, dict], list[str]]:
    """Field-by-field comparison of two documents' metadata: ``({field: {"drop", "internal"}},
    [fields equal])``; custom properties are compared one by one as ``custom.<name>``."""

    def flat(meta: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in meta.items() if k != "custom"}
        custom = meta.get("custom")
        if isinstance(custom, dict):
            out.update({f"custom.{k}": v for k, v in custom.items()})
        return out

    def norm(v: Any) -> Any:  # 1 and "1" are the same page count in a PDF and in a DOCX
        return str(v).strip() if isinstance(v, (str, int, float)) and not isinstance(v, bool) else v

    a, b = flat(drop), flat(internal)
    diff = {k: {"drop": a.get(k), "internal": b.get(k)} for k in sorted(a.keys() | b.keys())
            if norm(a.get(k)) != norm(b.get(k))}
    same = sorted(k for k in a.keys() & b.keys() if norm(a[k]) == norm(b[k]))
    return diff, same


def decide_table(f: TableFigures) -> tuple[Decision, list[str]]:
    """Altered (a copy of internal rows, with what changed) or fabricated (synthetic), and the
    change kinds: ``converted`` (every row of the internal table, other bytes), ``rows-subset``,
    ``rows-altered``, ``rows-added``, ``rows-merged`` (rows of other internal tables)."""
    n = f.rows
    strength = evidence_strength(n)
    internal = f.present + f.altered + f.elsewhere
    share = internal / n if n else 0.0
    if n and share >= TABLE_DERIVED_SHARE:
        kinds = []
        if f.present == n and f.internal_covered >= TABLE_FULL_COVER:
            kinds.append("converted")
        elif f.present and f.internal_covered < TABLE_FULL_COVER:
            kinds.append("rows-subset")
        if f.altered:
            kinds.append("rows-altered")
        if f.absent:
            kinds.append("rows-added")
        if f.elsewhere:
            kinds.append("rows-merged")
        why = (f"{share:.0%} of its {n} rows exist internally ({f.present} whole, {f.altered} altered"
               + (f", {f.elsewhere} in other tables" if f.elsewhere else "") + f"); {f.absent} exist nowhere")
        conf = strength * min(1.0, 0.5 + share / 2)
        return Decision(Verdict.ALTERED, round(conf, 3), (why,), ()), kinds
    why = (f"{f.absent} of its {n} rows ({(f.absent / n if n else 0):.0%}) exist in no internal table;"
           f" only {internal} do (synthetic or from elsewhere)")
    return Decision(Verdict.FABRICATED, round(strength * (1.0 - share / 2), 3), (why,), ()), []
