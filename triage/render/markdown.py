"""report.md: the same report for a person. Verdict first, then the files that need attention
(altered, fabricated, outdated), then the rest, then what was not triaged and why.

Everything that comes from the drop is shown inside code spans with backticks and control
characters neutralised, so a hostile name cannot break out of the table or fake a heading.
"""

from __future__ import annotations

from triage.model import Finding, Report, Verdict

ATTENTION = (Verdict.ALTERED, Verdict.FABRICATED, Verdict.OUTDATED)


def code(s: object) -> str:
    """Render any string from the drop as an inert inline code span."""
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in str(s))
    text = text.replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def _short(h: str | None, n: int = 12) -> str:
    return (h or "")[:n]


def render(report: Report) -> str:
    s = report.summary
    out: list[str] = ["# triage validation report", ""]
    if report.verdict_text:
        out += [*report.verdict_text, ""]
    out += [
        f"Drop: {code(report.drop.get('path'))} ({report.drop.get('kind', '')}, {report.drop.get('size', 0)} bytes,"
        f" sha256 {code(report.drop.get('sha256') or '-')})",
        f"Inventory: {code(report.inventory.get('db'))}, digest {code(_short(report.inventory.get('digest'), 16))}",
        f"Generated: {report.generated_at} by triage {report.tool.get('version', '')} (schema {report.schema})",
        "",
        "## Verdicts",
        "",
        "| real | outdated | altered | fabricated | skipped |",
        "|---:|---:|---:|---:|---:|",
        f"| {s.get('real', 0)} | {s.get('outdated', 0)} | {s.get('altered', 0)} | {s.get('fabricated', 0)} |"
        f" {s.get('skipped', 0)} |",
        "",
    ]
    out += _snapshot(report)
    for verdict in ATTENTION:
        files = [f for f in report.files if f.verdict is verdict]
        if not files:
            continue
        out += [f"## {verdict.value.capitalize()} ({len(files)})", ""]
        for f in files:
            out += _file_block(f)
    real = [f for f in report.files if f.verdict is Verdict.REAL]
    if real:
        out += [f"## Real ({len(real)})", "", "| file | internal path | first seen | sha256 |", "|---|---|---|---|"]
        for f in real:
            m = (f.evidence.get("matches") or [{}])[0]
            moved = " (moved)" if f.evidence.get("moved") else ""
            out.append(f"| {code(f.path)} | {code(m.get('path', ''))}{moved} | {m.get('first_seen') or ''} |"
                       f" {code(_short(f.sha256))} |")
        out.append("")
    if report.skipped:
        out += [f"## Not triaged ({len(report.skipped)})", "", "| member | reason | detail |", "|---|---|---|"]
        for sk in report.skipped:
            out.append(f"| {code(sk.path)} | {sk.reason} | {code(sk.detail) if sk.detail else ''} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _snapshot(report: Report) -> list[str]:
    snap = report.snapshot or {}
    if not snap.get("commit"):
        return ["## Snapshot", "", "No file matched internal content exactly at its path: no snapshot window.", ""]
    w = snap.get("window", [None, None])
    d = snap.get("dates", [None, None])
    return [
        "## Snapshot",
        "",
        f"Consistent with commits {code(_short(w[0]))} ({d[0]}) to {code(_short(w[1]))} ({d[1]}):"
        f" {snap.get('support', 0)} of {snap.get('files', 0)} exactly matched files fit that window.",
        "",
    ]


def _file_block(f: Finding) -> list[str]:
    ev = f.evidence
    lines = [f"### {code(f.path)}", "",
             f"- verdict: **{f.verdict.value}** (confidence {f.confidence:.2f}); sha256 {code(_short(f.sha256, 16))},"
             f" {f.size} bytes, {f.mime}"]
    for r in f.reasons:
        lines.append(f"- {r}")
    if f.verdict is Verdict.OUTDATED:
        for m in (ev.get("matches") or [])[:3]:
            lines.append(f"- internal: {code(m.get('path'))} from {m.get('first_seen')} to {m.get('last_seen')},"
                         f" introduced in {code(_short((m.get('commits') or [''])[0]))}")
    if f.verdict is Verdict.ALTERED:
        for src in ev.get("derived_from", []):
            occ = (src.get("occurrences") or [{}])[0]
            sim = src.get("similarity", {})
            ch = src.get("changes", {})
            lines.append(
                f"- derived from {code(occ.get('path'))} blob {code(_short(src.get('blob')))}"
                f" (first seen {occ.get('first_seen')}, commit {code(_short((occ.get('commits') or [''])[0]))}):"
                f" {sim.get('containment_drop', 0):.0%} of this file comes from it,"
                f" {sim.get('containment_source', 0):.0%} of it survives here;"
                f" change: {', '.join(ch.get('kinds', []))}; +{ch.get('inserted', 0)} / -{ch.get('deleted', 0)} lines"
            )
            hunks = ch.get("hunks", [])
            if hunks:
                lines += ["", "```diff"]
                for h in hunks[:4]:
                    lines.append(h["header"])
                    lines += [_inert(x) for x in h["lines"]]
                    if h.get("truncated"):
                        lines.append("... (hunk truncated)")
                lines += ["```", ""]
    if f.verdict is Verdict.FABRICATED:
        if ev.get("impersonates"):
            lines.append(f"- sits at a real internal path: impersonates {code(ev['impersonates'])}")
        closest = ev.get("closest")
        if closest:
            sim = closest.get("similarity", {})
            lines.append(f"- closest internal content: {code(closest.get('path'))} blob {code(_short(closest.get('blob')))},"
                         f" {sim.get('containment_drop', 0):.0%} of this file aligned with it")
    lines.append("")
    return lines


def _inert(line: str) -> str:
    text = "".join(ch if ch.isprintable() or ch == "\t" else f"\\x{ord(ch):02x}" for ch in line)
    return text.replace("```", "'''")
