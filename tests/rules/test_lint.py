"""A broken rule file is named with its problem, by lint and by load_rules."""

from __future__ import annotations

import pytest

from tests.rules.conftest import write_rule
from triage.rules import RuleError, lint, load_rules

GOOD = """\
id: {id}
title: Test token
description: A test token.
severity: high
kind: secret
action: rotate
match:
  regex: ['{regex}']
references: [https://example.invalid/doc]
examples:
  positive: ["tok_Q7ZXR4WP2K"]
  negative: ["tok_"]
"""


def good(rule_id: str = "test-token", regex: str = r"tok_[A-Z0-9]{10}") -> str:
    return GOOD.format(id=rule_id, regex=regex)


def test_good_rule_lints_clean(tmp_path):
    write_rule(tmp_path, "a.yml", good())
    assert lint([tmp_path]) == []
    assert load_rules([tmp_path], include_builtin=False).get("test-token") is not None


@pytest.mark.parametrize("text, problem", [
    ("id: [unclosed\n", "invalid YAML"),
    (good().replace("severity: high\n", ""), "'severity' is a required property"),
    (good().replace("kind: secret", "kind: secrets"), "kind"),
    (good().replace('  positive: ["tok_Q7ZXR4WP2K"]\n', "  positive: []\n"), "examples.positive"),
    (good().replace('  negative: ["tok_"]\n', ""), "'negative' is a required property"),
    (good(regex=r"tok_[A-Z0-9{10}"), "invalid regular expression"),
    (good(regex=r"(?:[a-z]+)+x"), "catastrophic backtracking"),
    (good(regex=r"x*"), "matches the empty string"),
    (good().replace("match:\n", "match:\n  validate: luhn\n"), "match.validate"),
    ("just a string\n", "expected a rule"),
])
def test_broken_rule_is_named(tmp_path, text, problem):
    p = write_rule(tmp_path, "broken.yml", text)
    problems = lint([tmp_path])
    assert problems, text
    assert problems[0].startswith(f"{p}: ")
    assert problem in problems[0]
    with pytest.raises(RuleError) as e:
        load_rules([tmp_path])
    assert str(p) in str(e.value) and e.value.exit_code == 2


def test_duplicate_ids_name_both_files(tmp_path):
    write_rule(tmp_path, "a.yml", good())
    b = write_rule(tmp_path, "b.yml", good())
    problems = lint([tmp_path])
    assert len(problems) == 1 and problems[0].startswith(f"{b}: duplicate rule id 'test-token'")
    assert str(tmp_path / "a.yml") in problems[0]


def test_duplicate_of_a_builtin_id(tmp_path):
    write_rule(tmp_path, "mine.yml", good("jwt"))
    with pytest.raises(RuleError, match="duplicate rule id 'jwt'"):
        load_rules([tmp_path])


def test_pack_names_the_rule(tmp_path):
    second = good("second").replace("kind: secret", "kind: x")
    pack = "- " + good("first").replace("\n", "\n  ") + "\n- " + second.replace("\n", "\n  ")
    p = write_rule(tmp_path, "pack.yml", pack)
    problems = lint([tmp_path])
    assert len(problems) == 1 and problems[0].startswith(f"{p}: rule 2 (second): kind")


def test_keywords_must_reach_the_positive_examples(tmp_path):
    write_rule(tmp_path, "kw.yml", good().replace("match:\n", "match:\n  keywords: [secret_]\n"))
    assert any("holds none of the keywords" in p for p in lint([tmp_path]))


def test_missing_folder_is_a_problem(tmp_path):
    assert lint([tmp_path / "nope"]) == [f"{tmp_path / 'nope'}: no such rule file or directory"]
