"""The classifier as a pure function: data-driven cases (tests/fixtures/classify/cases.yaml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from triage.classify import Scored, decide_fuzzy, evidence_strength
from triage.compare import Comparison
from triage.model import Verdict

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "classify" / "cases.yaml").read_text())
DEFAULTS = dict(containment_drop=0.0, containment_source=0.0, matched_code=0.0, matched_weight=0.0,
                matched_lines=0, drop_lines=0, source_lines=0, inserted=0, deleted=0, token_containment=None,
                shape_ratio=None, token_shingles=0, code_drop=0.0, code_source=0.0, prefix=False, byte_diff=None,
                run_past_prologue=0.0)


def _scored(i: int, fig: dict, n_drop: int, span: list[int] | None) -> Scored:
    fig = dict(fig)
    lineage = fig.pop("lineage", f"file{i}.py")
    values = {**DEFAULTS, **fig}
    n = max(values["drop_lines"], n_drop)
    mask = np.zeros(n, dtype=bool)
    if span:
        mask[span[0] : span[1]] = True
    else:
        mask[: values["matched_lines"]] = True
    values["inserted"] = values["inserted"] or n - int(mask.sum())
    return Scored(i, lineage, Comparison(matched_drop_mask=mask, **values))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    spans = case.get("concat") or []
    n_drop = max((c.get("drop_lines", 0) for c in case["candidates"]), default=0)
    scored = [_scored(i, c, n_drop, spans[i] if i < len(spans) else None) for i, c in enumerate(case["candidates"])]
    decision = decide_fuzzy(scored, is_text=True, informative_lines=max(n_drop, 10))
    assert decision.verdict is Verdict(case["expect"]), decision.reasons
    assert decision.reasons and 0.0 <= decision.confidence <= 1.0


def test_confidence_grows_with_evidence():
    assert evidence_strength(2) < evidence_strength(20) < evidence_strength(200) <= 1.0
    small = decide_fuzzy([], True, 3)
    large = decide_fuzzy([], True, 300)
    assert small.verdict is large.verdict is Verdict.FABRICATED
    assert small.confidence < 0.5 < large.confidence
