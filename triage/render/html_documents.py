"""report.html sections for documents and dumps: ``evidence.document`` and ``evidence.table``.

The text of a document against its internal version (identical or not, with both hashes), its
metadata field by field beside the internal version's, and a dump's rows present, altered,
elsewhere and absent. Every value goes through ``html.text`` (escaped, invisible characters shown).
"""

from __future__ import annotations

from typing import Any

from triage.render.html import _d, _l, _num, _pct, text
from triage.render.markdown import _meta_order


def _value(v: Any) -> str:
    if v is None:
        return '<span class="note">none</span>'
    s = str(v)
    return f"<code>{text(s if len(s) <= 300 else s[:297] + '...')}</code>"


def document_section(doc: dict[str, Any]) -> str:
    src = _d(doc.get("source"))
    facts = [("kind", text(doc.get("kind", ""))),
             ("extracted text", f"{_num(doc.get('lines', 0))} sentences, {_num(doc.get('chars', 0))} characters"),
             ("text SHA-256", f'<span class="hash">{text(doc.get("text_sha256") or "")}</span>')]
    if src:
        facts.append(("Text identical", "yes: the words are the internal document's, the bytes are not"
                      if doc.get("text_identical") else "no: see the changed passages below"))
        facts.append(("internal version", f"{text(src.get('kind', ''))} <code>{text(src.get('path') or '')}</code>"))
        facts.append(("internal text SHA-256", f'<span class="hash">{text(src.get("text_sha256") or "")}</span>'))
        facts.append(("internal file SHA-256", f'<span class="hash">{text(src.get("sha256") or "")}</span>'))
    elif doc.get("text_identical"):
        facts.append(("Text identical", "yes (same bytes as the internal document)"))
    if doc.get("error"):
        facts.append(("unreadable", text(doc["error"])))
    for n in _l(doc.get("notes")):
        facts.append(("note", text(n)))
    out = ['<h3>Document</h3><dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
    diff = _d(doc.get("metadata_diff"))
    if src and "metadata_diff" in doc:
        same = [str(x) for x in _l(doc.get("metadata_same"))]
        rows = "".join(f"<tr><td><code>{text(k)}</code></td><td>{_value(_d(diff[k]).get('drop'))}</td>"
                       f"<td>{_value(_d(diff[k]).get('internal'))}</td></tr>" for k in _meta_order(list(diff)))
        out.append(f"<h3>Metadata against the internal version ({len(diff)} fields differ)</h3>")
        if rows:
            out.append("<table><thead><tr><th>field</th><th>this file</th><th>internal version</th></tr></thead>"
                       f"<tbody>{rows}</tbody></table>")
        if same:
            out.append(f'<p class="note">Same in both: {text(", ".join(same))}.</p>')
    else:
        meta = _d(doc.get("metadata"))
        flat = {k: v for k, v in meta.items() if k != "custom"}
        flat.update({f"custom.{k}": v for k, v in _d(meta.get("custom")).items()})
        if flat:
            rows = "".join(f"<tr><td><code>{text(k)}</code></td><td>{_value(flat[k])}</td></tr>"
                           for k in _meta_order(list(flat)))
            out.append("<h3>Metadata</h3><table><thead><tr><th>field</th><th>value</th></tr></thead>"
                       f"<tbody>{rows}</tbody></table>")
    return "".join(out)


def table_section(t: dict[str, Any]) -> str:
    shares = _d(t.get("shares"))
    src = _d(t.get("source"))
    rows = [("present in the internal table", t.get("rows_present"), shares.get("present")),
            ("altered (same key, other values)", t.get("rows_altered"), shares.get("altered")),
            ("in other internal tables", t.get("rows_elsewhere"), shares.get("elsewhere")),
            ("exist nowhere", t.get("rows_absent"), shares.get("absent"))]
    body = "".join(f"<tr><td>{text(k)}</td><td class=\"num\">{_num(n)}</td><td class=\"num\">{_pct(p)}</td></tr>"
                   for k, n, p in rows)
    facts = [("kind", text(t.get("kind", ""))), ("Rows", _num(t.get("rows", 0)))]
    if src:
        facts.append(("internal table", f"<code>{text(src.get('path') or '')}</code> ({text(src.get('kind', ''))},"
                                        f" {_num(t.get('rows_internal', 0))} rows,"
                                        f" {_pct(t.get('internal_covered', 0))} of them in this file)"))
    if t.get("key_columns"):
        facts.append(("key", text(", ".join(map(str, _l(t.get("key_columns")))))))
    altered = _d(t.get("altered_columns"))
    if altered:
        facts.append(("altered columns", text(", ".join(f"{k} ({v})" for k, v in list(altered.items())[:20]))))
    for n in _l(t.get("notes")):
        facts.append(("note", text(n)))
    return ('<h3>Rows</h3><dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"
            "<table><thead><tr><th>rows</th><th class=\"num\">count</th><th class=\"num\">share</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")
