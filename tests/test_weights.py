"""Model weights end to end through the CLI: `triage index` stores tensor records, `triage scan`
labels dropped checkpoints real/outdated (same bytes or same tensors), altered (cast, quantized,
pruned, fine-tuned) or fabricated, and report.json/md/html carry the per-tensor evidence."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import Repo
from tests.fingerprint.weights_files import (
    _global,
    _str,
    _tuple,
    model,
    write_gguf,
    write_safetensors,
    write_torch,
)
from triage.cli import main


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes else "")


def step(m: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """One training step: every trained tensor moves a little, buffers stay."""
    rng = np.random.default_rng(seed)
    fixed = ("layers.0.norm_init.weight", "layers.0.attn.bias", "position_ids", "pos_table", "zeros")
    def move(v: np.ndarray) -> np.ndarray:
        return (v + rng.normal(0, 0.3 * max(float(v.std()), 0.02), v.shape)).astype(v.dtype)

    return {k: v if k in fixed else move(v) for k, v in m.items()}


def npz(d: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **d)
    return buf.getvalue()


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def floats(d: dict[str, np.ndarray], f) -> dict:
    return {k: f(v) if v.dtype == np.float32 else v for k, v in d.items()}


def q8(v: np.ndarray) -> np.ndarray:
    s = float(np.abs(v).max()) / 127 or 1.0
    return np.round(v / s).astype(np.int8)


def pruned(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(d)
    for k in ("embed.weight", "layers.0.attn.q.weight", "layers.0.mlp.up.weight"):
        w = d[k].copy()
        w[np.abs(w) < np.quantile(np.abs(w), 0.4)] = 0.0
        out[k] = w
    return out


def fine_tuned(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    out = dict(d)
    for k in ("embed.weight", "layers.0.attn.k.weight"):
        out[k] = (d[k] + rng.normal(0, 0.05 * float(d[k].std()), d[k].shape)).astype(np.float32)
    return out


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict:
    """A run of two checkpoints indexed as two versions, and a drop of every case, scanned once."""
    tmp = tmp_path_factory.mktemp("weights")
    old = step(model(0), 1)
    new = step(old, 2)
    db = tmp / "inv.db"
    for i, (label, m) in enumerate((("step-1", old), ("step-2", new))):
        d = tmp / "run" / label
        d.mkdir(parents=True)
        (d / "model.safetensors").write_bytes(write_safetensors(m))
        code, out = run("index", str(d), "--db", str(db), "--name", "heron", "--version", label,
                        "--date", f"2024-0{i + 1}-01", "-q")
        assert code == 0, out
    quantizable = {k: v for k, v in new.items()
                   if v.dtype == np.float32 and (v.ndim != 2 or v.shape[-1] % 32 == 0)}  # Q8_0 blocks of 32
    cases = {
        "real/model.safetensors": write_safetensors(new),
        "old/model.safetensors": write_safetensors(old),
        "export/pytorch_model.bin": write_torch(new),
        "export/old.npz": npz(old),
        "export/model.gguf": write_gguf({k: v for k, v in new.items() if v.dtype == np.float32}),
        "export/embed.npy": npy(new["embed.weight"]),
        "shard/model-00001-of-00002.safetensors": write_safetensors(dict(list(new.items())[:6])),
        "fp16/model.safetensors": write_safetensors(floats(new, lambda v: v.astype(np.float16))),
        "bf16/model.bin": write_torch(floats(new, lambda v: ("BF16", v))),
        "int8/model.safetensors": write_safetensors(floats(new, q8)),
        "gguf/model-q8_0.gguf": write_gguf(quantizable, quant="Q8_0"),
        "pruned/model.safetensors": write_safetensors(pruned(new)),
        "finetuned/old.safetensors": write_safetensors(fine_tuned(old)),
        "random/model.safetensors": write_safetensors(step(model(5), 1)),
        "bad/header.safetensors": struct.pack("<Q", 20) + b'{"w": {"dtype": 7}} ' + b"\0" * 64,
    }
    drop = tmp / "drop"
    for name, data in cases.items():
        (drop / name).parent.mkdir(parents=True, exist_ok=True)
        (drop / name).write_bytes(data)
    code, out = run("scan", str(drop), "--db", str(db), "--out", str(tmp / "ev"), "-q")
    assert code == 1, out
    doc = json.loads((tmp / "ev" / "report.json").read_text())
    return {"files": {f["path"]: f for f in doc["files"]}, "ev": tmp / "ev", "db": db, "doc": doc}


def verdicts(scanned: dict) -> dict[str, str]:
    return {p: f["verdict"] for p, f in scanned["files"].items()}


@pytest.mark.parametrize("path, verdict, match", [
    ("real/model.safetensors", "real", "bytes"),
    ("old/model.safetensors", "outdated", "bytes"),
    ("export/pytorch_model.bin", "real", "tensors"),
    ("export/old.npz", "outdated", "tensors"),
    ("export/model.gguf", "real", "tensors"),
    ("export/embed.npy", "real", "tensors"),
    ("shard/model-00001-of-00002.safetensors", "real", "tensors"),
])
def test_same_bytes_or_same_tensors_are_real_or_outdated(scanned, path, verdict, match):
    f = scanned["files"][path]
    w = f["evidence"]["weights"]
    assert f["verdict"] == verdict, f["reasons"]
    assert w["match"] == match and w["pickle_executed"] is False
    if match == "tensors":
        assert w["tensors_exact"] == w["informative"] > 0 and w["tensors_derived"] == 0
        assert w["checkpoint"]["path"] == "model.safetensors" and w["checkpoint"]["source"] == "heron"
        version = "step-2" if verdict == "real" else "step-1"
        latest = {"latest"} if verdict == "real" else set()
        assert set(w["checkpoint"]["versions"]) == {f"version/{version}"} | latest
        assert w["checkpoint"]["current"] is (verdict == "real")
        assert w["converted"] is not path.endswith(".safetensors")
        assert f["evidence"]["matches"][0]["path"] == "model.safetensors"


def test_shard_says_which_tensors_are_missing(scanned):
    w = scanned["files"]["shard/model-00001-of-00002.safetensors"]["evidence"]["weights"]
    assert w["subset"] is True and w["tensors_missing"] > 0
    reasons = scanned["files"]["shard/model-00001-of-00002.safetensors"]["reasons"]
    assert any("shard or subset" in r for r in reasons)


@pytest.mark.parametrize("path, kind, version", [
    ("fp16/model.safetensors", "cast", "step-2"),
    ("bf16/model.bin", "cast", "step-2"),
    ("int8/model.safetensors", "quantized", "step-2"),
    ("gguf/model-q8_0.gguf", "quantized", "step-2"),
    ("pruned/model.safetensors", "pruned", "step-2"),
    ("finetuned/old.safetensors", "delta", "step-1"),
])
def test_derived_tensors_are_altered_with_per_tensor_figures(scanned, path, kind, version):
    f = scanned["files"][path]
    w = f["evidence"]["weights"]
    assert f["verdict"] == "altered", f["reasons"]
    assert kind in w["kinds"] and kind in f["evidence"]["change_kinds"]
    assert w["tensors_derived"] >= 1 and f"version/{version}" in w["checkpoint"]["versions"]
    rows = [t for t in w["per_tensor"] if t["kind"] == kind]
    assert rows and all(t["match"] and t["corr"] > 0.5 and t["rel_delta"] is not None for t in rows)
    assert w["per_tensor"][0]["kind"] not in ("identical", "uninformative")  # changed tensors first


def test_fine_tune_lists_only_the_changed_tensors(scanned):
    w = scanned["files"]["finetuned/old.safetensors"]["evidence"]["weights"]
    changed = {t["name"]: t for t in w["per_tensor"] if t["kind"] == "delta"}
    assert set(changed) == {"embed.weight", "layers.0.attn.k.weight"}
    assert all(0.01 < t["rel_delta"] < 0.2 for t in changed.values())
    assert w["tensors_exact"] == w["informative"] - 2


def test_random_weights_of_the_same_shapes_are_fabricated(scanned):
    f = scanned["files"]["random/model.safetensors"]
    w = f["evidence"]["weights"]
    assert f["verdict"] == "fabricated" and w["tensors_exact"] == 0 and w["tensors_derived"] == 0
    assert w["checkpoint"] is None and w["closest"]["path"] == "model.safetensors"
    assert w["tensors_uninformative"] == 5  # the buffers are identical, and no evidence


def test_unreadable_weights_are_a_note_not_a_crash(scanned):
    f = scanned["files"]["bad/header.safetensors"]
    assert f["verdict"] == "fabricated"
    assert "not readable as weights" in f["evidence"]["weights"]["error"]
    assert any(n.startswith("weights: ") for n in f["evidence"]["notes"])


def test_torch_reports_say_the_pickle_was_not_executed(scanned):
    f = scanned["files"]["export/pytorch_model.bin"]
    assert any("pickle not executed" in r for r in f["reasons"])
    assert any("pickle not executed" in n for n in f["evidence"]["weights"]["notes"])
    assert "data.pkl" not in json.dumps(scanned["doc"]["files"][0]["path"])
    # the checkpoint is one file: its zip members are not triaged one by one
    assert not any("!" in p for p in scanned["files"])


def test_index_keeps_records_not_tensor_bytes(scanned):
    con = sqlite3.connect(scanned["db"])
    n, sketch_bytes = con.execute("SELECT count(*), sum(length(sketch)) FROM tensors").fetchone()
    assert n == 2 * len(model()) and sketch_bytes <= n * 256 * 4
    assert con.execute("SELECT count(*) FROM contents WHERE body IS NOT NULL").fetchone()[0] == 0
    rows = con.execute("SELECT format, tensors, informative FROM weights").fetchall()
    assert rows == [("safetensors", 12, 7)] * 2


def test_reports_render_the_weights_evidence(scanned):
    md = (scanned["ev"] / "report.md").read_text()
    html = (scanned["ev"] / "report.html").read_text()
    assert "## Model weights" in md and "pickle not executed" in md
    assert "`layers.0.attn.k.weight`" in md and "delta" in md
    assert "Model weights" in html and "layers.0.attn.k.weight" in html


def test_tensors_shared_with_an_unrelated_checkpoint_are_no_evidence(tmp_path):
    table = np.random.default_rng(1234).normal(size=(24, 24)).astype(np.float32)  # a fixed-seed projection
    a, b, fake = model(0), model(1), model(2)
    for m in (a, b, fake):
        m["hash.proj"] = table
    db = tmp_path / "inv.db"
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "model.safetensors").write_bytes(write_safetensors(fake))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "a.safetensors").write_bytes(write_safetensors(a))
    assert run("index", str(tmp_path / "a"), "--db", str(db), "-q")[0] == 0
    code, _ = run("scan", str(drop), "--db", str(db), "--out", str(tmp_path / "ev1"), "-q")
    one = json.loads((tmp_path / "ev1" / "report.json").read_text())["files"][0]
    assert one["verdict"] == "altered"  # one model holds the table: it looks like evidence
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "b.safetensors").write_bytes(write_safetensors(b))
    assert run("index", str(tmp_path / "b"), "--db", str(db), "-q")[0] == 0
    code, _ = run("scan", str(drop), "--db", str(db), "--out", str(tmp_path / "ev2"), "-q")
    two = json.loads((tmp_path / "ev2" / "report.json").read_text())["files"][0]
    assert two["verdict"] == "fabricated", two["reasons"]
    assert two["evidence"]["weights"]["shared_with_unrelated"] == 1
    row = next(t for t in two["evidence"]["weights"]["per_tensor"] if t["name"] == "hash.proj")
    assert row["kind"] == "uninformative" and "unrelated" in row["why"]


def test_a_pickle_that_would_run_code_is_triaged_and_never_runs(tmp_path, repo: Repo):
    marker = tmp_path / "pwned"
    payload = _global("os", "system") + _tuple([_str(f"touch {marker}")]) + b"R"
    evil = write_torch(model(0), prelude=_str("evil") + payload)
    repo.commit({"ckpt/model.pt": evil})  # the evil checkpoint is internal too: index reads it
    db = tmp_path / "inv.db"
    assert run("index", str(repo.path), "--db", str(db), "-q")[0] == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "model.pt").write_bytes(evil)
    (drop / "copy.bin").write_bytes(write_torch(model(0), prelude=_str("evil") + payload, prefix="other"))
    code, out = run("scan", str(drop), "--db", str(db), "--out", str(tmp_path / "ev"), "-q")
    assert code in (0, 1), out
    assert not marker.exists()
    files = {f["path"]: f for f in json.loads((tmp_path / "ev" / "report.json").read_text())["files"]}
    assert files["model.pt"]["verdict"] == "real" and files["copy.bin"]["verdict"] == "real"
    for f in files.values():
        assert f["evidence"]["weights"]["pickle_executed"] is False
        assert any("os.system" in n and "not executed" in n for n in f["evidence"]["weights"]["notes"])
    # The payload is live: the standard unpickler runs it (in a child process).
    pkl = zipfile.ZipFile(io.BytesIO(evil)).read("archive/data.pkl")
    subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=pkl, capture_output=True, timeout=60)
    assert marker.exists()


def test_hostile_headers_are_bounded_end_to_end(tmp_path):
    db = tmp_path / "inv.db"
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "m.safetensors").write_bytes(write_safetensors(model(0)))
    assert run("index", str(tmp_path / "inv"), "--db", str(db), "-q")[0] == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    hostile = {
        "huge-header.safetensors": struct.pack("<Q", 90 * 1024 * 1024) + b'{"' + b"\0" * 100,
        "many-dims.safetensors": write_safetensors({"w": ("F32", (1,) * 40, b"\0" * 4)}),
        "past-end.safetensors": struct.pack("<Q", 60) + json.dumps(
            {"w": {"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 1 << 42]}}).encode().ljust(60),
        "gguf-bomb.gguf": b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1 << 60),
        "npz-object.npz": npz({"o": np.array([{"a": 1}], dtype=object)}),  # its .npy needs pickle
    }
    for name, data in hostile.items():
        (drop / name).write_bytes(data)
    code, out = run("scan", str(drop), "--db", str(db), "--out", str(tmp_path / "ev"), "-q")
    assert code == 1 and "Traceback" not in out, out
    files = {f["path"]: f for f in json.loads((tmp_path / "ev" / "report.json").read_text())["files"]}
    for name in ("many-dims.safetensors", "past-end.safetensors", "gguf-bomb.gguf", "npz-object.npz"):
        assert files[name]["evidence"]["weights"]["error"], name


def test_large_weights_are_read_out_of_memory(tmp_path, monkeypatch):
    """Over the member limit, a directory drop's checkpoint is read in place and an archive's is
    spilled to the work folder; both get the same tensor records as in memory."""
    from triage.model import Member, Spilled
    from triage.read import Limits, read_drop

    m = model(0) | {"big.weight": np.random.default_rng(3).normal(size=(200, 200)).astype(np.float32)}
    data = write_safetensors(m)  # larger than the head read to detect it (64 KiB)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "m.safetensors").write_bytes(data)
    (tmp_path / "d" / "big.txt").write_bytes(b"x" * 5000)
    with zipfile.ZipFile(tmp_path / "d.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m.safetensors", data)
    small = Limits(member_bytes=4096)
    items = list(read_drop(tmp_path / "d", small))
    member = next(m for m in items if getattr(m, "path", "") == "m.safetensors")
    assert member.spilled == Spilled(str(tmp_path / "d" / "m.safetensors"), len(data)) and member.data == b""
    assert any(getattr(s, "reason", "") == "too-large" and s.path == "big.txt" for s in items)
    work = tmp_path / "work"
    work.mkdir()
    [member] = [m for m in read_drop(tmp_path / "d.zip", small, work) if isinstance(m, Member)]
    assert member.spilled.temporary and Path(member.spilled.path).read_bytes() == data
    from triage.fingerprint import fingerprint

    a, b = fingerprint(member.content), fingerprint(data)
    assert a.sha256 == b.sha256 and a.weights.records == b.weights.records and a.git_oid == ""


def test_large_git_blobs_are_spilled_and_indexed(tmp_path, repo: Repo, monkeypatch):
    import triage.inventory.git as gitmod

    monkeypatch.setattr(gitmod, "BLOB_MEMORY_MAX", 1000)
    data = write_safetensors(model(0))
    repo.commit({"model.safetensors": data, "small.txt": "hello\n"})
    db = tmp_path / "inv.db"
    assert run("index", str(repo.path), "--db", str(db), "-q")[0] == 0
    con = sqlite3.connect(db)
    oid = repo.git("rev-parse", "HEAD:model.safetensors")
    row = con.execute("SELECT c.git_oid, c.body, w.tensors FROM contents c"
                      " JOIN weights w ON w.content_id = c.id").fetchone()
    assert row == (oid, None, 12)
    assert con.execute("SELECT count(*) FROM contents WHERE git_oid = ?",
                       (repo.git("rev-parse", "HEAD:small.txt"),)).fetchone()[0] == 1


def test_checkpoint_versions_are_those_of_its_own_series(tmp_path):
    """Two runs with the same version labels: the evidence names the right run's version."""
    db = tmp_path / "inv.db"
    runs = {"heron": model(0), "osprey": model(1)}
    for i, (name, m) in enumerate(runs.items()):
        for label, mm in (("step-1", m), ("step-2", step(m, 3))):
            d = tmp_path / name / label
            d.mkdir(parents=True)
            (d / "model.safetensors").write_bytes(write_safetensors(mm))
            assert run("index", str(d), "--db", str(db), "--name", name, "--version", label,
                       "--date", f"2024-0{i + 1}-0{label[-1]}", "-q")[0] == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "heron.bin").write_bytes(write_torch(runs["heron"]))
    run("scan", str(drop), "--db", str(db), "--out", str(tmp_path / "ev"), "-q")
    f = json.loads((tmp_path / "ev" / "report.json").read_text())["files"][0]
    ck = f["evidence"]["weights"]["checkpoint"]
    assert f["verdict"] == "outdated" and ck["source"] == "heron" and ck["versions"] == ["version/step-1"]


