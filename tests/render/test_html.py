"""report.html: self-contained, CSP-pinned script, everything from the drop escaped, verdict first."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser

from triage.model import Report, Verdict
from triage.render import html as render_html
from triage.render import json as render_json

from .conftest import ESC_NAME, HOSTILE, SECRET, VERDICT, make_report


class Page(HTMLParser):
    """Collects what the checks need: elements with attributes, script bodies, plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(doc: str) -> Page:
    p = Page()
    p.feed(doc)
    p.close()
    return p


def plain(doc: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", doc))


def test_csp_pins_the_only_inline_script(report):
    doc = render_html.render(report)
    page = parse(doc)
    metas = [a for t, a in page.tags if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(metas) == 1
    csp = metas[0]["content"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and "style-src 'unsafe-inline'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert len(page.scripts) == 1
    digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert script_src == [f"'sha256-{digest}'"]
    # the meta comes before anything that could load or run
    assert doc.index("Content-Security-Policy") < doc.index("<style>") < doc.index("<script>")


def test_nothing_points_outside(report):
    doc = render_html.render(report)
    page = parse(doc)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)  # no event-handler attributes
            if name in ("src", "href", "action", "formaction", "xlink:href", "srcset", "poster", "data"):
                v = (value or "").strip().lower()
                assert not v.startswith(("http:", "https:", "//", "javascript:", "file:")), (tag, name, value)
        assert tag not in ("link", "iframe", "object", "embed", "img", "base", "form")
    for needle in ("url(", "@import", "<link", "src=\"http", "src='http"):
        assert needle not in doc


def test_hostile_names_and_contents_only_escaped(report):
    doc = render_html.render(report)
    assert "<script>alert" not in doc and "<b>loader" not in doc and "<img src=x" not in doc
    assert "\x1b" not in doc and "\x07" not in doc and "\u202e" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "\\u202e" in doc and "\\x1b" in doc
    assert len(parse(doc).scripts) == 1  # the diff line "</td><script>alert(2)</script>" stayed text
    text = plain(doc)
    assert "leak/<script>alert(1)</script>\\u202e.txt" in text
    assert "leak/evil\\x1b[31mred\\x1b[0m.py" in text


def test_credentials_show_only_rule_file_line_redacted(report):
    doc = render_html.render(report)
    assert SECRET not in doc and "canary-0001" not in doc
    section = doc[doc.index('id="credentials"'):doc.index('id="files"')]
    assert "aws-access-key" in section and "AKIA************MPLE" in section
    assert "canary-***" not in section  # other hits: rule, kind, action, file, line, recipient or excerpt
    assert "recipient: &lt;vendor-b&gt;" in section
    assert "insert suspicious code (1)" in section and 'href="#f-3"' in section  # the trojanized altered file


def test_verdict_first_then_table_then_every_file(report):
    doc = render_html.render(report)
    table = doc.index('id="files-table"')
    for sentence in VERDICT:
        assert doc.index(html.escape(sentence)) < table
    assert doc.index('id="verdict"') < doc.index('id="summary"') < doc.index('id="snapshot"') < \
        doc.index('id="credentials"') < table < doc.index('id="evidence"') < doc.index('id="skipped"')
    rows = re.findall(r'<tr data-idx="(\d+)" data-verdict="(\w+)"[^>]* data-path="([^"]*)"', doc)
    assert [int(r[0]) for r in rows] == list(range(1, len(report.files) + 1))  # drop order without JS
    assert [html.unescape(r[2]) for r in rows] == [render_html.visible(f.path) for f in report.files]
    text = plain(doc)
    for f in report.files:
        assert render_html.visible(f.path) in text
        assert f'id="f-{report.files.index(f) + 1}"' in doc
    for s in report.skipped:
        assert render_html.visible(s.path) in text and s.reason in text


def test_counts_chart_and_timeline_are_inline_svg(report):
    doc = render_html.render(report)
    summary = doc[doc.index('id="summary"'):doc.index('id="snapshot"')]
    assert "<svg" in summary and 'class="f-real"' in summary and "fabricated 3" in summary
    snap = doc[doc.index('id="snapshot"'):doc.index('id="credentials"')]
    # app.py was found at another internal path (moved): its dates belong to that path, not drawn
    assert snap.count('class="f-real') == 1 and snap.count('class="f-outdated') == 1
    assert "1 file found at another internal path (moved) is not drawn" in snap
    assert 'class="window"' in snap and "snapshot 2025-05-16" in snap
    assert 'class="window alt"' in snap and "window 2 2025-02-01 to 2025-03-01" in snap
    assert 'class="f-outdated off"' in snap  # README.md is listed as contradicting the main window


def test_snapshot_windows_mixed_and_contradicting(report):
    doc = render_html.render(report)
    snap = doc[doc.index('id="snapshot"'):doc.index('id="credentials"')]
    text = plain(snap)
    assert "Main window" in text and "Window 2" in text and "2 of 3 dated files fit it" in text
    assert "1 through the source of an altered file" in text and "refs/heads/<b>x</b>" in text
    assert "mixes moments" in text
    assert "Files that do not fit the main window (2)" in text
    assert "would need 2025-02-03T10:12:00Z to 2025-05-30T18:10:00Z" in text and "held nowhere" in text
    assert "<i>ghost" not in snap and "<b>x" not in snap


def test_timeline_is_capped_with_a_note():
    report = make_report(extra_real=80)
    doc = render_html.render(report)
    snap = doc[doc.index('id="snapshot"'):doc.index('id="credentials"')]
    assert len(re.findall(r'<rect class="f-(real|outdated)', snap)) == render_html.MAX_TIMELINE_BARS
    assert f"of {80 + 2} exactly matched files" in snap  # moved app.py not drawn


def test_side_by_side_diff_pairs_source_and_drop(report):
    doc = render_html.render(report)
    i = [f.verdict for f in report.files].index(Verdict.ALTERED) + 1
    block = doc[doc.index(f'id="f-{i}"'):]
    block = block[:block.index("</details>")]
    assert "internal source: src/tokens.py" in block
    # line 20: internal "class TokenRecord" on the left, dropped "class ApiKeyRecord" on the right
    assert re.search(r'<td class="n">20</td><td class="del">class TokenRecord:</td><td class="n">20</td>'
                     r'<td class="add">class ApiKeyRecord:', block)
    assert re.search(r'<td class="n">21</td><td>    token_id: str</td><td class="n">21</td>', block)
    # an inserted line has nothing facing it on the left; its escapes stay visible
    assert re.search(r'<td class="n"></td><td class="none"></td><td class="n">41</td><td class="add">print', block)
    assert "hunk truncated" in block


def test_fabricated_shows_closest_and_impersonates(report):
    doc = render_html.render(report)
    i = [f.path for f in report.files].index(ESC_NAME) + 1
    block = doc[doc.index(f'id="f-{i}"'):]
    block = block[:block.index("</details>")]
    assert "impersonates" in block and "\\u202emaster_key.py" in plain(block)
    assert "Closest internal content" in block and "&lt;b&gt;loader&lt;/b&gt;" in block and "33%" in block


def test_same_report_same_bytes_and_rebuilt_from_json(report):
    doc = render_html.render(report)
    assert render_html.render(report) == doc
    rebuilt = render_json.from_dict(json.loads(render_json.render(report)))
    assert render_html.render(rebuilt) == doc


def test_empty_report_renders():
    empty = Report(schema="triage-report/1", tool={}, drop={}, inventory={}, files=(), skipped=(),
                   snapshot={}, summary={}, generated_at="")
    doc = render_html.render(empty)
    assert "no snapshot window" in doc and "Every member of the drop was triaged" in doc


def test_visible_escapes():
    v = render_html.visible
    assert v("a\u202eb\u2066c\u200bd\ufeffe\x00f\x9bg\u2028h") == "a\\u202eb\\u2066c\\u200bd\\ufeffe\\x00f\\x9bg\\u2028h"
    assert v("tab\there", keep_tab=True) == "tab\there" and v("tab\there") == "tab\\x09here"
    assert v("naïve café 日本") == "naïve café 日本"
    assert HOSTILE.endswith("\u202e.txt")
