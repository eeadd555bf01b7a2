"""Pointer files: exact matches of files an inventory keeps outside git.

Repositories that hold model weights, datasets or binaries commit small pointer files in their
place, and those pointers are all ``triage index`` reads from git:

- Git LFS: ``version https://git-lfs.github.com/spec/v1``, ``oid sha256:<hex>``, ``size <bytes>``;
- DVC: ``*.dvc`` and ``dvc.lock`` files listing outputs with ``md5: <hex>`` and ``size: <bytes>``.

A pointer names the hash and size of the real file, so a dropped file with that hash and size is
the internal file, byte for byte, at the pointer's paths and commits. The pointer's hash line is
an indexed line like any other (a posting), so it is found without a table of its own; the
pointer itself is then read and checked (DVC's YAML with ``yaml.safe_load``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from triage.fingerprint.text import line_hashes
from triage.inventory.store import Store

LFS_VERSION = b"version https://git-lfs.github.com/spec/v1"
# An LFS pointer is small; a DVC lock file of a large pipeline can list many outputs.
LFS_MAX_BYTES = 1024
DVC_MAX_BYTES = 1024 * 1024
_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})[ \t\r]*$", re.M)
_SIZE = re.compile(rb"^size ([0-9]+)[ \t\r]*$", re.M)
# Every content holding the hash line is read, however many paths hold it.
_ANY_DF = 1 << 62


@dataclass(frozen=True)
class Dropped:
    """What a dropped file offers to be matched by: its SHA-256, its MD5 (None when not at hand:
    a file spilled to disk) and its size."""

    sha256: str
    md5: str | None
    size: int


@dataclass(frozen=True)
class Pointer:
    kind: str  # "lfs" or "dvc"
    content_id: int
    blob: str  # the pointer's git blob id


def parse_lfs(body: bytes) -> tuple[str, int] | None:
    """(sha256, size) named by an LFS pointer, or None when ``body`` is not one."""
    if len(body) > LFS_MAX_BYTES or not body.startswith(LFS_VERSION):
        return None
    oid, size = _OID.search(body), _SIZE.search(body)
    if oid is None or size is None:
        return None
    return oid.group(1).decode(), int(size.group(1))


def parse_dvc(body: bytes) -> set[tuple[str, int]]:
    """(md5, size) of every file output a DVC file (``.dvc``, ``dvc.lock``) lists; directory
    outputs (``.dir``) are left out (their files are listed elsewhere, in DVC's cache)."""
    if len(body) > DVC_MAX_BYTES or b"md5" not in body:
        return set()
    try:
        doc = yaml.safe_load(body)
    except yaml.YAMLError:
        return set()
    found: set[tuple[str, int]] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            md5, size = node.get("md5"), node.get("size")
            if isinstance(md5, str) and re.fullmatch(r"[0-9a-f]{32}", md5) and isinstance(size, int):
                found.add((md5, size))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def oid_line_hash(sha256: str) -> int:
    """The indexed hash of an LFS pointer's ``oid sha256:...`` line (whitespace-free, as indexed)."""
    return int(line_hashes([f"oidsha256:{sha256}"])[0])


def md5_line_hashes(md5: str) -> list[int]:
    """The indexed hashes of a DVC ``md5: ...`` line, first in its YAML list item or not."""
    return [int(h) for h in line_hashes([f"-md5:{md5}", f"md5:{md5}"])]


def pointers_to(store: Store, files: Iterable[Dropped]) -> dict[str, list[Pointer]]:
    """sha256 of a dropped file -> the indexed pointers that name exactly its hash and size."""
    files = [f for f in files if f.size > 0]
    if not files:
        return {}
    hashes = [oid_line_hash(f.sha256) for f in files]
    hashes += [h for f in files if f.md5 for h in md5_line_hashes(f.md5)]
    cids = store.candidates_by_postings(hashes, _ANY_DF)
    if not cids:
        return {}
    by_sha = {(f.sha256, f.size): f for f in files}
    by_md5 = {(f.md5, f.size): f for f in files if f.md5}
    out: dict[str, list[Pointer]] = {}
    for cid, row in sorted(store.content_rows(sorted(cids)).items()):
        body = row["body"] or b""
        named = parse_lfs(body)
        hits = [("lfs", by_sha.get(named))] if named else [("dvc", by_md5.get(x)) for x in parse_dvc(body)]
        for kind, f in hits:
            if f is not None:
                out.setdefault(f.sha256, []).append(Pointer(kind, cid, row["git_oid"]))
    return out
