"""The drop's verdict in a few plain sentences a responder can forward (first in every output).

A pure function of the findings: it states counts and dates that the report backs with
evidence, and nothing the evidence does not say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from triage.model import Finding, Skipped, Verdict


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summarize(files: Sequence[Finding], skipped: Sequence[Skipped], snapshot: dict[str, Any],
              signatures: Sequence[dict[str, Any]] = ()) -> tuple[str, ...]:
    total = len(files)
    by = Counter(f.verdict for f in files)
    out: list[str] = []
    genuine = by[Verdict.REAL] + by[Verdict.OUTDATED]
    if total == 0:
        out.append("The drop holds no file that could be triaged.")
    else:
        share = genuine / total
        by_tensor = sum(1 for f in files if (f.evidence.get("weights") or {}).get("match") == "tensors")
        how = (f"internal content (byte for byte, or tensor for tensor for {_n(by_tensor, 'model weights file')}"
               " in other bytes: another format, a shard or a subset)" if by_tensor else "byte-for-byte internal content")
        out.append(
            f"Of {_n(total, 'file')} in the drop, {genuine} ({share:.0%}) are {how}:"
            f" {by[Verdict.REAL]} current and {by[Verdict.OUTDATED]} from older internal versions."
        )
    if snapshot.get("commit"):
        d0, d1 = (snapshot.get("dates") or [None, None])[:2]
        when = f"on {d0[:10]}" if d0 and d0 == d1 else f"between {(d0 or '?')[:10]} and {(d1 or '?')[:10]}"
        out.append(
            f"The exactly matching files fit the internal history {when}"
            f" ({snapshot.get('support', 0)} of {snapshot.get('files', 0)} files consistent):"
            " the copy was most likely taken then."
        )
    altered = [f for f in files if f.verdict is Verdict.ALTERED]
    if altered:
        kinds = Counter(k for f in altered for k in f.evidence.get("change_kinds", []))
        top = ", ".join(k for k, _ in kinds.most_common(3))
        trojan = sum(1 for f in altered if f.evidence.get("trojanized"))
        line = f"{_n(len(altered), 'file')} {'was' if len(altered) == 1 else 'were'} altered from internal files ({top})."
        if trojan:
            who = "it inserts" if len(altered) == 1 else f"{trojan} of them insert{'s' if trojan == 1 else ''}"
            line = line[:-1] + f"; {who} suspicious code (see Containment)."
        out.append(line)
        boxes = sum(1 for f in altered if "repackaged" in f.evidence.get("change_kinds", []))
        if boxes:
            out.append(f"{_n(boxes, 'archive')} in the drop {'repackages' if boxes == 1 else 'repackage'} internal"
                       " files (counted as altered; the files inside are judged one by one).")
    out += _documents(files)
    fabricated = [f for f in files if f.verdict is Verdict.FABRICATED]
    if fabricated:
        at_real = sum(1 for f in fabricated if f.evidence.get("impersonates"))
        line = f"{_n(len(fabricated), 'file')} {'is' if len(fabricated) == 1 else 'are'} not derived from internal content (fabricated)"
        where = ("at a real internal path" if len(fabricated) == 1 else
                 f"{at_real} of them at {'a real internal path' if at_real == 1 else 'real internal paths'}")
        out.append(line + (f", {where}." if at_real else "."))
        deps = Counter(f.evidence["dependency_folder"] for f in fabricated if f.evidence.get("dependency_folder"))
        if deps:
            n = sum(deps.values())
            names = ", ".join(name for name, _ in deps.most_common(3))
            out.append(f"{'It lies' if n == len(fabricated) == 1 else f'{n} of them lie'} in dependency folders"
                       f" ({names}): most likely third-party code the inventory does not hold, not forgeries.")
    rotate = {(s.get("rule"), s.get("redacted")) for s in signatures if s.get("action") == "rotate"}
    if rotate:
        out.append(f"{_n(len(rotate), 'credential')} in the drop must be rotated now (see Containment).")
    if skipped:
        reasons = Counter(s.reason for s in skipped)
        out.append(f"{_n(len(skipped), 'member')} could not be triaged ("
                   + ", ".join(f"{r}: {c}" for r, c in reasons.most_common()) + ").")
    return tuple(out)


def _documents(files: Sequence[Finding]) -> list[str]:
    """Documents whose words are internal in other bytes, and dumps copied or synthetic."""
    out = []
    same = sum(1 for f in files if f.verdict is Verdict.ALTERED
               and (f.evidence.get("document") or {}).get("text_identical"))
    if same:
        verb = "holds" if same == 1 else "hold"
        out.append(f"{_n(same, 'document')} {verb} an internal document's text word for word in other bytes"
                   " (printed, exported or saved again): the content is genuine.")
    tables = [f for f in files if f.verdict in (Verdict.ALTERED, Verdict.FABRICATED)
              and f.evidence.get("table")]
    copied = [f for f in tables if f.verdict is Verdict.ALTERED]
    if copied:
        rows = sum(f.evidence["table"].get("rows", 0) for f in copied)
        internal = sum(f.evidence["table"].get("rows_present", 0) + f.evidence["table"].get("rows_altered", 0)
                       for f in copied)
        verb = "copies" if len(copied) == 1 else "copy"
        out.append(f"{_n(len(copied), 'dump')} {verb} internal tables: {internal} of their {rows} rows exist"
                   " internally (whole or altered).")
    synthetic = len(tables) - len(copied)
    if synthetic:
        its, look = ("its", "looks") if synthetic == 1 else ("their", "look")
        out.append(f"{_n(synthetic, 'dump')} {look} synthetic: most of {its} rows exist in no internal"
                   " table.")
    return out
