"""Weights writers for the benchmark (and nothing else): safetensors, torch zip, npz, GGUF.

torch zips are written by hand, opcode by opcode, as torch.save lays them out, so neither
torch nor pickle is needed to build them.
"""

from __future__ import annotations

import io
import json
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np

NP_NAMES = {
    "float32": "F32",
    "float16": "F16",
    "float64": "F64",
    "int8": "I8",
    "int64": "I64",
    "uint8": "U8",
    "bool": "BOOL",
    "int32": "I32",
}
STORAGE = {
    "F32": "FloatStorage",
    "F16": "HalfStorage",
    "BF16": "BFloat16Storage",
    "I64": "LongStorage",
    "I8": "CharStorage",
    "U8": "ByteStorage",
    "BOOL": "BoolStorage",
    "F64": "DoubleStorage",
    "I32": "IntStorage",
}
Tensor = "np.ndarray | tuple[str, tuple[int, ...], bytes]"


def bf16_bytes(a: np.ndarray) -> bytes:
    u = np.asarray(a, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()


def _parts(t) -> tuple[str, tuple[int, ...], bytes]:
    if isinstance(t, np.ndarray):
        return NP_NAMES[t.dtype.name], t.shape, np.ascontiguousarray(t).tobytes()
    return t


def safetensors(tensors: dict, metadata: dict | None = None) -> bytes:
    header: dict = {"__metadata__": metadata} if metadata else {}
    blobs, off = [], 0
    for name, t in tensors.items():
        dtype, shape, raw = _parts(t)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def _str(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _int(i: int) -> bytes:
    return b"J" + struct.pack("<i", i)


def _tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def torch_zip(tensors: dict, prefix: str = "archive") -> bytes:
    out = b"\x80\x02" + _global("collections", "OrderedDict") + b")R("
    storages = []
    for i, (name, t) in enumerate(tensors.items()):
        dtype, shape, raw = _parts(t)
        isz = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2}.get(dtype, 1)
        stride, acc = [], 1
        for d in reversed(shape):
            stride.insert(0, acc)
            acc *= d
        pid = _tuple(
            [
                _str("storage"),
                _global("torch", STORAGE[dtype]),
                _str(str(i)),
                _str("cpu"),
                _int(len(raw) // isz),
            ]
        )
        args = _tuple(
            [
                pid + b"Q",
                _int(0),
                _tuple([_int(d) for d in shape]),
                _tuple([_int(s) for s in stride]),
                b"\x89",
                _global("collections", "OrderedDict") + b")R",
            ]
        )
        out += _str(name) + _global("torch._utils", "_rebuild_tensor_v2") + args + b"R"
        storages.append(raw)
    out += b"u."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(f"{prefix}/data.pkl", (2024, 1, 1, 0, 0, 0)), out)
        zf.writestr(zipfile.ZipInfo(f"{prefix}/byteorder", (2024, 1, 1, 0, 0, 0)), "little")
        for i, raw in enumerate(storages):
            zf.writestr(zipfile.ZipInfo(f"{prefix}/data/{i}", (2024, 1, 1, 0, 0, 0)), raw)
        zf.writestr(zipfile.ZipInfo(f"{prefix}/version", (2024, 1, 1, 0, 0, 0)), "3\n")
    return buf.getvalue()


def npz(tensors: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in tensors.items():
            member = io.BytesIO()
            np.save(member, arr)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", (2024, 1, 1, 0, 0, 0)), member.getvalue())
    return buf.getvalue()


def gguf(tensors: dict[str, np.ndarray], name: str, quant: str | None) -> bytes | None:
    """GGUF with float 2-D tensors quantized to ``quant`` (Q8_0, Q4_0) where their rows allow it,
    or every tensor as is (``quant`` None); None when the gguf package is not installed."""
    try:
        import gguf as g
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.gguf"
        w = g.GGUFWriter(str(path), "llama")
        w.add_name(name)
        for tname, arr in tensors.items():
            if quant and arr.ndim == 2 and arr.dtype == np.float32 and arr.shape[-1] % 32 == 0:
                qtype = getattr(g.GGMLQuantizationType, quant)
                q = g.quants.quantize(arr, qtype)
                w.add_tensor(tname, q, raw_shape=q.shape, raw_dtype=qtype)
            else:
                w.add_tensor(tname, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return path.read_bytes()
