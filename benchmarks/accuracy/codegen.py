"""Generators of plausible but novel code, driven only by a seeded ``random.Random``.

Nothing here reads a package's files: identifiers come from the word list below, control
flow is chosen at random, so generated lines are not copied from any benchmark package.
Used for forgeries (real header + new code), chimeras (real first half + new code) and
"family-style" fabrications (a fake locale/style/lexer written from scratch).
"""

from __future__ import annotations

import random

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


def ident(rng: random.Random, parts: int = 2) -> str:
    """A snake_case identifier such as ``pending_ledger``."""
    pool = [rng.choice(ADJECTIVES)] + [rng.choice(WORDS) for _ in range(parts - 1)]
    return "_".join(pool[-parts:])


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def sentence(rng: random.Random, low: int = 6, high: int = 12) -> str:
    words = [rng.choice(WORDS + VERBS + ADJECTIVES) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


# --------------------------------------------------------------------------- Python


def _py_expr(rng: random.Random, names: list[str]) -> str:
    a, b = rng.choice(names), rng.choice(names)
    return rng.choice([
        f"{a} + {rng.randint(1, 97)}", f"len({a}) * {rng.randint(2, 9)}", f"{a} or {b}",
        f"max({a}, {b})", f"str({a}).strip()", f"{a}.get({rng.choice(WORDS)!r}, {rng.randint(0, 5)})",
        f"[x for x in {a} if x]", f"{a} % {rng.randint(3, 31)}", f"({a}, {b})", f"sorted({a})",
        f"{a} * {rng.randint(2, 7)} - {b}", f"f\"{rng.choice(WORDS)}-{{{a}}}\"",
    ])


def _py_block(rng: random.Random, names: list[str], depth: int, indent: str) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.random()
        target = ident(rng, rng.choice((1, 2)))
        if kind < 0.4 or depth >= 2:
            lines.append(f"{indent}{target} = {_py_expr(rng, names)}")
            names.append(target)
        elif kind < 0.6:
            lines.append(f"{indent}if {rng.choice(names)} {rng.choice(['>', '<', '==', '!=', 'is not'])} "
                         f"{rng.choice(['None', str(rng.randint(0, 64)), repr(rng.choice(WORDS))])}:")
            lines += _py_block(rng, list(names), depth + 1, indent + "    ")
            if rng.random() < 0.5:
                lines.append(f"{indent}else:")
                lines += _py_block(rng, list(names), depth + 1, indent + "    ")
        elif kind < 0.8:
            item = rng.choice(WORDS)
            lines.append(f"{indent}for {item} in {rng.choice(names)}:")
            lines += _py_block(rng, names + [item], depth + 1, indent + "    ")
        else:
            lines.append(f"{indent}try:")
            lines += _py_block(rng, list(names), depth + 1, indent + "    ")
            lines.append(f"{indent}except ({rng.choice(['KeyError', 'ValueError', 'TypeError'])}, "
                         f"{rng.choice(['IndexError', 'AttributeError', 'OSError'])}):")
            lines.append(f"{indent}    {rng.choice(names)} = None")
    return lines


def python_function(rng: random.Random, method: bool = False) -> str:
    """One Python function (or method) with a docstring and random control flow."""
    name = f"{rng.choice(VERBS)}_{ident(rng, rng.choice((1, 2)))}"
    params = sorted({ident(rng, 1) for _ in range(rng.randint(1, 3))})
    indent = "    " if method else ""
    args = ", ".join((["self"] if method else []) + params)
    lines = [f"{indent}def {name}({args}):", f'{indent}    """{sentence(rng)}"""']
    body = _py_block(rng, list(params), 0, indent + "    ")
    lines += body
    lines.append(f"{indent}    return {rng.choice(params)}")
    return "\n".join(lines) + "\n"


def python_module_body(rng: random.Random, min_lines: int) -> str:
    """Functions and a class until at least ``min_lines`` lines are produced."""
    chunks: list[str] = []
    total = 0
    while total < min_lines:
        if rng.random() < 0.25:
            cls = "".join(part.title() for part in ident(rng, 2).split("_"))
            methods = [python_function(rng, method=True) for _ in range(rng.randint(1, 3))]
            chunk = f"class {cls}:\n    \"\"\"{sentence(rng)}\"\"\"\n\n" + "\n".join(methods)
        else:
            chunk = python_function(rng)
        chunks.append(chunk)
        total += chunk.count("\n") + 2
    return "\n\n".join(chunks)


# --------------------------------------------------------------------------- JavaScript


def _js_expr(rng: random.Random, names: list[str]) -> str:
    a, b = rng.choice(names), rng.choice(names)
    return rng.choice([
        f"{a} + {rng.randint(1, 97)}", f"{a}.length * {rng.randint(2, 9)}", f"{a} || {b}",
        f"Math.max({a}, {b})", f"String({a}).trim()", f"{a}[{rng.choice(WORDS)!r}]",
        f"{a}.filter(Boolean)", f"{a} % {rng.randint(3, 31)}", f"[{a}, {b}]", f"{a}.slice({rng.randint(0, 4)})",
        f"typeof {a} === 'string'", f"'{rng.choice(WORDS)}-' + {a}",
    ])


def _js_block(rng: random.Random, names: list[str], depth: int, indent: str) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.random()
        target = camel(ident(rng, rng.choice((1, 2))))
        if kind < 0.45 or depth >= 2:
            lines.append(f"{indent}var {target} = {_js_expr(rng, names)};")
            names.append(target)
        elif kind < 0.7:
            lines.append(f"{indent}if ({rng.choice(names)} {rng.choice(['>', '<', '===', '!=='])} "
                         f"{rng.choice(['null', str(rng.randint(0, 64)), repr(rng.choice(WORDS))])}) {{")
            lines += _js_block(rng, list(names), depth + 1, indent + "  ")
            lines.append(f"{indent}}}")
        else:
            index = rng.choice("ijk")
            source = rng.choice(names)
            lines.append(f"{indent}for (var {index} = 0; {index} < {source}.length; {index}++) {{")
            lines += _js_block(rng, names + [f"{source}[{index}]"], depth + 1, indent + "  ")
            lines.append(f"{indent}}}")
    return lines


def js_function(rng: random.Random) -> str:
    """One JavaScript function with a JSDoc comment and random control flow."""
    name = camel(f"{rng.choice(VERBS)}_{ident(rng, rng.choice((1, 2)))}")
    params = sorted({camel(ident(rng, 1)) for _ in range(rng.randint(1, 3))})
    lines = ["/**", f" * {sentence(rng)}", " *"]
    lines += [f" * @param {{*}} {p} {sentence(rng, 3, 6)}" for p in params]
    lines += [" */", f"function {name}({', '.join(params)}) {{"]
    lines += _js_block(rng, list(params), 0, "  ")
    lines += [f"  return {rng.choice(params)};", "}"]
    return "\n".join(lines) + "\n"


def js_module_body(rng: random.Random, min_lines: int) -> str:
    chunks: list[str] = []
    names: list[str] = []
    total = 0
    while total < min_lines:
        chunk = js_function(rng)
        names.append(chunk.split("function ", 1)[1].split("(", 1)[0])
        chunks.append(chunk)
        total += chunk.count("\n") + 1
    exports = "\n".join(f"exports.{name} = {name};" for name in names)
    return "\n".join(chunks) + "\n" + exports + "\n"


def module_body(rng: random.Random, language: str, min_lines: int) -> str:
    return js_module_body(rng, min_lines) if language == "js" else python_module_body(rng, min_lines)


# --------------------------------------------------------------------------- family templates


def fake_word(rng: random.Random, low: int = 4, high: int = 9) -> str:
    """A pronounceable made-up word (consonant/vowel alternation)."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    length = rng.randint(low, high)
    return "".join(rng.choice(consonants if i % 2 == 0 else vowels) for i in range(length)).capitalize()


def fake_locale_js(rng: random.Random, code: str) -> str:
    """A date-library locale module, written from scratch with invented month/day names."""
    months = [fake_word(rng) for _ in range(12)]
    days = [fake_word(rng) for _ in range(7)]
    language = fake_word(rng)
    rel = {key: fake_word(rng, 3, 6).lower() for key in "s m mm h hh d dd M MM y yy".split()}
    rel_lines = "\n".join(f"            {key}: '%d {val}'," if len(key) == 2 else f"            {key}: '{val}',"
                          for key, val in rel.items())
    return f"""//! locale configuration for {language} [{code}]
//! contributed by {fake_word(rng)} {fake_word(rng)}

(function (root, build) {{
    if (typeof module === 'object' && module.exports) {{
        build(require('../moment'));
    }} else {{
        build(root.moment);
    }}
}})(this, function (lib) {{
    'use strict';

    var monthNames = '{'_'.join(months)}'.split('_'),
        dayNames = '{'_'.join(days)}'.split('_');

    return lib.defineLocale('{code}', {{
        months: monthNames,
        monthsShort: monthNames.map(function (m) {{ return m.slice(0, 3) + '.'; }}),
        weekdays: dayNames,
        weekdaysShort: dayNames.map(function (d) {{ return d.slice(0, 3); }}),
        weekdaysMin: dayNames.map(function (d) {{ return d.slice(0, 2); }}),
        longDateFormat: {{
            LT: 'HH:mm',
            LTS: 'HH:mm:ss',
            L: 'DD/MM/YYYY',
            LL: 'D MMMM YYYY',
            LLL: 'D MMMM YYYY HH:mm',
            LLLL: 'dddd, D MMMM YYYY HH:mm',
        }},
        relativeTime: {{
            future: '{fake_word(rng, 2, 4).lower()} %s',
            past: '%s {fake_word(rng, 2, 5).lower()}',
{rel_lines}
        }},
        ordinal: function (n) {{
            return n + '{rng.choice(['.', 'o', '-a', 'e'])}';
        }},
        week: {{
            dow: {rng.randint(0, 1)},
            doy: {rng.choice([4, 6, 7])},
        }},
    }});
}});
"""


def fake_style_py(rng: random.Random, name: str) -> str:
    """A syntax-highlighting colour scheme class, written from scratch with random colours."""

    def colour() -> str:
        return "#" + "".join(rng.choice("0123456789abcdef") for _ in range(6))

    tokens = ["Comment", "Comment.Preproc", "Keyword", "Keyword.Type", "Operator.Word", "Name.Builtin",
              "Name.Function", "Name.Class", "Name.Namespace", "Name.Exception", "Name.Variable",
              "Name.Constant", "Name.Tag", "Name.Attribute", "String", "String.Doc", "String.Escape",
              "Number", "Generic.Heading", "Generic.Deleted", "Generic.Inserted", "Error"]
    rng.shuffle(tokens)
    picked = sorted(tokens[: rng.randint(12, 18)])
    entries = "\n".join(
        f'        {t + ":":<22} "{rng.choice(["", "bold ", "italic ", "underline "])}{colour()}",' for t in picked
    )
    cls = name.title().replace("_", "") + "Style"
    return f'''"""
    A {fake_word(rng).lower()} colour scheme inspired by {fake_word(rng)} {fake_word(rng).lower()}.
"""

from pygments.style import Style
from pygments.token import Comment, Error, Generic, Keyword, Name, Number, \\
    Operator, String, Whitespace


class {cls}(Style):
    """{sentence(rng)}"""

    name = "{name}"
    background_color = "{colour()}"
    highlight_color = "{colour()}"

    styles = {{
        Whitespace:            "{colour()}",
{entries}
    }}
'''


def fake_lexer_py(rng: random.Random, name: str) -> str:
    """A regex lexer for an invented language, written from scratch."""
    keywords = sorted({fake_word(rng, 2, 6).lower() for _ in range(rng.randint(8, 16))})
    builtins = sorted({fake_word(rng, 3, 7).lower() for _ in range(rng.randint(5, 10))})
    cls = name.title().replace("_", "") + "Lexer"
    ext = fake_word(rng, 2, 3).lower()
    return f'''"""
    Lexer for the {name.title()} {rng.choice(["configuration", "query", "template", "build"])} language.
"""

from pygments.lexer import RegexLexer, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text

__all__ = ["{cls}"]


class {cls}(RegexLexer):
    """{sentence(rng)}"""

    name = "{name.title()}"
    aliases = ["{name}"]
    filenames = ["*.{ext}"]

    tokens = {{
        "root": [
            (r"\\s+", Text),
            (r"{rng.choice(["#", "//", "--", ";"])}.*?$", Comment.Single),
            (words(({", ".join(repr(k) for k in keywords)}), suffix=r"\\b"), Keyword),
            (words(({", ".join(repr(b) for b in builtins)}), suffix=r"\\b"), Name.Builtin),
            (r'"(\\\\\\\\|\\\\"|[^"])*"', String.Double),
            (r"[0-9]+(\\.[0-9]+)?", Number),
            (r"[{rng.choice(["+-*/", "=<>!", "&|^~"])}]", Operator),
            (r"[{{}}()\\[\\];,.]", Punctuation),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
        ],
    }}
'''
