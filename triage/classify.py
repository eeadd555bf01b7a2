"""The one place that decides a verdict: pure functions from figures to a verdict with reasons.

Exact matches settle real and outdated. Everything else is altered or fabricated, judged from
``Comparison`` figures against the few internal candidates: how much of the drop file is
aligned with a candidate after the boilerplate discount, how much of the candidate survives in
it, whether the shared material is code or only prologue (license, docstring, imports), and
whether several sources together explain it (a concatenation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from triage.compare import Comparison
from triage.model import Verdict

# A drop file is derived from a candidate when this weighted share of it is aligned with the
# candidate...
DERIVED_DROP_SHARE = 0.5
# ...or when this weighted share of the candidate survives in it (a candidate that was cut down
# and padded with new code still counts) ...
DERIVED_SOURCE_SHARE = 0.6
# ...and the aligned material includes at least this much specific code (weight ~ lines): a
# forgery that reuses the license header, docstring and imports shares no code.
MIN_MATCHED_CODE = 2.0
# Everything in the drop file comes from one candidate (a truncation, an excerpt): derived, if
# the shared lines carry at least this much specific weight (not only boilerplate).
TRUNCATION_DROP_SHARE = 0.95
MIN_CONTAINED_WEIGHT = 1.0
# Specific body code of the candidate that survives in the drop file (a chimera: the first
# part of a real file followed by new code): at least this much code weight, and this share
# of the candidate's code. A forgery reusing header, docstring and imports carries none.
BODY_MATCHED_CODE = 2.0
BODY_CODE_SHARE = 0.15
# A verbatim run that carries the candidate's prologue on into its code (a chimera: the real
# file's first part, then new code), with more specific weight past the prologue than one line
# (a forger at a real path may well write the same class or export line after the header).
RUN_PAST_PROLOGUE = 1.5
# The whole candidate, its code included, survives in the drop file (lines inserted into a
# small file whose only code is a line or two): derived, if that code is specific.
WHOLE_SOURCE = 0.95
MIN_WHOLE_CODE = 1.0
# Token runs: nearly all of the drop file's token 5-grams come from the candidate.
TOKEN_ALL = 0.9
MIN_TOKEN_SHINGLES = 30
# Token 5-gram containment that proves derivation when lines do not align (minified, re-wrapped).
TOKEN_DERIVED = 0.7
MIN_TOKENS_FOR_TOKEN_EVIDENCE = 40
# Identifier-abstracted line sequences this similar mean "renamed", if no other internal file
# (a sibling in a family of near-identical files) is as similar.
SHAPE_DERIVED = 0.85
MIN_SHAPE_LINES = 12
# A candidate with fewer code lines than MIN_SHAPE_LINES is mostly license, docstring and
# imports, whose shape every file of a house template shares (a forgery in that template
# scored 0.87 with 10% of its token runs in common): its structure must match (nearly) whole,
# and some token runs with it (renamed lodash functions: shape 1.0, 26-70% of token runs).
SHAPE_SHORT = 0.95
SHAPE_SHORT_TOKENS = 0.2
# Concatenation: sources that each explain at least this share, together at least the union.
CONCAT_PART = 0.15
CONCAT_UNION = 0.7
# A file derived from one source is a concatenation (or splice) when further sources each carry
# this share of their own internal file into it, with specific code (two halves pasted: ~0.5).
CONCAT_PART_SOURCE = 0.3
# Binaries: share of content-defined chunks in common (byte patches: see compare.py).
BINARY_DERIVED = 0.5


@dataclass(frozen=True)
class Scored:
    """One candidate with its comparison figures (what the classifier sees)."""

    key: int  # content id
    lineage: str  # internal path (siblings in a family have different lineages)
    cmp: Comparison
    order: str = ""  # the content's SHA-256: ties go by it, not by the id (which depends on
    # the order in which index workers wrote the contents)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    confidence: float
    reasons: tuple[str, ...]
    sources: tuple[Scored, ...]  # for altered: the source(s); for fabricated: the closest
    union_share: float = 0.0


def evidence_strength(informative_lines: int) -> float:
    """How much a verdict on a file of this size can be trusted (1 - e^-n/8): a file with a few
    informative lines gives little evidence either way, and the report says so."""
    return 1.0 - math.exp(-max(informative_lines, 0) / 8.0)


def _derived(s: Scored, siblings_like_shape: int, is_text: bool) -> tuple[bool, str]:
    c = s.cmp
    if not is_text:
        if c.byte_diff is not None:
            return True, f"{c.byte_diff} bytes differ from an internal binary of the same size"
        if c.containment_drop >= BINARY_DERIVED or c.containment_source >= BINARY_DERIVED:
            return True, f"{c.containment_drop:.0%} of its chunks come from an internal binary"
        return False, ""
    if (c.containment_drop >= TRUNCATION_DROP_SHARE and c.matched_lines >= 3
            and c.matched_weight >= MIN_CONTAINED_WEIGHT):
        return True, f"{c.containment_drop:.0%} of it is internal content (weighted)"
    if c.matched_code >= MIN_MATCHED_CODE:
        if c.containment_drop >= DERIVED_DROP_SHARE:
            return True, f"{c.containment_drop:.0%} of it aligns with internal content (boilerplate discounted)"
        if c.containment_source >= DERIVED_SOURCE_SHARE:
            return True, f"{c.containment_source:.0%} of an internal file survives in it"
    if c.matched_code >= BODY_MATCHED_CODE and c.code_source >= BODY_CODE_SHARE:
        return True, (f"{c.code_source:.0%} of an internal file's specific code survives in it"
                      f" ({c.matched_code:.0f} lines' weight)")
    if (c.containment_source >= WHOLE_SOURCE and c.code_source >= WHOLE_SOURCE
            and c.matched_code >= MIN_WHOLE_CODE):
        return True, f"all of an internal file, its code included, survives in it ({c.inserted} lines added)"
    if c.run_past_prologue >= RUN_PAST_PROLOGUE:
        return True, (f"it copies an internal file verbatim from its header on into its code"
                      f" ({c.run_past_prologue:.1f} lines' weight past the license, docstring and imports)")
    tc, shape = c.token_containment or 0.0, c.shape_ratio or 0.0
    if tc >= TOKEN_ALL and c.token_shingles >= MIN_TOKEN_SHINGLES:
        return True, f"{tc:.0%} of its token runs come from internal content"
    if tc >= TOKEN_DERIVED and c.drop_lines and c.matched_lines <= 0.5 * c.drop_lines:
        return True, f"{tc:.0%} of its token runs come from internal content (reformatted)"
    short = c.source_code_lines < MIN_SHAPE_LINES
    if (shape >= (SHAPE_SHORT if short else SHAPE_DERIVED) and (not short or tc >= SHAPE_SHORT_TOKENS)
            and c.source_lines >= MIN_SHAPE_LINES and siblings_like_shape <= 1):
        return True, f"its code structure matches one internal file ({shape:.0%}) with names or values changed"
    return False, ""


def decide_fuzzy(scored: list[Scored], is_text: bool, informative_lines: int,
                 drop_weights_total: float = 0.0) -> Decision:
    """Altered or fabricated, from the candidates' figures."""
    strength = evidence_strength(informative_lines if is_text else max(informative_lines, 8))
    if not scored:
        return Decision(Verdict.FABRICATED, round(strength, 3),
                        ("no internal content shares specific lines, tokens or structure with it",), ())
    shape_like = {s.lineage for s in scored if (s.cmp.shape_ratio or 0.0) >= SHAPE_DERIVED}
    ranked = sorted(scored, key=lambda s: (-s.cmp.containment_drop, -s.cmp.containment_source,
                                           -(s.cmp.token_containment or 0.0), s.order, s.key))
    derived = []
    for s in ranked:
        ok, why = _derived(s, len(shape_like), is_text)
        if ok:
            derived.append((s, why))
    if derived:
        best, why = min(derived, key=lambda t: (-(t[0].cmp.containment_drop + t[0].cmp.containment_source),
                                                 -(t[0].cmp.token_containment or 0.0), t[0].order, t[0].key))
        conf = strength * min(1.0, 0.5 + max(best.cmp.containment_drop, best.cmp.token_containment or 0.0,
                                             best.cmp.shape_ratio or 0.0) / 2)
        joined = _joined(ranked, best) if is_text else None
        if joined is not None:
            parts, union = joined
            return Decision(Verdict.ALTERED, round(conf, 3),
                            (f"{union:.0%} of it is the concatenation of {len(parts)} internal files",),
                            tuple(parts), union)
        return Decision(Verdict.ALTERED, round(conf, 3), (why,), (best,))
    # Several sources together (concatenation)?
    if is_text:
        parts, union = _cover(ranked)
        if len(parts) >= 2 and union >= CONCAT_UNION:
            conf = strength * min(1.0, 0.5 + union / 2)
            return Decision(Verdict.ALTERED, round(conf, 3),
                            (f"{union:.0%} of it is the concatenation of {len(parts)} internal files",),
                            tuple(parts), union)
    closest = ranked[0]
    top = closest.cmp.containment_drop
    conf = strength * (1.0 - top / 2)
    reason = (f"closest internal content explains only {closest.cmp.containment_drop:.0%} of it"
              f" ({closest.cmp.matched_code:.1f} specific code lines in common)")
    return Decision(Verdict.FABRICATED, round(conf, 3), (reason,), (closest,))


