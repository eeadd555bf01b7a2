"""The built-in pack loads, passes lint, and every rule passes its own examples."""

from __future__ import annotations

import hashlib
import shutil

from triage.rules import BUILTIN_DIR, RuleSet, lint, load_rules, selftest
from triage.rules.load import nested_repeat, read_rules

EXAMPLE_PACKS = [BUILTIN_DIR / "org-markers.example.yml", BUILTIN_DIR / "canaries.example.yml"]

SECRET_RULES = {
    "private-key", "aws-access-key-id", "aws-secret-access-key", "gcp-service-account-key",
    "azure-storage-key", "github-token", "github-fine-grained-pat", "gitlab-token", "npm-token",
    "pypi-token", "openai-api-key", "anthropic-api-key", "huggingface-token", "slack-token",
    "slack-webhook", "discord-webhook", "database-url-password", "jwt", "generic-secret-assignment",
}


def test_builtin_pack_passes_its_examples(builtin):
    assert selftest(builtin) == []


def test_builtin_pack_lints_clean():
    assert lint([BUILTIN_DIR]) == []


def test_builtin_pack_covers_the_issue(builtin):
    ids = {r.id for r in builtin.rules}
    assert SECRET_RULES <= ids
    assert {r.kind for r in builtin.rules} == {"secret", "policy"}
    assert all(r.positive and r.negative for r in builtin.rules)
    assert all(r.action == "rotate" for r in builtin.rules if r.kind == "secret")


def test_example_packs_are_skipped_but_valid():
    assert not {r.id for r in load_rules().rules} & {"org-codename", "org-canary-tokens"}
    assert lint(EXAMPLE_PACKS) == []
    rules, _, problems = read_rules(EXAMPLE_PACKS)
    assert problems == []
    assert {r.kind for r in rules} == {"marker", "canary"}
    assert selftest(RuleSet(tuple(rules), "x")) == []


def test_no_builtin_regex_nests_quantifiers(builtin):
    for r in builtin.rules:
        for p in r.regex + r.allow:
            assert nested_repeat(p) == "", (r.id, p)


def test_ruleset_id_is_sha256_of_sorted_file_hashes(builtin):
    files = sorted(p for p in BUILTIN_DIR.glob("*.yml") if not p.name.endswith(".example.yml"))
    hashes = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in files)
    assert builtin.id == hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    assert load_rules().id == builtin.id
    assert builtin.describe() == {"id": builtin.id, "rules": len(builtin.rules), "disabled": 0}


def test_ruleset_id_changes_with_a_rule_file(tmp_path):
    d = tmp_path / "sigs"
    shutil.copytree(BUILTIN_DIR, d)
    before = load_rules([d], include_builtin=False).id
    assert before == load_rules().id
    p = d / "jwt.yml"
    p.write_text(p.read_text().replace("severity: medium", "severity: high"))
    assert load_rules([d], include_builtin=False).id != before
    # a user's folder adds to the built-in rules, and to the id
    user = tmp_path / "user"
    shutil.copy(BUILTIN_DIR / "canaries.example.yml", (user.mkdir() or user) / "canaries.yml")
    both = load_rules([user])
    assert both.id not in (before, load_rules().id)
    assert both.get("org-canary-tokens") is not None
