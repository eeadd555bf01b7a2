"""File type (libmagic through python-magic) and text decoding with the encoding found."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

# libmagic reads only the head of a file; 64 KiB is what `file` itself looks at by default.
MAGIC_HEAD_BYTES = 64 * 1024
# A content is text when at most this share of its characters are control characters.
MAX_CONTROL_SHARE = 0.02
# charset detection looks at this much of a non-UTF-8 file.
CHARSET_SNIFF_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@lru_cache(maxsize=1)
def _magic():
    import magic  # python-magic; needs the system libmagic

    return magic.Magic(mime=True)


def mime_type(data: bytes) -> str:
    if not data:
        return "inode/x-empty"
    try:
        return _magic().from_buffer(data[:MAGIC_HEAD_BYTES]) or "application/octet-stream"
    except Exception:  # libmagic refuses some inputs; a type is evidence, not a requirement
        return "application/octet-stream"


_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:65536]
    return len(_CONTROL_RE.findall(sample)) / len(sample)


def decode(data: bytes) -> tuple[str, str] | None:
    """Return ``(text, encoding)`` when the bytes are text, else None (binary)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                return None
    if b"\x00" in data[:8192]:
        return None
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:CHARSET_SNIFF_BYTES]).best()
        if best is None or best.encoding is None:
            return None
        enc = best.encoding
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            return None
    if _control_share(text) > MAX_CONTROL_SHARE:
        return None
    return text, enc
