"""A fingerprinted content made ready to write: what a store inserts for it, computed off the writer.

Indexing writes from one process while several fingerprint. Everything about a new content that
does not depend on the database (its compressed body, its distinct posting hashes, its LSH band
keys) is computed here, in the fingerprint worker, so the writer only binds values. Any store
(SQLite, PostgreSQL) writes the same rows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from triage.fingerprint import Fingerprint
from triage.fingerprint.minhash import band_keys, distinct, to_bytes

# Contents up to this size keep their bytes (zlib) in the index, so that a scan can show what
# changed without the source repository at hand. Larger ones keep fingerprints only.
BODY_MAX_BYTES = 16 * 1024 * 1024
# zlib level of kept bodies: level 1 is 2x faster than the default 6 for 23% more bytes (pygments:
# 0.30 s and 9.6 MB against 0.63 s and 7.8 MB), and any level reads back the same.
BODY_ZLIB_LEVEL = 1

_NO_KEYS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class NewContent:
    fp: Fingerprint
    body: bytes | None  # zlib-compressed bytes, or None when too large to keep
    postings: np.ndarray  # sorted distinct uint32 line (or chunk) hashes: the postings rows
    bands: np.ndarray  # int64 LSH band keys of every sketch: the bands rows

    def contents_row(self) -> tuple:
        """Values of the ``contents`` columns after ``id``, in schema order."""
        fp = self.fp
        return (
            fp.sha256, fp.git_oid, fp.size, fp.mime or None, fp.kind, fp.encoding,
            fp.norm_sha256, fp.ws_sha256,
            fp.lines.astype("<u4").tobytes() if len(fp.lines) else None,
            to_bytes(fp.sig_tokens) if fp.sig_tokens is not None else None,
            to_bytes(fp.sig_shapes) if fp.sig_shapes is not None else None,
            fp.tlsh, self.body,
        )


CONTENTS_COLUMNS = ("sha256", "git_oid", "size", "mime", "kind", "encoding", "norm_sha256", "ws_sha256",
                    "lines", "sig_tokens", "sig_shapes", "tlsh", "body")


def posting_hashes(fp: Fingerprint) -> np.ndarray:
    """The line hashes a content is found by: informative lines of a text, every chunk of a binary."""
    if not len(fp.lines):
        return np.zeros(0, dtype=np.uint32)
    return distinct(fp.lines[fp.informative] if fp.kind == "text" else fp.lines)


def prepare(fp: Fingerprint, data: bytes | None) -> NewContent:
    """Everything the index stores for one content, from its fingerprint and bytes (None for a
    spilled content). Model weights keep their tensor records (``fp.weights``), never their bytes."""
    weights = fp.weights is not None and fp.weights.ok
    keep = data is not None and fp.size <= BODY_MAX_BYTES and not weights
    body = zlib.compress(data, BODY_ZLIB_LEVEL) if keep else None
    keys = [k for space, sig in fp.sketches() for k in band_keys(sig, space)]
    bands = np.array(keys, dtype=np.int64) if keys else _NO_KEYS
    return NewContent(fp, body, posting_hashes(fp), bands)
