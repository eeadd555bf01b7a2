"""JavaScript source maps (v3) carrying their original sources in ``sourcesContent``.

A bundle's ``.map`` may hold the whole original tree (one npm CLI shipped ~1,900 TypeScript
files in a 60 MB map). Detected by content (a JSON object with ``"version": 3`` or with
``"mappings"`` and ``"sources"``), never by name. Each source with content becomes an entry
named ``bundle.js.map!src/original/path.ts``; a source listed without content is reported as
``no-content`` (a map with no ``sourcesContent`` at all: one ``no-content`` for the map).

Source names are URLs relative to the map, not archive paths, so they are normalised
(``normalise``): the scheme (``webpack://``, ``file://``...) is dropped, ``./`` and empty
segments removed, ``..`` resolved lexically, backslashes read as ``/``, a leading ``/`` or
drive letter dropped. Leading ``..`` segments that climb no higher than the map's own folder
in its container (``package/dist/cli.js.map`` -> ``../src/cli.ts``) are how compilers write
names and pass silently. A name climbing above its container (``../../etc/passwd`` in
``package/cli.js.map``), or written with backslashes or a drive letter, is reported as
``path-traversal`` *and* its content is still read, under the sanitised name: nothing is ever
written to disk, so the name cannot escape anything, and the content is still evidence.
Names with control, NUL or bidi characters are refused by the orchestrator as for any archive.

Parsing: the map is read whole (under the member limit) and parsed with ``json.loads``; deep
nesting raises RecursionError, reported as corrupt. Index maps (``sections``) are read one
level deep, as the specification allows.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.read import reasons
from triage.read.base import FILE, SKIP, Context, Entry, OpenError, Source
from triage.read.limits import READ_CHUNK
from triage.read.names import display

# The XSSI guard a map may start with (``)]}'``), a UTF-8 BOM, and JSON whitespace.
_PREFIX = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:\)\]\}'[^\n]*\n)?\s*\{")
_VERSION = re.compile(rb'"version"\s*:\s*3\b')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:(?://)?")  # 2+ letters: "C:" is a drive
_DRIVE = re.compile(r"^/?[A-Za-z]:")
# Sources listed by an index map's sections: bounds the work on a hostile index.
MAX_SECTIONS = 10_000


def detect(head: bytes, path: Path | None) -> bool:
    if not _PREFIX.match(head[:256]):
        return False
    if _VERSION.search(head):
        return True
    return b'"mappings"' in head and b'"sources' in head


def kind(source: Source) -> str:
    return "sourcemap"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    doc = load(_read(source, ctx))
    # At the top the drop file itself is the container: "bundle.js.map!src/a.ts".
    top = "" if source.nested else f"{source.raw}!"
    return _entries(doc, _allowance(source), top)


def _read(source: Source, ctx: Context) -> bytes:
    """The whole map, at most the member limit (a nested map was already read under it)."""
    cap = ctx.limits.member_bytes
    buf = bytearray()
    with source.open() as handle:
        while chunk := handle.read(min(READ_CHUNK, cap + 1 - len(buf))):
            buf += chunk
            ctx.budget.check_time()
            if len(buf) > cap:
                raise OpenError(f"source map larger than the {cap}-byte member limit", reasons.TOO_LARGE)
    return bytes(buf)


def load(data: bytes) -> dict[str, Any]:
    """Parse a source map's JSON; OpenError (corrupt) for anything but a v3-like object."""
    text = data.decode("utf-8", "surrogateescape")
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith(")]}'"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise OpenError("source map JSON nested too deeply") from None
    except (ValueError, UnicodeError) as exc:
        raise OpenError(f"source map is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, dict):
        raise OpenError("source map JSON is not an object")
    if not isinstance(doc.get("sources", []), list) and "sections" not in doc:
        raise OpenError("source map 'sources' is not a list")
    return doc


def _allowance(source: Source) -> int | None:
    """How many leading '..' a source name may climb: the map's folder depth (None: top level)."""
    if not source.nested:
        return None
    return source.raw.count("/")


def _entries(doc: dict[str, Any], allowance: int | None, top: str) -> Iterator[Entry]:
    maps = [doc]
    sections = doc.get("sections")
    if isinstance(sections, list):
        maps = [
            s["map"]
            for s in sections[:MAX_SECTIONS]
            if isinstance(s, dict) and isinstance(s.get("map"), dict)
        ]
    for one in maps:
        yield from _sources(one, allowance, top)


def _sources(doc: dict[str, Any], allowance: int | None, top: str) -> Iterator[Entry]:
    sources = doc.get("sources")
    if not isinstance(sources, list):
        return
    root = doc.get("sourceRoot")
    root = root if isinstance(root, str) else ""
    contents = doc.get("sourcesContent")
    if not isinstance(contents, list):
        listed = len(sources)
        yield Entry(
            None,
            SKIP,
            reason=reasons.NO_CONTENT,
            detail=f"source map lists {listed} source(s) by name only (no sourcesContent)",
        )
        return
    for index, original in enumerate(sources):
        content = contents[index] if index < len(contents) else None
        if not isinstance(original, str):
            original = f"source-{index}"
        joined = _join(root, original)
        name, why = normalise(joined, allowance)
        name = top + (name or f"source-{index}")
        if not isinstance(content, str):
            yield Entry(name, SKIP, reason=reasons.NO_CONTENT, detail="source listed without its content")
            continue
        warn = None
        if why:
            warn = (
                reasons.PATH_TRAVERSAL,
                f"source name '{display(original)}' {why}; content read as '{display(name)}'",
            )
        data = content.encode("utf-8", "surrogatepass")
        yield Entry(name, FILE, open=functools.partial(io.BytesIO, data), warn=warn)


def _join(root: str, name: str) -> str:
    if not root or _SCHEME.match(name) or name.startswith("/"):
        return name
    return root.rstrip("/") + "/" + name


def normalise(name: str, allowance: int | None) -> tuple[str, str | None]:
    """``(archive-style name, why it is suspicious or None)`` for one source name.

    ``allowance`` is how many leading ``..`` are ordinary (the map's folder depth); None
    allows any number of leading ``..`` (a map dropped on its own: its folder is unknown).
    """
    why = None
    text = _SCHEME.sub("", name, count=1)
    if "\\" in text:
        why = "uses backslashes as path separators"
        text = text.replace("\\", "/")
    if _DRIVE.match(text):
        why = "is a drive-letter path"
        text = _DRIVE.sub("", text, count=1)
    parts: list[str] = []
    climbed = 0
    leading = True
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            else:
                climbed += 1
                if not leading or (allowance is not None and climbed > allowance):
                    why = why or "climbs above the archive holding the map"
            continue
        leading = False
        parts.append(part)
    return "/".join(parts), why
