"""Labelled weights data: an internal training run and drops cut from it.

    python benchmarks/weights/build.py [--work benchmarks/work] [--seed 1] [--check]

Builds, under ``<work>/weights/``:

- ``inventory/run-heron/step-<N>/model.safetensors`` - checkpoints of a made-up training run
  (a small transformer-shaped NumPy model; each step moves every trained tensor a little,
  buffers stay fixed); the last step is current, the others outdated;
- ``drops/weights-drop-1.zip`` - one member per case below, and ``drops/labels.json``:
  ``{"weights-drop-1.zip": {"<member>": {"label", "case", "source", "version", "hint"}}}``,
  where ``label`` is the file verdict (real/outdated/altered/fabricated) and ``hint`` what
  ``compare_checkpoints`` should say against the source checkpoint.

``--check`` runs ``tensor_records`` + ``compare_checkpoints`` on every member against every
internal checkpoint, keeps the best-explaining one and prints the hint accuracy.

| case | label | hint | what it is |
| --- | --- | --- | --- |
| real | real | real | the current checkpoint, same bytes |
| outdated | outdated | real | an earlier step, same bytes |
| converted-torch / converted-npz | altered | real | the current tensors in another format |
| shard | altered | part-of | half of the current tensors |
| cast-fp16 / cast-bf16 | altered | altered | every float tensor cast |
| quantized-int8 / quantized-q8_0 | altered | altered | int8 with a per-tensor scale; GGUF Q8_0 |
| fine-tuned | altered | altered | small random deltas on some tensors, the rest identical |
| random | fabricated | fabricated | random weights of the same shapes (buffers identical) |
| other-architecture | fabricated | fabricated | random weights of other shapes |
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


def init_model(
    rng: np.random.Generator, d: int = 64, layers: int = 3, vocab: int = 256
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
    m["head.weight"] = rng.normal(0, 0.02, (vocab, d)).astype(np.float32)
    return m


TRAINED = ("weight", "bias")


def train_step(m: dict[str, np.ndarray], rng: np.random.Generator, lr: float) -> dict[str, np.ndarray]:
    out = {}
    for k, v in m.items():
        if k.endswith("attn.bias") or k == "position_ids":
            out[k] = v
        else:
            scale = max(float(v.std()), 0.02)
            out[k] = (v + rng.normal(0, lr * scale, v.shape)).astype(np.float32)
    return out


def build(work: Path, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    root = work / "weights"
    inv, drops = root / "inventory" / "run-heron", root / "drops"
    drops.mkdir(parents=True, exist_ok=True)
    m = init_model(rng)
    ckpts = {}
    for step in STEPS:
        m = train_step(m, rng, lr=0.3)
        ckpts[step] = m
        path = inv / f"step-{step}" / "model.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(writers.safetensors(m, {"step": str(step), "run": "heron"}))
    cur, old = ckpts[STEPS[-1]], ckpts[STEPS[1]]
    src = lambda step: f"run-heron/step-{step}/model.safetensors"  # noqa: E731
    last = STEPS[-1]
    floats = lambda f: {k: f(v) if v.dtype == np.float32 else v for k, v in cur.items()}  # noqa: E731
    cases: dict[str, tuple[bytes, dict]] = {}

    def add(
        member: str, data: bytes | None, label: str, case: str, hint: str, step: int | None = last
    ) -> None:
        if data is not None:
            cases[member] = (
                data,
                {
                    "label": label,
                    "case": case,
                    "source": src(step) if step else None,
                    "version": step,
                    "hint": hint,
                },
            )

    add(
        "checkpoints/final/model.safetensors",
        (inv / f"step-{last}" / "model.safetensors").read_bytes(),
        "real",
        "real",
        "real",
    )
    add(
        "checkpoints/old/model.safetensors",
        (inv / f"step-{STEPS[1]}" / "model.safetensors").read_bytes(),
        "outdated",
        "outdated",
        "real",
        STEPS[1],
    )
    add(
        "export/pytorch_model.bin",
        writers.torch_zip(cur, "pytorch_model"),
        "altered",
        "converted-torch",
        "real",
    )
    add("export/weights.npz", writers.npz(cur), "altered", "converted-npz", "real")
    shard = dict(list(cur.items())[: len(cur) // 2])
    add("shards/model-00001-of-00002.safetensors", writers.safetensors(shard), "altered", "shard", "part-of")
    add(
        "fp16/model.safetensors",
        writers.safetensors(floats(lambda v: v.astype(np.float16))),
        "altered",
        "cast-fp16",
        "altered",
    )
    add(
        "bf16/model.safetensors",
        writers.safetensors(floats(lambda v: ("BF16", v.shape, writers.bf16_bytes(v)))),
        "altered",
        "cast-bf16",
        "altered",
    )

    def q8(v: np.ndarray) -> np.ndarray:
        s = float(np.abs(v).max()) / 127 or 1.0
        return np.round(v / s).astype(np.int8)

    add("int8/model.safetensors", writers.safetensors(floats(q8)), "altered", "quantized-int8", "altered")
    add("gguf/heron-q8_0.gguf", writers.gguf_q8(cur, "heron"), "altered", "quantized-q8_0", "altered")
    ft = dict(cur)
    for k in list(cur)[1::3]:
        if cur[k].dtype == np.float32 and not k.endswith("attn.bias"):
            ft[k] = (cur[k] + rng.normal(0, 0.05 * max(float(cur[k].std()), 1e-3), cur[k].shape)).astype(
                np.float32
            )
    add("finetuned/model.safetensors", writers.safetensors(ft), "altered", "fine-tuned", "altered")
    fake = init_model(np.random.default_rng(seed + 1000))
    add("random/model.safetensors", writers.safetensors(fake), "fabricated", "random", "fabricated", None)
    other = init_model(np.random.default_rng(seed + 2000), d=48, layers=2, vocab=200)
    add(
        "other/model.safetensors",
        writers.safetensors(other),
        "fabricated",
        "other-architecture",
        "fabricated",
        None,
    )
    name = "weights-drop-1.zip"
    with zipfile.ZipFile(drops / name, "w", zipfile.ZIP_STORED) as zf:
        for member, (data, _) in sorted(cases.items()):
            zf.writestr(zipfile.ZipInfo(f"heron-leak/{member}", (2024, 6, 1, 0, 0, 0)), data)
    labels = {name: {f"heron-leak/{m}": meta for m, (_, meta) in sorted(cases.items())}}
    (drops / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    del old
    return labels


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
            print(
                f"{'ok ' if ok else 'BAD'} {meta['case']:20} expected {meta['hint']:10} "
                f"got {best['hint']:10} "
                f"{best['source'] if best['hint'] != 'fabricated' else ''}"
            )
    print(f"hint accuracy: {good}/{total}")
    return good / total if total else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parents[1] / "work")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    labels = build(args.work, args.seed)
    print(f"wrote {args.work / 'weights'}: {sum(len(v) for v in labels.values())} labelled members")
    if args.check and check(args.work, labels) < 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