def test_a_single_checkpoint_is_a_drop_and_a_source(tmp_path):
    """`triage index model.pt` and `triage scan model.pt`: the file is one member, not an archive."""
    internal = tmp_path / "model.pt"
    internal.write_bytes(write_torch(model(0)))
    db = tmp_path / "inv.db"
    assert run("index", str(internal), "--db", str(db), "-q")[0] == 0
    leak = tmp_path / "leak.safetensors"
    leak.write_bytes(write_safetensors(model(0)))
    code, out = run("scan", str(leak), "--db", str(db), "--out", str(tmp_path / "ev"), "-q")
    doc = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert code == 0, out
    assert doc["drop"]["kind"] == "weights:safetensors"
    [f] = doc["files"]
    assert f["path"] == "leak.safetensors" and f["verdict"] == "real"
    assert f["evidence"]["weights"]["checkpoint"]["path"] == "model.pt"


@pytest.mark.parametrize("fmt", ["safetensors", "torch", "gguf", "npz", "npy"])
def test_each_format_is_indexed_and_matched_tensor_by_tensor(tmp_path, fmt):
    m = {k: v for k, v in model(0).items() if v.dtype == np.float32}
    data = {"safetensors": lambda: write_safetensors(m), "torch": lambda: write_torch(m),
            "gguf": lambda: write_gguf(m), "npz": lambda: npz(m),
            "npy": lambda: npy(m["embed.weight"])}[fmt]()
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / f"model.{fmt}").write_bytes(data)
    db = tmp_path / "inv.db"
    assert run("index", str(tmp_path / "inv"), "--db", str(db), "-q")[0] == 0
    assert sqlite3.connect(db).execute("SELECT format FROM weights").fetchall() == [(fmt,)]
    (tmp_path / "drop").mkdir()
    dropped = m if fmt != "npy" else {"embed.weight": m["embed.weight"]}
    (tmp_path / "drop" / "leak.safetensors").write_bytes(write_safetensors(dropped, {"by": "leaker"}))
    run("scan", str(tmp_path / "drop"), "--db", str(db), "--out", str(tmp_path / "ev"), "-q")
    [f] = json.loads((tmp_path / "ev" / "report.json").read_text())["files"]
    w = f["evidence"]["weights"]
    assert f["verdict"] == "real" and w["match"] == "tensors" and w["tensors_exact"] == w["informative"] > 0
    assert w["checkpoint"]["format"] == fmt and w["converted"] is (fmt != "safetensors")


def test_large_unreadable_weights_are_judged_without_their_bytes(tmp_path):
    """A spilled member whose tensors cannot be read is fabricated with a note, not diffed."""
    db = tmp_path / "inv.db"
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "m.safetensors").write_bytes(write_safetensors(model(0)))
    assert run("index", str(tmp_path / "inv"), "--db", str(db), "-q")[0] == 0
    bad = bytearray(write_safetensors(model(0) | {"big": np.ones((200, 200), np.float32)}))
    bad[12:20] = b"\xff" * 8  # the JSON header no longer parses
    with zipfile.ZipFile(tmp_path / "drop.zip", "w") as zf:
        zf.writestr("m.safetensors", bytes(bad))
    code, out = run("scan", str(tmp_path / "drop.zip"), "--db", str(db), "--out", str(tmp_path / "ev"),
                    "--max-member-bytes", "70000", "-q")
    assert code == 1, out
    [f] = json.loads((tmp_path / "ev" / "report.json").read_text())["files"]
    assert f["verdict"] == "fabricated" and f["size"] == len(bad)
    assert "not readable as weights" in f["evidence"]["weights"]["error"]
