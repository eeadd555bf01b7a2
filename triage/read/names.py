"""Member-name safety: display escaping, path-traversal and unsafe-name checks, duplicate tracking.

Names reach this module as ``str`` in which bytes that were not valid UTF-8 are carried as
``surrogateescape`` code points (U+DC80..U+DCFF), the convention of ``os.fsdecode`` and of
``tarfile`` with ``errors="surrogateescape"``. Nothing here touches the filesystem.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional controls (embedding, override, isolate, marks): they make a name display
# differently from what it is ("invoice\u202eexe.pdf" shows as "invoicefdp.exe").
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DRIVE = re.compile(r"^[A-Za-z]:")


def from_bytes(raw: bytes) -> str:
    """Decode raw name bytes as UTF-8, keeping undecodable bytes as surrogate escapes."""
    return raw.decode("utf-8", "surrogateescape")


def display(name: str) -> str:
    """Return ``name`` made safe to print: one line, no terminal or bidi tricks, unambiguous.

    Undecodable bytes become ``\\xNN``; C0/C1 controls (NUL included) ``\\xNN``; format
    characters (bidi, zero-width, BOM), line/paragraph separators, stray surrogates,
    unassigned and private-use code points and spaces other than U+0020 ``\\uNNNN``; a
    literal backslash ``\\\\`` so that escapes cannot be forged.
    """
    out: list[str] = []
    for ch in name:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif unicodedata.category(ch) in ("Cf", "Zl", "Zp", "Cs", "Cn", "Co") or (
            ch != " " and unicodedata.category(ch) == "Zs"
        ):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def traversal(name: str) -> str | None:
    """Why ``name`` would escape an extraction directory, or None when it stays inside."""
    if "\\" in name:
        return "backslash used as a path separator"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE.match(name):
        return "drive-letter path"
    if ".." in name.split("/"):
        return "'..' path component"
    return None


def unsafe(name: str, max_bytes: int) -> str | None:
    """Why ``name`` cannot be shown or matched as it is, or None when it is a plain name."""
    if not name:
        return "empty name"
    if "\x00" in name:
        return "NUL byte in name"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > max_bytes:
        return f"name is {size} bytes, over the {max_bytes}-byte limit"
    for ch in name:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return "name is not valid UTF-8"
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return "control character in name"
        if ch in BIDI:
            return "bidirectional override/control character in name"
        if ch in ("\u2028", "\u2029"):
            return "line separator in name"
    return None


def _key(path: str) -> str:
    """Collision key: case- and Unicode-normalisation-insensitive, ``./`` and ``//`` ignored."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return unicodedata.normalize("NFC", "/".join(parts)).casefold()


class Names:
    """Tracks member paths across a whole drop so every emitted path is unique.

    ``claim(path)`` returns the path to use and, for the 2nd, 3rd... member whose name
    collides (exactly or by case) with an earlier one, the earlier path it collides with.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, int]] = {}
        self._used: set[str] = set()

    def claim(self, path: str) -> tuple[str, str | None]:
        key = _key(path)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (path, 1)
            self._used.add(path)
            return path, None
        index = first[1] + 1
        unique = f"{path}#{index}"
        while unique in self._used:  # a member literally named "x#2" came earlier
            index += 1
            unique = f"{path}#{index}"
        self._seen[key] = (first[0], index)
        self._used.add(unique)
        return unique, first[0]
