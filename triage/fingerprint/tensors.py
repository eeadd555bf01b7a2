"""Model weights: one record per tensor, read without running anything the file contains.

A leaked checkpoint is seldom the internal file's bytes: it is converted to another format,
split into shards, cast to fp16/bf16, quantized, or fine-tuned a little. Each tensor is
therefore described by its name, shape, dtype, the SHA-256 of its logical bytes (C order, so
the same tensor has the same hash in safetensors, GGUF, .npy and a torch zip) and a *sketch*:
its values at ``SKETCH_SIZE`` fixed pseudo-random positions, as float32. Positions depend only
on the element count, so a cast, a quantized or a fine-tuned copy keeps a correlation near 1
with the original while random weights of the same shape do not. ``compare_checkpoints()``
turns two lists of records into per-tensor statuses and an overall hint.

Formats: safetensors (header parsed here, with limits), GGUF (header parsed here), NumPy
.npy/.npz (header parsed here, ``allow_pickle`` never), and PyTorch zip checkpoints, whose
``data.pkl`` is walked statically with ``pickletools.genops``: no object is ever built, no
global imported, no callable called. Tensor bytes are read through memoryview slices: the
sketch touches ``SKETCH_SIZE`` elements, so hashing is the whole cost.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import math
import mmap
import pickletools
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from triage.errors import InputError

KINDS = ("safetensors", "gguf", "npy", "npz", "torch")

# Values sampled per tensor: 256 keeps the null correlation of unrelated tensors within
# +-0.25 (4 sigma) while a record stays 1 KiB.
SKETCH_SIZE = 256
# Seed of the position generator (splitmix64): part of the fingerprint definition.
SKETCH_SEED = 0x74726961_67650008
# Tensors with fewer elements than this are no evidence of derivation on their own.
MIN_INFORMATIVE_ELEMENTS = 16

# Largest safetensors JSON header (the reference implementation's own cap).
MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_TENSORS = 200_000
MAX_DIMS = 16
# Largest data.pkl walked, and pickle opcodes executed by the static walker.
MAX_PICKLE_BYTES = 64 * 1024 * 1024
MAX_PICKLE_OPS = 20_000_000
# GGUF metadata: key/value pairs, items of one array, length of one string.
MAX_GGUF_KV = 100_000
MAX_GGUF_ARRAY = 16_000_000
MAX_GGUF_STRING = 16 * 1024 * 1024
# A compressed zip member (savez_compressed) is inflated up to this size; stored members are
# read in place.
MAX_INFLATE_BYTES = 4 * 1024 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000_000
MAX_SECONDS = 3600.0

Buffer = bytes | bytearray | memoryview | mmap.mmap


class WeightsError(InputError):
    """A weights file refused (over a limit) or that cannot be parsed."""


@dataclass(frozen=True)
class WeightLimits:
    max_header_bytes: int = MAX_HEADER_BYTES
    max_tensors: int = MAX_TENSORS
    max_pickle_bytes: int = MAX_PICKLE_BYTES
    max_pickle_ops: int = MAX_PICKLE_OPS
    max_gguf_kv: int = MAX_GGUF_KV
    max_inflate_bytes: int = MAX_INFLATE_BYTES
    max_seconds: float = MAX_SECONDS


@dataclass(frozen=True)
class TensorRecord:
    """One tensor: identity (``sha256`` of its C-order bytes) and a value sketch.

    ``sketch`` is float32 little-endian, one value per position of ``sketch_positions(numel)``
    (empty when the dtype has no value decoding here, e.g. GGUF k-quants). ``uninformative``
    marks tensors every model of that shape shares (constants, ranges, masks, position tables)
    with the reason in ``why``.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    sha256: str
    nbytes: int
    sketch: bytes = b""
    uninformative: bool = False
    why: str = ""

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def sketch_values(self) -> np.ndarray:
        return np.frombuffer(self.sketch, dtype="<f4")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "sha256": self.sha256,
            "nbytes": self.nbytes,
            "sketch": self.sketch.hex(),
            "uninformative": self.uninformative,
            "why": self.why,
        }


@dataclass(frozen=True)
class Weights:
    kind: str
    records: tuple[TensorRecord, ...]
    notes: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Dtypes and sketches.

# Canonical dtype name -> (bytes per element, numpy dtype used to read values or None).
DTYPES: dict[str, tuple[int, str | None]] = {
    "F64": (8, "<f8"),
    "F32": (4, "<f4"),
    "F16": (2, "<f2"),
    "BF16": (2, None),
    "I64": (8, "<i8"),
    "I32": (4, "<i4"),
    "I16": (2, "<i2"),
    "I8": (1, "i1"),
    "U64": (8, "<u8"),
    "U32": (4, "<u4"),
    "U16": (2, "<u2"),
    "U8": (1, "u1"),
    "BOOL": (1, "u1"),
    "F8_E4M3": (1, None),
    "F8_E5M2": (1, None),
    "C64": (8, None),
    "C128": (16, None),
}
# Dtypes a quantized copy is stored in (integer codes, low-precision floats, GGUF blocks).
QUANT_DTYPES = frozenset(
    {
        "I8",
        "U8",
        "F8_E4M3",
        "F8_E5M2",
        "Q4_0",
        "Q4_1",
        "Q5_0",
        "Q5_1",
        "Q8_0",
        "Q8_1",
        "Q2_K",
        "Q3_K",
        "Q4_K",
        "Q5_K",
        "Q6_K",
        "Q8_K",
        "IQ2_XXS",
        "IQ2_XS",
        "IQ3_XXS",
        "IQ1_S",
        "IQ4_NL",
        "IQ3_S",
        "IQ2_S",
        "IQ4_XS",
        "IQ1_M",
        "TQ1_0",
        "TQ2_0",
        "MXFP4",
    }
)
FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16"})


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 (wrapping arithmetic): stable across NumPy versions."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=4096)
def sketch_positions(numel: int) -> np.ndarray:
    """Flat element indexes sampled from a tensor of ``numel`` elements (sorted, distinct).

    Stratified: one position drawn in each of ``SKETCH_SIZE`` equal strata, so the sample
    covers the whole tensor and reads stay in order.
    """
    if numel <= SKETCH_SIZE:
        return np.arange(numel, dtype=np.int64)
    stride = numel // SKETCH_SIZE
    with np.errstate(over="ignore"):
        jitter = _mix64(np.arange(SKETCH_SIZE, dtype=np.uint64) + np.uint64(SKETCH_SEED))
    pos = np.arange(SKETCH_SIZE, dtype=np.int64) * stride + (jitter % np.uint64(stride)).astype(np.int64)
    pos.setflags(write=False)
    return pos


