"""report.html: one self-contained page for responders, lawyers and executives.

Order: the drop's verdict in sentences, the counts (an SVG chart drawn here, so it shows without
JavaScript), the snapshot window and a timeline of the exactly matched files, the credentials to
rotate, a table of every file, the evidence per file (side-by-side diffs for altered files), the
members not triaged, and where the report comes from.

Safe to open: no network request of any kind (a Content-Security-Policy allows only inline
styles, ``data:`` images and the one inline script, pinned by its SHA-256); every string that
comes from the drop is HTML-escaped, and control, bidi and other invisible format characters are
shown as visible escapes (``\\u202e``) so a name cannot run, hide or reorder anything. The page
reads fully without JavaScript; the script only adds sorting, filtering and open-all-on-print.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any

from triage.model import VERDICT_ORDER, Finding, Report, Verdict

# Timeline rows beyond this make the chart unreadable; the table below still lists every file.
MAX_TIMELINE_BARS = 60
# Diff rows shown per internal source; the JSON keeps every hunk.
MAX_DIFF_ROWS = 400

MEANING = {
    "real": "bytes equal the current internal content of some file",
    "outdated": "bytes equal an older internal version, and no current one",
    "altered": "derived from internal content, then modified",
    "fabricated": "not derived from internal content",
    "skipped": "not triaged (refused or unreadable member)",
}
KINDS = ("real", "outdated", "altered", "fabricated", "skipped")
_RANK = {v.value: i for i, v in enumerate(VERDICT_ORDER)}
_INVISIBLE = frozenset(("Cf", "Zl", "Zp", "Cs"))


# --- escaping -----------------------------------------------------------------------------------

def _escape_char(ch: str, keep_tab: bool) -> str | None:
    """The visible escape for a character that must not reach a reader raw, else None."""
    code = ord(ch)
    if ch == "\t" and keep_tab:
        return None
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if code > 0x7F and unicodedata.category(ch) in _INVISIBLE:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return None


def visible(value: object, keep_tab: bool = False) -> str:
    """``value`` as text with C0/C1 controls, bidi/zero-width format characters, line and
    paragraph separators and lone surrogates replaced by visible ``\\xNN``/``\\uNNNN`` escapes.
    Backslashes are left alone: names in a report are already escaped by the reader."""
    text = str(value)
    return "".join(_escape_char(ch, keep_tab) or ch for ch in text)


def attr(value: object) -> str:
    """For attribute values: visible escapes, then HTML-escaped with quotes."""
    return html.escape(visible(value), quote=True)


def text(value: object, keep_tab: bool = False) -> str:
    """For element content: HTML-escaped, with each visible escape marked so it stands out."""
    out: list[str] = []
    plain: list[str] = []
    for ch in str(value):
        esc = _escape_char(ch, keep_tab)
        if esc is None:
            plain.append(ch)
            continue
        if plain:
            out.append(html.escape("".join(plain), quote=True))
            plain = []
        out.append(f'<span class="ctl" title="invisible or control character">{html.escape(esc)}</span>')
    if plain:
        out.append(html.escape("".join(plain), quote=True))
    return "".join(out)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, (list, tuple)) else []


def _num(value: Any, fmt: str = "{:,}") -> str:
    try:
        return fmt.format(value)
    except (TypeError, ValueError):
        return text(value) if value is not None else ""


def _pct(value: Any) -> str:
    return _num(value, "{:.0%}") if isinstance(value, (int, float)) else ""


def _short(value: Any, n: int = 12) -> str:
    s = str(value or "")
    if len(s) <= n:
        return text(s)
    return f'<span title="{attr(s)}">{text(s[:n])}…</span>'


def _badge(verdict: str) -> str:
    v = verdict if verdict in MEANING else "unknown"
    return f'<span class="badge v-{v}">{text(verdict)}</span>'


# --- the inline script (its hash goes in the CSP) ------------------------------------------------

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("files-table");
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var controls = document.getElementById("file-controls");
  var fv = document.getElementById("f-verdict");
  var ft = document.getElementById("f-type");
  var fp = document.getElementById("f-path");
  var count = document.getElementById("f-count");
  var rank = {altered: 0, fabricated: 1, outdated: 2, real: 3};
  controls.hidden = false;
  function apply() {
    var v = fv.value, t = ft.value, p = fp.value.toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!v || r.dataset.verdict === v) && (!t || r.dataset.type === t) &&
               (!p || r.dataset.path.toLowerCase().indexOf(p) >= 0);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    count.textContent = n + " of " + rows.length + " files shown";
  }
  fv.addEventListener("change", apply);
  ft.addEventListener("change", apply);
  fp.addEventListener("input", apply);
  function keyOf(r, key) {
    if (key === "verdict") { return rank[r.dataset.verdict]; }
    if (key === "idx" || key === "size" || key === "conf") { return parseFloat(r.dataset[key]); }
    return (r.dataset[key] || "").toLowerCase();
  }
  table.querySelectorAll("th[data-key]").forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () {
      var key = th.dataset.key;
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      table.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = keyOf(a, key), y = keyOf(b, key);
        if (x < y) { return -dir; }
        if (x > y) { return dir; }
        return parseFloat(a.dataset.idx) - parseFloat(b.dataset.idx);
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  apply();
})();
"""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; img-src data:; "
       "base-uri 'none'; form-action 'none'")

