"""Labelled weights data: internal training runs and drops cut from them.

    python benchmarks/weights/build.py [--work benchmarks/work] [--seed 1] [--drops 4] [--check]

Builds, under ``<work>/weights/``:

- ``inventory/<run>/step-<N>/model.safetensors`` - checkpoints of two made-up training runs of
  the same small transformer-shaped NumPy model (``heron`` and ``osprey``, other initial
  weights): each step moves every trained tensor a little, buffers stay fixed. Every model,
  internal or forged, holds the same constant buffers, a causal mask, position ids, a
  sinusoidal position table and a fixed-seed projection table (tensors any model of that
  architecture has: no evidence). Indexed as versions of one series per run (``run.py``), so
  the last step is current and the others outdated;
- ``drops/weights-drop-<i>.zip`` - one member per case below, each cut from a step picked at
  random (seeded), and ``drops/labels.json``: ``{"<drop>": {"<member>": {"label", "case",
  "source", "version", "hint"}}}``: ``label`` is the file verdict (real/outdated/altered/
  fabricated), ``source``/``version`` the checkpoint it was cut from, ``hint`` what
  ``compare_checkpoints`` should say against it.

| case | label | what it is |
| --- | --- | --- |
| same-bytes | real/outdated | a checkpoint's own file |
| converted-torch / -npz / -gguf | real/outdated | the same tensors in another format |
| renamed | real/outdated | the same tensors under ``model.``-prefixed names |
| shard | real/outdated | half of a checkpoint's tensors (same tensors: part of it) |
| cast-fp16 / cast-bf16 | altered | every float tensor cast |
| quantized-int8 / -int8-rows / -q8_0 / -q4_0 | altered | per-tensor or per-row int8; GGUF blocks |
| pruned | altered | the smallest 30-60% of some tensors zeroed |
| fine-tuned | altered | small random deltas on some tensors, the rest identical |
| fine-tuned-cast | altered | fine-tuned, then cast to bf16 |
| new-head | altered | a re-initialised head and embedding, the rest fine-tuned |
| random | fabricated | random weights of the same architecture (buffers identical) |
| random-torch | fabricated | the same, as a torch checkpoint |
| other-architecture | fabricated | random weights of other shapes |

Real versus outdated follows the source step: the last step of a run is current.
``--check`` runs ``tensor_records`` + ``compare_checkpoints`` on every member against every
internal checkpoint, keeps the best-explaining one and prints the hint accuracy.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import writers  # noqa: E402

STEPS = (1000, 2000, 3000, 4000, 5000)
RUNS = {"heron": (STEPS, 11), "osprey": ((1000, 2000, 3000), 22)}  # steps, initial seed
FIXED = ("attn.bias", "position_ids", "pos_table", "proj.table")


def init_model(rng: np.random.Generator, d: int = 64, layers: int = 3, vocab: int = 256
               ) -> dict[str, np.ndarray]:
    m: dict[str, np.ndarray] = {"embed.weight": rng.normal(0, 0.02, (vocab, d)).astype(np.float32)}
    for i in range(layers):
        p = f"layers.{i}."
        for name, shape in (
            ("attn.q.weight", (d, d)),
            ("attn.k.weight", (d, d)),
            ("attn.v.weight", (d, d)),
            ("attn.o.weight", (d, d)),
            ("mlp.up.weight", (4 * d, d)),
            ("mlp.down.weight", (d, 4 * d)),
        ):
            m[p + name] = rng.normal(0, 1 / math.sqrt(shape[1]), shape).astype(np.float32)
        m[p + "norm.weight"] = np.ones(d, np.float32)
        m[p + "mlp.up.bias"] = np.zeros(4 * d, np.float32)
        m[p + "attn.bias"] = np.tril(np.ones((32, 32), np.float32))
    m["position_ids"] = np.arange(128, dtype=np.int64)[None, :]
    pos = np.arange(128)[:, None] * np.exp(-np.arange(0, d, 2) * math.log(10000.0) / d)[None, :]
    table = np.zeros((128, d), np.float32)
    table[:, 0::2], table[:, 1::2] = np.sin(pos), np.cos(pos)
    m["pos_table"] = table
    # A projection drawn from a fixed seed by the framework: the same in every model of this shape.
    m["proj.table"] = np.random.default_rng(1234).normal(0, 1, (d, 16)).astype(np.float32)
    m["head.weight"] = rng.normal(0, 0.02, (vocab, d)).astype(np.float32)
    return m


def train_step(m: dict[str, np.ndarray], rng: np.random.Generator, lr: float) -> dict[str, np.ndarray]:
    out = {}
    for k, v in m.items():
        if k.endswith(FIXED):
            out[k] = v
        else:
            scale = max(float(v.std()), 0.02)
            out[k] = (v + rng.normal(0, lr * scale, v.shape)).astype(np.float32)
    return out


def floats(m: dict[str, np.ndarray], f) -> dict:  # type: ignore[no-untyped-def]
    return {k: f(v) if v.dtype == np.float32 else v for k, v in m.items()}


def q8(v: np.ndarray, rows: bool = False) -> np.ndarray:
    s = np.abs(v).max(axis=-1, keepdims=True) / 127 if rows and v.ndim == 2 else np.abs(v).max() / 127
    return np.round(v / np.where(s == 0, 1, s)).astype(np.int8)


def fine_tune(m: dict[str, np.ndarray], rng: np.random.Generator, share: float, delta: float) -> dict:
    out = dict(m)
    trained = [k for k in m if not k.endswith(FIXED)]
    for k in rng.choice(trained, max(1, int(share * len(trained))), replace=False):
        v = m[k]
        out[k] = (v + rng.normal(0, delta * max(float(v.std()), 1e-3), v.shape)).astype(np.float32)
    return out


def prune(m: dict[str, np.ndarray], rng: np.random.Generator) -> dict:
    out = dict(m)
    mats = [k for k, v in m.items() if v.ndim == 2 and not k.endswith(FIXED) and v.dtype == np.float32]
    for k in rng.choice(mats, max(2, len(mats) // 3), replace=False):
        w = m[k].copy()
        w[np.abs(w) < np.quantile(np.abs(w), rng.uniform(0.3, 0.6))] = 0.0
        out[k] = w
    return out


def build(work: Path, seed: int, n_drops: int = 4) -> dict:
    root = work / "weights"
    drops = root / "drops"
    drops.mkdir(parents=True, exist_ok=True)
    ckpts: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    for run, (steps, s0) in RUNS.items():
        rng = np.random.default_rng(seed * 1000 + s0)
        m = init_model(rng)
        for step in steps:
            m = train_step(m, rng, lr=0.3)
            ckpts[run, step] = m
            path = root / "inventory" / f"run-{run}" / f"step-{step}" / "model.safetensors"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(writers.safetensors(m, {"step": str(step), "run": run}))
    labels: dict[str, dict] = {}
    for i in range(1, n_drops + 1):
        rng = np.random.default_rng(seed * 7919 + i)
        name = f"weights-drop-{i}.zip"
        cases = _cases(root, ckpts, rng, seed * 100 + i)
        with zipfile.ZipFile(drops / name, "w", zipfile.ZIP_STORED) as zf:
            for member, (data, _) in sorted(cases.items()):
                zf.writestr(zipfile.ZipInfo(f"leak-{i}/{member}", (2024, 6, 1, 0, 0, 0)), data)
        labels[name] = {f"leak-{i}/{m}": meta for m, (_, meta) in sorted(cases.items())}
    (drops / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    return labels


def _cases(root: Path, ckpts: dict, rng: np.random.Generator, seed: int) -> dict[str, tuple[bytes, dict]]:
    cases: dict[str, tuple[bytes, dict]] = {}
    keys = sorted(ckpts)

    def pick() -> tuple[str, int]:
        return keys[int(rng.integers(len(keys)))]

    def add(member: str, data: bytes | None, case: str, hint: str, src: tuple[str, int] | None,
            label: str | None = None) -> None:
        if data is None:
            return
        if label is None:
            run, step = src  # type: ignore[misc]
            label = "real" if step == RUNS[run][0][-1] else "outdated"
        cases[member] = (data, {
            "label": label, "case": case, "hint": hint,
            "source": f"run-{src[0]}/step-{src[1]}/model.safetensors" if src else None,
            "version": f"step-{src[1]}" if src else None,
        })

    def genuine(case: str, member: str, make, hint: str = "real") -> None:  # type: ignore[no-untyped-def]
        src = pick()
        add(member, make(ckpts[src], src), case, hint, src)

    def altered(case: str, member: str, make) -> None:  # type: ignore[no-untyped-def]
        src = pick()
        add(member, make(ckpts[src]), case, "altered", src, "altered")

    def own_file(m: dict, s: tuple[str, int]) -> bytes:
        return (root / "inventory" / f"run-{s[0]}" / f"step-{s[1]}" / "model.safetensors").read_bytes()

    genuine("same-bytes", "a/model.safetensors", own_file)
    genuine("same-bytes", "b/model.safetensors", own_file)
    genuine("converted-torch", "export/pytorch_model.bin", lambda m, s: writers.torch_zip(m, "pytorch_model"))
    genuine("converted-npz", "export/weights.npz", lambda m, s: writers.npz(m))
    genuine("converted-gguf", "export/model-f32.gguf", lambda m, s: writers.gguf(m, "model", None))
    genuine("renamed", "hf/model.safetensors",
            lambda m, s: writers.safetensors({f"model.{k}": v for k, v in m.items()}))
    genuine("shard", "shards/model-00001-of-00002.safetensors",
            lambda m, s: writers.safetensors(dict(list(m.items())[: len(m) // 2])), "part-of")
    genuine("shard", "shards/model-00002-of-00002.safetensors",
            lambda m, s: writers.safetensors(dict(list(m.items())[len(m) // 2:])), "part-of")
    altered("cast-fp16", "fp16/model.safetensors",
            lambda m: writers.safetensors(floats(m, lambda v: v.astype(np.float16))))
    altered("cast-bf16", "bf16/model.bin",
            lambda m: writers.torch_zip(floats(m, lambda v: ("BF16", v.shape, writers.bf16_bytes(v)))))
    altered("quantized-int8", "int8/model.safetensors", lambda m: writers.safetensors(floats(m, q8)))
    altered("quantized-int8-rows", "int8/rows.safetensors",
            lambda m: writers.safetensors(floats(m, lambda v: q8(v, rows=True))))
    altered("quantized-q8_0", "gguf/model-q8_0.gguf", lambda m: writers.gguf(m, "model", "Q8_0"))
    altered("quantized-q4_0", "gguf/model-q4_0.gguf", lambda m: writers.gguf(m, "model", "Q4_0"))
    altered("pruned", "pruned/model.safetensors", lambda m: writers.safetensors(prune(m, rng)))
    altered("fine-tuned", "finetuned/model.safetensors",
            lambda m: writers.safetensors(fine_tune(m, rng, rng.uniform(0.2, 0.6), rng.uniform(0.02, 0.3))))
    altered("fine-tuned-cast", "finetuned/model-bf16.safetensors", lambda m: writers.safetensors(floats(
        fine_tune(m, rng, 0.5, 0.1), lambda v: ("BF16", v.shape, writers.bf16_bytes(v)))))
    altered("new-head", "newhead/model.safetensors", lambda m: writers.safetensors(
        fine_tune(m, rng, 0.3, 0.05) | {k: init_model(rng)[k] for k in ("head.weight", "embed.weight")}))
    fake = init_model(np.random.default_rng(seed + 10_000))
    add("random/model.safetensors", writers.safetensors(train_step(fake, rng, 0.3)), "random", "fabricated",
        None, "fabricated")
    fake2 = init_model(np.random.default_rng(seed + 20_000))
    add("random/pytorch_model.bin", writers.torch_zip(fake2), "random-torch", "fabricated", None,
        "fabricated")
    other = init_model(np.random.default_rng(seed + 30_000), d=48, layers=2, vocab=200)
    add("other/model.safetensors", writers.safetensors(other), "other-architecture", "fabricated", None,
        "fabricated")
    return cases


def check(work: Path, labels: dict) -> float:
    from triage.fingerprint.tensors import compare_checkpoints, detect_weights, tensor_records

    root = work / "weights"
    internal = {
        str(p.relative_to(root / "inventory")): tensor_records(p.read_bytes(), "safetensors")[0]
        for p in sorted((root / "inventory").rglob("*.safetensors"))
    }
    good = total = 0
    for drop, members in labels.items():
        zf = zipfile.ZipFile(root / "drops" / drop)
        for member, meta in members.items():
            data = zf.read(member)
            recs, _ = tensor_records(data, detect_weights(data, member) or "")
            rank = {"real": 5, "part-of": 4, "altered": 3, "inconclusive": 1, "fabricated": 0}
            best = max(
                (compare_checkpoints(recs, recs_i) | {"source": src} for src, recs_i in internal.items()),
                key=lambda o: (rank[o["hint"]], o["closeness"]),
            )
            ok = best["hint"] == meta["hint"] and (meta["source"] is None or best["source"] == meta["source"])
            good += ok
            total += 1
            if not ok:
                print(f"BAD {meta['case']:20} expected {meta['hint']:10} got {best['hint']:10}"
                      f" {best['source']}")
    print(f"hint accuracy: {good}/{total}")
    return good / total if total else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parents[1] / "work")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drops", type=int, default=4)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    labels = build(args.work, args.seed, args.drops)
    print(f"wrote {args.work / 'weights'}: {sum(len(v) for v in labels.values())} labelled members")
    if args.check and check(args.work, labels) < 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