def _f8_table(exp_bits: int, man_bits: int, bias: int, fn: bool) -> np.ndarray:
    out = np.zeros(256, dtype=np.float32)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e = (b >> man_bits) & ((1 << exp_bits) - 1)
        m = b & ((1 << man_bits) - 1)
        if fn and e == (1 << exp_bits) - 1 and m == (1 << man_bits) - 1:
            out[b] = np.nan
        elif not fn and e == (1 << exp_bits) - 1:
            out[b] = s * np.inf if m == 0 else np.nan
        elif e == 0:
            out[b] = s * (m / (1 << man_bits)) * 2.0 ** (1 - bias)
        else:
            out[b] = s * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)
    return out


_F8 = {"F8_E4M3": _f8_table(4, 3, 7, True), "F8_E5M2": _f8_table(5, 2, 15, False)}


def _values_at(buf: Buffer, dtype: str, numel: int, pos: np.ndarray) -> np.ndarray | None:
    """float32 values at flat positions ``pos`` of a C-order tensor held in ``buf``."""
    if dtype in DTYPES:
        size, npdt = DTYPES[dtype]
        if npdt is not None:
            return np.frombuffer(buf, dtype=npdt, count=numel)[pos].astype(np.float32)
        if dtype == "BF16":
            raw = np.frombuffer(buf, dtype="<u2", count=numel)[pos].astype(np.uint32) << np.uint32(16)
            return raw.view(np.float32)
        if dtype in _F8:
            return _F8[dtype][np.frombuffer(buf, dtype=np.uint8, count=numel)[pos]]
        return None
    raw = np.frombuffer(buf, dtype=np.uint8)
    if dtype == "Q8_0":  # blocks of 32: f16 scale, 32 x int8
        blk, j = pos // 32, pos % 32
        d = raw.view(np.uint8)[(blk * 34)[:, None] + np.arange(2)].copy().view("<f2")[:, 0].astype(np.float32)
        q = raw[blk * 34 + 2 + j].view(np.int8).astype(np.float32)
        return d * q
    if dtype in ("Q4_0", "Q4_1"):  # blocks of 32: f16 scale (and f16 min), 16 bytes of nibbles
        bsz, head = (18, 2) if dtype == "Q4_0" else (20, 4)
        blk, j = pos // 32, pos % 32
        hdr = raw[(blk * bsz)[:, None] + np.arange(head)].copy().view("<f2").astype(np.float32)
        byte = raw[blk * bsz + head + (j % 16)]
        nib = np.where(j < 16, byte & 0x0F, byte >> 4).astype(np.float32)
        if dtype == "Q4_0":
            return hdr[:, 0] * (nib - 8)
        return hdr[:, 0] * nib + hdr[:, 1]
    return None


def _all_equal(buf: Buffer, dtype: str, numel: int) -> bool:
    size = DTYPES.get(dtype, (0, None))[0]
    if size == 0 or numel == 0:
        return False
    raw = np.frombuffer(buf, dtype=f"V{size}" if size not in (1, 2, 4, 8) else f"<u{size}", count=numel)
    first = raw[0]
    step = 1 << 24
    return all(bool(np.all(raw[i : i + step] == first)) for i in range(0, numel, step))