CSS = """
:root { --ink: #1d2329; --muted: #5b6570; --rule: #d9dee3; --bg: #ffffff; --soft: #f5f7f9;
  --real: #2e7d32; --outdated: #607d8b; --altered: #d08a00; --fabricated: #c62828; --skipped: #8d8d8d; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--ink); background: var(--bg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
code, .mono, .hash, .path, pre, .diff { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
  "Liberation Mono", monospace; }
.meta { color: var(--muted); margin: 0 0 16px; }
.meta .hash { font-size: 12px; }
.verdict { border-left: 6px solid var(--vc, var(--outdated)); background: var(--soft); padding: 12px 18px;
  margin: 12px 0 18px; }
.verdict p { font-size: 16px; margin: 4px 0; }
.verdict.v-real { --vc: var(--real); } .verdict.v-outdated { --vc: var(--outdated); }
.verdict.v-altered { --vc: var(--altered); } .verdict.v-fabricated { --vc: var(--fabricated); }
.summary { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.summary svg { flex: 0 1 520px; max-width: 520px; }
.summary table { flex: 1 1 360px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { font-weight: 600; background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path { word-break: break-all; }
td.type { white-space: nowrap; font-size: 12px; color: var(--muted); }
td.hash, span.hash { font-size: 12px; color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 3px; font-size: 12px; font-weight: 600;
  border: 1px solid var(--c); color: var(--c); background: var(--bg); white-space: nowrap; }
.v-real { --c: var(--real); } .v-outdated { --c: var(--outdated); } .v-altered { --c: #9a6400; }
.v-fabricated { --c: var(--fabricated); } .v-skipped, .v-unknown { --c: var(--skipped); }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
svg .f-real { fill: var(--real); } svg .f-outdated { fill: var(--outdated); }
svg .f-altered { fill: var(--altered); } svg .f-fabricated { fill: var(--fabricated); }
svg .f-skipped { fill: var(--skipped); }
svg .track { fill: var(--soft); } svg .axis { stroke: var(--rule); } svg .tick { fill: var(--muted); font-size: 10px; }
svg .window { fill: #1f4e8c; fill-opacity: 0.10; stroke: #1f4e8c; stroke-dasharray: 3 2; }
svg .window.alt { fill: #6a4c93; fill-opacity: 0.08; stroke: #6a4c93; stroke-dasharray: 1 2; }
svg .window-label { fill: #1f4e8c; font-size: 10px; font-weight: 600; }
ul.windows { margin: 6px 0; padding-left: 20px; }
svg .off { fill-opacity: 0.35; stroke: var(--ink); stroke-width: 0.6; stroke-dasharray: 2 1; }
svg .label { font-size: 10px; font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
.note { color: var(--muted); font-size: 13px; }
.ctl { color: #b00020; background: #fde8ea; border-radius: 2px; padding: 0 1px; font-family: ui-monospace, Menlo,
  Consolas, monospace; font-size: 0.92em; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; }
.controls label { color: var(--muted); }
.controls input, .controls select { font: inherit; padding: 2px 6px; }
button.sort { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button.sort::after { content: " \\25B2"; font-size: 10px; }
th[aria-sort="descending"] button.sort::after { content: " \\25BC"; font-size: 10px; }
details { border: 1px solid var(--rule); border-radius: 4px; margin: 8px 0; padding: 0 12px; }
details[open] { padding-bottom: 10px; }
summary { cursor: pointer; padding: 8px 0; word-break: break-all; }
summary .path { font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-all; }
ul.reasons { margin: 4px 0 8px; padding-left: 20px; }
table.diff { table-layout: fixed; font-size: 12px; margin: 6px 0 12px; border: 1px solid var(--rule); }
table.diff col.n { width: 3.6em; }
table.diff th { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 12px; }
table.diff td { border: 0; padding: 0 6px; white-space: pre-wrap; word-break: break-all; }
table.diff td.n { color: var(--muted); text-align: right; user-select: none; background: var(--soft); }
table.diff tr.hunk td { background: #eef2f7; color: var(--muted); padding: 2px 6px; }
table.diff td.del { background: #fdecea; } table.diff td.add { background: #e6f4ea; }
table.diff td.none { background: #f3f3f3; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .controls, button.sort::after { display: none !important; }
  details { border: 0; padding: 0; }
  summary { list-style: none; }
  h2 { break-after: avoid; } tr, .verdict, svg, table.diff tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# --- the page ----------------------------------------------------------------------------------

def render(report: Report) -> str:
    """The whole page as one string (deterministic: same report, same bytes)."""
    drop = _d(report.drop)
    name = str(drop.get("path") or "drop").replace("\\", "/").rsplit("/", 1)[-1]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>triage report: {text(name)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>triage validation report</h1>",
        _meta_line(report),
        "</header>",
        "<main>",
        _verdict(report),
        _summary(report),
        _snapshot(report),
        _credentials(report),
        _files_table(report),
        _evidence(report),
        _skipped(report),
        _provenance(report),
        "</main>",
        f"<footer>Generated {text(report.generated_at)} by triage {text(_d(report.tool).get('version', ''))}"
        f" (report schema {text(report.schema)}). This page is self-contained: it loads nothing and sends nothing."
        " The manifest.json beside it records the SHA-256 of every report file.</footer>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _meta_line(report: Report) -> str:
    drop = _d(report.drop)
    size = drop.get("size")
    sha = drop.get("sha256")
    return (f'<p class="meta">Drop <code>{text(drop.get("path", ""))}</code>'
            f' ({text(drop.get("kind", ""))}{", " + _num(size) + " bytes" if size is not None else ""})'
            + (f' · SHA-256 <span class="hash">{text(sha)}</span>' if sha else "")
            + f" · generated {text(report.generated_at)}</p>")


def _worst(report: Report) -> str:
    s = _d(report.summary)
    for v in ("fabricated", "altered", "outdated"):
        if s.get(v):
            return v
    return "real" if s.get("real") else "outdated"


def _verdict(report: Report) -> str:
    sentences = list(report.verdict_text) or [_fallback_sentence(report)]
    body = "".join(f"<p>{text(s)}</p>" for s in sentences)
    return (f'<section id="verdict" aria-labelledby="h-verdict"><h2 id="h-verdict">Verdict</h2>'
            f'<div class="verdict v-{_worst(report)}">{body}</div></section>')


def _fallback_sentence(report: Report) -> str:
    s = _d(report.summary)
    return (f"{len(report.files)} files: {s.get('real', 0)} real, {s.get('outdated', 0)} outdated,"
            f" {s.get('altered', 0)} altered, {s.get('fabricated', 0)} fabricated; {s.get('skipped', 0)} not triaged.")


def _counts(report: Report) -> dict[str, int]:
    counts = {k: 0 for k in KINDS}
    for f in report.files:
        counts[f.verdict.value] = counts.get(f.verdict.value, 0) + 1
    counts["skipped"] = len(report.skipped)
    return counts


def _summary(report: Report) -> str:
    counts = _counts(report)
    total = sum(counts.values())
    rows = "".join(
        f'<tr><td>{_badge(k)}</td><td>{text(MEANING[k])}</td><td class="num">{counts[k]:,}</td>'
        f'<td class="num">{_pct(counts[k] / total) if total else ""}</td></tr>'
        for k in KINDS
    )
    table = (f'<table aria-label="verdict counts"><thead><tr><th>verdict</th><th>meaning</th><th class="num">files</th>'
             f'<th class="num">share</th></tr></thead><tbody>{rows}</tbody>'
             f'<tfoot><tr><th></th><th>total</th><th class="num">{total:,}</th><th></th></tr></tfoot></table>')
    return (f'<section id="summary" aria-labelledby="h-summary"><h2 id="h-summary">Counts</h2>'
            f'<div class="summary">{_bar_chart(counts, total)}{table}</div></section>')


def _bar_chart(counts: dict[str, int], total: int) -> str:
    """Horizontal bars of the verdict counts, scaled to the total, with the figures beside them."""
    row_h, label_w, bar_w = 28, 92, 320
    height = row_h * len(KINDS) + 8
    desc = ", ".join(f"{k} {counts[k]}" for k in KINDS)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 520 {height}" width="100%" role="img"'
           f' aria-label="verdict counts: {desc}"><title>verdict counts: {desc}</title>']
    for i, k in enumerate(KINDS):
        y = 4 + i * row_h
        w = round(bar_w * counts[k] / total, 1) if total else 0
        if counts[k] and w < 2:
            w = 2
        share = f" ({counts[k] / total:.0%})" if total else ""
        out.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13">{k}</text>'
                   f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" rx="2"/>'
                   f'<rect class="f-{k}" x="{label_w}" y="{y + 4}" width="{w}" height="18" rx="2"/>'
                   f'<text x="{label_w + bar_w + 10}" y="{y + 17}" font-size="13">{counts[k]:,}{share}</text>')
    out.append("</svg>")
    return "".join(out)


# --- snapshot and timeline ---------------------------------------------------------------------

def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _day(d: datetime) -> str:
    return d.strftime("%Y-%m-%d")


def _windows(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's windows, main first (older reports carry one, at the top level)."""
    return [_d(w) for w in _l(snap.get("windows"))] or [snap]


