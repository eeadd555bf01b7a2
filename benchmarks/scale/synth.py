"""Synthetic source files for the scale benchmark: seeded, fast, and shaped like an organisation's code.

Every project has its own made-up vocabulary on top of a shared word list, so the specific
lines of a file are as rare across the inventory as real code lines are; the shared material
repeats the way it does in a real organisation: license headers, common imports, idioms
(``return None``, ``if err != nil {``), identical LICENSE files and empty ``__init__.py``. That
shared material is what the matcher's line frequency (``line_df``) discounts, and what makes
posting lists long at scale.

``Project.new_file`` writes a file of a given kind and size; ``Project.edit`` derives the next
version of a file the way commits do (a few lines changed, a function added or removed).
Everything is a function of the ``random.Random`` passed in.
"""

from __future__ import annotations

import math
import random

ORG = "Acme Systems"
WORDS = (
    "account active adapter agent alias anchor archive asset audit backlog badge balance batch beacon "
    "binding bitmap block bucket budget buffer bundle cache cadence canvas cargo cursor channel chapter "
    "checksum cipher claim cluster cohort column commit compass console contract cookie counter coupon "
    "crate credit cycle datum debit delta depot digest domain draft ember engine entry envelope epoch "
    "estate event factor feature ferry fiber filter flag fleet folder forecast fragment frame gadget "
    "garden gauge glyph grain graph grid harbor header helper horizon inbox index invoice island item "
    "journal kernel ladder lane ledger lens level limit linker locker lumen manifest margin marker meadow "
    "member meter mirror module monitor motor needle nexus notice offset orbit outline packet palette "
    "parcel partner patch payload pebble permit pivot planner pocket portal prism probe profile quota "
    "radar range ration record region relay remark replica report ribbon rival route runner sample "
    "schema scope sector sensor shard signal slate socket spindle sprite stamp status stencil summit "
    "ticket timber token tracker tunnel uplink unit vector venue verdict vessel voucher wallet warden "
    "widget window worker zone"
).split()
VERBS = (
    "apply assemble balance build collect compose compute convert count derive detect drain emit "
    "encode estimate expand extract fetch filter flatten fold format gather group inspect join load "
    "measure merge normalize pack parse pick plan prepare probe publish rank read reconcile refresh "
    "render resolve restore route sample scan score seal select settle shift sort split stage store "
    "summarize sync tally trim update validate verify weigh wrap"
).split()
ADJECTIVES = (
    "active brief cached clean closed coarse dirty early empty exact final fresh hidden idle initial "
    "known large latest local lower main minor nested open partial pending plain primary private raw "
    "recent remote safe sealed shared short silent small sparse stale strict upper valid"
).split()
# Made-up words per project: with the shared list they make identifiers that rarely repeat
# across projects, as real code's do.
PROJECT_WORDS = 800

# The organisation's license headers (one per comment style); most files carry one.
LICENSE_BODY = [
    f"Copyright (c) {{year}} {ORG} and contributors. All rights reserved.",
    "",
    'Licensed under the Apache License, Version 2.0 (the "License");',
    "you may not use this file except in compliance with the License.",
    "You may obtain a copy of the License at",
    "",
    "    http://www.apache.org/licenses/LICENSE-2.0",
    "",
    "Unless required by applicable law or agreed to in writing, software",
    'distributed under the License is distributed on an "AS IS" BASIS,',
    "WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.",
    "See the License for the specific language governing permissions and",
    "limitations under the License.",
]
SHORT_LICENSE = [f"Copyright {ORG}.", "SPDX-License-Identifier: Apache-2.0"]
LICENSE_FILE = ("\n".join(x.replace("{year}", "2014") for x in LICENSE_BODY) + "\n").encode()
GITIGNORE = b"__pycache__/\n*.pyc\nnode_modules/\ndist/\nbuild/\n.env\n*.log\n.DS_Store\n"
# Contents every project holds byte for byte (they are counted once in the inventory).
ORG_SHARED = (LICENSE_FILE, GITIGNORE, b"")

