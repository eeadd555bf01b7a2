"""Exact content identities: SHA-256 and the git blob id (so drop files meet git objects)."""

from __future__ import annotations

import hashlib


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_oid(data: bytes) -> str:
    """The id git gives this content as a blob (SHA-1 of ``blob <len>\\0`` + bytes)."""
    h = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()
