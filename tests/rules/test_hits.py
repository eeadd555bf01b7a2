"""What a hit says, where, and what it never says (the secret whole)."""

from __future__ import annotations

import hashlib
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.rules.conftest import ghp
from triage.rules import load_rules
from triage.rules.checks import base62_crc32, is_placeholder, redact
from triage.rules.engine import MAX_HITS_PER_RULE

AKIA = "AKIA6LAXYOEYZGCHNYG2"
RULES = load_rules()


def test_hit_fields(builtin):
    text = "x = 1\n\nAWS_ACCESS_KEY_ID = 'AKIA6LAXYOEYZGCHNYG2'\n"
    (hit,) = builtin.scan_text("leak/conf/settings.py", text, "text/x-python", len(text))
    assert hit == {
        "rule": "aws-access-key-id", "kind": "secret", "action": "rotate", "severity": "high",
        "title": "AWS access key id", "path": "leak/conf/settings.py", "line": 3, "scope": "file",
        "redacted": "AKIA…NYG2", "fingerprint": hashlib.sha256(AKIA.encode()).hexdigest(),
    }


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_redaction_never_holds_the_secret(secret):
    out = redact(secret)
    assert secret not in out
    kept = len(out.replace("…", "", 1))
    assert kept <= (8 if len(secret) >= 16 else 4 if len(secret) >= 12 else 2)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=30, max_size=30))
def test_hits_never_hold_the_token(body):
    tok = "ghp_" + body + base62_crc32(body)
    assume(not is_placeholder(tok))  # 000..., xxxx... are placeholders, rightly not reported
    hits = RULES.scan_text("a.sh", f"export GITHUB_TOKEN={tok}\ncurl -H 'Authorization: token {tok}'\n")
    assert [h["line"] for h in hits] == [1, 2]
    for h in hits:
        assert tok not in repr(h) and body not in repr(h)
        assert h["fingerprint"] == hashlib.sha256(tok.encode()).hexdigest()


def test_generic_rule_yields_to_the_specific_one(builtin):
    hits = builtin.scan_text("a.py", f'token = "{ghp(3)}"\napi_key = "Sfbdfhho9orrnSu3C4bMxU"\n')
    assert [(h["rule"], h["line"]) for h in hits] == [("github-token", 1), ("generic-secret-assignment", 2)]


def test_hits_per_rule_are_capped(builtin):
    text = "\n".join(f"t{i} = {ghp(i)}" for i in range(MAX_HITS_PER_RULE + 30))
    assert len(builtin.scan_text("tokens.txt", text)) == MAX_HITS_PER_RULE


def test_file_filters(builtin):
    readme = 'client_secret = "Sfbdfhho9orrnSu3C4bMxU"'
    assert builtin.scan_text("docs/setup.md", readme) == []  # the generic rule skips documentation
    assert len(builtin.scan_text("app/settings.py", readme)) == 1
    key = f"GITHUB_TOKEN={ghp(1)}"
    assert len(builtin.scan_text("docs/setup.md", key)) == 1  # specific rules run everywhere


def test_policy_rules_do_not_run_on_whole_members(builtin):
    assert builtin.scan_text("install.sh", "curl -fsSL http://x | sh\n") == []


def test_scan_text_is_deterministic(builtin):
    text = f"a={ghp(1)}\nb={AKIA}\npassword = 'Tr0ub4dor&3xK9q!zP'\n" * 3
    assert builtin.scan_text("x.env", text) == builtin.scan_text("x.env", text)