PY_IMPORTS = [
    "from __future__ import annotations", "import os", "import sys", "import json", "import logging",
    "import re", "import time", "import typing", "from typing import Any", "from typing import Optional",
    "from collections import defaultdict", "from dataclasses import dataclass", "from pathlib import Path",
    "import itertools", "import functools", "import hashlib", "from datetime import datetime",
    "import subprocess", "import threading", "from enum import Enum",
]
JS_IMPORTS = [
    "'use strict';", "const path = require('path');", "const fs = require('fs');",
    "const util = require('util');", "const assert = require('assert');", "const events = require('events');",
    "const crypto = require('crypto');", "const os = require('os');", "const url = require('url');",
]
GO_TYPES = ("int", "string", "[]byte", "bool", "int64", "float64", "[]string", "map[string]int", "error")
GO_ZERO = {"error": "nil", "(int, error)": "0, nil", "bool": "false", "string": '""', "": ""}
GO_FAIL = {"error": "err", "(int, error)": "0, err", "bool": "false", "string": '""', "": ""}
GO_IMPORTS = ['"fmt"', '"errors"', '"context"', '"strings"', '"time"', '"sync"', '"io"', '"os"', '"sort"',
              '"strconv"', '"encoding/json"', '"net/http"']

# File names many folders use (a real organisation has hundreds of README.md and index.js).
COMMON_NAMES = {
    "py": ("utils.py", "models.py", "views.py", "config.py", "conftest.py", "main.py", "setup.py",
           "test_utils.py"),
    "js": ("index.js", "utils.js", "config.js", "constants.js"),
    "go": ("main.go", "types.go", "errors.go", "util.go", "doc.go"),
    "md": ("README.md", "CHANGELOG.md", "CONTRIBUTING.md"),
    "json": ("package.json", "config.json", "tsconfig.json"),
    "yaml": ("config.yaml", "docker-compose.yaml", "ci.yaml"),
    "bin": ("logo.png", "icon.png"),
}
COMMON_NAME_CHANCE = 0.1
# File kinds and their share of new files; sizes are log-normal within [MIN_SIZE, MAX_SIZE].
KINDS = (("py", 0.42), ("js", 0.24), ("go", 0.16), ("md", 0.06), ("json", 0.05), ("yaml", 0.03),
         ("bin", 0.02), ("init", 0.02))
MIN_SIZE = 300
MAX_SIZE = 20_000
MEDIAN_SIZE = 1_400
SIZE_SIGMA = 0.85
# Files grow by edits; past this they lose a block instead.
MAX_EDITED_SIZE = 16_000
# Above this size an edit removes a block as often as it adds one.
LARGE_SIZE = 4_000


def fake_word(rng: random.Random) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    n = rng.randint(4, 8)
    return "".join(rng.choice(consonants if i % 2 == 0 else vowels) for i in range(n))


def target_size(rng: random.Random) -> int:
    return int(min(MAX_SIZE, max(MIN_SIZE, rng.lognormvariate(math.log(MEDIAN_SIZE), SIZE_SIGMA))))


def pick_kind(rng: random.Random) -> str:
    x = rng.random()
    for kind, share in KINDS:
        x -= share
        if x < 0:
            return kind
    return KINDS[0][0]


