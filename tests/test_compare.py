"""compare(): line categories and the verbatim run past a candidate's prologue."""

from __future__ import annotations

import numpy as np

from triage.compare import categories, compare, text_view


def _ones(h: np.ndarray) -> np.ndarray:
    return np.ones(len(h))


HEADER = '''"""Module docstring of the real file."""

from pkg.alpha import (
    first_name,
    second_name,
)
import os
'''
BODY = '''

class RealThing(Base):
    def method_one(self, value):
        total = value * 7 + self.offset
        return compute_special_total(total, self.scale)

    def method_two(self):
        return [x for x in self.items if x.enabled]
'''
NEW = '''

def invented_helper(alpha, beta):
    gamma = alpha ** 3 - beta
    return gamma // 11 + len(str(beta))
'''


def test_multiline_import_and_directive_lines_are_prologue():
    cats = categories(HEADER.split("\n"))
    assert cats == ["comment", "import", "import", "import", "import", "import"]
    assert categories(["'use strict';", "import {", "  a,", "} from 'x';", "run(a);"]) == [
        "import", "import", "import", "import", "code"]


def test_run_past_prologue_separates_chimera_from_header_forgery():
    real = text_view(HEADER + BODY)
    chimera = text_view(HEADER + BODY.split("    def method_two")[0] + NEW)
    forgery = text_view(HEADER + NEW)
    assert compare(chimera, real, _ones).run_past_prologue >= 4.0
    assert compare(forgery, real, _ones).run_past_prologue == 0.0
    # A copy that starts after the prologue is not this signal (other rules judge it).
    assert compare(text_view(BODY), real, _ones).run_past_prologue == 0.0


def test_reexport_through_require_is_an_import_line():
    assert categories(["module.exports = require('./lib/express');", "module.exports = build;"]) == [
        "import", "code"]