def _snapshot(report: Report) -> str:
    snap = _d(report.snapshot)
    out = ['<section id="snapshot" aria-labelledby="h-snapshot"><h2 id="h-snapshot">Snapshot window</h2>']
    if snap.get("as_of"):
        out.append(f"<p>Real and outdated are judged against the default branch as of {text(snap['as_of'])}.</p>")
    if not snap.get("commit"):
        out.append("<p>No file matched internal content exactly at its path: no snapshot window.</p></section>")
        return "".join(out)
    dated = snap.get("dated_files", snap.get("files", 0))
    items = []
    for i, w in enumerate(_windows(snap)):
        win, dates = _l(w.get("window")) + [None, None], _l(w.get("dates")) + [None, None]
        when = (f"commit {_short(win[0])} ({text(dates[0])})" if win[0] == win[1] else
                f"commits {_short(win[0])} ({text(dates[0])}) to {_short(win[1])} ({text(dates[1])})")
        n = w.get("commit_count", len(_l(w.get("commits"))))
        items.append(
            f"<li><strong>{'Main window' if i == 0 else f'Window {i + 1}'}</strong>: {when}"
            + (f", {_num(n)} commit{'s' if n != 1 else ''}" if isinstance(n, int) else "")
            + (f" on <code>{text(w['branch'])}</code>" if w.get("branch") else "")
            + f"; {_num(w.get('support', 0))} of {_num(dated)} dated files fit it"
            + (f" ({_num(w['via_source'])} through the source of an altered file)" if w.get("via_source") else "")
            + ".</li>")
    out.append(f'<ul class="windows">{"".join(items)}</ul>')
    if snap.get("mixed"):
        out.append("<p><strong>The drop mixes moments:</strong> its files come from more than one point of the"
                   " history.</p>")
    contra = [_d(c) for c in _l(snap.get("contradicting"))]
    if contra:
        rows = []
        for c in contra[:MAX_TIMELINE_BARS]:
            need = _d(c.get("needs"))
            nd = _l(need.get("dates")) + [None, None]
            where = f"would need {text(nd[0])} to {text(nd[1])}" if need else "held nowhere at that path"
            rows.append(f'<tr><td class="path">{text(c.get("path", ""))}</td><td>{where}</td></tr>')
        more = (f'<p class="note">and {len(contra) - MAX_TIMELINE_BARS} more (see report.json).</p>'
                if len(contra) > MAX_TIMELINE_BARS else "")
        out.append(f"<h3>Files that do not fit the main window ({len(contra)})</h3>"
                   f"<table><thead><tr><th>file</th><th>when it was held</th></tr></thead><tbody>{''.join(rows)}"
                   f"</tbody></table>{more}")
    out.append(_timeline(report))
    out.append("</section>")
    return "".join(out)