def _uninformative(
    name: str, dtype: str, shape: tuple[int, ...], vals: np.ndarray | None, pos: np.ndarray, buf: Buffer
) -> str:
    """Why every model of this shape would hold this tensor ("" if it is evidence)."""
    numel = math.prod(shape)
    leaf = name.rsplit(".", 1)[-1]
    if numel == 0:
        return "empty"
    if leaf in ("num_batches_tracked", "inv_freq", "position_ids", "masked_bias", "_float_tensor"):
        return f"buffer {leaf}"
    if vals is None or len(vals) == 0:
        return ""
    if np.all(vals == vals[0]) or np.all(np.isnan(vals)):
        if _all_equal(buf, dtype, numel):
            return "constant"
    if numel < MIN_INFORMATIVE_ELEMENTS:
        return f"only {numel} elements"
    p = pos.astype(np.float64)
    v = vals.astype(np.float64)
    last = shape[-1] if shape else 1
    if np.array_equal(v, p) or (last > 1 and np.array_equal(v, p % last)):
        return "index range"
    if len(shape) >= 2 and shape[-1] == shape[-2] and len(np.unique(v)) == 2:
        r, c = (pos // last) % shape[-2], pos % last
        for mask in (c <= r, c >= r, c < r, c > r):  # causal masks, in any two values (1/0, 0/-inf)
            if (
                mask.any()
                and (~mask).any()
                and len(np.unique(v[mask])) == 1
                and len(np.unique(v[~mask])) == 1
            ):
                return "triangular mask"
    if len(shape) >= 2 and last % 2 == 0 and v.std() > 0:
        row, col = ((pos // last) % shape[-2]).astype(np.float64), (pos % last)
        half = last // 2
        for interleaved in (True, False):  # sin/cos interleaved (Vaswani) or in two halves
            i = (col // 2 * 2) if interleaved else (col % half) * 2
            angle = row * np.exp(-i * math.log(10000.0) / last)
            is_sin = (col % 2 == 0) if interleaved else (col < half)
            expect = np.where(is_sin, np.sin(angle), np.cos(angle))
            if expect.std() > 0 and np.corrcoef(v, expect)[0, 1] > 0.999:  # scaled or quantized copies too
                return "sinusoidal position table"
    if len(shape) == 1 and numel >= 4 and v[0] == 1.0 and np.all(v > 0) and np.all(v <= 1):
        base = v[1] ** (-numel) if v[1] > 0 else 0
        if base > 1 and np.allclose(v, base ** (-p / numel), rtol=1e-3):
            return "rotary frequency table"
    return ""


def record(name: str, dtype: str, shape: tuple[int, ...], buf: Buffer) -> TensorRecord:
    """Fingerprint one tensor held (C order) in ``buf``: hash, sketch, informativeness."""
    numel = math.prod(shape)
    sha = hashlib.sha256(buf).hexdigest()
    pos = sketch_positions(numel)
    try:
        vals = _values_at(buf, dtype, numel, pos) if numel else np.zeros(0, np.float32)
    except (ValueError, IndexError, TypeError):
        vals = None
    with np.errstate(all="ignore"):  # NaN/inf in hostile or odd tensors are values, not errors
        why = _uninformative(name, dtype, shape, vals, pos, buf)
    sketch = vals.astype("<f4").tobytes() if vals is not None else b""
    return TensorRecord(
        name, dtype, tuple(shape), sha, len(memoryview(buf).cast("B")), sketch, bool(why), why
    )


# --------------------------------------------------------------------------------------------
# Detection.

_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def detect_weights(data_or_head: Buffer, name: str = "", size: int | None = None) -> str | None:
    """The weights format of ``data_or_head`` by content: a whole file, or its first bytes
    when ``size`` (the whole file's size) is given."""
    mv = memoryview(data_or_head).cast("B")
    head = bytes(mv[:65536])
    total = len(mv) if size is None else size
    if head[:4] == b"GGUF":
        return "gguf"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:4] == b"PK\x03\x04":
        names = _zip_names(mv if size is None else mv[:0], head)
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            return "torch"
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return None
    if len(head) >= 10 and head[8:9] == b"{" and head[9:10] in (b'"', b"}", b" ", b"\n"):
        n = struct.unpack_from("<Q", head)[0]
        if 2 <= n <= MAX_HEADER_BYTES and 8 + n <= total:
            return "safetensors"
    return None


def _zip_names(data: Buffer, head: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(_BufferFile(memoryview(data))) as zf:
            return zf.namelist()[:MAX_ZIP_MEMBERS]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # Only a head: the first local header's name.
        n = struct.unpack_from("<H", head, 26)[0] if len(head) >= 30 else 0
        return [head[30 : 30 + n].decode("utf-8", "replace")] if n else []


# --------------------------------------------------------------------------------------------
# Readers.


class _Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def check(self, notes: list[str], where: str) -> bool:
        if time.monotonic() > self.end:
            notes.append(f"time limit: stopped at {where}")
            return True
        return False


def _check_shape(shape: Any, what: str) -> tuple[int, ...]:
    if (
        not isinstance(shape, (list, tuple))
        or len(shape) > MAX_DIMS
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 48 for d in shape)
    ):
        raise WeightsError(f"{what}: invalid shape {str(shape)[:100]}")
    return tuple(shape)


def _safetensors(mv: memoryview, limits: WeightLimits) -> Weights:
    if len(mv) < 8:
        raise WeightsError("safetensors file shorter than its 8-byte header length")
    n = struct.unpack_from("<Q", mv)[0]
    if n > limits.max_header_bytes or 8 + n > len(mv):
        raise WeightsError(f"safetensors header of {n} bytes is over the limit or past the end of the file")
    try:
        header = json.loads(bytes(mv[8 : 8 + n]))
    except (ValueError, RecursionError) as exc:
        raise WeightsError(f"safetensors header is not JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise WeightsError("safetensors header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if len(header) > limits.max_tensors:
        raise WeightsError(
            f"safetensors header lists {len(header)} tensors, over the {limits.max_tensors} limit"
        )
    base = 8 + n
    entries = []
    for name, e in header.items():
        if not isinstance(e, dict) or not isinstance(e.get("dtype"), str):
            raise WeightsError(f"safetensors entry {name[:100]!r} is malformed")
        shape = _check_shape(e.get("shape"), f"tensor {name[:100]!r}")
        off = e.get("data_offsets")
        if (
            not isinstance(off, list)
            or len(off) != 2
            or not all(isinstance(x, int) for x in off)
            or not 0 <= off[0] <= off[1]
            or base + off[1] > len(mv)
        ):
            raise WeightsError(f"tensor {name[:100]!r}: data offsets {str(off)[:60]} are outside the file")
        dtype = e["dtype"].upper()
        size = DTYPES.get(dtype, (0, None))[0]
        if size and off[1] - off[0] != math.prod(shape) * size:
            raise WeightsError(f"tensor {name[:100]!r}: {off[1] - off[0]} bytes for {shape} {dtype}")
        entries.append((off[0], off[1], name, dtype, shape))
    notes = []
    entries.sort()
    end = 0
    for b, e_, name, _, _ in entries:
        if b < end:
            notes.append(f"tensor {name[:100]!r} overlaps the previous one")
        end = max(end, e_)
    if base + end < len(mv):
        notes.append(f"{len(mv) - base - end} bytes after the last tensor")
    deadline = _Deadline(limits.max_seconds)
    records = []
    for b, e_, name, dtype, shape in entries:
        if deadline.check(notes, f"tensor {name[:100]!r}"):
            break
        if dtype not in DTYPES:
            notes.append(f"tensor {name[:100]!r}: dtype {dtype[:20]} not decoded (hashed only)")
        records.append(record(name, dtype, shape, mv[base + b : base + e_]))
    metadata = {"__metadata__": meta} if isinstance(meta, dict) else {}
    return Weights("safetensors", tuple(records), tuple(notes), metadata)


# GGML tensor types: id -> (name, elements per block, bytes per block).
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}
_GGUF_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


class _Cursor:
    def __init__(self, mv: memoryview, pos: int = 0):
        self.mv, self.pos = mv, pos

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.mv):
            raise WeightsError(f"GGUF header runs past the end of the file at byte {self.pos}")
        out = self.mv[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        if n > MAX_GGUF_STRING:
            raise WeightsError(f"GGUF string of {n} bytes is over the limit")
        return bytes(self.take(n)).decode("utf-8", "replace")

    def value(self, vtype: int, depth: int = 0) -> Any:
        if vtype in _GGUF_SCALARS:
            return self.unpack(_GGUF_SCALARS[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9 and depth < 2:
            etype, count = self.unpack("<I"), self.unpack("<Q")
            if count > MAX_GGUF_ARRAY:
                raise WeightsError(f"GGUF array of {count} items is over the limit")
            start = self.pos
            if etype in _GGUF_SCALARS:
                size = struct.calcsize(_GGUF_SCALARS[etype])
                self.take(count * size)
                items = (
                    list(struct.unpack(f"<{count}{_GGUF_SCALARS[etype][1]}", self.mv[start : self.pos]))
                    if count <= 64
                    else None
                )
            else:
                values = [self.value(etype, depth + 1) for _ in range(count)]
                items = values if count <= 64 else None
            if items is not None:
                return items
            return {
                "array_of": etype,
                "len": count,
                "sha256": hashlib.sha256(self.mv[start : self.pos]).hexdigest(),
            }
        raise WeightsError(f"GGUF value type {vtype} is not known")


def _gguf(mv: memoryview, limits: WeightLimits) -> Weights:
    cur = _Cursor(mv, 4)
    version = cur.unpack("<I")
    if version not in (2, 3):
        raise WeightsError(f"GGUF version {version} is not supported (big-endian or v1 file)")
    n_tensors, n_kv = cur.unpack("<Q"), cur.unpack("<Q")
    if n_tensors > limits.max_tensors or n_kv > limits.max_gguf_kv:
        raise WeightsError(f"GGUF lists {n_tensors} tensors and {n_kv} keys, over the limits")
    meta: dict[str, Any] = {"gguf_version": version}
    for _ in range(n_kv):
        key = cur.string()
        meta[key[:256]] = cur.value(cur.unpack("<I"))
    align = meta.get("general.alignment", 32)
    if not isinstance(align, int) or align <= 0 or align & (align - 1):
        raise WeightsError(f"GGUF alignment {align!r} is not a power of two")
    infos = []
    for _ in range(n_tensors):
        name = cur.string()
        n_dims = cur.unpack("<I")
        if n_dims > MAX_DIMS:
            raise WeightsError(f"GGUF tensor {name[:100]!r} has {n_dims} dimensions")
        dims = [cur.unpack("<Q") for _ in range(n_dims)]
        ttype, offset = cur.unpack("<I"), cur.unpack("<Q")
        infos.append((name, dims, ttype, offset))
    start = -(-cur.pos // align) * align
    notes: list[str] = []
    records = []
    deadline = _Deadline(limits.max_seconds)
    for name, dims, ttype, offset in infos:
        if deadline.check(notes, f"tensor {name[:100]!r}"):
            break
        if ttype not in GGML_TYPES:
            raise WeightsError(f"GGUF tensor {name[:100]!r} has unknown type {ttype}")
        tname, block, bsize = GGML_TYPES[ttype]
        numel = math.prod(dims)
        if dims and dims[0] % block:
            raise WeightsError(f"GGUF tensor {name[:100]!r}: row of {dims[0]} not a multiple of {block}")
        nbytes = numel // block * bsize
        b = start + offset
        if b + nbytes > len(mv):
            raise WeightsError(f"GGUF tensor {name[:100]!r} runs past the end of the file")
        shape = _check_shape(tuple(reversed(dims)), f"tensor {name[:100]!r}")
        rec = record(name, tname, shape, mv[b : b + nbytes])
        if not rec.sketch and numel:
            notes.append(f"tensor {name[:100]!r}: {tname} values not decoded (hashed only)")
        records.append(rec)
    return Weights("gguf", tuple(records), tuple(notes[:1000]), meta)


def _npy_header(mv: memoryview, what: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    if bytes(mv[:6]) != b"\x93NUMPY" or len(mv) < 10:
        raise WeightsError(f"{what} is not an .npy array")
    major = mv[6]
    if major == 1:
        hlen, start = struct.unpack_from("<H", mv, 8)[0], 10
    elif major in (2, 3):
        hlen, start = struct.unpack_from("<I", mv, 8)[0], 12
    else:
        raise WeightsError(f"{what}: .npy version {major} is not supported")
    if hlen > 65536 or start + hlen > len(mv):
        raise WeightsError(f"{what}: .npy header of {hlen} bytes is too long or truncated")
    text = bytes(mv[start : start + hlen]).decode("utf-8" if major == 3 else "latin1")
    try:
        h = ast.literal_eval(text)  # literals only, as numpy itself reads it
        dtype = np.lib.format.descr_to_dtype(h["descr"])
        shape = _check_shape(tuple(h["shape"]), what)
        fortran = bool(h["fortran_order"])
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError) as exc:
        raise WeightsError(f"{what}: .npy header is malformed: {str(exc)[:100]}") from None
    if dtype.hasobject:
        raise WeightsError(f"{what}: object array (needs pickle): not loaded")
    return dtype, shape, fortran, start + hlen


_NP_TO_DTYPE = {
    "f8": "F64",
    "f4": "F32",
    "f2": "F16",
    "i8": "I64",
    "i4": "I32",
    "i2": "I16",
    "i1": "I8",
    "u8": "U64",
    "u4": "U32",
    "u2": "U16",
    "u1": "U8",
    "b1": "BOOL",
    "c8": "C64",
    "c16": "C128",
}


def _npy_record(name: str, mv: memoryview, notes: list[str]) -> TensorRecord:
    dtype, shape, fortran, off = _npy_header(mv, name)
    numel = math.prod(shape)
    nbytes = numel * dtype.itemsize
    if off + nbytes > len(mv):
        raise WeightsError(f"{name}: array data is truncated")
    buf: Buffer = mv[off : off + nbytes]
    canon = _NP_TO_DTYPE.get(f"{dtype.kind}{dtype.itemsize}") if dtype.fields is None else None
    if dtype.byteorder == ">" and canon:
        buf = np.frombuffer(buf, dtype=dtype).astype(dtype.newbyteorder("<")).tobytes()
        notes.append(f"{name}: big-endian array byte-swapped before hashing")
    if fortran and len(shape) > 1:
        arr = np.frombuffer(buf, dtype=f"V{dtype.itemsize}").reshape(shape[::-1]).T
        buf = np.ascontiguousarray(arr).tobytes()
        notes.append(f"{name}: Fortran-order array reordered to C order before hashing")
    return record(name, canon or f"NP:{dtype.str}", shape, buf)


class _BufferFile(io.RawIOBase):
    """A read-only, seekable file over a memoryview (zipfile reads the directory through it)."""

    def __init__(self, mv: memoryview):
        self.mv, self.pos = mv, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, off: int, whence: int = 0) -> int:
        self.pos = off if whence == 0 else self.pos + off if whence == 1 else len(self.mv) + off
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b: Any) -> int:
        n = max(0, min(len(b), len(self.mv) - self.pos))
        b[:n] = self.mv[self.pos : self.pos + n]
        self.pos += n
        return n


def _zip_member(mv: memoryview, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: WeightLimits) -> Buffer:
    """A member's bytes: a slice of ``mv`` when stored, else inflated up to the limit."""
    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        h = info.header_offset
        if bytes(mv[h : h + 4]) != b"PK\x03\x04":
            raise WeightsError(f"zip member {info.filename[:100]!r}: bad local header")
        n, e = struct.unpack_from("<HH", mv, h + 26)
        start = h + 30 + n + e
        if start + info.file_size > len(mv):
            raise WeightsError(f"zip member {info.filename[:100]!r} runs past the end of the file")
        return mv[start : start + info.file_size]
    if info.file_size > limits.max_inflate_bytes:
        raise WeightsError(
            f"zip member {info.filename[:100]!r} expands to {info.file_size} bytes, over the limit"
        )
    try:
        with zf.open(info) as fh:
            return fh.read(limits.max_inflate_bytes + 1)[: limits.max_inflate_bytes]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        raise WeightsError(f"zip member {info.filename[:100]!r} cannot be read: {exc}") from None


def _open_zip(mv: memoryview) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(_BufferFile(mv))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise WeightsError(f"not a readable zip: {exc}") from None
    if len(zf.infolist()) > MAX_ZIP_MEMBERS:
        raise WeightsError("zip has too many members")
    return zf


def _npz(mv: memoryview, limits: WeightLimits) -> Weights:
    zf = _open_zip(mv)
    notes: list[str] = []
    records = []
    deadline = _Deadline(limits.max_seconds)
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_tensors:
        raise WeightsError(f"npz holds {len(infos)} arrays, over the {limits.max_tensors} limit")
    for info in infos:
        if deadline.check(notes, info.filename[:100]):
            break
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        data = _zip_member(mv, zf, info, limits)
        records.append(_npy_record(name, memoryview(data), notes))
    return Weights("npz", tuple(records), tuple(notes))


def _npy(mv: memoryview, limits: WeightLimits) -> Weights:
    notes: list[str] = []
    rec = _npy_record("array", mv, notes)
    return Weights("npy", (rec,), tuple(notes))


# --- PyTorch: a static walk of data.pkl --------------------------------------------------------


@dataclass(frozen=True)
class _Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


class _Call:
    """A REDUCE/NEWOBJ/BUILD result: what would have been called, never called."""

    def __init__(self, func: Any, args: Any):
        self.func, self.args, self.state = func, args, None
        self.items: list[tuple[Any, Any]] = []
        self.appends: list[Any] = []


class _Dict:
    def __init__(self, items: list[tuple[Any, Any]] | None = None):
        self.items = items or []


class _PersId:
    def __init__(self, pid: Any):
        self.pid = pid


_MARK = object()

_STORAGE_DTYPES = {
    "FloatStorage": "F32",
    "DoubleStorage": "F64",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
    "ComplexFloatStorage": "C64",
    "ComplexDoubleStorage": "C128",
    "Float8_e4m3fnStorage": "F8_E4M3",
    "Float8_e5m2Storage": "F8_E5M2",
    "UInt16Storage": "U16",
    "UInt32Storage": "U32",
    "UInt64Storage": "U64",
}
_REBUILD_TENSOR = {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3"}
_REBUILD_PARAM = {"_rebuild_parameter", "_rebuild_parameter_with_state"}
# Globals an ordinary checkpoint references; any other is reported (never imported).
_EXPECTED_GLOBALS = (
    "torch.",
    "collections.OrderedDict",
    "builtins.set",
    "builtins.slice",
    "numpy.core.multiarray",
    "numpy.dtype",
    "numpy._core.multiarray",
    "_codecs.encode",
    "argparse.Namespace",
)


def static_unpickle(data: bytes, max_ops: int = MAX_PICKLE_OPS) -> tuple[Any, list[str]]:
    """Walk a pickle's opcodes with a stack machine that builds only inert placeholders.

    Returns the root placeholder and the globals referenced. GLOBAL becomes a name, REDUCE a
    record of the call that would have happened; nothing is imported or called, so a
    malicious pickle is read as data. Raises WeightsError for malformed or exotic streams.
    """
    stack: list[Any] = []
    memo: dict[int, Any] = {}
    globals_seen: list[str] = []

    def pop_mark() -> list[Any]:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1 :]
                del stack[i:]
                return items
        raise WeightsError("pickle: MARK missing")

    def pop() -> Any:
        if not stack:
            raise WeightsError("pickle: stack underflow")
        return stack.pop()

    def add_items(target: Any, pairs: Iterable[tuple[Any, Any]]) -> None:
        if isinstance(target, (_Dict, _Call)):
            target.items.extend(pairs)

    def add_appends(target: Any, values: list[Any]) -> None:
        if isinstance(target, list):
            target.extend(values)
        elif isinstance(target, _Call):
            target.appends.extend(values)

    try:
        for n, (op, arg, _pos) in enumerate(pickletools.genops(data)):
            if n > max_ops:
                raise WeightsError(f"pickle has over {max_ops} opcodes")
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                return pop(), globals_seen
            if name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in (
                "INT",
                "BININT",
                "BININT1",
                "BININT2",
                "LONG",
                "LONG1",
                "LONG4",
                "FLOAT",
                "BINFLOAT",
                "STRING",
                "BINSTRING",
                "SHORT_BINSTRING",
                "UNICODE",
                "BINUNICODE",
                "SHORT_BINUNICODE",
                "BINUNICODE8",
                "BINBYTES",
                "SHORT_BINBYTES",
                "BINBYTES8",
                "BYTEARRAY8",
            ):
                stack.append(arg)
            elif name == "EMPTY_DICT":
                stack.append(_Dict())
            elif name in ("EMPTY_LIST", "EMPTY_SET"):
                stack.append([])
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "MARK":
                stack.append(_MARK)
            elif name == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(name[-1])
                if len(stack) < k:
                    raise WeightsError("pickle: stack underflow")
                stack[-k:] = [tuple(stack[-k:])]
            elif name in ("LIST", "FROZENSET"):
                stack.append(pop_mark())
            elif name == "DICT":
                items = pop_mark()
                stack.append(_Dict(list(zip(items[::2], items[1::2], strict=False))))
            elif name == "APPEND":
                v = pop()
                add_appends(stack[-1] if stack else None, [v])
            elif name in ("APPENDS", "ADDITEMS"):
                items = pop_mark()
                add_appends(stack[-1] if stack else None, items)
            elif name == "SETITEM":
                v, k = pop(), pop()
                add_items(stack[-1] if stack else None, [(k, v)])
            elif name == "SETITEMS":
                items = pop_mark()
                add_items(stack[-1] if stack else None, list(zip(items[::2], items[1::2], strict=False)))
            elif name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                g = _Global(module, attr)
                globals_seen.append(str(g))
                if name == "INST":
                    stack.append(_Call(g, tuple(pop_mark())))
                else:
                    stack.append(g)
            elif name == "STACK_GLOBAL":
                attr, module = pop(), pop()
                g = _Global(str(module), str(attr))
                globals_seen.append(str(g))
                stack.append(g)
            elif name in ("REDUCE", "NEWOBJ"):
                args = pop()
                stack.append(_Call(pop(), args))
            elif name == "NEWOBJ_EX":
                _kwargs, args = pop(), pop()
                stack.append(_Call(pop(), args))
            elif name == "OBJ":
                items = pop_mark()
                if not items:
                    raise WeightsError("pickle: OBJ without a class")
                stack.append(_Call(items[0], tuple(items[1:])))
            elif name == "BUILD":
                state = pop()
                if stack and isinstance(stack[-1], _Call):
                    stack[-1].state = state
            elif name == "BINPERSID":
                stack.append(_PersId(pop()))
            elif name == "PERSID":
                stack.append(_PersId(arg))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                if not stack:
                    raise WeightsError("pickle: PUT on an empty stack")
                memo[int(arg)] = stack[-1]  # type: ignore[arg-type]
            elif name == "MEMOIZE":
                if not stack:
                    raise WeightsError("pickle: MEMOIZE on an empty stack")
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if int(arg) not in memo:  # type: ignore[arg-type]
                    raise WeightsError(f"pickle: memo key {arg} missing")
                stack.append(memo[int(arg)])  # type: ignore[arg-type]
            elif name == "POP":
                pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1] if stack else pop())
            elif name in ("EXT1", "EXT2", "EXT4"):
                stack.append(_Global("copyreg-extension", str(arg)))
            else:
                raise WeightsError(f"pickle opcode {name} is not supported by the static reader")
    except WeightsError:
        raise
    except (ValueError, IndexError, TypeError, RecursionError, MemoryError) as exc:
        raise WeightsError(f"pickle is malformed: {type(exc).__name__}: {str(exc)[:200]}") from None
    raise WeightsError("pickle has no STOP opcode")


_MODULE_KEYS = {"_parameters", "_buffers", "_modules", "__dict__"}


def _tensor_views(root: Any) -> Iterable[tuple[str, tuple]]:
    """(name, rebuild args) of every tensor reachable from the placeholder tree."""
    seen: set[int] = set()
    todo: list[tuple[Any, tuple[str, ...], int]] = [(root, (), 0)]
    while todo:
        obj, path, depth = todo.pop()
        if depth > 64 or id(obj) in seen and not isinstance(obj, (str, int, float, bytes)):
            continue
        if isinstance(obj, (_Dict, _Call, list, tuple)):
            seen.add(id(obj))
        if isinstance(obj, _Call) and isinstance(obj.func, _Global):
            fname = obj.func.name
            args = obj.args if isinstance(obj.args, tuple) else ()
            if obj.func.module.startswith("torch") and fname in _REBUILD_TENSOR:
                yield ".".join(path), args
                continue
            if fname in _REBUILD_PARAM and args:
                todo.append((args[0], path, depth + 1))
                continue
            if fname == "_rebuild_from_type_v2" and len(args) >= 3:
                todo.append((_Call(args[0], args[2]), path, depth + 1))
                continue
        children: list[tuple[Any, tuple[str, ...]]] = []
        if isinstance(obj, (_Dict, _Call)):
            for k, v in obj.items:
                key = str(k)
                children.append((v, path if key in _MODULE_KEYS else (*path, key)))
        if isinstance(obj, _Call):
            children.extend((v, (*path, str(i))) for i, v in enumerate(obj.appends))
            if obj.state is not None:
                children.append((obj.state, path))
            if isinstance(obj.args, tuple):
                children.extend((v, path) for v in obj.args if isinstance(v, (_Dict, _Call, list)))
        elif isinstance(obj, (list, tuple)):
            children.extend((v, (*path, str(i))) for i, v in enumerate(obj))
        for child in reversed(children):
            todo.append((child[0], child[1], depth + 1))


def _row_major(size: tuple[int, ...]) -> tuple[int, ...]:
    out, acc = [], 1
    for d in reversed(size):
        out.append(acc)
        acc *= d
    return tuple(reversed(out))


def _torch(mv: memoryview, limits: WeightLimits) -> Weights:
    zf = _open_zip(mv)
    infos = {i.filename: i for i in zf.infolist()}
    pkl = next((n for n in infos if n == "data.pkl" or (n.endswith("/data.pkl") and n.count("/") == 1)), None)
    if pkl is None:
        raise WeightsError("torch zip has no data.pkl")
    prefix = pkl[: -len("data.pkl")]
    info = infos[pkl]
    if info.file_size > limits.max_pickle_bytes:
        raise WeightsError(
            f"data.pkl of {info.file_size} bytes is over the {limits.max_pickle_bytes}-byte limit"
        )
    raw = bytes(_zip_member(mv, zf, info, limits))
    root, globals_seen = static_unpickle(raw, limits.max_pickle_ops)
    notes = ["pickle not executed: data.pkl parsed statically (opcodes walked, no global imported or called)"]
    odd = sorted({g for g in globals_seen if not g.startswith(_EXPECTED_GLOBALS)})
    if odd:
        notes.append("pickle references unexpected callables (not executed): " + ", ".join(odd[:20]))
    meta: dict[str, Any] = {"pickle_globals": sorted(set(globals_seen))[:200]}
    for extra in ("byteorder", "version", ".data/version", ".data/serialization_id"):
        if prefix + extra in infos and infos[prefix + extra].file_size < 256:
            meta[extra.lstrip(".")] = (
                bytes(_zip_member(mv, zf, infos[prefix + extra], limits)).decode("utf-8", "replace").strip()
            )
    if meta.get("byteorder", "little") != "little":
        raise WeightsError(f"torch checkpoint byte order {meta['byteorder']!r} is not supported")
    records: list[TensorRecord] = []
    deadline = _Deadline(limits.max_seconds)
    used: set[str] = set()
    for name, args in _tensor_views(root):
        if len(records) >= limits.max_tensors:
            notes.append(f"truncated: over {limits.max_tensors} tensors")
            break
        if deadline.check(notes, f"tensor {name[:100]!r}"):
            break
        rec = _torch_tensor(mv, zf, infos, prefix, name or "tensor", args, limits, notes)
        if rec is not None:
            records.append(rec)
            used.add(name)
    if not records and not notes[1:]:
        notes.append("no tensors found in data.pkl")
    return Weights("torch", tuple(records), tuple(notes[:1000]), meta)


def _torch_tensor(
    mv: memoryview,
    zf: zipfile.ZipFile,
    infos: dict[str, zipfile.ZipInfo],
    prefix: str,
    name: str,
    args: tuple,
    limits: WeightLimits,
    notes: list[str],
) -> TensorRecord | None:
    if len(args) < 4 or not isinstance(args[0], _PersId):
        notes.append(f"tensor {name[:100]!r}: unrecognised rebuild arguments, skipped")
        return None
    pid = args[0].pid
    if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
        notes.append(f"tensor {name[:100]!r}: unrecognised storage id, skipped")
        return None
    stype, key = pid[1], str(pid[2])
    dtype = _STORAGE_DTYPES.get(stype.name if isinstance(stype, _Global) else str(stype))
    offset, size, stride = args[1], args[2], args[3]
    if dtype is None:
        notes.append(f"tensor {name[:100]!r}: storage type {stype} not known, skipped")
        return None
    if not (isinstance(offset, int) and offset >= 0):
        notes.append(f"tensor {name[:100]!r}: bad storage offset, skipped")
        return None
    try:
        size = _check_shape(tuple(size), f"tensor {name[:100]!r}")
        stride = _check_shape(tuple(stride), f"tensor {name[:100]!r}")
    except (TypeError, WeightsError):
        notes.append(f"tensor {name[:100]!r}: bad size or stride, skipped")
        return None
    member = infos.get(f"{prefix}data/{key}")
    if member is None:
        notes.append(f"tensor {name[:100]!r}: storage data/{key[:40]} missing")
        return None
    storage = memoryview(_zip_member(mv, zf, member, limits)).cast("B")
    isz = DTYPES[dtype][0]
    numel = math.prod(size)
    contiguous = all(st == rm for st, rm, d in zip(stride, _row_major(size), size, strict=False) if d != 1)
    if numel == 0:
        return record(name, dtype, size, b"")
    last = offset + sum((d - 1) * st for d, st in zip(size, stride, strict=False))
    if len(size) != len(stride) or (last + 1) * isz > len(storage):
        notes.append(f"tensor {name[:100]!r}: view runs past its storage, skipped")
        return None
    if contiguous:
        return record(name, dtype, size, storage[offset * isz : (offset + numel) * isz])
    raw = np.frombuffer(storage, dtype=f"V{isz}")
    view = np.lib.stride_tricks.as_strided(
        raw[offset:], shape=size, strides=tuple(s * isz for s in stride), writeable=False
    )
    notes.append(f"tensor {name[:100]!r}: non-contiguous view copied to C order before hashing")
    return record(name, dtype, size, np.ascontiguousarray(view).tobytes())


_READERS = {"safetensors": _safetensors, "gguf": _gguf, "npy": _npy, "npz": _npz, "torch": _torch}


def read_weights(data: Buffer, kind: str, limits: WeightLimits = WeightLimits()) -> Weights:  # noqa: B008
    """Tensor records, notes and the file's own metadata (safetensors ``__metadata__``, GGUF keys,
    the globals a torch pickle names). ``data`` may be bytes, a memoryview or an mmap."""
    if kind not in _READERS:
        raise ValueError(f"unknown weights kind {kind!r}; expected one of {', '.join(KINDS)}")
    mv = memoryview(data).cast("B")
    try:
        return _READERS[kind](mv, limits)
    except (struct.error, OverflowError) as exc:
        raise WeightsError(f"{kind} file is truncated or malformed: {exc}") from None
    except MemoryError:
        raise WeightsError(f"{kind} file needs more memory than allowed") from None


def tensor_records(
    data: Buffer, kind: str, limits: WeightLimits = WeightLimits()
) -> tuple[list[TensorRecord], list[str]]:  # noqa: B008
    """Records of every tensor in ``data`` and notes (e.g. that a pickle was not executed)."""
    w = read_weights(data, kind, limits)
    return list(w.records), list(w.notes)


# --------------------------------------------------------------------------------------------
# Comparison of a dropped checkpoint with an internal one.

# A cast keeps the values: relative RMS error within the rounding of the narrower float type
# (bf16: at most 2^-9 per value, about 0.2% in RMS; fp16 far less), and a correlation near 1.
CAST_MIN_CORR = 0.99
CAST_MAX_REL_ERR = 0.01
# Integer or block quantization keeps the shape of the values, not their scale.
QUANT_MIN_CORR = 0.95
# Fine-tuning moves values a little: correlation well above what unrelated tensors reach by
# chance (their correlation over k samples has a standard deviation of about 1/sqrt(k)).
FINE_TUNE_MIN_CORR = 0.5
FINE_TUNE_MIN_SIGMAS = 6.0
# Pruning zeroes values and keeps the others: at least this share of the sketched positions is
# zero where the internal value is not, and the rest match within the cast tolerance.
PRUNE_MIN_SHARE = 0.05
# Share of informative tensors derived from the internal checkpoint for the hint "altered".
ALTERED_MIN_SHARE = 0.1
STATUSES = (
    "identical", "cast", "quantized", "pruned", "fine_tuned", "unrelated", "uninformative", "missing",
)  # fmt: skip
DERIVED = ("cast", "quantized", "pruned", "fine_tuned")
_PREFIXES = ("module.", "_orig_mod.", "base_model.model.", "model.", "transformer.")


def norm_name(name: str) -> str:
    """A tensor name without the wrapper prefixes training code adds (``module.``, ``model.``...)."""
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if name.startswith(p):
                name, changed = name[len(p) :], True
    return name


def _stats(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Pearson correlation and relative RMS error of ``a`` against reference ``b``."""
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok].astype(np.float64), b[ok].astype(np.float64)
    if len(a) < 2:
        return 0.0, math.inf
    ref = float(np.sqrt(np.mean(b * b)))
    err = float(np.sqrt(np.mean((a - b) ** 2)))
    rel = err / ref if ref > 0 else (0.0 if err == 0 else math.inf)
    sa, sb = a.std(), b.std()
    if sa == 0 or sb == 0:
        return (1.0 if rel == 0 else 0.0), rel
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb)), rel


def _pruned(a: np.ndarray, b: np.ndarray) -> float | None:
    """Share of positions zeroed in ``a`` (where ``b`` is not) when every other position keeps
    ``b``'s value to within a cast's rounding; None when ``a`` is not a pruned ``b``."""
    zeroed = (a == 0) & (b != 0)
    keep = ~zeroed & np.isfinite(a) & np.isfinite(b)
    if zeroed.sum() < max(2, PRUNE_MIN_SHARE * len(a)) or keep.sum() < 2:
        return None
    ref = float(np.sqrt(np.mean(b[keep].astype(np.float64) ** 2)))
    err = float(np.sqrt(np.mean((a[keep].astype(np.float64) - b[keep]) ** 2)))
    if ref == 0 or err > CAST_MAX_REL_ERR * ref:
        return None
    return float(zeroed.mean())


def classify_pair(drop: TensorRecord, internal: TensorRecord) -> tuple[str, float, float]:
    """(status, correlation, relative error) of a dropped tensor against one internal tensor
    of the same element count, whose hash differs."""
    a, b = drop.sketch_values(), internal.sketch_values()
    if len(a) != len(b) or not len(a):
        return "unrelated", 0.0, math.inf
    with np.errstate(all="ignore"):
        corr, rel = _stats(a, b)
        pruned = _pruned(a, b)
    ft_min = max(FINE_TUNE_MIN_CORR, FINE_TUNE_MIN_SIGMAS / math.sqrt(len(a)))
    if pruned is not None:
        return "pruned", corr, rel
    if drop.dtype != internal.dtype:
        if drop.dtype in QUANT_DTYPES and internal.dtype not in QUANT_DTYPES and corr >= QUANT_MIN_CORR:
            return "quantized", corr, rel
        if corr >= CAST_MIN_CORR and rel <= CAST_MAX_REL_ERR:
            return "cast", corr, rel
    if corr >= ft_min:
        return "fine_tuned", corr, rel
    return "unrelated", corr, rel


def compare_checkpoints(
    drop: list[TensorRecord], internal: list[TensorRecord], common: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Per-tensor statuses of a dropped checkpoint against an internal one, and a hint.

    ``identical``: same bytes (at any name: a shard or a renamed copy is still recognised);
    ``cast``: another float dtype, same values to rounding; ``quantized``: integer/fp8/GGUF
    block codes that track the values; ``fine_tuned``: same tensor moved a little (or edited
    away from the sketched positions); ``unrelated``: no internal tensor of that shape tracks
    it; ``uninformative``: a tensor any model of that shape holds (never counted as
    evidence); ``missing``: internal informative tensors the drop does not account for.
    ``pruned``: values zeroed, the others kept.
    ``common``: SHA-256 of tensors known to be shared by unrelated checkpoints (boilerplate the
    content rules did not recognise): uninformative on both sides.
    The hint is ``real`` (every informative tensor identical, none missing), ``part-of``
    (identical, some missing: a shard or subset), ``altered`` (derived, not identical),
    ``fabricated`` (nothing derived) or ``inconclusive`` (nothing informative).
    """
    informative_internal = [r for r in internal if not r.uninformative and r.sha256 not in common]
    by_hash: dict[str, list[TensorRecord]] = {}
    for r in informative_internal:
        by_hash.setdefault(r.sha256, []).append(r)
    by_name: dict[tuple[str, int], TensorRecord] = {}
    by_shape: dict[tuple[int, ...], list[TensorRecord]] = {}
    for r in informative_internal:
        by_name.setdefault((norm_name(r.name), r.numel), r)
        by_shape.setdefault(r.shape, []).append(r)
    accounted: set[int] = set()
    rows = []
    counts = dict.fromkeys(STATUSES, 0)
    for d in drop:
        row: dict[str, Any] = {"name": d.name, "dtype": d.dtype, "shape": list(d.shape)}
        if d.uninformative:
            row.update(status="uninformative", why=d.why)
        elif d.sha256 in common:
            row.update(status="uninformative", why="shared by unrelated internal checkpoints")
        elif d.sha256 in by_hash:
            hits = by_hash[d.sha256]
            m = next((h for h in hits if h.name == d.name), hits[0])
            accounted.update(id(h) for h in hits)
            row.update(status="identical", match=m.name, renamed=m.name != d.name)
        else:
            cands = []
            same = by_name.get((norm_name(d.name), d.numel))
            if same is not None:
                cands.append(same)
            cands += [c for c in by_shape.get(d.shape, []) + by_shape.get(d.shape[::-1], []) if c is not same]
            best: tuple[str, float, float, TensorRecord] | None = None
            order = {"cast": 3, "quantized": 3, "pruned": 3, "fine_tuned": 2, "unrelated": 0}
            for c in cands[:4096]:
                status, corr, rel = classify_pair(d, c)
                key = (order[status], corr)
                if best is None or key > (order[best[0]], best[1]):
                    best = (status, corr, rel, c)
                if c is same and status != "unrelated":
                    break  # the tensor of the same name explains it: no need to search further
            if best is None:
                row.update(status="unrelated", match=None, reason="no internal tensor of this shape")
            else:
                status, corr, rel, c = best
                row.update(
                    status=status,
                    corr=round(corr, 6),
                    rel_err=round(rel, 6) if math.isfinite(rel) else None,
                    internal_dtype=c.dtype,
                )
                if status != "unrelated":
                    row["match"] = c.name
                    accounted.add(id(c))
                    if status == "fine_tuned" and corr > 0.999999 and rel < 1e-7:
                        row["detail"] = "equal at every sketched position: a sparse edit"
                else:
                    row["closest"] = c.name
        counts[row["status"]] += 1
        rows.append(row)
    missing = [r.name for r in informative_internal if id(r) not in accounted]
    counts["missing"] = len(missing)
    informative = len(drop) - counts["uninformative"]
    # Closeness ranks internal checkpoints that all explain a drop (the steps of one training
    # run): identical tensors count 1, derived ones their correlation, the rest 0.
    closeness = sum(
        1.0 if r["status"] == "identical" else r.get("corr", 0.0)
        for r in rows
        if r["status"] in ("identical", *DERIVED)
    )
    derived = counts["identical"] + sum(counts[k] for k in DERIVED)
    share = derived / informative if informative else 0.0
    reasons = []
    if informative == 0:
        hint = "inconclusive"
        reasons.append("no informative tensor: only constants, ranges, masks or tiny tensors")
    elif counts["identical"] == informative:
        hint = "real" if not missing else "part-of"
        reasons.append(
            f"all {informative} informative tensors are byte-identical to internal tensors"
            + (f"; {len(missing)} internal tensors are absent (a shard or subset)" if missing else "")
        )
    elif derived and share >= ALTERED_MIN_SHARE:
        hint = "altered"
        kinds = [k for k in DERIVED if counts[k]]
        reasons.append(
            f"{derived} of {informative} informative tensors derive from internal tensors "
            f"({', '.join(kinds) or 'identical'}); {counts['unrelated']} unrelated"
        )
    else:
        hint = "fabricated"
        same_shape = sum(1 for r in rows if r["status"] == "unrelated" and r.get("closest"))
        reasons.append(
            f"{derived} of {informative} informative tensors derive from internal tensors"
            + (
                f"; {same_shape} have internal shapes with unrelated values (same architecture, "
                "other weights)"
                if same_shape
                else ""
            )
        )
    return {
        "tensors": rows,
        "summary": counts,
        "missing": missing[:1000],
        "informative": informative,
        "derived_share": round(share, 6),
        "closeness": round(closeness / informative, 6) if informative else 0.0,
        "hint": hint,
        "reasons": reasons,
    }
