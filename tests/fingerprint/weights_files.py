"""Small weights files built in memory for tests: safetensors, torch zips (written opcode by
opcode, as torch.save lays them out, without torch or pickle), GGUF, and a made-up model."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest

from benchmarks.weights.writers import (  # noqa: F401 - the same writers the weights benchmark uses
    NP_NAMES,
    STORAGE,
    _global,
    _int,
    _str,
    _tuple,
    bf16_bytes,
)
from benchmarks.weights.writers import safetensors as write_safetensors
from triage.fingerprint.tensors import TensorRecord, tensor_records


def torch_pickle(
    entries: list[tuple[str, str, str, int, int, tuple, tuple]],
    prelude: bytes = b"",
    wrap_parameter: bool = False,
) -> bytes:
    """data.pkl of an OrderedDict state dict, written opcode by opcode as torch.save does.

    entries: (name, dtype, storage key, storage numel, offset, size, stride).
    """
    out = b"\x80\x02" + _global("collections", "OrderedDict") + b")R" + b"("
    out += prelude
    for name, dtype, key, numel, offset, size, stride in entries:
        pid = _tuple([_str("storage"), _global("torch", STORAGE[dtype]), _str(key), _str("cpu"), _int(numel)])
        args = _tuple(
            [
                pid + b"Q",
                _int(offset),
                _tuple([_int(d) for d in size]),
                _tuple([_int(s) for s in stride]),
                b"\x89",
                _global("collections", "OrderedDict") + b")R",
            ]
        )
        tensor = _global("torch._utils", "_rebuild_tensor_v2") + args + b"R"
        if wrap_parameter:
            tensor = (
                _global("torch._utils", "_rebuild_parameter")
                + _tuple([tensor, b"\x88", _global("collections", "OrderedDict") + b")R"])
                + b"R"
            )
        out += _str(name) + tensor
    return out + b"u."


def write_torch(
    tensors: dict[str, np.ndarray | tuple[str, np.ndarray]],
    prefix: str = "archive",
    prelude: bytes = b"",
    wrap_parameter: bool = False,
) -> bytes:
    """A torch zip checkpoint: one storage per tensor (stored members, like torch.save)."""
    entries, storages = [], []
    for i, (name, t) in enumerate(tensors.items()):
        dtype, arr = t if isinstance(t, tuple) else (NP_NAMES[t.dtype.name], t)
        raw = bf16_bytes(arr) if dtype == "BF16" else np.ascontiguousarray(arr).tobytes()
        isz = 2 if dtype == "BF16" else arr.dtype.itemsize
        stride = tuple(s // arr.dtype.itemsize for s in np.ascontiguousarray(arr).strides) if arr.ndim else ()
        entries.append((name, dtype, str(i), len(raw) // isz, 0, arr.shape, stride))
        storages.append(raw)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{prefix}/data.pkl", torch_pickle(entries, prelude, wrap_parameter))
        zf.writestr(f"{prefix}/byteorder", "little")
        for i, raw in enumerate(storages):
            zf.writestr(f"{prefix}/data/{i}", raw)
        zf.writestr(f"{prefix}/version", "3\n")
    return buf.getvalue()


def write_gguf(tensors: dict[str, np.ndarray], quant: str | None = None) -> bytes:
    gguf = pytest.importorskip("gguf")
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".gguf") as f:
        w = gguf.GGUFWriter(f.name, "llama")
        w.add_name("heron-mini")
        w.add_uint32("heron.train_steps", 1200)
        w.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(100)])
        for name, arr in tensors.items():
            if quant and arr.ndim == 2:
                qtype = getattr(gguf.GGMLQuantizationType, quant)
                q = gguf.quants.quantize(arr.astype(np.float32), qtype)
                w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
            else:
                w.add_tensor(name, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return open(f.name, "rb").read()


def model(seed: int = 0) -> dict[str, np.ndarray]:
    """A small made-up transformer-ish state dict: trained-looking weights and fixed buffers."""
    rng = np.random.default_rng(seed)
    pos = np.arange(64)[:, None] * np.exp(-np.arange(0, 32, 2) * math.log(10000.0) / 32)[None, :]
    pe = np.zeros((64, 32), dtype=np.float32)
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos), np.cos(pos)
    return {
        "embed.weight": rng.normal(0, 0.02, (100, 32)).astype(np.float32),
        "layers.0.attn.q.weight": rng.normal(0, 0.05, (32, 32)).astype(np.float32),
        "layers.0.attn.k.weight": rng.normal(0, 0.05, (32, 32)).astype(np.float32),
        "layers.0.mlp.up.weight": rng.normal(0, 0.05, (64, 32)).astype(np.float32),
        "layers.0.mlp.up.bias": rng.normal(0, 0.01, (64,)).astype(np.float32),
        "layers.0.norm.weight": (1 + rng.normal(0, 0.1, (32,))).astype(np.float32),
        "head.weight": rng.normal(0, 0.05, (10, 32)).astype(np.float32),
        # buffers any model of these shapes holds
        "layers.0.norm_init.weight": np.ones(32, dtype=np.float32),
        "layers.0.attn.bias": np.tril(np.ones((16, 16), dtype=np.float32)),
        "position_ids": np.arange(64, dtype=np.int64)[None, :],
        "pos_table": pe,
        "zeros": np.zeros((8, 8), dtype=np.float32),
    }


def records_of(d: dict[str, np.ndarray]) -> list[TensorRecord]:
    return tensor_records(write_safetensors(d), "safetensors")[0]