def _timeline(report: Report) -> str:
    """One bar per exactly matched file (its life span at its internal path) with the windows across.
    Moved files are left out: their dates are those of another path."""
    snap = _d(report.snapshot)
    current = _date(_d(_d(report.inventory).get("current")).get("date"))
    items: list[tuple[datetime, datetime | None, Finding]] = []
    moved = 0
    for f in report.files:
        if f.verdict not in (Verdict.REAL, Verdict.OUTDATED):
            continue
        if _d(f.evidence).get("moved"):
            moved += 1
            continue
        m = _d((_l(_d(f.evidence).get("matches")) or [{}])[0])
        first = _date(m.get("first_seen"))
        if first is None:
            continue
        items.append((first, _date(m.get("last_seen")), f))
    if not items:
        return '<p class="note">No exactly matched file carries dates at its own path: no timeline.</p>'
    items.sort(key=lambda t: (t[0], t[1] or datetime.max.replace(tzinfo=timezone.utc), t[2].path))
    total = len(items)
    shown = items[:MAX_TIMELINE_BARS]
    bands = []
    for w in _windows(snap):
        d0, d1 = ([_date(x) for x in _l(w.get("dates"))] + [None, None])[:2]
        if d0:
            bands.append((d0, d1 or d0))
    s0, s1 = bands[0] if bands else (None, None)
    contra = {str(_d(c).get("path")) for c in _l(snap.get("contradicting"))}
    lo = min([t[0] for t in shown] + [b[0] for b in bands])
    hi = max([t[1] for t in shown if t[1]] + [b[1] for b in bands] + ([current] if current else []) + [lo])
    if hi - lo < timedelta(days=2):
        lo, hi = lo - timedelta(days=1), hi + timedelta(days=1)
    pad = (hi - lo) * 0.02
    lo, hi = lo - pad, hi + pad
    label_w, x0, x1, row_h, top = 300, 310, 950, 15, 30
    height = top + row_h * len(shown) + 22  # room under the bars for the windows' labels

    def x(d: datetime) -> float:
        return round(x0 + (x1 - x0) * (d - lo).total_seconds() / (hi - lo).total_seconds(), 1)

    open_end = current or hi
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 {height}" width="100%" role="img"'
           f' aria-label="life span of {len(shown)} exactly matched files and the snapshot window">'
           "<title>life span in the internal history of each exactly matched file; shaded: the snapshot window"
           "</title>"]
    for tick in _ticks(lo, hi):
        tx = x(tick)
        out.append(f'<line class="axis" x1="{tx}" y1="{top - 6}" x2="{tx}" y2="{height - 18}"/>'
                   f'<text class="tick" x="{tx}" y="{top - 10}" text-anchor="middle">{_day(tick)}</text>')
    for i, (first, last, f) in enumerate(shown):
        y = top + i * row_h
        end = last or open_end
        bx, bw = x(first), max(x(end) - x(first), 2.0)
        if "contradicting" in snap:
            fits = f.path not in contra
        else:
            fits = s0 is None or (first <= (s1 or s0) and (last is None or last >= s0))
        cls = f"f-{f.verdict.value}" + ("" if fits else " off")
        label = visible(f.path)
        short = label if len(label) <= 46 else "…" + label[-45:]
        tip = (f"{label}: {_day(first)} to {_day(last) if last else 'still current'}"
               + ("" if fits else " (does not fit the main window)"))
        out.append(f'<text class="label" x="{label_w}" y="{y + 10}" text-anchor="end">{html.escape(short)}'
                   f"<title>{html.escape(label)}</title></text>"
                   f'<rect class="{cls}" x="{bx}" y="{y + 2}" width="{round(bw, 1)}" height="10" rx="1.5">'
                   f"<title>{html.escape(tip)}</title></rect>")
    for k, (b0, b1) in reversed(list(enumerate(bands))):
        wx0, ww = x(b0), x(b1) - x(b0)
        if ww < 3:  # a one-commit window: a thin band centred on its date
            wx0, ww = wx0 - 1.5, 3.0
        span = _day(b0) if _day(b0) == _day(b1) else f"{_day(b0)} to {_day(b1)}"
        name = "snapshot" if k == 0 else f"window {k + 1}"
        out.append(f'<rect class="window{"" if k == 0 else " alt"}" x="{round(wx0, 1)}" y="{top - 4}"'
                   f' width="{round(ww, 1)}" height="{height - top - 14}"><title>{name} {span}</title></rect>'
                   f'<text class="window-label" x="{min(wx0 + ww + 4, x1 - 130)}" y="{height - 6}">'
                   f"{name} {span}</text>")
    out.append("</svg>")
    note = ('<p class="note">Each bar runs from the first to the last internal commit whose tree held the file\'s'
            " exact content at that path (open-ended bars are still current); the shaded band is the main window"
            + (", dotted bands the other windows" if len(bands) > 1 else "")
            + ". Dashed, faded bars do not fit the main window.")
    if moved:
        note += (f" {moved} file{'s' if moved != 1 else ''} found at another internal path (moved)"
                 f" {'are' if moved != 1 else 'is'} not drawn.")
    if total > len(shown):
        note += (f" Showing the {len(shown)} earliest of {total} exactly matched files;"
                 " the table below lists all of them.")
    return "".join(out) + note + "</p>"


