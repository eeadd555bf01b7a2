"""Fingerprints of one content: exact ids, type, normalized hashes, line hashes and sketches.

``fingerprint()`` is the one function both the inventory index and the scan call, so an
internal blob and a dropped file are always described the same way. ``PARAMS`` names every
setting that changes a fingerprint; the index records it and refuses a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from triage.fingerprint import binary, minhash, text, textvec
from triage.fingerprint import weights as weights_
from triage.fingerprint.exact import git_blob_oid, sha256_hex
from triage.fingerprint.filetype import MAGIC_HEAD_BYTES, decode, mime_type
from triage.model import Spilled

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
    "fingerprint": "triage-fp/3",
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
    # Documents: extracted text made canonical (documents.canonical_lines) and fingerprinted as
    # above; dumps: normalised rows hashed (rowprint). Bump when either changes.
    "documents": "canonical-sentences/2 list-markers cut-pairs-48-16-6-64",
    "tables": "xxh3-64-unitsep-norm-sorted/2 key<=3 sig-byte-64 near-0.5",
    "weights": weights_.PARAMS,
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
    weights: weights_.WeightsPrint | None = None  # model weights: per-tensor records (or why not)

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


def fingerprint(data: bytes | Spilled, mime: str | None = None, *, type_text: bool = True) -> Fingerprint:
    """Describe one content. Pure function of the bytes (the path plays no part).

    Model weights get per-tensor records instead of byte chunks and sketches. ``Spilled``
    contents (too large for memory) are mapped read-only and get exact identities and weights
    records only; their git blob id is the one the source knows, if any (never recomputed: on
    a multi-GB file it costs more than the rest of the fingerprint).

    ``type_text=False`` (indexing) leaves the mime of a text content empty: libmagic's text types
    cost 1-2 ms a file, more than all the text fingerprints, and nothing compares them (a scan
    types the dropped file itself). Binary and empty contents are typed either way (~0.05 ms).
    """
    if isinstance(data, Spilled):
        return _spilled(data, mime)
    sha, oid, size = sha256_hex(data), git_blob_oid(data), len(data)
    if size == 0:
        return Fingerprint(sha, oid, 0, mime or mime_type(data), "empty")
    wp = weights_.extract(data)
    if wp is not None and wp.ok or size > FUZZY_MAX_BYTES:
        return Fingerprint(sha, oid, size, mime or mime_type(data), "binary", weights=wp)
    decoded = decode(data)
    if decoded is None:
        chunks = binary.chunk_hashes(data)
        return Fingerprint(
            sha, oid, size, mime or mime_type(data), "binary",
            lines=chunks, informative=np.ones(len(chunks), dtype=bool),
            sig_tokens=minhash.signature(chunks), tlsh=binary.tlsh_digest(data), weights=wp,
        )
    content, encoding = decoded
    if mime is None and type_text:
        mime = mime_type(data)
    tf = textvec.features(_utf8(data, content, encoding), content)
    del content
    return Fingerprint(
        sha, oid, size, mime or "", "text", encoding=encoding,
        norm_sha256=tf.norm_sha256, ws_sha256=tf.ws_sha256, lines=tf.lines, informative=tf.informative,
        sig_tokens=shingle_signature(tf.tokens, TOKEN_K), sig_shapes=shingle_signature(tf.shapes, SHAPE_K),
        tlsh=binary.tlsh_digest(data),
    )


# Tokens whose shingles are sketched at a time: a signature is a minimum, so the minimum of the
# pieces' signatures is the whole's, and a long text's shingles never exist at once.
SHINGLE_PIECE = 1 << 20


def shingle_signature(items: np.ndarray, k: int) -> np.ndarray:
    """MinHash signature of the ``k``-shingles of ``items`` (token or shape hashes)."""
    if len(items) <= SHINGLE_PIECE:
        return minhash.signature(text.shingle_hashes(items, k))
    sig = None
    for i in range(0, len(items) - k + 1, SHINGLE_PIECE):
        part = minhash.signature(text.shingle_hashes(items[i : i + SHINGLE_PIECE + k - 1], k))
        sig = part if sig is None else np.minimum(sig, part)
    return sig


def _spilled(sp: Spilled, mime: str | None) -> Fingerprint:
    import mmap
    import os

    fd = weights_.open_spilled(sp)
    try:
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)
    try:
        sha, wp = weights_.hash_and_extract(mm)
        mime = mime or mime_type(mm[:MAGIC_HEAD_BYTES])
    finally:
        weights_.close_map(mm)
    return Fingerprint(sha, sp.git_oid, sp.size, mime, "binary", weights=wp)
