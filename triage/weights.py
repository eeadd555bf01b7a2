"""Verdicts for model weights that match no internal content byte for byte.

Candidates (internal weights files) come from indexed lookups only: the tensor-hash index (the
drop's tensors held byte for byte) and the (shape, name) index, probed with the drop's largest
informative tensors (a cast, quantized, pruned or fine-tuned tensor keeps its shape, usually its
name, and correlates with its original). Each candidate is compared tensor by tensor
(``compare_checkpoints``) and the best explanation decides:

- every informative tensor byte-identical to a candidate's (another format, a shard, a subset):
  real when such a candidate is current, else outdated;
- tensors derived from a candidate (cast, quantized, pruned, delta): altered;
- no candidate correlates: fabricated.

Tensors any model of that shape holds are no evidence: constants, index ranges, masks, position
and rotary tables (recognised by content when the records are made), and tensors that are also
held by an internal checkpoint unrelated to the candidate (discounted here, like boilerplate).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from triage.fingerprint.tensors import DERIVED, TensorRecord, classify_pair, compare_checkpoints
from triage.fingerprint.weights import WeightsPrint
from triage.inventory.store import Store
from triage.model import Verdict

# Candidate checkpoints compared in full per dropped file, from each lookup.
MAX_CANDIDATES = 8
# Checkpoints of the same architecture compared when none correlates (to name the closest).
CLOSEST = 2
# Drop tensors that probe the (shape, name) index: the largest informative ones.
PROBE_TENSORS = 8
# Internal tensors read per probe (most recently indexed first).
PROBE_ROWS = 4096
# Holders read per tensor hash (ranking, and unrelated checkpoints sharing a tensor).
HOLDERS_PER_HASH = 64
# Other checkpoints holding the best candidate's identical tensors that are checked for being
# unrelated to it (which makes those tensors boilerplate).
MAX_UNRELATED_CHECKS = 8
# Per-tensor rows listed in the evidence, changed tensors first: report.json stays bounded.
MAX_TENSOR_ROWS = 100
# Evidence kinds of derived tensors, as the report names them.
KIND = {"cast": "cast", "quantized": "quantized", "pruned": "pruned", "fine_tuned": "delta"}
_RANK = {"real": 5, "part-of": 4, "altered": 3, "inconclusive": 1, "fabricated": 0}
_ROW_ORDER = {"fine_tuned": 0, "pruned": 0, "quantized": 0, "cast": 0, "unrelated": 1, "identical": 2,
              "uninformative": 3}
PICKLE_REASON = "pickle not executed: the checkpoint's data.pkl was read as opcodes; no code in it ran"


@dataclass(frozen=True)
class WeightsDecision:
    verdict: Verdict
    confidence: float
    reasons: tuple[str, ...]
    source: int | None  # content id of the internal checkpoint that explains it (closest if fabricated)
    comparison: dict[str, Any] = field(default_factory=dict)  # compare_checkpoints() against it
    candidates: int = 0
    common: int = 0  # tensors discounted as shared with unrelated internal checkpoints


def _strength(informative: int) -> float:
    """Evidence from ``n`` informative tensors (each carries a hash and a 256-value sketch)."""
    return 1.0 - math.exp(-max(informative, 0) / 2.0)


def candidates(store: Store, records: tuple[TensorRecord, ...]
               ) -> tuple[list[int], dict[str, list[int]]]:
    """Internal weights contents worth comparing, and the holders of the drop's tensor hashes."""
    informative = [r for r in records if not r.uninformative]
    holders = store.tensor_holders([r.sha256 for r in informative], HOLDERS_PER_HASH)
    by_hash: Counter[int] = Counter(cid for r in informative for cid in holders.get(r.sha256, []))
    probes = sorted((r for r in informative if r.sha256 not in holders and r.sketch),
                    key=lambda r: (-r.numel, r.name))[:PROBE_TENSORS]
    by_probe: Counter[int] = Counter()
    by_shape: Counter[int] = Counter()  # same name and shape, values unrelated: the closest, if nothing else
    for r in probes:
        rows = store.tensors_like(r.shape, r.name, PROBE_ROWS)
        rows = rows or store.tensors_like(r.shape, None, PROBE_ROWS)  # renamed (e.g. converted to GGUF names)
        best: dict[int, float] = {}
        for cid, rec in rows:
            if rec.uninformative:
                continue
            by_shape[cid] += 1
            status, corr, _rel = classify_pair(r, rec)
            if status != "unrelated":
                best[cid] = max(best.get(cid, 0.0), corr)
        by_probe.update(best)
    picked: list[int] = []
    for counts in (by_hash, by_probe):
        for cid, _n in sorted(counts.items(), key=lambda kv: (-kv[1], -kv[0]))[:MAX_CANDIDATES]:
            if cid not in picked:
                picked.append(cid)
    if not picked:
        picked = [cid for cid, _n in sorted(by_shape.items(), key=lambda kv: (-kv[1], -kv[0]))[:CLOSEST]]
    return picked, holders