def _ticks(lo: datetime, hi: datetime) -> list[datetime]:
    """Month (or year) starts when the span allows, else about six evenly spaced days."""
    span = (hi - lo).days
    if span >= 60:
        step = 12 if span > 6 * 365 else max(1, round(span / 30 / 7))
        if step >= 12:
            step = 12 * max(1, round(span / 365 / 7))
        y, m = lo.year, lo.month
        out = []
        while True:
            m += 1
            while m > 12:
                m -= 12
                y += 1
            d = datetime(y, m, 1, tzinfo=timezone.utc)
            if d > hi:
                break
            if (m - 1) % step == 0 or step == 1:
                out.append(d)
        return out
    n = 6
    return [lo + (hi - lo) * (i + 0.5) / n for i in range(n)]


# --- credentials -----------------------------------------------------------------------------

def _credentials(report: Report) -> str:
    """Containment: credentials to rotate (rule, file, line, redacted value: never anything else of
    the secret), trojanized altered copies, then the other rule hits (canaries, markers, policy)."""
    out = ['<section id="credentials" aria-labelledby="h-credentials"><h2 id="h-credentials">Containment</h2>']
    hits = [_d(s) for s in report.signatures]
    rotate = [s for s in hits if s.get("action") == "rotate"]
    other = [s for s in hits if s.get("action") != "rotate"]
    out.append(f"<h3>Credentials to rotate ({len(rotate)})</h3>")
    if rotate:
        out.append(f"<p>{len(rotate)} credential{'s' if len(rotate) != 1 else ''} found in the drop. Rotate each one"
                   " now, whatever the verdict on the file holding it. Only a redacted form is shown.</p>")
        out.append('<table><thead><tr><th>rule</th><th>file</th><th class="num">line</th><th>redacted value</th></tr>'
                   "</thead><tbody>")
        for s in rotate:
            title = f' title="{attr(s["title"])}"' if s.get("title") else ""
            out.append(f'<tr><td><code{title}>{text(s.get("rule", ""))}</code></td>'
                       f'<td class="path">{text(s.get("path", ""))}</td><td class="num">{_num(s.get("line", ""))}</td>'
                       f'<td><code>{text(s.get("redacted", ""))}</code></td></tr>')
        out.append("</tbody></table>")
    elif report.ruleset:
        out.append("<p>No rule found a credential that must be rotated.</p>")
    else:
        out.append('<p class="note">No signature rules were run on this drop.</p>')
    trojans = [(i, f) for i, f in enumerate(report.files, 1) if _d(f.evidence).get("trojanized")]
    if trojans:
        out.append(f"<h3>Altered copies that insert suspicious code ({len(trojans)})</h3><ul>")
        out += [f'<li><a href="#f-{i}">{text(f.path)}</a></li>' for i, f in trojans]
        out.append("</ul>")
    if other:
        out.append(f"<h3>Other rule hits ({len(other)})</h3>")
        out.append('<table><thead><tr><th>rule</th><th>kind</th><th>action</th><th>file</th><th class="num">line</th>'
                   "<th>detail</th></tr></thead><tbody>")
        for s in other:  # a canary's recipient, a marker's or policy rule's excerpt (secrets redacted)
            detail = f"recipient: {s['recipient']}" if s.get("recipient") else s.get("excerpt") or ""
            out.append(f'<tr><td><code>{text(s.get("rule", ""))}</code></td><td>{text(s.get("kind", ""))}</td>'
                       f'<td>{text(s.get("action", ""))}</td><td class="path">{text(s.get("path", ""))}</td>'
                       f'<td class="num">{_num(s.get("line", ""))}</td><td><code>{text(detail)}</code></td></tr>')
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


# --- files table ---------------------------------------------------------------------------------

def _source(f: Finding) -> tuple[str, str]:
    """(internal path, how) for the table: exact match, derived source or impersonated path."""
    ev = _d(f.evidence)
    if f.verdict in (Verdict.REAL, Verdict.OUTDATED):
        m = _d((_l(ev.get("matches")) or [{}])[0])
        return str(m.get("path", "")), "moved" if ev.get("moved") else ""
    if f.verdict is Verdict.ALTERED:
        srcs = _l(ev.get("derived_from"))
        if srcs:
            occ = _d((_l(_d(srcs[0]).get("occurrences")) or [{}])[0])
            more = f"+{len(srcs) - 1} more" if len(srcs) > 1 else ""
            return str(occ.get("path", "")), more
        checkpoint = _d(_d(ev.get("weights")).get("checkpoint"))
        return str(checkpoint.get("path", "")), "tensors" if checkpoint else ""
    if ev.get("impersonates"):
        return str(ev["impersonates"]), "impersonated"
    return "", ""


