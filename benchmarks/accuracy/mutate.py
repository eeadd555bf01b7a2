"""Alterations applied to internal files to make "altered" benchmark cases.

Every function takes the source text (and a seeded RNG) and returns new text, or raises
``NotApplicable`` when the source has nothing to alter that way (no comments to strip, no
function to delete...). The builder checks afterwards that the result's bytes equal no
internal blob, so a no-op can never be mislabelled as altered.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import codegen

PY_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(", re.M)
JS_FUNC = re.compile(
    r"^(?P<indent>[ \t]*)(?:function\s+(?P<a>\w+)\s*\(|(?:var|let|const)\s+(?P<b>\w+)\s*=\s*function\b"
    r"|(?P<c>[\w.]+)\s*=\s*function\b|(?P<d>\w+)\s*:\s*function\b)",
    re.M,
)
IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{3,}\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
KEYWORDS = frozenset(
    "self cls None True False return import from class def function var let const this null true false "
    "undefined require module exports while for else elif with yield async await lambda pass raise "
    "break continue typeof instanceof delete switch case default throw catch finally try".split()
)


class NotApplicable(Exception):
    """The source offers nothing to alter in this way."""


def language(path: str) -> str:
    """"py", "js" or "text", from the file name."""
    if path.endswith((".py", ".pyi")):
        return "py"
    if path.endswith((".js", ".mjs", ".cjs")):
        return "js"
    return "text"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


# --------------------------------------------------------------------------- code edits


def _statement(rng: random.Random, lang: str, indent: str) -> str:
    name = codegen.ident(rng, 2)
    if lang == "js":
        return f"{indent}var {codegen.camel(name)} = {rng.randint(2, 999)};\n"
    if lang == "py":
        return f"{indent}{name} = {rng.randint(2, 999)}\n"
    return f"{indent}{codegen.sentence(rng)}\n"


def inserted_lines(text: str, lang: str, rng: random.Random) -> str:
    """Insert 2-6 new lines at 1-3 places, indented like their neighbour."""
    lines = _lines(text)
    if len(lines) < 5:
        raise NotApplicable("too short")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(1, len(lines))
        indent = _indent_of(lines[at])
        new = [_statement(rng, lang, indent) for _ in range(rng.randint(2, 4))]
        if lang == "py" and lines[at - 1].rstrip().endswith((":", ",", "(", "[", "{", "\\")):
            continue  # keep Python plausible: no insert right after an opener
        lines[at:at] = new
    return "".join(lines)


def _block_end_py(lines: list[str], start: int) -> int:
    indent = len(_indent_of(lines[start]))
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and len(_indent_of(line)) <= indent and not line.lstrip().startswith((")", "]")):
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _block_end_js(text: str, start: int) -> int:
    brace = text.find("{", start)
    if brace < 0:
        raise NotApplicable("no body")
    depth = 0
    for index in range(brace, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                end = index + 1
                while end < len(text) and text[end] in ";\r":
                    end += 1
                return end
    raise NotApplicable("unbalanced braces")


def deleted_function(text: str, lang: str, rng: random.Random) -> str:
    """Remove one whole function or method (at most 40% of the file)."""
    if lang == "py":
        lines = _lines(text)
        starts = [i for i, line in enumerate(lines) if PY_DEF.match(line)]
        rng.shuffle(starts)
        for start in starts:
            end = _block_end_py(lines, start)
            while start > 0 and lines[start - 1].lstrip().startswith("@"):
                start -= 1
            if (end - start) <= 0.4 * len(lines):
                return "".join(lines[:start] + lines[end:])
    elif lang == "js":
        matches = list(JS_FUNC.finditer(text))
        rng.shuffle(matches)
        for match in matches:
            try:
                end = _block_end_js(text, match.start())
            except NotApplicable:
                continue
            if 0 < end - match.start() <= 0.4 * len(text):
                return text[: match.start()] + text[end:].lstrip("\n")
    raise NotApplicable("no deletable function")


def renamed(text: str, lang: str, rng: random.Random) -> str:
    """Rename 2-4 identifiers the file defines (whole-word, everywhere in the file)."""
    if lang == "py":
        defined = re.findall(r"^\s*(?:def|class)\s+(\w+)|^\s*(\w+)\s*=", text, re.M)
    else:
        defined = re.findall(r"\b(?:function|var|let|const)\s+(\w+)|^\s*(\w+)\s*=", text, re.M)
    names = sorted({a or b for a, b in defined} - KEYWORDS)
    names = [n for n in names if len(n) >= 4 and not n.startswith("__")]
    if len(names) < 2:
        raise NotApplicable("nothing to rename")
    for name in rng.sample(names, min(len(names), rng.randint(2, 4))):
        new = codegen.ident(rng, 2)
        new = codegen.camel(new) if lang == "js" else new
        text = re.sub(rf"\b{re.escape(name)}\b", new, text)
    return text


def changed_constants(text: str, lang: str, rng: random.Random) -> str:
    """Change 3-6 numeric literals (past the first 10 lines, so not in the header)."""
    head_end = sum(len(line) for line in _lines(text)[:10])
    matches = [m for m in NUMBER.finditer(text) if m.start() >= head_end]
    if len(matches) < 2:
        raise NotApplicable("no constants")
    chosen = sorted(rng.sample(matches, min(len(matches), rng.randint(3, 6))), key=lambda m: m.start(), reverse=True)
    for match in chosen:
        old = match.group()
        new = str(int(float(old)) + rng.randint(1, 9) * rng.choice((1, 10)))
        text = text[: match.start()] + new + text[match.end() :]
    return text


def one_line_edit(text: str, lang: str, rng: random.Random) -> str:
    """Change a single line somewhere in the middle (a number or one identifier)."""
    lines = _lines(text)
    candidates = [i for i in range(len(lines) // 5, len(lines) * 4 // 5) if len(lines[i].strip()) > 8]
    rng.shuffle(candidates)
    for index in candidates:
        line = lines[index]
        number = NUMBER.search(line)
        if number:
            new = line[: number.start()] + str(int(float(number.group())) + rng.randint(1, 7)) + line[number.end() :]
        else:
            words = [m for m in IDENT.finditer(line) if m.group() not in KEYWORDS]
            if not words:
                continue
            word = rng.choice(words)
            new = line[: word.start()] + rng.choice(codegen.WORDS) + line[word.end() :]
        if new != line:
            lines[index] = new
            return "".join(lines)
    raise NotApplicable("no editable line")


# --------------------------------------------------------------------------- format edits


def reindent(text: str, lang: str, rng: random.Random) -> str:
    """Change the indent unit (4 <-> 2 spaces, or spaces -> tabs)."""
    lines = _lines(text)
    widths = [len(_indent_of(line)) for line in lines if line.strip() and not line.startswith("\t")]
    unit = 4 if sum(1 for w in widths if w and w % 4 == 0) >= 0.6 * max(1, sum(1 for w in widths if w)) else 2
    if not any(widths):
        raise NotApplicable("no indentation")
    target = rng.choice(["tab", 2 if unit == 4 else 4])
    out = []
    for line in lines:
        lead = len(line) - len(line.lstrip(" "))
        levels, rest = divmod(lead, unit)
        indent = "\t" * levels if target == "tab" else " " * (levels * int(target))
        out.append(indent + " " * rest + line[lead:])
    return "".join(out)


def crlf(text: str, lang: str, rng: random.Random) -> str:
    """Unix line endings to Windows ones."""
    if "\r\n" in text or "\n" not in text:
        raise NotApplicable("already CRLF or one line")
    return text.replace("\n", "\r\n")


def trailing_ws(text: str, lang: str, rng: random.Random) -> str:
    """Add spaces or tabs at the end of 30-60% of lines."""
    lines = _lines(text)
    share = rng.uniform(0.3, 0.6)
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        if rng.random() < share:
            body += rng.choice([" ", "  ", "\t", "   "])
        out.append(body + line[len(line.rstrip("\r\n")) :])
    return "".join(out)


def format_only(text: str, lang: str, rng: random.Random) -> str:
    """Whitespace-only reformatting: 2-3 of reindent, blank-line changes, trailing space, CRLF."""
    steps: list[Callable[[str, str, random.Random], str]] = [reindent, _blank_lines, trailing_ws, crlf]
    chosen = rng.sample(steps, rng.randint(2, 3))
    for step in chosen:
        try:
            text = step(text, lang, rng)
        except NotApplicable:
            continue
    return text


def _blank_lines(text: str, lang: str, rng: random.Random) -> str:
    """Collapse runs of blank lines, or double single blank lines."""
    if rng.random() < 0.5:
        return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    return re.sub(r"\n\n(?=\S)", "\n\n\n", text)


def strip_comments(text: str, lang: str, rng: random.Random) -> str:
    """Remove full-line comments (and JS block comments); at least 3 lines must go."""
    if lang == "js":
        stripped = re.sub(r"^[ \t]*/\*.*?\*/[ \t]*\n", "", text, flags=re.S | re.M)
        stripped = re.sub(r"^[ \t]*//.*\n", "", stripped, flags=re.M)
    elif lang == "py":
        stripped = re.sub(r"^[ \t]*#.*\n", "", text, flags=re.M)
    else:
        raise NotApplicable("not code")
    if text.count("\n") - stripped.count("\n") < 3:
        raise NotApplicable("too few comments")
    return stripped


def minified_js(text: str, lang: str, rng: random.Random) -> str:
    """Crude minification: drop comments, collapse whitespace and newlines."""
    if lang != "js":
        raise NotApplicable("not JavaScript")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^[ \t]*//.*$", "", text, flags=re.M)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r" ?([{}();,=:+\-*<>?!&|]) ?", r"\1", text)
    return text.strip() + "\n"


def truncation(text: str, lang: str, rng: random.Random) -> str:
    """Keep only the first 30-70% of the lines."""
    lines = _lines(text)
    if len(lines) < 10:
        raise NotApplicable("too short")
    keep = max(3, int(len(lines) * rng.uniform(0.3, 0.7)))
    return "".join(lines[:keep])


def chimera(text: str, lang: str, rng: random.Random) -> str:
    """The first half of the file, then about as many lines of newly generated code."""
    if lang not in ("py", "js"):
        raise NotApplicable("not code")
    lines = _lines(text)
    if len(lines) < 30:
        raise NotApplicable("too short")
    half = len(lines) // 2
    # The copied half must reach past the license, docstring and import block into the code:
    # "the real header, then new code" is the forgery case, labelled fabricated (the same bytes
    # cannot carry both labels).
    header_lines = len(_lines(source_header(text, lang)))
    if sum(1 for line in lines[header_lines:half] if line.strip()) < 2:
        raise NotApplicable("first half is only the header")
    head = "".join(lines[:half])
    if not head.endswith("\n"):
        head += "\n"
    return head + "\n\n" + codegen.module_body(rng, lang, len(lines) - half)


PLAIN: dict[str, Callable[[str, str, random.Random], str]] = {
    "inserted-lines": inserted_lines,
    "deleted-function": deleted_function,
    "renamed": renamed,
    "reindent": reindent,
    "crlf": crlf,
    "trailing-ws": trailing_ws,
    "strip-comments": strip_comments,
    "constants": changed_constants,
    "truncation": truncation,
    "minified-js": minified_js,
    "format-only": format_only,
    "one-line-edit-long": one_line_edit,
    "chimera": chimera,
}
STACKABLE = ("inserted-lines", "deleted-function", "renamed", "reindent", "crlf", "trailing-ws",
             "strip-comments", "constants", "truncation")


def stacked(text: str, lang: str, rng: random.Random) -> tuple[str, list[str]]:
    """Apply 2-3 different stackable edits in turn; returns the text and the edits applied."""
    applied: list[str] = []
    for name in rng.sample(STACKABLE, len(STACKABLE)):
        if len(applied) == 3 or (len(applied) == 2 and rng.random() < 0.5):
            break
        try:
            text = PLAIN[name](text, lang, rng)
        except NotApplicable:
            continue
        applied.append(name)
    if len(applied) < 2:
        raise NotApplicable("fewer than two edits applied")
    return text, applied


def byte_patch(data: bytes, rng: random.Random) -> bytes:
    """Overwrite 1-8 bytes (or one 16-byte span) past the first 64 bytes of a binary."""
    if len(data) < 256:
        raise NotApplicable("too small")
    out = bytearray(data)
    if rng.random() < 0.5:
        at = rng.randrange(64, len(out) - 16)
        out[at : at + 16] = bytes(rng.randrange(256) for _ in range(16))
    else:
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(64, len(out))
            out[at] ^= rng.randrange(1, 256)
    return bytes(out)


def source_header(text: str, lang: str) -> str:
    """License comment, module docstring and import/require block at the top of a file."""
    lines = _lines(text)
    out: list[str] = []
    index = 0
    in_doc: str | None = None
    in_paren = False
    in_block_comment = False
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if in_doc:
            out.append(line)
            if in_doc in stripped:
                in_doc = None
        elif in_block_comment:
            out.append(line)
            if "*/" in stripped:
                in_block_comment = False
        elif in_paren:
            out.append(line)
            if ")" in stripped:
                in_paren = False
        elif not stripped:
            out.append(line)
        elif lang == "py" and stripped.startswith("#"):
            out.append(line)
        elif lang == "py" and (stripped[:3] in ('"""', "'''") or stripped[:4] in ('r"""', "r'''")):
            quote = '"""' if '"""' in stripped else "'''"
            out.append(line)
            if stripped.count(quote) == 1:
                in_doc = quote
        elif lang == "py" and stripped.startswith(("import ", "from ")):
            out.append(line)
            in_paren = stripped.endswith("(")
        elif lang == "js" and stripped.startswith("//"):
            out.append(line)
        elif lang == "js" and stripped.startswith("/*"):
            out.append(line)
            in_block_comment = "*/" not in stripped
        elif lang == "js" and (stripped.strip(";") in ("'use strict'", '"use strict"') or "require(" in stripped
                               or stripped.startswith("import ")):
            out.append(line)
        else:
            break
        index += 1
    while out and not out[-1].strip():
        out.pop()
    return "".join(out)
