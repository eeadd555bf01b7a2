"""report.json: the machine-readable contract (schema ``triage-report/1``).

Fields are only ever added; a change of meaning needs a new schema version. Output is ASCII
(``ensure_ascii``) so no byte from a hostile name can act as a terminal escape or bidi trick.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from triage.model import Finding, Report, Skipped, Verdict


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema": report.schema,
        "tool": report.tool,
        "generated_at": report.generated_at,
        "drop": report.drop,
        "inventory": report.inventory,
        "summary": report.summary,
        "verdict_text": list(report.verdict_text),
        "snapshot": report.snapshot,
        "files": [
            {
                "path": f.path, "size": f.size, "sha256": f.sha256, "mime": f.mime,
                "verdict": f.verdict.value, "confidence": f.confidence, "reasons": list(f.reasons),
                "evidence": f.evidence,
            }
            for f in report.files
        ],
        "skipped": [asdict(s) for s in report.skipped],
        "signatures": list(report.signatures),
        "ruleset": report.ruleset,
        "embedded_repos": list(report.embedded_repos),
        **({"extra": report.extra} if report.extra else {}),
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=True, default=_default) + "\n"


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def from_dict(doc: dict[str, Any]) -> Report:
    """Rebuild the Report from a saved report.json (for re-rendering)."""
    if not str(doc.get("schema", "")).startswith("triage-report/"):
        raise ValueError("not a triage report (no triage-report schema)")
    files = tuple(
        Finding(f["path"], f["size"], f["sha256"], f.get("mime", ""), Verdict(f["verdict"]), f["confidence"],
                tuple(f.get("reasons", ())), f.get("evidence", {}))
        for f in doc.get("files", [])
    )
    skipped = tuple(Skipped(s["path"], s["reason"], s.get("detail", "")) for s in doc.get("skipped", []))
    return Report(doc["schema"], doc.get("tool", {}), doc.get("drop", {}), doc.get("inventory", {}), files,
                  skipped, doc.get("snapshot", {}), doc.get("summary", {}), doc.get("generated_at", ""),
                  tuple(doc.get("verdict_text", ())), tuple(doc.get("signatures", ())), doc.get("ruleset", {}),
                  tuple(doc.get("embedded_repos", ())), doc.get("extra", {}))