def _key(cmp: dict[str, Any], cid: int, current: set[int]) -> tuple:
    """Best explanation first: hint, then closeness, then a current checkpoint, then newest."""
    return (_RANK[cmp["hint"]], cmp["closeness"], -cmp["summary"]["missing"], cid in current, cid)


def _common(store: Store, best: int, cmp: dict[str, Any], holders: dict[str, list[int]],
            records: dict[int, list[TensorRecord]], drop: tuple[TensorRecord, ...]) -> frozenset[str]:
    """Hashes of the best candidate's identical tensors that an unrelated internal checkpoint
    also holds: any model of that shape may have them, so they prove nothing."""
    by_name = {r.name: r.sha256 for r in drop}
    same = {by_name[t["name"]] for t in cmp["tensors"] if t["status"] == "identical"}
    others = sorted({h for sha in same for h in holders.get(sha, []) if h != best})[:MAX_UNRELATED_CHECKS]
    if not others:
        return frozenset()
    missing = [h for h in others if h not in records]
    records.update(store.tensor_records(missing))
    common: set[str] = set()
    for h in others:
        shared = same & {r.sha256 for r in records[h]}
        if compare_checkpoints(records[h], records[best], frozenset(shared))["hint"] == "fabricated":
            common |= shared
    return frozenset(common)


def decide(store: Store, wp: WeightsPrint) -> WeightsDecision:
    """The verdict on a weights file that no internal content equals byte for byte."""
    drop = wp.records
    informative = sum(1 for r in drop if not r.uninformative)
    if not informative:
        why = (f"no informative tensor among its {len(drop)}: only constants, tables, masks or tiny tensors,"
               " which any model of these shapes holds; nothing shows it comes from an internal checkpoint")
        return WeightsDecision(Verdict.FABRICATED, 0.0, (why,), None)
    cids, holders = candidates(store, drop)
    if not cids:
        why = ("no internal checkpoint holds any of its tensors or has tensors of the same name and shape"
               " that correlate with them")
        return WeightsDecision(Verdict.FABRICATED, round(_strength(informative), 3), (why,), None)
    records = store.tensor_records(cids)
    current = store.current_contents(cids)
    results = {cid: compare_checkpoints(list(drop), records[cid]) for cid in cids}
    best = max(cids, key=lambda c: _key(results[c], c, current))
    common = _common(store, best, results[best], holders, records, drop)
    if common:
        results = {cid: compare_checkpoints(list(drop), records[cid], common) for cid in cids}
        best = max(cids, key=lambda c: _key(results[c], c, current))
    hint = results[best]["hint"]
    now = [c for c in cids if c in current and results[c]["hint"] in ("real", "part-of")]
    if hint in ("real", "part-of") and now:
        best = max(now, key=lambda c: _key(results[c], c, current))  # a current holder decides "real"
    cmp = results[best]
    n = cmp["informative"]
    s = cmp["summary"]
    reasons: list[str] = []
    if hint in ("real", "part-of"):
        verdict = Verdict.REAL if now else Verdict.OUTDATED
        which = "a current internal checkpoint" if now else "an older internal checkpoint (none current)"
        reasons.append(f"all {n} informative tensors are byte-identical to tensors of {which}")
        if s["missing"]:
            reasons.append(f"a shard or subset: {s['missing']} informative internal tensors are not in it")
        conf = min(1.0, 0.5 + 0.5 * min(1.0, n / 4))
    elif hint == "altered":
        verdict = Verdict.ALTERED
        kinds = [KIND[k] for k in DERIVED if s[k]]
        derived = sum(s[k] for k in DERIVED)
        reasons.append(f"{s['identical'] + derived} of {n} informative tensors come from an internal"
                       f" checkpoint: {s['identical']} identical, {derived} derived"
                       f" ({', '.join(kinds) or 'none'}), {s['unrelated']} unrelated")
        conf = _strength(n) * min(1.0, 0.5 + cmp["derived_share"] / 2)
    elif hint == "inconclusive":
        verdict = Verdict.FABRICATED
        reasons.append("no informative tensor: only constants, tables, masks or tiny tensors, which any model"
                       " of these shapes holds; nothing shows it comes from an internal checkpoint")
        conf = 0.0
    else:
        verdict = Verdict.FABRICATED
        reasons.append(f"no internal checkpoint correlates: {s['identical'] + sum(s[k] for k in DERIVED)} of"
                       f" {n} informative tensors derive from the closest one")
        conf = _strength(n) * (1.0 - cmp["derived_share"] / 2)
    if common:
        reasons.append(f"{len(common)} tensors shared with unrelated internal checkpoints are not counted")
    return WeightsDecision(verdict, round(conf, 3), tuple(reasons), best, cmp, len(cids), len(common))


