"""A canary hit names the copy the drop came from."""

from __future__ import annotations

from tests.rules.conftest import write_rule
from triage.rules import load_rules

CANARY = """\
id: partner-canaries
title: Partner canary
description: Tokens planted in partner copies.
severity: high
kind: canary
action: attribute
recipients:
  "cnry-7f3a9c": "copy given to Partner A (2025-03)"
  "cnry-22b8e1": "copy given to Partner B (2025-04)"
examples:
  positive: [{text: "ref cnry-22b8e1", recipient: "copy given to Partner B (2025-04)"}]
  negative: ["ref cnry-000000"]
"""


def test_canary_hit_names_the_recipient(tmp_path):
    write_rule(tmp_path, "canary.yml", CANARY)
    rs = load_rules([tmp_path])
    hits = rs.scan_text("deck/notes.txt", "intro\n<!-- build cnry-7f3a9c -->\n")
    assert len(hits) == 1
    h = hits[0]
    assert (h["rule"], h["kind"], h["action"], h["line"]) == ("partner-canaries", "canary", "attribute", 2)
    assert h["recipient"] == "copy given to Partner A (2025-03)"
    assert "cnry-7f3a9c" not in h["redacted"]


def test_shipped_canary_example(with_examples):
    hits = with_examples.scan_text("a.txt", "ref: cnry-22b8e1 and cnry-abcdef\n")
    got = {(h["rule"], h["recipient"]) for h in hits}
    assert ("org-canary-tokens", "copy given to Partner B (2025-04)") in got
    assert ("org-canary-family", None) in got  # a canary-shaped token not on record


def test_markers(with_examples):
    text = "<p>Northwind Internal Only</p>\nhost: git.corp.northwind.example\n"
    hits = with_examples.scan_text("wiki/page.html", text)
    assert [(h["rule"], h["kind"], h["line"]) for h in hits] == [
        ("org-classification-banner", "marker", 1), ("org-internal-host", "marker", 2)]
    assert hits[1]["excerpt"] == "git.corp.northwind.example"
