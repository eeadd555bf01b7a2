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
    out += _signatures(report)
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
    out += _weights(report)
    out += _embedded(report)
    if report.skipped:
        out += [f"## Not triaged ({len(report.skipped)})", "", "| member | reason | detail |", "|---|---|---|"]
        for sk in report.skipped:
            out.append(f"| {code(sk.path)} | {sk.reason} | {code(sk.detail) if sk.detail else ''} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _signatures(report: Report) -> list[str]:
    """Containment (credentials to rotate, trojanized copies), Attribution (canaries), Markers.
    Secrets appear only in their redacted form."""
    hits = list(report.signatures)
    out: list[str] = []
    rotate = [h for h in hits if h.get("action") == "rotate"]
    trojan = [f for f in report.files if f.evidence.get("trojanized")]
    out += ["## Containment", ""]
    if not rotate and not trojan:
        out += ["No credential and no suspicious inserted code was found"
                f" (ruleset {code(_short(report.ruleset.get('id'), 16))}, {report.ruleset.get('rules', 0)} rules).", ""]
    if rotate:
        out += [f"Credentials to rotate ({len(rotate)}):", "", "| rule | file | line | value (redacted) |",
                "|---|---|---:|---|"]
        for h in rotate:
            out.append(f"| {h.get('rule')} | {code(h.get('path'))} | {h.get('line') or ''} | {code(h.get('redacted'))} |")
        out.append("")
    for f in trojan:
        out.append(f"- trojanized copy: {code(f.path)} inserts suspicious code into its internal source:")
        for h in f.evidence.get("suspicious_insertions", [])[:10]:
            out.append(f"  - line {h.get('line')}: {h.get('rule')}: {code(h.get('excerpt') or h.get('redacted'))}")
    if trojan:
        out.append("")
    canaries = [h for h in hits if h.get("kind") == "canary"]
    if canaries:
        out += ["## Attribution", ""]
        for h in canaries:
            who = h.get("recipient") or "unknown recipient (canary-shaped token not on the list)"
            out.append(f"- {code(h.get('path'))} line {h.get('line')}: {h.get('rule')} names {code(who)}")
        out.append("")
    markers = [h for h in hits if h.get("kind") == "marker"]
    if markers:
        out += ["## Markers", ""]
        for h in markers[:100]:
            out.append(f"- {code(h.get('path'))} line {h.get('line')}: {h.get('rule')}: {code(h.get('excerpt') or h.get('redacted'))}")
        out.append("")
    return out


def _embedded(report: Report) -> list[str]:
    out: list[str] = []
    for r in report.embedded_repos:
        out += [f"## Git data in the drop: {code(r.get('path'))} ({r.get('kind')})", "",
                f"{r.get('commits', 0)} commits: {r.get('internal', 0)} exist internally,"
                f" {r.get('foreign', 0)} are foreign (not in the inventory).", ""]
        for c in r.get("foreign_commits", [])[:30]:
            out.append(f"- foreign {code(_short(c.get('oid')))} {c.get('committer_date') or c.get('author_date')}"
                       f" by {code(c.get('author'))}: {code(c.get('subject'))}")
        for n in r.get("notes", [])[:10]:
            out.append(f"- note: {code(n)}")
        out.append("")
    return out


def _snapshot(report: Report) -> list[str]:
    snap = report.snapshot or {}
    out = ["## Snapshot", ""]
    if snap.get("as_of"):
        out += [f"Real and outdated are judged against the default branch as of {snap['as_of']}.", ""]
    if not snap.get("commit"):
        return out + ["No file matched internal content exactly at its path: no snapshot window.", ""]
    for i, w in enumerate(snap.get("windows") or [snap]):
        label = "Main window" if i == 0 else f"Window {i + 1}"
        win, dates = w.get("window", [None, None]), w.get("dates", [None, None])
        out.append(
            f"- {label}: {code(_short(win[0]))} ({dates[0]}) to {code(_short(win[1]))} ({dates[1]}),"
            f" {w.get('commit_count', len(w.get('commits', [])))} commits on {code(w.get('branch') or '?')};"
            f" {w.get('support', 0)} of {snap.get('dated_files', snap.get('files', 0))} dated files fit it"
            + (f" ({w['via_source']} through the source of an altered file)" if w.get("via_source") else "")
        )
    if snap.get("mixed"):
        out.append("- The drop mixes moments: its files come from more than one point of the history.")
    out.append("")
    contra = snap.get("contradicting") or []
    if contra:
        out += [f"Files that do not fit the main window ({len(contra)}):", ""]
        for c in contra[:30]:
            need = c.get("needs")
            where = (f"would need {need['dates'][0]} to {need['dates'][1]}" if need else "held nowhere at that path")
            out.append(f"- {code(c['path'])}: {where}")
        out.append("")
    out += _timeline(report)
    return out


def _timeline(report: Report, width: int = 48, rows: int = 40) -> list[str]:
    """Each dated file's life span as a text bar, with the main window marked by ``|``."""
    from datetime import datetime

    def ts(s: str | None) -> float | None:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() if s else None

    spans = []
    for f in report.files:
        m = (f.evidence.get("matches") or [{}])[0]
        a, b = ts(m.get("first_seen")), ts(m.get("last_seen"))
        if a is not None and b is not None and not f.evidence.get("moved"):
            spans.append((f.path, a, b))
    dates = (report.snapshot or {}).get("dates") or [None, None]
    w0, w1 = ts(dates[0]), ts(dates[1])
    if not spans or w0 is None or w1 is None:
        return []
    lo = min(min(a for _, a, _ in spans), w0)
    hi = max(max(b for _, _, b in spans), w1)
    scale = (hi - lo) or 1.0

    def col(t: float) -> int:
        return min(width - 1, int((t - lo) / scale * (width - 1)))

    out = ["Timeline (each file's life span at its path; `|` marks the main window):", "", "```"]
    spans.sort(key=lambda s: (s[1], s[2], s[0]))
    for path, a, b in spans[:rows]:
        bar = [" "] * width
        for k in range(col(a), col(b) + 1):
            bar[k] = "="
        for k in (col(w0), col(w1)):
            bar[k] = "|"
        name = _inert(path)[-40:]
        out.append(f"{''.join(bar)}  {name}")
    if len(spans) > rows:
        out.append(f"... {len(spans) - rows} more files")
    out += [f"{datetime.fromtimestamp(lo).date()}{' ' * (width - 20)}{datetime.fromtimestamp(hi).date()}", "```", ""]
    return out


def _file_block(f: Finding) -> list[str]:
    ev = f.evidence
    lines = [f"### {code(f.path)}", "",
             f"- verdict: **{f.verdict.value}** (confidence {f.confidence:.2f}); sha256 {code(_short(f.sha256, 16))},"
             f" {f.size} bytes, {f.mime}"]
    for r in f.reasons:
        lines.append(f"- {r}")
    if isinstance(ev.get("document"), dict):
        lines += _document(ev["document"])
    if isinstance(ev.get("table"), dict):
        lines += _table(ev["table"])
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
    if ev.get("weights"):
        lines += _weights_block(ev["weights"])
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


# Document metadata fields shown first (the evidence the issue names), then the rest, capped.
META_FIRST = ("author", "last_modified_by", "created", "modified", "revision", "producer", "creator",
              "application", "last_printed", "title", "company", "from", "date", "x-mailer")
MAX_META_ROWS = 24


def _meta_order(keys: list[str]) -> list[str]:
    first = [k for k in META_FIRST if k in keys]
    custom = sorted(k for k in keys if k.startswith("custom."))
    rest = sorted(k for k in keys if k not in first and k not in custom)
    return (first + custom + rest)[:MAX_META_ROWS]


def _document(doc: dict) -> list[str]:
    """The document's extracted text against its internal version, and its metadata."""
    lines = [f"- document: {doc.get('kind')}, {doc.get('lines', 0)} sentences, text sha256"
             f" {code(_short(doc.get('text_sha256'), 16))}"]
    src = doc.get("source") if isinstance(doc.get("source"), dict) else None
    if doc.get("error"):
        lines.append(f"- document text could not be read: {code(doc['error'])}")
    if src:
        where = f"the internal {src.get('kind')} {code(src.get('path'))}"
        if doc.get("text_identical"):
            lines.append(f"- text identical to {where} (text sha256 {code(_short(src.get('text_sha256'), 16))},"
                         f" file sha256 {code(_short(src.get('sha256'), 16))}):"
                         " the words are internal, the bytes are not")
        else:
            lines.append(f"- text differs from {where}: changed passages below")
    for n in doc.get("notes") or []:
        lines.append(f"- document note: {code(n)}")
    diff = doc.get("metadata_diff") if isinstance(doc.get("metadata_diff"), dict) else None
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if src and diff is not None:
        same = doc.get("metadata_same") or []
        lines += ["", f"Metadata against the internal version ({len(diff)} fields differ"
                  + (f"; same: {', '.join(code(x) for x in same[:12])}" if same else "") + "):", ""]
        if diff:
            lines += ["| field | this file | internal version |", "|---|---|---|"]
            for k in _meta_order(list(diff)):
                d = diff[k] if isinstance(diff[k], dict) else {}
                lines.append(f"| {code(k)[1:-1]} | {_cell(d.get('drop'))} | {_cell(d.get('internal'))} |")
        lines.append("")
    elif meta:
        flat = {k: v for k, v in meta.items() if k != "custom"}
        flat.update({f"custom.{k}": v for k, v in (meta.get("custom") or {}).items()})
        lines += ["", "| metadata | value |", "|---|---|"]
        lines += [f"| {code(k)[1:-1]} | {_cell(flat[k])} |" for k in _meta_order(list(flat))]
        lines.append("")
    return lines


# Per-tensor rows shown per file in report.md (report.json holds up to its own bound).
MD_TENSOR_ROWS = 20


def _checkpoint(c: dict | None) -> str:
    if not c:
        return "none"
    versions = ", ".join(v for v in c.get("versions") or [] if v != "latest")
    return (f"{code(c.get('path'))} ({c.get('format')}, {c.get('tensors')} tensors, source {code(c.get('source'))}"
            + (f", {code(versions)}" if versions else "") + (", current" if c.get("current") else "") + ")")


def _weights(report: Report) -> list[str]:
    """One line per model weights file: what matched, tensor by tensor, and that no pickle ran."""
    files = [f for f in report.files if f.evidence.get("weights")]
    if not files:
        return []
    out = [f"## Model weights ({len(files)})", "",
           "Tensors are compared by their SHA-256 and by value sketches; a torch pickle is never executed.", "",
           "| file | verdict | format | tensors | identical | derived | internal checkpoint |",
           "|---|---|---|---:|---:|---:|---|"]
    for f in files:
        w = f.evidence["weights"]
        where = (w.get("checkpoint") or (f.evidence.get("matches") or [{}])[0]).get("path")
        how = "same bytes" if w.get("match") == "bytes" else "same tensors" if w.get("match") == "tensors" else ""
        kinds = ", ".join(f"{k} {n}" for k, n in (w.get("kinds") or {}).items())
        out.append(f"| {code(f.path)} | {f.verdict.value} | {w.get('format')} | {w.get('tensors', 0)} |"
                   f" {w.get('tensors_exact', 0)} | {w.get('tensors_derived', 0)}{f' ({kinds})' if kinds else ''} |"
                   f" {code(where) if where else ''}{f' ({how})' if how else ''} |")
    out.append("")
    return out


def _weights_block(w: dict) -> list[str]:
    lines = [f"- model weights ({w.get('format')}): {w.get('tensors', 0)} tensors, {w.get('informative', 0)} informative;"
             f" {w.get('tensors_exact', 0)} identical, {w.get('tensors_derived', 0)} derived,"
             f" {w.get('tensors_unrelated', 0)} unrelated, {w.get('tensors_missing', 0)} internal tensors missing;"
             f" pickle executed: {'yes' if w.get('pickle_executed') else 'no'}"]
    if w.get("error"):
        lines.append(f"- weights not readable: {code(w['error'])}")
    if w.get("checkpoint"):
        lines.append(f"- internal checkpoint: {_checkpoint(w['checkpoint'])}")
    if w.get("closest"):
        lines.append(f"- closest internal checkpoint (values unrelated): {_checkpoint(w['closest'])}")
    for n in (w.get("notes") or [])[:5]:
        lines.append(f"- note: {code(n)}")
    rows = [t for t in w.get("per_tensor") or [] if t.get("kind") not in ("identical", "uninformative")]
    if rows:
        lines += ["", "| tensor | dtype | shape | kind | internal | correlation | relative delta |",
                  "|---|---|---|---|---|---:|---:|"]
        for t in rows[:MD_TENSOR_ROWS]:
            corr = f"{t['corr']:.4f}" if isinstance(t.get("corr"), (int, float)) else ""
            rel = f"{t['rel_delta']:.4f}" if isinstance(t.get("rel_delta"), (int, float)) else ""
            lines.append(f"| {code(t.get('name'))} | {t.get('dtype')} | {code(t.get('shape'))} | {t.get('kind')} |"
                         f" {code(t.get('match') or t.get('closest') or '')} {t.get('internal_dtype', '')} | {corr} | {rel} |")
        more = len(rows) - MD_TENSOR_ROWS + (w.get("per_tensor_omitted") or 0)
        if more > 0:
            lines.append(f"| ... {more} more tensors in report.json | | | | | | |")
        lines.append("")
    return lines


def _cell(v: object) -> str:
    if v is None:
        return "-"
    text = str(v)
    return code(text if len(text) <= 120 else text[:117] + "...")


def _table(t: dict) -> list[str]:
    """A dump's rows: present in the internal table, altered, elsewhere, nowhere."""
    n = t.get("rows", 0) or 0
    src = t.get("source") if isinstance(t.get("source"), dict) else {}

    def pct(k: str) -> str:
        return f"{(t.get('shares') or {}).get(k, 0):.0%}"

    where = f"the internal table {code(src.get('path'))}" if src.get("path") else "the internal table"
    lines = [f"- table ({t.get('kind')}): {n} rows: {t.get('rows_present', 0)} exist in {where}"
             f" ({pct('present')}),"
             f" {t.get('rows_altered', 0)} are altered rows ({pct('altered')}),"
             f" {t.get('rows_elsewhere', 0)} exist in other internal tables,"
             f" {t.get('rows_absent', 0)} exist nowhere ({pct('absent')})"]
    if t.get("rows_internal"):
        lines.append(f"- the internal table has {t['rows_internal']} rows; {t.get('internal_covered', 0):.0%}"
                     " of them are in this file")
    if t.get("altered_columns"):
        cols = ", ".join(f"{code(k)} ({v})" for k, v in list(t["altered_columns"].items())[:12])
        lines.append(f"- altered rows (same key {', '.join(code(k) for k in t.get('key_columns') or [])})"
                     f" differ in: {cols}")
    for note in t.get("notes") or []:
        lines.append(f"- table note: {code(note)}")
    return lines


def _inert(line: str) -> str:
    text = "".join(ch if ch.isprintable() or ch == "\t" else f"\\x{ord(ch):02x}" for ch in line)
    return text.replace("```", "'''")
