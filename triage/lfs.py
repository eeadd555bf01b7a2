"""Git LFS pointers: exact matches of files an inventory keeps outside git.

A repository that stores model weights, datasets or binaries with Git LFS commits a small
pointer file in their place (``version https://git-lfs.github.com/spec/v1``, ``oid sha256:<hex>``,
``size <bytes>``), and that pointer is all ``triage index`` reads from git. The pointer names the
SHA-256 and size of the real file, so a dropped file whose SHA-256 and size are those is the
internal file, byte for byte, at the pointer's paths and commits. The pointer's ``oid`` line is
an indexed line like any other (a posting), so it is found without a table of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from triage.fingerprint.text import line_hashes
from triage.inventory.store import Store

POINTER_VERSION = b"version https://git-lfs.github.com/spec/v1"
# Pointers are small; a content larger than this is not one.
POINTER_MAX_BYTES = 1024
_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})[ \t\r]*$", re.M)
_SIZE = re.compile(rb"^size ([0-9]+)[ \t\r]*$", re.M)
# Every content holding the oid line is read, however many paths hold it.
_ANY_DF = 1 << 62


def parse(body: bytes) -> tuple[str, int] | None:
    """(sha256, size) named by an LFS pointer, or None when ``body`` is not one."""
    if len(body) > POINTER_MAX_BYTES or not body.startswith(POINTER_VERSION):
        return None
    oid, size = _OID.search(body), _SIZE.search(body)
    if oid is None or size is None:
        return None
    return oid.group(1).decode(), int(size.group(1))


def oid_line_hash(sha256: str) -> int:
    """The indexed hash of a pointer's ``oid sha256:...`` line (whitespace-free, as indexed)."""
    return int(line_hashes([f"oidsha256:{sha256}"])[0])


def pointers_to(store: Store, files: Iterable[tuple[str, int]]) -> dict[str, list[tuple[int, str]]]:
    """For dropped files given as (sha256, size): sha256 -> [(pointer content id, pointer blob)]
    of the indexed LFS pointers that name exactly that SHA-256 and size."""
    wanted = {sha: size for sha, size in files if size > 0}
    if not wanted:
        return {}
    cids = store.candidates_by_postings([oid_line_hash(sha) for sha in wanted], _ANY_DF)
    if not cids:
        return {}
    out: dict[str, list[tuple[int, str]]] = {}
    for cid, row in sorted(store.content_rows(sorted(cids)).items()):
        named = parse(row["body"] or b"")
        if named is not None and wanted.get(named[0]) == named[1]:
            out.setdefault(named[0], []).append((cid, row["git_oid"]))
    return out