def _joined(ranked: list[Scored], best: Scored) -> tuple[list[Scored], float] | None:
    """When a file derived from ``best`` also carries much of other internal files (two real
    files pasted together, or spliced halves), the parts and their union; None when the rest is
    new material.

    Without this, the second file's lines were "inserted" into the first and scanned as
    suspicious insertions. Each further part must hold a good share of its own internal file,
    with specific code: new code that shares a few lines with another file stays inserted.
    """
    mask = best.cmp.matched_drop_mask
    if not len(mask) or mask.mean() >= 1.0 - CONCAT_PART:
        return None
    parts, union = _cover(ranked)
    if len(parts) < 2 or best not in parts or union < CONCAT_UNION or union - mask.mean() < CONCAT_PART:
        return None
    if any(s is not best and (s.cmp.containment_source < CONCAT_PART_SOURCE or s.cmp.matched_code < MIN_MATCHED_CODE)
           for s in parts):
        return None
    return parts, union


def _cover(ranked: list[Scored]) -> tuple[list[Scored], float]:
    """Greedy cover of the drop file's lines by candidates, each adding at least CONCAT_PART."""
    if not ranked:
        return [], 0.0
    n = len(ranked[0].cmp.matched_drop_mask)
    if n == 0:
        return [], 0.0
    covered = np.zeros(n, dtype=bool)
    parts: list[Scored] = []
    pool = [s for s in ranked if s.cmp.matched_code >= 1.0]
    seen_lineages: set[str] = set()
    while pool:
        best = max(pool, key=lambda s: int((s.cmp.matched_drop_mask & ~covered).sum()))
        gain = int((best.cmp.matched_drop_mask & ~covered).sum())
        if gain < CONCAT_PART * n:
            break
        pool.remove(best)
        if best.lineage in seen_lineages:
            continue
        seen_lineages.add(best.lineage)
        covered |= best.cmp.matched_drop_mask
        parts.append(best)
    return parts, float(covered.mean())
