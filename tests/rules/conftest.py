"""Helpers for the signatures tests: valid-format tokens and small rule files written to tmp."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from triage.rules import BUILTIN_DIR, load_rules
from triage.rules.checks import base62_crc32

ALNUM = string.ascii_letters + string.digits


def ghp(seed: int = 0) -> str:
    rng = random.Random(seed)
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return "ghp_" + body + base62_crc32(body)


def write_rule(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text)
    return p


@pytest.fixture(scope="session")
def builtin():
    return load_rules()


@pytest.fixture(scope="session")
def with_examples(tmp_path_factory):
    """The built-in rules plus the example packs (markers, canaries) renamed into a rules folder."""
    d = tmp_path_factory.mktemp("org-rules")
    for name in ("org-markers.example.yml", "canaries.example.yml"):
        (d / name.replace(".example", "")).write_bytes((BUILTIN_DIR / name).read_bytes())
    return load_rules([d])
