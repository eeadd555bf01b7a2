"""A small hostile Report built in memory: every verdict, a skipped member, a credential hit,
and names and contents that try to run script, inject formulas or deceive with control and
bidi characters (as a hand-edited or hostile report.json could hold them)."""

from __future__ import annotations

import pytest

from triage.model import Finding, Report, Skipped, Verdict

HOSTILE = "leak/<script>alert(1)</script>\u202e.txt"
ESC_NAME = "leak/evil\x1b[31mred\x1b[0m.py"
FORMULA = '=HYPERLINK("http://evil.invalid/x","click")'
SECRET = "AKIAIOSFODNN7EXAMPLE"
VERDICT = ("Of 7 files in the drop, 3 are byte-for-byte internal content.",
           "2 files were altered from internal files (identifiers-renamed).")


def _match(path: str, first: str, last: str | None, blob: str = "ab" * 20) -> dict:
    return {"path": path, "source": "inventory", "blob": blob, "commits": ["c0ffee" * 6 + "abcd"],
            "first_seen": first, "last_seen": last, "current": last is None}


def _altered(path: str, hunks: list[dict]) -> Finding:
    occ = _match("src/tokens.py", "2025-03-25T11:30:00Z", None, "9b" * 20)
    return Finding(path, 2223, "91" * 32, "text/x-script.python", Verdict.ALTERED, 0.996,
                   ("82% of it aligns with internal content",),
                   {"kind": "text", "git_blob": "cb" * 20, "matches": [occ], "change_kinds": ["identifiers-renamed"],
                    "trojanized": True,
                    "derived_from": [{"sha256": "7c" * 32, "blob": "9b" * 20, "occurrences": [occ],
                                      "similarity": {"containment_drop": 0.82, "containment_source": 0.8,
                                                     "matched_lines": 40, "drop_lines": 47},
                                      "changes": {"kinds": ["identifiers-renamed"], "inserted": 2, "deleted": 2,
                                                  "hunks": hunks}}]})


def make_report(extra_real: int = 0) -> Report:
    files = [
        Finding("leak/README.md", 699, "0a" * 32, "text/plain", Verdict.OUTDATED, 1.0,
                ("bytes equal an older internal version and no current one",),
                {"matches": [_match("README.md", "2025-02-03T10:12:00Z", "2025-05-30T18:10:00Z")], "moved": False}),
        Finding("leak/src/app.py", 5752, "15" * 32, "text/x-script.python", Verdict.REAL, 1.0,
                ("bytes equal the current internal content",),
                {"matches": [_match("src/app.py", "2025-04-18T12:34:00Z", "2025-07-24T16:55:00Z")], "moved": True}),
        _altered(HOSTILE, [
            {"header": "@@ -19,3 +19,3 @@", "truncated": False,
             "lines": [" @dataclass(frozen=True)", "+class ApiKeyRecord:  # </td><script>alert(2)</script>",
                       "-class TokenRecord:", "     token_id: str"]},
            {"header": "@@ -40,2 +40,3 @@", "truncated": True,
             "lines": [" x = 1", "+print('\x1b]0;owned\x07\u202e')", " y = 2"]},
        ]),
        Finding(ESC_NAME, 428, "aa" * 32, "text/plain", Verdict.FABRICATED, 0.583,
                ("no internal content shares specific lines, tokens or structure with it",),
                {"matches": [], "impersonates": "src/auth/\u202emaster_key.py",
                 "closest": {"sha256": "d0" * 32, "blob": "89" * 20, "path": "src/<b>loader</b>.py",
                             "similarity": {"containment_drop": 0.33, "containment_source": 0.16}}}),
        Finding(FORMULA, 10, "bb" * 32, "text/plain", Verdict.FABRICATED, 0.5, ("+1 no match",), {}),
        Finding("@SUM(A1:A9)", 11, "cc" * 32, "text/plain", Verdict.FABRICATED, 0.5, ("-2 no match",), {}),
        Finding("leak/lib/util.py", 100, "dd" * 32, "text/x-script.python", Verdict.REAL, 1.0, ("exact",),
                {"matches": [_match("lib/util.py", "2025-05-01T00:00:00Z", "2025-07-24T16:55:00Z")]}),
    ]
    for i in range(extra_real):
        files.append(Finding(f"leak/gen/m{i:03d}.py", 10 + i, f"{i:064x}", "text/x-script.python", Verdict.REAL, 1.0,
                             ("exact",), {"matches": [_match(f"gen/m{i:03d}.py", f"2025-0{1 + i % 5}-0{1 + i % 9}T00:00:00Z",
                                                             "2025-07-24T16:55:00Z")]}))
    skipped = (Skipped("../../etc/passwd", "path-traversal", "'..' path component <img src=x onerror=alert(3)>"),
               Skipped("-cmd|' /C calc'!A0", "link", "symbolic link"))
    summary = {"real": sum(f.verdict is Verdict.REAL for f in files), "outdated": 1, "altered": 1, "fabricated": 3,
               "skipped": len(skipped)}
    return Report(
        schema="triage-report/1", tool={"name": "triage", "version": "0.1.0"},
        drop={"path": "/cases/drop<1>.zip", "kind": "zip", "sha256": "05" * 32, "size": 36604},
        inventory={"db": "/cases/inv.db", "digest": "4c" * 32, "schema_version": 1,
                   "sources": [{"kind": "git", "location": "/srv/repo", "name": "repo", "commits": 17}],
                   "current": {"commit": "4e" * 20, "date": "2025-07-24T16:55:00Z"}},
        files=tuple(files), skipped=skipped,
        snapshot={"commit": "13" * 20, "window": ["13" * 20, "13" * 20],
                  "dates": ["2025-05-16T15:27:00Z", "2025-05-16T15:27:00Z"], "support": 2, "files": 3,
                  "branch": "refs/heads/main", "dated_files": 3, "mixed": True, "moved": ["leak/src/app.py"],
                  "contradicting": [{"path": "leak/README.md",
                                     "needs": {"dates": ["2025-02-03T10:12:00Z", "2025-05-30T18:10:00Z"]}},
                                    {"path": "leak/<i>ghost</i>.py", "needs": None}],
                  "windows": [
                      {"window": ["13" * 20, "13" * 20], "dates": ["2025-05-16T15:27:00Z", "2025-05-16T15:27:00Z"],
                       "commits": ["13" * 20], "commit_count": 1, "support": 2, "branch": "refs/heads/main",
                       "via_source": 1},
                      {"window": ["20" * 20, "21" * 20], "dates": ["2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z"],
                       "commits": ["20" * 20, "21" * 20], "commit_count": 2, "support": 1,
                       "branch": "refs/heads/<b>x</b>"}]},
        summary=summary, generated_at="2025-08-01T10:00:00Z", verdict_text=VERDICT,
        signatures=({"rule": "aws-access-key", "kind": "credential", "action": "rotate", "path": HOSTILE, "line": 3,
                     "redacted": "AKIA************MPLE", "match": SECRET, "secret": SECRET},
                    {"rule": "canary-token", "kind": "canary", "action": "alert", "path": "leak/src/app.py",
                     "line": 7, "redacted": "canary-***", "match": "canary-0001", "recipient": "<vendor-b>"}),
        ruleset={"id": "5e" * 32, "rules": 12},
    )


@pytest.fixture
def report() -> Report:
    return make_report()
