"""Fingerprints of one content: exact ids, type, normalized hashes, line hashes and sketches.

``fingerprint()`` is the one function both the inventory index and the scan call, so an
internal blob and a dropped file are always described the same way. ``PARAMS`` names every
setting that changes a fingerprint; the index records it and refuses a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from triage.fingerprint import binary, minhash, text, textvec
from triage.fingerprint.exact import git_blob_oid, sha256_hex
from triage.fingerprint.filetype import decode, mime_type

# Fuzzy fingerprints (lines, sketches) are computed for contents up to this size; larger ones
# get exact identities only (they are compared by hash, and per-tensor records later).
FUZZY_MAX_BYTES = 64 * 1024 * 1024
# Token shingle length for the token sketch, and for the identifier-abstracted shape sketch
# (shapes are less specific, so they need longer runs to mean anything).
TOKEN_K = 5
SHAPE_K = 8

# Sketch spaces (kept apart in the band table).
SPACE_TOKENS = 1
SPACE_SHAPES = 2
SPACE_CHUNKS = 3

PARAMS = {
    "fingerprint": "triage-fp/2",
    # The index types binary and empty contents with libmagic, not text ones (``type_text``).
    "index_mime": "binary-only",
    "num_perm": minhash.NUM_PERM,
    "seed": minhash.SEED,
    "scheme": "datasketch-affine32",
    "bands": minhash.BANDS,
    "token_k": TOKEN_K,
    "shape_k": SHAPE_K,
    "line_hash": "poly64-fmix-top32-ws-stripped",
    "tokenizer": "bytes-1",
    "min_informative_line": text.MIN_INFORMATIVE_LINE,
    "chunker": f"gear-{binary.WINDOW}-{binary.MIN_CHUNK}-{binary.MAX_CHUNK}-{binary.BOUNDARY_BITS}",
}


@dataclass(frozen=True)
class Fingerprint:
    sha256: str
    git_oid: str
    size: int
    mime: str
    kind: str  # "text", "binary" or "empty"
    encoding: str | None = None
    norm_sha256: str | None = None
    ws_sha256: str | None = None
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    informative: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sig_tokens: np.ndarray | None = None
    sig_shapes: np.ndarray | None = None
    tlsh: str | None = None

    def sketches(self) -> list[tuple[int, np.ndarray]]:
        out = []
        if self.sig_tokens is not None:
            out.append((SPACE_CHUNKS if self.kind == "binary" else SPACE_TOKENS, self.sig_tokens))
        if self.sig_shapes is not None:
            out.append((SPACE_SHAPES, self.sig_shapes))
        return out


def _utf8(data: bytes, content: str, encoding: str) -> bytes:
    """The decoded text's UTF-8 bytes (the raw bytes themselves when they are UTF-8)."""
    if encoding == "utf-8":
        return data
    if encoding == "utf-8-sig":
        return data[3:]
    return content.encode("utf-8", "surrogatepass")


def fingerprint(data: bytes, mime: str | None = None, *, type_text: bool = True) -> Fingerprint:
    """Describe one content. Pure function of the bytes (the path plays no part).

    ``type_text=False`` (indexing) leaves the mime of a text content empty: libmagic's text types
    cost 1-2 ms a file, more than all the text fingerprints, and nothing compares them (a scan
    types the dropped file itself). Binary and empty contents are typed either way (~0.05 ms).
    """
    sha, oid, size = sha256_hex(data), git_blob_oid(data), len(data)
    if size == 0:
        return Fingerprint(sha, oid, 0, mime or mime_type(data), "empty")
    if size > FUZZY_MAX_BYTES:
        return Fingerprint(sha, oid, size, mime or mime_type(data), "binary")
    decoded = decode(data)
    if decoded is None:
        chunks = binary.chunk_hashes(data)
        return Fingerprint(
            sha, oid, size, mime or mime_type(data), "binary",
            lines=chunks, informative=np.ones(len(chunks), dtype=bool),
            sig_tokens=minhash.signature(chunks), tlsh=binary.tlsh_digest(data),
        )
    content, encoding = decoded
    if mime is None and type_text:
        mime = mime_type(data)
    tf = textvec.features(_utf8(data, content, encoding), content)
    return Fingerprint(
        sha, oid, size, mime or "", "text", encoding=encoding,
        norm_sha256=tf.norm_sha256, ws_sha256=tf.ws_sha256, lines=tf.lines, informative=tf.informative,
        sig_tokens=minhash.signature(text.shingle_hashes(tf.tokens, TOKEN_K)),
        sig_shapes=minhash.signature(text.shingle_hashes(tf.shapes, SHAPE_K)),
        tlsh=binary.tlsh_digest(data),
    )
