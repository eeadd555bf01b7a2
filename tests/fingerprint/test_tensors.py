"""Tensor records: every weights format round-trips to the same per-tensor identity, pickles are
read without being run, and compare_checkpoints tells casts, quantization, fine-tuning and
random weights apart."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tests.fingerprint.weights_files import (  # noqa: E402
    NP_NAMES,
    _global,
    _str,
    _tuple,
    bf16_bytes,
    model,
    records_of,
    torch_pickle,
    write_gguf,
    write_safetensors,
    write_torch,
)
from triage.errors import InputError
from triage.fingerprint.tensors import (
    SKETCH_SIZE,
    WeightLimits,
    WeightsError,
    compare_checkpoints,
    detect_weights,
    read_weights,
    record,
    sketch_positions,
    static_unpickle,
    tensor_records,
)

# --- sketch ------------------------------------------------------------------------------------


def test_sketch_positions_golden_and_stratified():
    assert sketch_positions(10).tolist() == list(range(10))
    pos = sketch_positions(1_000_000)
    assert len(pos) == SKETCH_SIZE and np.all(np.diff(pos) > 0) and pos[-1] < 1_000_000
    stride = 1_000_000 // SKETCH_SIZE
    assert np.all(pos // stride == np.arange(SKETCH_SIZE))
    # Golden: a change of the position generator changes every stored sketch.
    assert pos[:4].tolist() == sketch_positions(1_000_000)[:4].tolist()
    assert sketch_positions(1000)[:5].tolist() == [1, 3, 7, 9, 12]


def test_record_hash_sketch_and_informativeness():
    a = np.random.default_rng(1).normal(size=(300, 7)).astype(np.float32)
    r = record("w", "F32", a.shape, a.tobytes())
    assert r.sha256 == __import__("hashlib").sha256(a.tobytes()).hexdigest() and r.nbytes == a.nbytes
    assert np.array_equal(r.sketch_values(), a.reshape(-1)[sketch_positions(a.size)])
    assert not r.uninformative
    recs = {x.name: x for x in records_of(model())}
    for name, why in [
        ("layers.0.norm_init.weight", "constant"),
        ("layers.0.attn.bias", "triangular mask"),
        ("position_ids", "buffer position_ids"),
        ("pos_table", "sinusoidal position table"),
        ("zeros", "constant"),
    ]:
        assert recs[name].uninformative and recs[name].why == why, name
    assert not any(recs[n].uninformative for n in ("embed.weight", "layers.0.norm.weight", "head.weight"))
    inv_freq = (1.0 / (10000 ** (np.arange(0, 64, 2) / 64))).astype(np.float32)
    assert record("rotary.freqs", "F32", inv_freq.shape, inv_freq.tobytes()).why == "rotary frequency table"
    ar = np.arange(500, dtype=np.int64)
    assert record("ids", "I64", ar.shape, ar.tobytes()).why == "index range"


# --- formats -------------------------------------------------------------------------------------


def test_safetensors_round_trip_matches_library_and_metadata():
    st = pytest.importorskip("safetensors.numpy")
    d = model()
    data = st.save(d, metadata={"format": "pt", "step": "1200"})
    assert detect_weights(data) == "safetensors"
    assert detect_weights(data[:100], size=len(data)) == "safetensors"
    assert detect_weights(data[:100]) is None  # a head alone, without the size, is not a whole file
    w = read_weights(data, "safetensors")
    assert w.metadata == {"__metadata__": {"format": "pt", "step": "1200"}}
    recs = {r.name: r for r in w.records}
    assert set(recs) == set(d)
    for name, arr in d.items():
        r = recs[name]
        assert r.shape == arr.shape and r.dtype == NP_NAMES[arr.dtype.name]
        assert r.sha256 == __import__("hashlib").sha256(arr.tobytes()).hexdigest()
    assert records_of(d) == sorted(w.records, key=lambda r: list(d).index(r.name))


def test_safetensors_bf16_and_memoryview_input():
    a = np.random.default_rng(2).normal(size=(64, 64)).astype(np.float32)
    data = write_safetensors({"w": ("BF16", a.shape, bf16_bytes(a))})
    [r] = tensor_records(memoryview(data), "safetensors")[0]
    assert r.dtype == "BF16" and r.nbytes == a.size * 2
    assert np.allclose(r.sketch_values(), a.reshape(-1)[sketch_positions(a.size)], rtol=1e-2)


@pytest.mark.parametrize(
    "header",
    [
        b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 999]}}',
        b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}',
        b'{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 16]}}',
        b"[1, 2]",
        b'{"w": 1',
    ],
)
def test_safetensors_malformed_headers_refused(header):
    data = struct.pack("<Q", len(header)) + header + b"\0" * 16
    with pytest.raises(WeightsError):
        tensor_records(data, "safetensors")


def test_safetensors_header_length_limit():
    data = struct.pack("<Q", 1 << 40) + b"{}"
    with pytest.raises(WeightsError, match="limit|end"):
        tensor_records(data, "safetensors")
    data = write_safetensors({"w": np.zeros(4, np.float32)})
    with pytest.raises(WeightsError):
        tensor_records(data, "safetensors", WeightLimits(max_header_bytes=8))
    assert issubclass(WeightsError, InputError)


def test_npy_and_npz_round_trip_same_hashes_as_safetensors():
    d = model()
    ref = {r.name: r for r in records_of(d)}
    buf = io.BytesIO()
    np.save(buf, d["embed.weight"])
    assert detect_weights(buf.getvalue()) == "npy"
    [r] = tensor_records(buf.getvalue(), "npy")[0]
    assert r.sha256 == ref["embed.weight"].sha256 and r.sketch == ref["embed.weight"].sketch
    for saver in (np.savez, np.savez_compressed):
        buf = io.BytesIO()
        saver(buf, **d)
        assert detect_weights(buf.getvalue()) == "npz"
        recs = {r.name: r for r in tensor_records(buf.getvalue(), "npz")[0]}
        assert {n: (r.sha256, r.shape, r.dtype) for n, r in recs.items()} == {
            n: (r.sha256, r.shape, r.dtype) for n, r in ref.items()
        }


def test_npy_fortran_and_big_endian_are_normalised():
    a = np.random.default_rng(3).normal(size=(20, 30)).astype(np.float32)
    ref = record("a", "F32", a.shape, a.tobytes())
    for variant in (np.asfortranarray(a), a.astype(">f4")):
        buf = io.BytesIO()
        np.save(buf, variant)
        [r], notes = tensor_records(buf.getvalue(), "npy")
        assert r.sha256 == ref.sha256 and notes


def test_npy_object_array_is_refused_without_unpickling():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(WeightsError, match="pickle"):
        tensor_records(buf.getvalue(), "npy")


def test_gguf_round_trip_f32_f16_and_metadata():
    d = {
        "token_embd.weight": model()["embed.weight"],
        "output_norm.weight": model()["layers.0.norm.weight"],
        "blk.0.attn_q.weight": model()["layers.0.attn.q.weight"].astype(np.float16),
    }
    data = write_gguf(d)
    assert detect_weights(data) == "gguf"
    w = read_weights(data, "gguf")
    assert w.metadata["general.name"] == "heron-mini" and w.metadata["heron.train_steps"] == 1200
    assert w.metadata["tokenizer.ggml.tokens"]["len"] == 100
    recs = {r.name: r for r in w.records}
    for name, arr in d.items():
        assert (
            recs[name].shape == arr.shape
            and recs[name].sha256 == __import__("hashlib").sha256(arr.tobytes()).hexdigest()
        )
    assert recs["blk.0.attn_q.weight"].dtype == "F16"


def test_gguf_q8_0_and_q4_0_sketches_match_reference_dequantization():
    gguf = pytest.importorskip("gguf")
    a = np.random.default_rng(4).normal(0, 0.05, (64, 128)).astype(np.float32)
    for quant in ("Q8_0", "Q4_0"):
        data = write_gguf({"w": a}, quant=quant)
        [r] = tensor_records(data, "gguf")[0]
        assert r.dtype == quant and r.shape == a.shape
        qtype = getattr(gguf.GGMLQuantizationType, quant)
        deq = gguf.quants.dequantize(gguf.quants.quantize(a, qtype), qtype).reshape(-1)
        assert np.allclose(r.sketch_values(), deq[sketch_positions(a.size)], atol=1e-6)


def test_ggml_type_table_agrees_with_gguf_package():
    gguf = pytest.importorskip("gguf")
    from triage.fingerprint.tensors import GGML_TYPES

    for tid, (name, block, size) in GGML_TYPES.items():
        t = gguf.GGMLQuantizationType(tid)
        assert t.name == name and gguf.GGML_QUANT_SIZES[t] == (block, size)


def test_gguf_truncated_and_bad_version_refused():
    data = write_gguf({"w": np.ones((4, 32), np.float32)})
    with pytest.raises(WeightsError):
        tensor_records(data[:200], "gguf")
    with pytest.raises(WeightsError, match="version"):
        tensor_records(b"GGUF" + struct.pack("<I", 1) + data[8:], "gguf")


def test_torch_zip_round_trip_same_hashes_as_safetensors():
    d = model()
    ref = {r.name: r for r in records_of(d)}
    for prefix, wrap in (("archive", False), ("pytorch_model", True)):
        data = write_torch(d, prefix, wrap_parameter=wrap)
        assert detect_weights(data) == "torch" and detect_weights(data[:4096]) == "torch"
        recs, notes = tensor_records(data, "torch")
        assert notes[0].startswith("pickle not executed")
        assert {r.name: (r.sha256, r.shape, r.dtype, r.sketch) for r in recs} == {
            n: (r.sha256, r.shape, r.dtype, r.sketch) for n, r in ref.items()
        }


def test_torch_views_offsets_and_non_contiguous_strides():
    base = np.arange(48, dtype=np.float32) * 0.37 + 0.1
    entries = [
        ("view", "F32", "0", 48, 8, (4, 5), (5, 1)),  # contiguous slice at an offset
        ("transposed", "F32", "0", 48, 0, (6, 8), (1, 6)),
    ]  # a .t() of a (8, 6) tensor
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", torch_pickle(entries))
        zf.writestr("archive/data/0", base.tobytes())
    recs, notes = tensor_records(buf.getvalue(), "torch")
    got = {r.name: r for r in recs}
    v = base[8:28].reshape(4, 5)
    t = base.reshape(8, 6).T
    assert got["view"].sha256 == record("x", "F32", v.shape, v.tobytes()).sha256
    assert got["transposed"].sha256 == record("x", "F32", t.shape, np.ascontiguousarray(t).tobytes()).sha256
    assert any("non-contiguous" in n for n in notes)


def test_malicious_pickle_is_parsed_without_executing(tmp_path):
    marker = tmp_path / "pwned"
    payload = _global("os", "system") + _tuple([_str(f"touch {marker}")]) + b"R"
    prelude = _str("evil") + payload
    data = write_torch({"w": np.ones((4, 8), np.float32) * 0.5}, prelude=prelude)
    recs, notes = tensor_records(data, "torch")
    assert not marker.exists()
    assert [r.name for r in recs] == ["w"]
    assert any("os.system" in n and "not executed" in n for n in notes)
    # The payload is real: the standard unpickler runs it (in a child process, before it fails
    # on the absent torch module).
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    subprocess.run(
        [sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"],
        input=pkl,
        capture_output=True,
        timeout=60,
    )
    assert marker.exists()


def test_static_unpickle_limits_and_garbage():
    with pytest.raises(WeightsError):
        static_unpickle(b"\x80\x02(((((")
    with pytest.raises(WeightsError):
        static_unpickle(b"\x80\x02h\x05.")  # BINGET of an absent memo key
    with pytest.raises(WeightsError, match="opcodes"):
        static_unpickle(b"\x80\x02" + b"N0" * 1000 + b"N.", max_ops=100)
    root, globs = static_unpickle(b"\x80\x02cbuiltins\neval\n" + _str("1+1") + b"\x85R.")
    assert globs == ["builtins.eval"] and root.func.name == "eval"


def test_torch_zip_without_pickle_or_storage():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", torch_pickle([("w", "F32", "7", 4, 0, (4,), (1,))]))
    recs, notes = tensor_records(buf.getvalue(), "torch")
    assert recs == [] and any("missing" in n for n in notes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.bin", b"1")
    with pytest.raises(WeightsError):
        tensor_records(buf.getvalue(), "torch")


def test_detect_weights_rejects_other_content():
    assert detect_weights(b"hello world, not weights") is None
    assert detect_weights(b"") is None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<x/>")
    assert detect_weights(buf.getvalue()) is None


# --- comparison ----------------------------------------------------------------------------------


def test_identical_checkpoint_in_another_format_is_real():
    d = model()
    out = compare_checkpoints(tensor_records(write_torch(d), "torch")[0], records_of(d))
    assert out["hint"] == "real" and out["summary"]["identical"] == 7
    assert out["summary"]["uninformative"] == 5 and out["summary"]["missing"] == 0


def test_shard_is_part_of():
    d = model()
    shard = {k: v for k, v in d.items() if k.startswith("layers.0.")}
    out = compare_checkpoints(records_of(shard), records_of(d))
    assert out["hint"] == "part-of" and out["summary"]["identical"] == 5
    assert set(out["missing"]) == {"embed.weight", "head.weight"}


def test_renamed_tensors_still_identical():
    d = model()
    out = compare_checkpoints(records_of({f"model.{k}": v for k, v in d.items()}), records_of(d))
    assert out["hint"] == "real"
    assert all(t["renamed"] for t in out["tensors"] if t["status"] == "identical")


def test_fp16_and_bf16_casts():
    d = model()
    half = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in d.items()}
    out = compare_checkpoints(records_of(half), records_of(d))
    assert out["summary"]["cast"] == 7 and out["hint"] == "altered"
    bf = {k: ("BF16", v.shape, bf16_bytes(v)) if v.dtype == np.float32 else v for k, v in d.items()}
    out = compare_checkpoints(tensor_records(write_safetensors(bf), "safetensors")[0], records_of(d))
    assert out["summary"]["cast"] == 7
    assert all(t["rel_err"] < 0.005 for t in out["tensors"] if t["status"] == "cast")
    # and an upcast of a bf16 internal checkpoint is a cast too
    up = {
        k: (np.frombuffer(bf16_bytes(v), "<u2").astype(np.uint32) << 16).view(np.float32).reshape(v.shape)
        if v.dtype == np.float32
        else v
        for k, v in d.items()
    }
    out = compare_checkpoints(records_of(up), tensor_records(write_safetensors(bf), "safetensors")[0])
    assert out["summary"]["cast"] == 7


def test_int8_quantized_per_tensor_and_per_row():
    d = model()
    q = {}
    for i, (k, v) in enumerate(d.items()):
        if v.dtype != np.float32 or v.ndim == 0:
            q[k] = v
            continue
        scale = (
            np.abs(v).max(axis=-1, keepdims=True) / 127 if i % 2 and v.ndim == 2 else np.abs(v).max() / 127
        )
        q[k] = np.round(v / np.where(scale == 0, 1, scale)).astype(np.int8)
    out = compare_checkpoints(records_of(q), records_of(d))
    informative = [t for t in out["tensors"] if t["status"] != "uninformative"]
    assert {t["status"] for t in informative} == {"quantized"}, informative
    assert out["hint"] == "altered"


def test_gguf_q8_0_of_internal_weights_is_quantized():
    d = model()
    g = {"token_embd.weight": d["embed.weight"], "blk.0.attn_q.weight": d["layers.0.attn.q.weight"]}
    out = compare_checkpoints(tensor_records(write_gguf(g, quant="Q8_0"), "gguf")[0], records_of(d))
    assert [t["status"] for t in out["tensors"]] == ["quantized", "quantized"]
    assert {t["match"] for t in out["tensors"]} == {"embed.weight", "layers.0.attn.q.weight"}


def test_fine_tuned_tensors_and_unrelated_head():
    d = model()
    rng = np.random.default_rng(9)
    ft = dict(d)
    for k in ("layers.0.attn.q.weight", "layers.0.mlp.up.weight", "embed.weight"):
        ft[k] = (d[k] + rng.normal(0, 0.1 * d[k].std(), d[k].shape)).astype(np.float32)
    ft["head.weight"] = rng.normal(0, 0.05, (10, 32)).astype(np.float32)  # re-initialised head
    out = compare_checkpoints(records_of(ft), records_of(d))
    status = {t["name"]: t["status"] for t in out["tensors"]}
    assert [status[k] for k in ("layers.0.attn.q.weight", "layers.0.mlp.up.weight", "embed.weight")] == [
        "fine_tuned"
    ] * 3
    assert status["head.weight"] == "unrelated" and status["layers.0.attn.k.weight"] == "identical"
    assert out["hint"] == "altered" and out["summary"]["fine_tuned"] == 3


def test_random_weights_of_same_shapes_are_fabricated():
    d, fake = model(0), model(1)  # same architecture, buffers identical, weights random
    out = compare_checkpoints(records_of(fake), records_of(d))
    assert out["summary"]["unrelated"] == 7 and out["summary"]["uninformative"] == 5
    assert out["summary"]["identical"] == 0
    assert out["hint"] == "fabricated" and "same architecture" in out["reasons"][0]
    assert all(abs(t["corr"]) < 0.5 for t in out["tensors"] if t["status"] == "unrelated")


def test_only_buffers_is_inconclusive():
    d = model()
    bufs = {k: d[k] for k in ("zeros", "position_ids", "layers.0.attn.bias")}
    assert compare_checkpoints(records_of(bufs), records_of(d))["hint"] == "inconclusive"


def test_sparse_edit_is_reported():
    d = model()
    e = dict(d)
    w = d["embed.weight"].copy()
    w.reshape(-1)[[i for i in range(w.size) if i not in set(sketch_positions(w.size).tolist())][:3]] += 1.0
    e["embed.weight"] = w
    out = compare_checkpoints(records_of(e), records_of(d))
    row = next(t for t in out["tensors"] if t["name"] == "embed.weight")
    assert row["status"] == "fine_tuned" and "sparse edit" in row["detail"]


@pytest.mark.parametrize("kind", ["safetensors", "torch", "gguf", "npz"])
def test_mutated_files_raise_only_weights_error(kind):
    import random

    d = dict(list(model().items())[:4])
    buf = io.BytesIO()
    np.savez(buf, **d)
    data = {
        "safetensors": lambda: write_safetensors(d),
        "torch": lambda: write_torch(d),
        "gguf": lambda: write_gguf(d),
        "npz": buf.getvalue,
    }[kind]()
    rng = random.Random(kind)
    for _ in range(150):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[: rng.randrange(len(b))]
        detect_weights(bytes(b))
        try:
            tensor_records(bytes(b), kind)
        except WeightsError:
            pass


def test_pruned_tensors_keep_the_other_values():
    d = model()
    p = dict(d)
    for k in ("layers.0.attn.q.weight", "layers.0.mlp.up.weight"):
        w = d[k].copy()
        w[np.abs(w) < np.quantile(np.abs(w), 0.3)] = 0.0  # magnitude pruning, 30%
        p[k] = w
    out = compare_checkpoints(records_of(p), records_of(d))
    status = {t["name"]: t["status"] for t in out["tensors"]}
    assert status["layers.0.attn.q.weight"] == status["layers.0.mlp.up.weight"] == "pruned"
    assert out["summary"]["pruned"] == 2 and out["hint"] == "altered"
    # a fine-tuned tensor is not mistaken for a pruned one, nor random weights for either
    other = compare_checkpoints(records_of(model(1)), records_of(d))
    assert "pruned" not in {t["status"] for t in other["tensors"]}


def test_common_tensors_are_not_evidence():
    d = model()
    fake = model(1)
    fake["embed.weight"] = d["embed.weight"]  # one table shared with an unrelated model
    recs = records_of(fake)
    sha = next(r.sha256 for r in recs if r.name == "embed.weight")
    assert compare_checkpoints(recs, records_of(d))["summary"]["identical"] == 1
    out = compare_checkpoints(recs, records_of(d), common=frozenset({sha}))
    row = next(t for t in out["tensors"] if t["name"] == "embed.weight")
    assert row["status"] == "uninformative" and "unrelated" in row["why"]
    assert out["summary"]["identical"] == 0 and out["hint"] == "fabricated"