def _files_table(report: Report) -> str:
    types = sorted({f.mime for f in report.files if f.mime})
    present = [v.value for v in VERDICT_ORDER if any(f.verdict is v for f in report.files)]
    out = ['<section id="files" aria-labelledby="h-files">',
           f'<h2 id="h-files">Files ({len(report.files)})</h2>',
           '<p class="note">In drop order. Each path links to its evidence below.</p>',
           '<div id="file-controls" class="controls" hidden>',
           '<label>verdict <select id="f-verdict"><option value="">all</option>'
           + "".join(f'<option value="{v}">{v}</option>' for v in present) + "</select></label>",
           '<label>type <select id="f-type"><option value="">all</option>'
           + "".join(f'<option value="{attr(t)}">{text(t)}</option>' for t in types) + "</select></label>",
           '<label>path contains <input id="f-path" type="search" size="28" autocomplete="off"></label>',
           '<span id="f-count" class="note" aria-live="polite"></span>',
           "</div>",
           '<table id="files-table"><thead><tr>'
           '<th class="num" data-key="idx">#</th><th data-key="path">file</th><th data-key="verdict">verdict</th>'
           '<th class="num" data-key="conf">confidence</th><th data-key="type">type</th>'
           '<th class="num" data-key="size">bytes</th><th>internal source</th><th>SHA-256</th>'
           "</tr></thead><tbody>"]
    for i, f in enumerate(report.files, 1):
        src, how = _source(f)
        conf = f.confidence if isinstance(f.confidence, (int, float)) else 0
        size = f.size if isinstance(f.size, int) else 0
        how_html = f' <span class="note">({text(how)})</span>' if how else ""
        out.append(
            f'<tr data-idx="{i}" data-verdict="{f.verdict.value}" data-type="{attr(f.mime)}" data-path="{attr(f.path)}"'
            f' data-size="{size}" data-conf="{conf}">'
            f'<td class="num">{i}</td><td class="path"><a href="#f-{i}">{text(f.path)}</a></td>'
            f"<td>{_badge(f.verdict.value)}</td><td class=\"num\">{_num(f.confidence, '{:.2f}')}</td>"
            f"<td class=\"type\">{text(f.mime)}</td><td class=\"num\">{_num(f.size)}</td>"
            f'<td class="path">{text(src)}{how_html}</td>'
            f'<td class="hash">{_short(f.sha256)}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


# --- evidence per file -------------------------------------------------------------------------

def _evidence(report: Report) -> str:
    if not report.files:
        return ""
    out = ['<section id="evidence" aria-labelledby="h-evidence"><h2 id="h-evidence">Evidence per file</h2>',
           '<p class="note">Files needing attention first (altered, fabricated, outdated, then real);'
           " altered and fabricated files are open.</p>"]
    indexed = list(enumerate(report.files, 1))
    indexed.sort(key=lambda t: _RANK.get(t[1].verdict.value, 9))
    for i, f in indexed:
        opened = " open" if f.verdict in (Verdict.ALTERED, Verdict.FABRICATED) else ""
        out.append(f'<details id="f-{i}"{opened}><summary>{_badge(f.verdict.value)} <span class="path">{text(f.path)}'
                   f"</span></summary>{_file_body(f)}</details>")
    out.append("</section>")
    return "\n".join(out)


def _file_body(f: Finding) -> str:
    ev = _d(f.evidence)
    facts = [("SHA-256", f'<span class="hash">{text(f.sha256)}</span>'), ("size", f"{_num(f.size)} bytes"),
             ("type", text(f.mime)), ("confidence", _num(f.confidence, "{:.3f}"))]
    if ev.get("git_blob"):
        facts.append(("git blob", f'<span class="hash">{text(ev["git_blob"])}</span>'))
    out = ['<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
    reasons = [*f.reasons, *(f"note: {n}" for n in _l(ev.get("notes")))]
    if reasons:
        out.append('<ul class="reasons">' + "".join(f"<li>{text(r)}</li>" for r in reasons) + "</ul>")
    if ev.get("document") or ev.get("table"):
        from triage.render.html_documents import document_section, table_section

        out.append(document_section(_d(ev.get("document"))) if ev.get("document") else "")
        out.append(table_section(_d(ev.get("table"))) if ev.get("table") else "")
    if ev.get("weights"):
        out.append(_weights(_d(ev["weights"])))
    if f.verdict in (Verdict.REAL, Verdict.OUTDATED):
        out.append(_matches(_l(ev.get("matches")), moved=bool(ev.get("moved"))))
    elif f.verdict is Verdict.ALTERED:
        for src in _l(ev.get("derived_from")):
            out.append(_derived(_d(src), f))
    elif f.verdict is Verdict.FABRICATED:
        out.append(_fabricated(ev))
    return "".join(out)


def _matches(matches: list[Any], moved: bool) -> str:
    if not matches:
        return ""
    rows = []
    for m in map(_d, matches[:20]):
        commits = _l(m.get("commits"))
        rows.append(f'<tr><td class="path">{text(m.get("path", ""))}</td><td class="hash">{_short(m.get("blob"))}</td>'
                    f'<td class="hash">{" ".join(_short(c) for c in commits[:3])}{" …" if len(commits) > 3 else ""}</td>'
                    f'<td>{text(m.get("first_seen") or "")}</td><td>{text(m.get("last_seen") or "still current")}</td></tr>')
    more = f'<p class="note">and {len(matches) - 20} more internal occurrences (see report.json).</p>' \
        if len(matches) > 20 else ""
    return (f"<h3>Same bytes inside{' (at another path: moved)' if moved else ''}</h3>"
            "<table><thead><tr><th>internal path</th><th>blob</th><th>introduced in</th><th>first seen</th>"
            f"<th>last seen</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{more}")


# Per-tensor rows shown per file in report.html (report.json holds up to its own bound).
HTML_TENSOR_ROWS = 50


def _checkpoint(c: dict[str, Any]) -> str:
    versions = ", ".join(str(v) for v in _l(c.get("versions")) if v != "latest")
    return (f'<code>{text(c.get("path", ""))}</code> ({text(c.get("format", ""))}, {_num(c.get("tensors", 0))}'
            f' tensors, source <code>{text(c.get("source", ""))}</code>'
            + (f", {text(versions)}" if versions else "") + (", current" if c.get("current") else "") + ")")


def _weights(w: dict[str, Any]) -> str:
    """Model weights: counts, the internal checkpoint, changed tensors with their figures."""
    facts = [("format", text(w.get("format", ""))),
             ("tensors", f'{_num(w.get("tensors", 0))} ({_num(w.get("informative", 0))} informative)'),
             ("identical", _num(w.get("tensors_exact", 0))), ("derived", _num(w.get("tensors_derived", 0))),
             ("unrelated", _num(w.get("tensors_unrelated", 0))),
             ("internal tensors missing", _num(w.get("tensors_missing", 0))),
             ("pickle executed", "yes" if w.get("pickle_executed") else "no (never run: read as opcodes)")]
    if w.get("error"):
        facts.append(("not readable", text(w["error"])))
    if w.get("checkpoint"):
        facts.append(("internal checkpoint", _checkpoint(_d(w["checkpoint"]))))
    if w.get("closest"):
        facts.append(("closest checkpoint", _checkpoint(_d(w["closest"])) + " (values unrelated)"))
    out = ['<h3>Model weights</h3><dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
           + "</dl>"]
    notes = [str(n) for n in _l(w.get("notes"))[:5]]
    if notes:
        out.append('<ul class="reasons">' + "".join(f"<li>note: {text(n)}</li>" for n in notes) + "</ul>")
    rows = [_d(t) for t in _l(w.get("per_tensor")) if _d(t).get("kind") not in ("identical", "uninformative")]
    if rows:
        body = "".join(
            f'<tr><td class="path">{text(t.get("name", ""))}</td><td>{text(t.get("dtype", ""))}</td>'
            f'<td>{text(t.get("shape", ""))}</td><td>{text(t.get("kind", ""))}</td>'
            f'<td class="path">{text(t.get("match") or t.get("closest") or "")} {text(t.get("internal_dtype", ""))}</td>'
            f'<td class="num">{_num(t.get("corr"), "{:.4f}")}</td><td class="num">{_num(t.get("rel_delta"), "{:.4f}")}</td></tr>'
            for t in rows[:HTML_TENSOR_ROWS])
        more = len(rows) - HTML_TENSOR_ROWS + int(w.get("per_tensor_omitted") or 0)
        out.append("<table><thead><tr><th>tensor</th><th>dtype</th><th>shape</th><th>kind</th><th>internal</th>"
                   f'<th class="num">correlation</th><th class="num">relative delta</th></tr></thead><tbody>{body}'
                   "</tbody></table>"
                   + (f'<p class="note">and {more} more tensors (see report.json).</p>' if more > 0 else ""))
    return "".join(out)


def _similarity(sim: dict[str, Any]) -> str:
    parts = []
    if isinstance(sim.get("containment_drop"), (int, float)):
        parts.append(f"{_pct(sim['containment_drop'])} of the dropped file comes from it")
    if isinstance(sim.get("containment_source"), (int, float)):
        parts.append(f"{_pct(sim['containment_source'])} of it survives in the drop")
    if isinstance(sim.get("matched_lines"), int):
        parts.append(f"{sim['matched_lines']} of {_num(sim.get('drop_lines', '?'))} lines aligned")
    return "; ".join(parts)


def _derived(src: dict[str, Any], f: Finding) -> str:
    occ = _d((_l(src.get("occurrences")) or [{}])[0])
    ch = _d(src.get("changes"))
    kinds = ", ".join(str(k) for k in _l(ch.get("kinds")))
    commit = (_l(occ.get("commits")) or [""])[0]
    head = (f'<h3>Derived from <code>{text(occ.get("path", ""))}</code></h3>'
            '<dl class="facts">'
            f'<dt>internal blob</dt><dd class="hash">{text(src.get("blob", ""))}</dd>'
            f'<dt>introduced in</dt><dd class="hash">{text(commit)}</dd>'
            f'<dt>first seen</dt><dd>{text(occ.get("first_seen") or "")}</dd>'
            f'<dt>similarity</dt><dd>{text(_similarity(_d(src.get("similarity"))))}</dd>'
            f"<dt>change</dt><dd>{text(kinds)}; +{_num(ch.get('inserted', 0))} / -{_num(ch.get('deleted', 0))} lines"
            "</dd></dl>")
    hunks = [_d(h) for h in _l(ch.get("hunks"))]
    if not hunks:
        return head + '<p class="note">No line-level differences recorded.</p>'
    return head + _side_by_side(hunks, str(occ.get("path", "")), f.path)


_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _side_by_side(hunks: list[dict[str, Any]], left_name: str, right_name: str) -> str:
    """Internal source on the left, dropped file on the right, changed lines paired in order."""
    rows: list[str] = []
    for h in hunks:
        m = _HUNK.match(str(h.get("header", "")))
        old: int | None = int(m[1]) if m else None
        new: int | None = int(m[2]) if m else None
        rows.append(f'<tr class="hunk"><td colspan="4">{text(h.get("header", ""))}</td></tr>')
        dels: list[tuple[int | None, str]] = []
        adds: list[tuple[int | None, str]] = []

        def flush() -> None:
            for k in range(max(len(dels), len(adds))):
                a = dels[k] if k < len(dels) else None
                b = adds[k] if k < len(adds) else None
                rows.append("<tr>" + _cell(a, "del") + _cell(b, "add") + "</tr>")
            dels.clear()
            adds.clear()

        for raw in _l(h.get("lines")):
            line = str(raw)
            tag, body = line[:1], line[1:]
            if tag == "-":
                dels.append((old, body))
                old = old + 1 if old is not None else None
            elif tag == "+":
                adds.append((new, body))
                new = new + 1 if new is not None else None
            else:
                flush()
                body = body if tag == " " else line
                rows.append("<tr>" + _cell((old, body), "") + _cell((new, body), "") + "</tr>")
                old = old + 1 if old is not None else None
                new = new + 1 if new is not None else None
        flush()
        if h.get("truncated"):
            rows.append('<tr class="hunk"><td colspan="4">… hunk truncated in the report</td></tr>')
        if len(rows) > MAX_DIFF_ROWS:
            rows = rows[:MAX_DIFF_ROWS]
            rows.append('<tr class="hunk"><td colspan="4">… diff cut here; report.json holds every hunk</td></tr>')
            break
    return ('<table class="diff"><colgroup><col class="n"><col><col class="n"><col></colgroup>'
            f'<thead><tr><th colspan="2">internal source: {text(left_name)}</th>'
            f'<th colspan="2">dropped file: {text(right_name)}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _cell(item: tuple[int | None, str] | None, cls: str) -> str:
    if item is None:
        return '<td class="n"></td><td class="none"></td>'
    n, body = item
    c = f' class="{cls}"' if cls else ""
    return f'<td class="n">{n if n is not None else ""}</td><td{c}>{text(body, keep_tab=True)}</td>'


def _fabricated(ev: dict[str, Any]) -> str:
    out = []
    if ev.get("impersonates"):
        out.append(f'<p>Sits at a real internal path: impersonates <code>{text(ev["impersonates"])}</code>.'
                   " Its content is not derived from that file or any other internal content.</p>")
    closest = _d(ev.get("closest"))
    if closest:
        out.append('<h3>Closest internal content</h3><dl class="facts">'
                   f'<dt>internal path</dt><dd><code>{text(closest.get("path", ""))}</code></dd>'
                   f'<dt>blob</dt><dd class="hash">{text(closest.get("blob", ""))}</dd>'
                   f'<dt>similarity</dt><dd>{text(_similarity(_d(closest.get("similarity"))))}</dd></dl>')
    elif not ev.get("impersonates"):
        out.append('<p class="note">No internal content came close.</p>')
    return "".join(out)


# --- skipped and provenance --------------------------------------------------------------------

def _skipped(report: Report) -> str:
    head = ('<section id="skipped" aria-labelledby="h-skipped">'
            f'<h2 id="h-skipped">Not triaged ({len(report.skipped)})</h2>')
    if not report.skipped:
        return head + "<p>Every member of the drop was triaged.</p></section>"
    rows = "".join(f'<tr><td class="path">{text(s.path)}</td><td><code>{text(s.reason)}</code></td>'
                   f"<td>{text(s.detail)}</td></tr>" for s in report.skipped)
    return (head + "<p>These members were refused or could not be read; they carry no verdict.</p>"
            f"<table><thead><tr><th>member</th><th>reason</th><th>detail</th></tr></thead><tbody>{rows}</tbody>"
            "</table></section>")


def _provenance(report: Report) -> str:
    drop, inv, tool, rules = _d(report.drop), _d(report.inventory), _d(report.tool), _d(report.ruleset)
    cur = _d(inv.get("current"))
    facts = [
        ("drop", f"<code>{text(drop.get('path', ''))}</code> ({text(drop.get('kind', ''))}, {_num(drop.get('size'))} bytes)"),
        ("drop SHA-256", f'<span class="hash">{text(drop.get("sha256") or "none (a directory)")}</span>'),
        ("index", f"<code>{text(inv.get('db', ''))}</code>, schema version {text(inv.get('schema_version', ''))}"),
        ("index digest", f'<span class="hash">{text(inv.get("digest", ""))}</span>'),
        ("current internal commit", f'<span class="hash">{text(cur.get("commit", ""))}</span> {text(cur.get("date", ""))}'),
    ]
    for s in map(_d, _l(inv.get("sources"))):
        facts.append(("source", f"{text(s.get('name', ''))}: {text(s.get('kind', ''))} <code>{text(s.get('location', ''))}"
                                f"</code>, {_num(s.get('commits', ''))} commits/versions"))
    facts.append(("ruleset", f'<span class="hash">{text(rules.get("id", "none"))}</span>'
                             + (f" ({_num(rules.get('rules'))} rules)" if rules.get("rules") is not None else "")))
    facts.append(("tool", f"{text(tool.get('name', 'triage'))} {text(tool.get('version', ''))}"))
    facts.append(("generated", text(report.generated_at)))
    return ('<section id="provenance" aria-labelledby="h-provenance"><h2 id="h-provenance">About this report</h2>'
            '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl></section>")