def _row(t: dict[str, Any]) -> dict[str, Any]:
    status = t["status"]
    row: dict[str, Any] = {"name": t["name"], "dtype": t["dtype"], "shape": t["shape"],
                           "kind": KIND.get(status, status)}
    for src, dst in (("match", "match"), ("internal_dtype", "internal_dtype"), ("corr", "corr"),
                     ("rel_err", "rel_delta"), ("why", "why"), ("detail", "detail"), ("closest", "closest")):
        if t.get(src) is not None:
            row[dst] = t[src]
    if status == "identical" and t.get("renamed"):
        row["renamed"] = True
    return row


def evidence(wp: WeightsPrint, d: WeightsDecision | None, checkpoint: dict[str, Any] | None,
             checkpoint_format: str | None = None) -> dict[str, Any]:
    """``evidence.weights`` of a finding (bounded in size, whatever the number of tensors)."""
    ev: dict[str, Any] = {"format": wp.format, "tensors": len(wp.records), "informative": wp.informative,
                          "pickle_executed": False, "complete": wp.complete, "notes": list(wp.notes)}
    if d is None or not d.comparison:
        ev.update(tensors_exact=0, tensors_derived=0, checkpoint=checkpoint, per_tensor=[])
        return ev
    cmp = d.comparison
    s = cmp["summary"]
    rows = sorted(cmp["tensors"], key=lambda t: _ROW_ORDER.get(t["status"], 9))
    ev.update(
        informative=cmp["informative"],
        tensors_exact=s["identical"],
        tensors_derived=sum(s[k] for k in DERIVED),
        tensors_unrelated=s["unrelated"],
        tensors_uninformative=s["uninformative"],
        tensors_missing=s["missing"],
        kinds={KIND[k]: s[k] for k in DERIVED if s[k]},
        derived_share=cmp["derived_share"],
        closeness=cmp["closeness"],
        checkpoint=checkpoint,
        converted=checkpoint_format is not None and checkpoint_format != wp.format,
        subset=bool(s["missing"]) and cmp["hint"] in ("real", "part-of"),
        candidates=d.candidates,
        shared_with_unrelated=d.common,
        per_tensor=[_row(t) for t in rows[:MAX_TENSOR_ROWS]],
        per_tensor_omitted=max(0, len(rows) - MAX_TENSOR_ROWS),
    )
    return ev


def exact_evidence(wp: WeightsPrint) -> dict[str, Any]:
    """``evidence.weights`` of a weights file equal byte for byte to internal content: every
    tensor is internal (``tensors_exact`` counts the informative ones, as for tensor matches)."""
    ev = evidence(wp, None, None)
    ev.update(tensors_exact=wp.informative, match="bytes")
    if not wp.ok:
        ev["error"] = wp.error
    return ev


def unread_evidence(wp: WeightsPrint) -> dict[str, Any]:
    """``evidence.weights`` of a weights file whose tensors could not be read (judged as bytes)."""
    return evidence(wp, None, None) | {"error": wp.error}
