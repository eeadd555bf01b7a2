"""Document and dump verdicts from figures alone (no archives, no index)."""

from __future__ import annotations

import numpy as np

from triage.classify import Scored
from triage.classify_documents import decide_document, decide_table, document_change_kinds, metadata_diff
from triage.compare import compare, text_view
from triage.fingerprint.rowprint import TableFigures
from triage.model import Verdict

BOILER = ["This document is confidential and for internal use only.",
          "Figures come from the finance warehouse as of the quarter end."]


def specific(tag: str, n: int = 10) -> list[str]:
    return [f"Project {tag} moved {i * 37 + len(tag)} units for the {tag} rollout in week {i + 3}." for i in range(n)]


def scored(drop: list[str], internal: dict[int, list[str]], common: set[str] = frozenset()) -> list[Scored]:
    """Compare with the boilerplate discount: lines in ``common`` weigh 0.1."""
    dview = text_view("\n".join(drop))
    heavy = {int(h) for line in common for h in text_view(line).hashes}

    def weight(hashes: np.ndarray) -> np.ndarray:
        return np.array([0.1 if int(h) in heavy else 1.0 for h in hashes])

    return [Scored(cid, f"doc{cid}", compare(dview, text_view("\n".join(lines)), weight))
            for cid, lines in internal.items()]


def test_identical_text_is_converted():
    lines = BOILER + specific("a")
    d = decide_document(scored(lines, {1: lines, 2: specific("b")}), identical={1}, informative_lines=12)
    assert d.verdict is Verdict.ALTERED and d.sources[0].key == 1 and "converted" in d.reasons[0]


def test_edited_and_excerpted_documents_are_altered():
    base = BOILER + specific("a", 12)
    edited = base[:5] + ["An invented sentence about a secret deal in week 9."] + base[5:]
    d = decide_document(scored(edited, {1: base}), set(), 13)
    assert d.verdict is Verdict.ALTERED
    excerpt = base[4:8]
    assert decide_document(scored(excerpt, {1: base}), set(), 4).verdict is Verdict.ALTERED


def test_shared_template_is_not_evidence():
    forged = BOILER + specific("zz", 2)  # the house template and invented content
    real = BOILER + specific("a", 4)
    got = decide_document(scored(forged, {1: real}, common=set(BOILER)), set(), 4)
    assert got.verdict is Verdict.FABRICATED
    # Without the boilerplate discount the same two lines would make it look derived.
    assert decide_document(scored(forged, {1: real}), set(), 4).verdict is Verdict.ALTERED


def test_mosaic_of_two_documents_names_both():
    a, b = specific("a", 10), specific("b", 10)
    d = decide_document(scored(a[:5] + b[5:], {1: a, 2: b}), set(), 10)
    assert d.verdict is Verdict.ALTERED and {s.key for s in d.sources} == {1, 2}
    assert "2 internal documents" in d.reasons[0]


def test_nothing_in_common_is_fabricated():
    d = decide_document([], set(), 10)
    assert d.verdict is Verdict.FABRICATED and d.sources == ()


def test_change_kinds():
    base = specific("a", 8)
    v = text_view("\n".join(base))

    def kinds(lines: list[str], identical: bool = False, converted: bool = False) -> list[str]:
        return document_change_kinds(text_view("\n".join(lines)), v, identical, converted)

    assert kinds(base, identical=True) == ["converted"]
    assert kinds([x.replace("week 5", "week 50") for x in base]) == ["figures-changed"]
    assert kinds(base[:3] + ["New sentence here."] + base[3:], converted=True) == ["converted", "passages-inserted"]
    assert kinds(base[:5]) == ["truncated"]
    assert kinds(base[:2] + ["Completely different words now."] + base[3:]) == ["passages-edited"]
    assert kinds(base[:2] + base[3:]) == ["passages-deleted"]


def test_metadata_diff_field_by_field():
    diff, same = metadata_diff(
        {"author": "Mallory", "pages": 3, "custom": {"Classification": "Public", "Owner": "x"}},
        {"author": "Dana", "pages": "3", "revision": "9", "custom": {"Classification": "Internal", "Owner": "x"}},
    )
    assert diff == {"author": {"drop": "Mallory", "internal": "Dana"},
                    "custom.Classification": {"drop": "Public", "internal": "Internal"},
                    "revision": {"drop": None, "internal": "9"}}
    assert same == ["custom.Owner", "pages"]


def _fig(rows: int, present: int, altered: int = 0, elsewhere: int = 0, covered: float = 1.0) -> TableFigures:
    return TableFigures(rows, present, altered, elsewhere, rows - present - altered - elsewhere, 0, 100, covered, {})


def test_table_verdicts_from_row_shares():
    d, kinds = decide_table(_fig(100, 100))
    assert d.verdict is Verdict.ALTERED and kinds == ["converted"]
    assert decide_table(_fig(40, 40, covered=0.4))[1] == ["rows-subset"]
    assert decide_table(_fig(100, 80, altered=20))[1] == ["rows-altered"]
    assert decide_table(_fig(100, 60, covered=0.6))[1] == ["rows-subset", "rows-added"]
    assert decide_table(_fig(100, 30, elsewhere=30, covered=0.3))[1] == ["rows-subset", "rows-added", "rows-merged"]
    synthetic, kinds = decide_table(_fig(100, 15, covered=0.15))
    assert synthetic.verdict is Verdict.FABRICATED and kinds == [] and "85 of its 100 rows" in synthetic.reasons[0]