class Project:
    """One repository's vocabulary and file writers."""

    def __init__(self, name: str, seed: str):
        rng = random.Random(f"vocab:{seed}")
        self.name = name
        self.words = sorted({fake_word(rng) for _ in range(PROJECT_WORDS)})
        self.modules = [rng.choice(self.words) for _ in range(24)]
        self.types = [rng.choice(self.words).title() + rng.choice(WORDS).title() for _ in range(40)]

    # -- vocabulary ------------------------------------------------------------------------

    def word(self, rng: random.Random) -> str:
        return rng.choice(self.words) if rng.random() < 0.6 else rng.choice(WORDS)

    def ident(self, rng: random.Random) -> str:
        n = 1 if rng.random() < 0.3 else 2 if rng.random() < 0.8 else 3
        parts = [self.word(rng) for _ in range(n)]
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(ADJECTIVES))
        return "_".join(parts)

    def camel(self, rng: random.Random) -> str:
        head, *rest = self.ident(rng).split("_")
        return head + "".join(p.title() for p in rest)

    def sentence(self, rng: random.Random, low: int = 5, high: int = 12) -> str:
        words = [self.word(rng) if rng.random() < 0.3 else rng.choice(WORDS + VERBS + ADJECTIVES)
                 for _ in range(rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def num(self, rng: random.Random) -> str:
        return str(rng.choice((rng.randint(0, 9), rng.randint(10, 999), rng.randint(1000, 99999))))

    # -- files -----------------------------------------------------------------------------

    def new_file(self, rng: random.Random, kind: str, size: int, year: int) -> list[str] | bytes:
        """A new file of ``kind`` of about ``size`` bytes: text lines, or bytes for binaries."""
        if kind == "bin":
            return b"\x89PNG\r\n\x1a\n" + rng.randbytes(size)
        if kind == "init":
            return [] if rng.random() < 0.7 else [f'"""{self.sentence(rng)}"""']
        writer = {"py": self._py, "js": self._js, "go": self._go, "md": self._md, "json": self._json,
                  "yaml": self._yaml}[kind]
        return writer(rng, size, year)

    def header(self, rng: random.Random, prefix: str, year: int) -> list[str]:
        x = rng.random()
        if x < 0.55:
            return [(prefix + line.replace("{year}", str(year))).rstrip() for line in LICENSE_BODY] + [""]
        if x < 0.75:
            return [prefix + line for line in SHORT_LICENSE] + [""]
        return []

    def _fill(self, lines: list[str], size: int, block) -> list[str]:
        """Blocks until the file reaches ``size`` (at least one: a header is not a file)."""
        total = sum(len(x) + 1 for x in lines)
        lines.extend(block())
        while total < size:
            chunk = block()
            lines.extend(chunk)
            total += sum(len(x) + 1 for x in chunk)
        return lines

    def _py(self, rng: random.Random, size: int, year: int) -> list[str]:
        lines = self.header(rng, "# ", year)
        lines.append(f'"""{self.sentence(rng)}"""')
        lines.append("")
        lines += sorted(set(rng.sample(PY_IMPORTS, rng.randint(1, 6))))
        for _ in range(rng.randint(0, 3)):
            lines.append(f"from {self.name}.{rng.choice(self.modules)} import {rng.choice(self.types)}")
        lines.append("")
        if rng.random() < 0.5:
            lines.append("logger = logging.getLogger(__name__)")
        if rng.random() < 0.6:
            lines.append(f"{self.ident(rng).upper()} = {self.num(rng)}")
        return self._fill(lines, size, lambda: self.py_block(rng))

    def py_block(self, rng: random.Random) -> list[str]:
        if rng.random() < 0.25:
            out = ["", "", f"class {rng.choice(self.types)}{self.camel(rng).title()}:",
                   f'    """{self.sentence(rng)}"""']
            for _ in range(rng.randint(1, 3)):
                out.append("")
                out += self._py_func(rng, "    ", True)
            return out
        return ["", "", *self._py_func(rng, "", False)]

    def _py_func(self, rng: random.Random, ind: str, method: bool) -> list[str]:
        params = sorted({self.ident(rng) for _ in range(rng.randint(0, 3))})
        names = params or [self.ident(rng)]
        args = ", ".join((["self"] if method else []) + params)
        out = [f"{ind}def {rng.choice(VERBS)}_{self.ident(rng)}({args}):"]
        if rng.random() < 0.6:
            out.append(f'{ind}    """{self.sentence(rng)}"""')
        out += self._py_stmts(rng, names, ind + "    ", 0)
        out.append(f"{ind}    return {rng.choice(names) if rng.random() < 0.7 else 'None'}")
        return out

    def _py_stmts(self, rng: random.Random, names: list[str], ind: str, depth: int) -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(2, 6)):
            x = rng.random()
            a = rng.choice(names)
            if x < 0.35 or depth >= 2:
                t = self.ident(rng)
                out.append(f"{ind}{t} = {self._py_expr(rng, names)}")
                names = names + [t]
            elif x < 0.5:
                out.append(f"{ind}if {a} {rng.choice(('>', '<', '==', '!=', 'is not'))} {self.num(rng)}:")
                out += self._py_stmts(rng, names, ind + "    ", depth + 1)
                if rng.random() < 0.4:
                    out.append(f"{ind}else:")
                    out += self._py_stmts(rng, names, ind + "    ", depth + 1)
            elif x < 0.62:
                item = self.ident(rng)
                out.append(f"{ind}for {item} in {a}:")
                out += self._py_stmts(rng, names + [item], ind + "    ", depth + 1)
            elif x < 0.72:
                out += [f"{ind}try:", *self._py_stmts(rng, names, ind + "    ", depth + 1),
                        f"{ind}except {rng.choice(('KeyError', 'ValueError', 'OSError', 'Exception'))}:",
                        f"{ind}    "
                        f"{rng.choice(('return None', 'pass', 'raise', 'continue' if depth else 'pass'))}"]
            elif x < 0.82:
                out.append(f"{ind}logger.{rng.choice(('debug', 'info', 'warning'))}"
                           f"(\"{self.sentence(rng, 3, 7)}\", {a})")
            elif x < 0.9:
                out.append(f"{ind}{a}.{rng.choice(VERBS)}_{self.word(rng)}({self._py_expr(rng, names)})")
            else:
                out.append(f"{ind}# {self.sentence(rng, 4, 10)}")
        return out

    def _py_expr(self, rng: random.Random, names: list[str]) -> str:
        a, b = rng.choice(names), rng.choice(names)
        w, n = self.word(rng), self.num(rng)
        return rng.choice((
            f"{a} + {n}", f"len({a}) * {n}", f"{a} or {b}", f"max({a}, {b})", f"str({a}).strip()",
            f"{a}.get({w!r}, {n})", f"[x for x in {a} if x]", f"{a} % {n}", f"({a}, {b})", f"sorted({a})",
            f"{rng.choice(self.types)}({a}, {w}={n})", f"self.{w}_{rng.choice(WORDS)}" if a else "None",
            f"{rng.choice(VERBS)}_{w}({a}, {b})", f"f\"{w}-{{{a}}}\"", "{}", "[]",
        ))

    def _js(self, rng: random.Random, size: int, year: int) -> list[str]:
        head = self.header(rng, "", year)
        lines = ["/*", *[(" * " + x).rstrip() for x in head[:-1]], " */", ""] if head else []
        lines += sorted(set(rng.sample(JS_IMPORTS, rng.randint(1, 4))),
                        key=lambda s: (s != "'use strict';", s))
        for _ in range(rng.randint(0, 3)):
            lines.append(f"const {self.camel(rng)} = require('./{rng.choice(self.modules)}');")
        names: list[str] = []

        def block() -> list[str]:
            out = self._js_func(rng)
            decl = next(s for s in out if s.startswith("function "))
            names.append(decl[len("function "):].split("(", 1)[0])
            return out

        self._fill(lines, size, block)
        lines += ["", "module.exports = {", *[f"  {n}," for n in names], "};"]
        return lines

    def _js_func(self, rng: random.Random) -> list[str]:
        name = f"{rng.choice(VERBS)}{self.camel(rng).title()}"
        params = sorted({self.camel(rng) for _ in range(rng.randint(0, 3))})
        out = [""]
        if rng.random() < 0.6:
            out += ["/**", f" * {self.sentence(rng)}", *[f" * @param {{*}} {p}" for p in params], " */"]
        out.append(f"function {name}({', '.join(params)}) {{")
        out += self._js_stmts(rng, params or [self.camel(rng)], "  ", 0)
        out += [f"  return {rng.choice(params) if params and rng.random() < 0.7 else 'null'};", "}"]
        return out

    def _js_stmts(self, rng: random.Random, names: list[str], ind: str, depth: int) -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(2, 6)):
            x = rng.random()
            a = rng.choice(names)
            if x < 0.4 or depth >= 2:
                t = self.camel(rng)
                n = self.num(rng)
                expr = rng.choice((f"{a} + {n}", f"{a}.length * {n}", f"{a} || {self.camel(rng)}",
                                   f"Math.max({a}, {n})", f"String({a}).trim()", f"{a}['{self.word(rng)}']",
                                   f"{a}.filter(Boolean)", f"[{a}, {n}]", f"'{self.word(rng)}-' + {a}",
                                   "{}", "[]"))
                out.append(f"{ind}{rng.choice(('const', 'let', 'var'))} {t} = {expr};")
                names = names + [t]
            elif x < 0.6:
                out.append(f"{ind}if ({a} {rng.choice(('>', '<', '===', '!=='))} {self.num(rng)}) {{")
                out += self._js_stmts(rng, names, ind + "  ", depth + 1)
                out.append(f"{ind}}}")
            elif x < 0.72:
                out.append(f"{ind}for (let i = 0; i < {a}.length; i++) {{")
                out += self._js_stmts(rng, names + [f"{a}[i]"], ind + "  ", depth + 1)
                out.append(f"{ind}}}")
            elif x < 0.8:
                out += [f"{ind}if (!{a}) {{", f"{ind}  return null;", f"{ind}}}"]
            elif x < 0.9:
                out.append(f"{ind}{a}.{rng.choice(VERBS)}{self.word(rng).title()}({self.num(rng)});")
            else:
                out.append(f"{ind}// {self.sentence(rng, 4, 10)}")
        return out

    def _go(self, rng: random.Random, size: int, year: int) -> list[str]:
        lines = self.header(rng, "// ", year)
        lines += [f"package {rng.choice(self.modules)}", "", "import ("]
        lines += [f"\t{x}" for x in sorted(rng.sample(GO_IMPORTS, rng.randint(1, 5)))]
        lines += [")", ""]
        return self._fill(lines, size, lambda: self._go_func(rng))

    def _go_func(self, rng: random.Random) -> list[str]:
        name = f"{rng.choice(VERBS).title()}{self.camel(rng).title()}"
        params = sorted({self.camel(rng) for _ in range(rng.randint(0, 3))})
        recv = rng.choice(self.types)
        sig = ", ".join(f"{p} {rng.choice(GO_TYPES + ('*' + recv,))}" for p in params)
        ret = rng.choice(("error", "error", "(int, error)", "bool", "string", ""))
        out = ["", f"// {name} {self.sentence(rng).lower()}"]
        head = f"func (s *{recv}) {name}({sig})" if rng.random() < 0.6 else f"func {name}({sig})"
        out.append(f"{head} {ret} {{" if ret else f"{head} {{")
        out += self._go_stmts(rng, params or ["s"], "\t", 0, ret)
        out.append(f"\treturn {GO_ZERO[ret]}" if ret else "\treturn")
        out.append("}")
        return out

    def _go_stmts(self, rng: random.Random, names: list[str], ind: str, depth: int, ret: str) -> list[str]:
        out: list[str] = []
        fail = GO_FAIL[ret]
        for _ in range(rng.randint(2, 6)):
            x = rng.random()
            a = rng.choice(names)
            w = self.word(rng)
            if x < 0.22 or depth >= 2 and x < 0.5:
                t = self.camel(rng)
                expr = rng.choice((f"len({a}) + {self.num(rng)}", f"{self.camel(rng)}({a})", f'"{w}-" + {a}',
                                   f"make([]{rng.choice(GO_TYPES)}, 0, {self.num(rng)})",
                                   f"map[string]{rng.choice(GO_TYPES)}{{}}", f"&{rng.choice(self.types)}{{}}",
                                   f"{rng.choice(self.types)}{{{w.title()}: {a}}}",
                                   f"strconv.Itoa({self.num(rng)})",
                                   f"s.{w}{rng.choice(WORDS).title()}", f"strings.Split({a}, \"{w}\")"))
                out.append(f"{ind}{t} := {expr}")
                names = names + [t]
            elif x < 0.34:
                call = f"{rng.choice(('s.', '', 'client.'))}{rng.choice(VERBS).title()}{w.title()}({a})"
                if fail:
                    out += [f"{ind}if err := {call}; err != nil {{", f"{ind}\treturn {fail}", f"{ind}}}"]
                else:
                    out.append(f"{ind}{call}")
            elif x < 0.44:
                t = self.camel(rng)
                out.append(f"{ind}{t}, err := {rng.choice(VERBS)}{w.title()}({a})")
                wrap = rng.choice(("err", f'fmt.Errorf("{w}: %w", err)',
                                   f'errors.New("{self.sentence(rng, 2, 4)}")'))
                if fail:
                    out += [f"{ind}if err != nil {{", f"{ind}\treturn {fail.replace('err', wrap)}",
                            f"{ind}}}"]
                names = names + [t]
            elif x < 0.54 and depth < 2:
                item = self.camel(rng)
                out.append(f"{ind}for {rng.choice(('_', 'i'))}, {item} := range {a} {{")
                out += self._go_stmts(rng, names + [item], ind + "\t", depth + 1, ret)
                out.append(f"{ind}}}")
            elif x < 0.62 and depth < 2:
                out.append(f"{ind}if {a} {rng.choice(('>', '<', '==', '!='))} {self.num(rng)} {{")
                out += self._go_stmts(rng, names, ind + "\t", depth + 1, ret)
                if rng.random() < 0.3:
                    out.append(f"{ind}}} else {{")
                    out += self._go_stmts(rng, names, ind + "\t", depth + 1, ret)
                out.append(f"{ind}}}")
            elif x < 0.67 and depth < 2:
                out.append(f"{ind}switch {a} {{")
                for _c in range(rng.randint(1, 3)):
                    out.append(f"{ind}case {self.num(rng)}, {self.num(rng)}:" if rng.random() < 0.5
                               else f'{ind}case "{self.word(rng)}":')
                    out += self._go_stmts(rng, names, ind + "\t", 2, ret)
                out += [f"{ind}default:", f"{ind}\t{self.camel(rng)} = {self.num(rng)}", f"{ind}}}"]
            elif x < 0.72:
                out += [f"{ind}s.{rng.choice(('mu', 'lock', 'guard'))}.Lock()",
                        f"{ind}defer s.{rng.choice(('mu', 'lock', 'guard'))}.Unlock()"]
            elif x < 0.8:
                out.append(f"{ind}{a} = append({a}, {rng.choice(names)})")
            elif x < 0.86:
                out.append(f"{ind}s.{w}{rng.choice(WORDS).title()} = {rng.choice(names)}")
            elif x < 0.93:
                out.append(f'{ind}{rng.choice(("fmt.Printf", "log.Printf", "s.logger.Debugf"))}'
                           f'("{w} %v\\n", {a})')
            else:
                out.append(f"{ind}// {self.sentence(rng, 4, 10)}")
        return out

    def _md(self, rng: random.Random, size: int, year: int) -> list[str]:
        lines = [f"# {self.sentence(rng, 2, 5)[:-1]}", ""]

        def block() -> list[str]:
            x = rng.random()
            if x < 0.2:
                return [f"## {self.sentence(rng, 2, 5)[:-1]}", ""]
            if x < 0.4:
                return [f"- {self.sentence(rng, 3, 9)}" for _ in range(rng.randint(2, 5))] + [""]
            return [" ".join(self.sentence(rng) for _ in range(rng.randint(1, 4))), ""]

        return self._fill(lines, size, block)

    def _json(self, rng: random.Random, size: int, year: int) -> list[str]:
        lines = ["{", f'  "name": "{self.name}-{self.word(rng)}",',
                 f'  "version": "{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",']
        self._fill(lines, size, lambda: [
            f'  "{self.camel(rng)}": '
            f'{rng.choice((self.num(rng), chr(34) + self.word(rng) + chr(34), "true", "false", "null"))},'])
        lines[-1] = lines[-1].rstrip(",")
        return lines + ["}"]

    def _yaml(self, rng: random.Random, size: int, year: int) -> list[str]:
        lines = [f"# {self.sentence(rng)}", f"name: {self.name}"]

        def block() -> list[str]:
            out = [f"{self.ident(rng)}:"]
            out += [f"  {self.ident(rng)}: {rng.choice((self.num(rng), self.word(rng), 'true', 'false'))}"
                    for _ in range(rng.randint(1, 6))]
            return out

        return self._fill(lines, size, block)

    # -- versions --------------------------------------------------------------------------

    def block_for(self, rng: random.Random, kind: str) -> list[str]:
        if kind == "py":
            return ["", "", *self._py_func(rng, "", False)]
        if kind == "js":
            return self._js_func(rng)
        if kind == "go":
            return self._go_func(rng)
        if kind == "md":
            return [self.sentence(rng), ""]
        if kind == "yaml":
            return [f"{self.ident(rng)}: {self.num(rng)}"]
        return [f'  "{self.camel(rng)}": {self.num(rng)},']

    def edit(self, rng: random.Random, kind: str, old: list[str] | bytes) -> list[str] | bytes:
        """The next version of a file, as a commit would make it."""
        if isinstance(old, bytes):
            data = bytearray(old)
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(8, max(9, len(data)))
                data[i:i + 16] = rng.randbytes(16)
            if rng.random() < 0.3:
                data += rng.randbytes(rng.randint(100, 2000))
            return bytes(data[:MAX_SIZE])
        lines = list(old)
        size = sum(len(x) + 1 for x in lines)
        x = rng.random()
        if not lines or kind == "init":
            return lines + [f"# {self.sentence(rng)}"]
        if size > MAX_EDITED_SIZE or (x < (0.3 if size > LARGE_SIZE else 0.1) and len(lines) > 30):
            start = rng.randrange(len(lines) // 4, len(lines) - 5)
            del lines[start : start + rng.randint(3, 15)]
            return lines
        if x < 0.7:
            for _ in range(rng.randint(1, 3)):
                self._touch_line(rng, lines)
            return lines
        block = self.block_for(rng, kind)
        if kind in ("json",):
            lines[1:1] = block
        elif rng.random() < 0.5 or kind not in ("py", "go", "md"):
            at = len(lines) - (4 if kind == "js" and len(lines) > 8 else 0)
            lines[at:at] = block
        else:
            blanks = [i for i, s in enumerate(lines) if not s]
            at = rng.choice(blanks) if blanks else len(lines)
            lines[at:at] = block
        if x > 0.9:
            self._touch_line(rng, lines)
        return lines

    def _touch_line(self, rng: random.Random, lines: list[str]) -> None:
        """Change one line: a number, a name, or the line itself."""
        for _ in range(8):
            i = rng.randrange(len(lines))
            s = lines[i]
            if len(s.strip()) < 8:
                continue
            digits = [j for j, c in enumerate(s) if c.isdigit()]
            if digits and rng.random() < 0.5:
                j = rng.choice(digits)
                lines[i] = s[:j] + str((int(s[j]) + rng.randint(1, 9)) % 10) + s[j + 1 :]
            else:
                words = [w for w in s.replace("(", " ").replace(")", " ").split()
                         if w.isidentifier() and len(w) > 3]
                if words:
                    w = rng.choice(words)
                    lines[i] = s.replace(w, self.ident(rng), 1)
                else:
                    lines[i] = s + f"  # {self.word(rng)}"
            return
        lines.append(f"# {self.sentence(rng)}")


def render(content: list[str] | bytes) -> bytes:
    if isinstance(content, bytes):
        return content
    return ("\n".join(content) + "\n").encode() if content else b""
