#!/usr/bin/env python3
"""Build triage's bundled sample: a fake internal repo, a fake leak of it and the expected labels.

Usage::

    python samples/make_sample.py [--out samples/out]

Writes, under ``--out``:

* ``inventory/``   - git repo of "aurora", Northwind Labs' (fictional) model-serving service:
                     15 commits on ``main`` (one of them merging the ``feature/auth`` branch),
                     tags ``v0.1.0`` and ``v0.2.0``; fixed names, e-mails and dates.
* ``drop.zip``     - a "leak" cut from an older commit (``LEAK_COMMIT``), top folder ``aurora-leak/``,
                     with unchanged, moved, edited and invented files and a nested zip.
* ``expected.json``- ``{"path in drop": "real|outdated|altered|fabricated"}`` for every member
                     (nested members as ``outer.zip!inner/path``), computed from the repo's git objects.

Needs only git and the Python standard library, and is deterministic: the same commit ids,
the same ``drop.zip`` bytes and the same ``expected.json`` on every run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aurora_files as A  # noqa: E402

AUTHOR = ("Mira Okafor", "mira.okafor@northwind-labs.example")
COMMITTER = ("Northwind CI", "ci@northwind-labs.example")
ZIP_TIME = (2025, 8, 4, 9, 30, 0)
LEAK_TOP = "aurora-leak"
LEAK_COMMIT = "C10"  # the drop is cut from this (older) commit, not from the tip

Files = dict[str, bytes]


# --------------------------------------------------------------------------- generated binary


def make_png(width: int = 48, height: int = 40, seed: int = 2025) -> bytes:
    """A small deterministic RGB PNG: a gradient with pseudo-random noise (a few KB)."""
    rng = random.Random(seed)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            noise = rng.randrange(64)
            rows += bytes(((x * 5 + noise) & 255, (y * 6 + noise) & 255, (128 + noise) & 255))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(
        b"IEND", b""
    )


# --------------------------------------------------------------------------- history


def enc(text: str) -> bytes:
    return text.encode("utf-8")


def edit(files: Files, path: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``files[path]`` by ``new``."""
    text = files[path].decode("utf-8")
    if text.count(old) != 1:
        raise AssertionError(f"edit anchor not unique in {path}: {old[:40]!r}")
    files[path] = enc(text.replace(old, new))


@dataclass
class Step:
    """One commit: a label, a date, a message, and a function changing the file map."""

    label: str
    date: str
    message: str
    change: Callable[[Files], None]
    tag: str | None = None
    branch: str = "main"
    merge: str | None = None  # merge this branch instead of applying ``change``


def c1(f: Files) -> None:
    f.update({
        "README.md": enc(A.README), "pyproject.toml": enc(A.PYPROJECT),
        "aurora/__init__.py": enc(A.INIT), "aurora/config.py": enc(A.CONFIG),
        "aurora/models/sampling.py": enc(A.SAMPLING), "aurora/models/tokenizer.py": enc(A.TOKENIZER),
        "aurora/cache/lru.py": enc(A.LRU), "aurora/server/app.py": enc(A.APP),
        "aurora/server/legacy_handlers.py": enc(A.LEGACY),
        "tests/test_sampling.py": enc(A.TEST_SAMPLING), "tests/test_lru.py": enc(A.TEST_LRU),
    })


def c2(f: Files) -> None:
    f.update({"aurora/batching/queue.py": enc(A.QUEUE), "aurora/batching/scheduler.py": enc(A.SCHEDULER),
              "tests/test_scheduler.py": enc(A.TEST_SCHEDULER)})


def c3(f: Files) -> None:
    f.update({"aurora/models/registry.py": enc(A.REGISTRY), "aurora/models/loader.py": enc(A.LOADER),
              "config/aurora.yaml": enc(A.CONFIG_YAML)})


def c4(f: Files) -> None:
    f.update({"aurora/cache/kv_cache.py": enc(A.KV_CACHE), "aurora/metrics/timers.py": enc(A.TIMERS)})


def c5(f: Files) -> None:
    path = "aurora/models/sampling.py"
    edit(f, path, "def sample(\n", '''def min_p_filter(probs: Sequence[float], min_p: float) -> list[float]:
    """Drop tokens whose probability is below ``min_p`` times the top probability."""
    floor = max(probs) * min_p
    kept = [p if p >= floor else 0.0 for p in probs]
    total = sum(kept)
    return [p / total for p in kept]


def sample(
''')
    edit(f, path, "    top_p: float = 1.0,\n", "    top_p: float = 1.0,\n    min_p: float = 0.0,\n")
    edit(f, path, "        probs = top_p_filter(probs, top_p)\n",
         "        probs = top_p_filter(probs, top_p)\n    if min_p > 0.0:\n        probs = min_p_filter(probs, min_p)\n")


def b1(f: Files) -> None:
    f.update({"aurora/auth/tokens.py": enc(A.TOKENS), "tests/test_tokens.py": enc(A.TEST_TOKENS)})


def b2(f: Files) -> None:
    f.update({"aurora/auth/ratelimit.py": enc(A.RATELIMIT), "tests/test_ratelimit.py": enc(A.TEST_RATELIMIT)})


def c6(f: Files) -> None:
    f.update({"aurora/metrics/prometheus.py": enc(A.PROMETHEUS), "docs/architecture.md": enc(A.ARCH_MD)})


def c8(f: Files) -> None:
    f.update({"aurora/server/routes.py": enc(A.ROUTES), "aurora/server/middleware.py": enc(A.MIDDLEWARE),
              "aurora/utils/retry.py": enc(A.RETRY), "aurora/utils/logging.py": enc(A.LOGGING),
              "assets/logo.png": make_png()})


def c9(f: Files) -> None:
    f.update({"aurora/cli.py": enc(A.CLI), "docs/deployment.md": enc(A.DEPLOY_MD)})
    path = "aurora/batching/scheduler.py"
    edit(f, path, "        self.batches_run = 0\n", "        self.batches_run = 0\n        self.requests_run = 0\n")
    edit(f, path, "            self.batches_run += 1\n",
         "            self.batches_run += 1\n            self.requests_run += len(batch)\n")


def c10(f: Files) -> None:
    f["aurora/observability/logging.py"] = f.pop("aurora/utils/logging.py")  # a move
    path = "aurora/config.py"
    edit(f, path, '    default_model: str = "nw-small-2"\n',
         '    default_model: str = "nw-small-2"\n    log_level: str = "info"\n')
    edit(f, path, 'for key in ("model_dir", "default_model"):', 'for key in ("model_dir", "default_model", "log_level"):')


def c11(f: Files) -> None:
    edit(f, "aurora/cache/lru.py", "            self._items[key] = value\n            self._items.move_to_end(key)\n",
         "            if key in self._items:\n                self._items.move_to_end(key)\n"
         "            self._items[key] = value\n")
    del f["aurora/server/legacy_handlers.py"]
    edit(f, "aurora/__init__.py", '__version__ = "0.1.0"', '__version__ = "0.2.0"')
    edit(f, "pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"')


def c12(f: Files) -> None:
    edit(f, "README.md", "Internal only.", "## Documentation\n\nSee `docs/architecture.md` and `docs/deployment.md`.\n\n"
         "Internal only.")


def c13(f: Files) -> None:
    edit(f, "aurora/cache/kv_cache.py", "    def release(self, seq_id: int) -> None:\n", '''    def fork(self, parent_id: int, child_id: int) -> Sequence:
        """Start ``child_id`` as a copy of ``parent_id`` sharing its full prefix blocks."""
        parent = self.sequences[parent_id]
        shared = parent.length // self.block_size
        child = Sequence(child_id, parent.length, parent.blocks[:shared])
        if parent.length % self.block_size:
            if not self.free:
                raise OutOfBlocks("no block for the forked tail")
            child.blocks.append(self.free.pop())
        self.sequences[child_id] = child
        return child

    def release(self, seq_id: int) -> None:
''')
    edit(f, "aurora/models/tokenizer.py", "        self.ranks = {pair: rank for rank, pair in enumerate(merges)}\n",
         "        self.ranks = {pair: rank for rank, pair in enumerate(merges)}\n"
         "        self.special = {token: index for token, index in vocab.items() if token.startswith(\"<|\")}\n")


def c14(f: Files) -> None:
    f["docs/api.md"] = enc(A.API_MD)
    edit(f, "aurora/server/routes.py", "    return prompt, max_tokens\n",
         "    temperature = float(body.get(\"temperature\", 1.0))\n"
         "    if not 0.0 <= temperature <= 2.0:\n"
         "        raise ValueError(\"'temperature' must be between 0 and 2\")\n"
         "    return prompt, max_tokens\n")
    edit(f, "config/aurora.yaml", "default_model: nw-small-2\n", "default_model: nw-small-2\nlog_level: info\n")


def c15(f: Files) -> None:
    edit(f, "aurora/auth/ratelimit.py", "capacity: float = 20000.0, refill_per_s: float = 2000.0",
         "capacity: float = 40000.0, refill_per_s: float = 2500.0")


HISTORY: list[Step] = [
    Step("C1", "2025-02-03T10:12:00+00:00", "Initial skeleton: config, sampling, tokenizer, LRU, WSGI app", c1),
    Step("C2", "2025-02-14T15:40:00+00:00", "Add request queue and dynamic batch scheduler", c2),
    Step("C3", "2025-02-27T09:05:00+00:00", "Model registry, checkpoint loader and staging config", c3),
    Step("C4", "2025-03-10T13:22:00+00:00", "Paged KV-cache allocator and latency histograms", c4),
    Step("C5", "2025-03-21T17:48:00+00:00", "sampling: add min-p filtering", c5, tag="v0.1.0"),
    Step("B1", "2025-03-25T11:30:00+00:00", "auth: hashed API tokens", b1, branch="feature/auth"),
    Step("C6", "2025-03-28T16:02:00+00:00", "Prometheus exposition and architecture notes", c6),
    Step("B2", "2025-04-02T10:15:00+00:00", "auth: per-tenant token-bucket rate limiting", b2, branch="feature/auth"),
    Step("C7", "2025-04-07T14:00:00+00:00", "Merge branch 'feature/auth'", lambda f: None, merge="feature/auth"),
    Step("C8", "2025-04-18T12:34:00+00:00", "v1 routes, middleware, retry and JSON logging; logo", c8),
    Step("C9", "2025-05-02T09:50:00+00:00", "CLI and deployment guide; count requests per batch", c9),
    Step("C10", "2025-05-16T15:27:00+00:00", "Move logging under aurora/observability; log_level setting", c10),
    Step("C11", "2025-05-30T18:10:00+00:00", "Fix LRU re-put ordering, drop legacy v0 handlers, 0.2.0", c11,
         tag="v0.2.0"),
    Step("C12", "2025-06-12T08:45:00+00:00", "README: point to the docs", c12),
    Step("C13", "2025-06-26T13:05:00+00:00", "KV cache prefix forking; tokenizer special tokens", c13),
    Step("C14", "2025-07-10T10:20:00+00:00", "API reference; validate temperature", c14),
    Step("C15", "2025-07-24T16:55:00+00:00", "Raise default rate limits", c15),
]


# --------------------------------------------------------------------------- git plumbing


class Git:
    """Run git in one repository with a fixed identity and no user/system configuration."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def env(self, date: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update({
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": COMMITTER[0], "GIT_COMMITTER_EMAIL": COMMITTER[1],
            "TZ": "UTC", "LC_ALL": "C",
        })
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        return env

    def __call__(self, *args: str, date: str | None = None, data: bytes | None = None) -> bytes:
        cmd = ["git", "-c", f"user.name={AUTHOR[0]}", "-c", f"user.email={AUTHOR[1]}",
               "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
               "-c", "core.autocrlf=false", *args]
        done = subprocess.run(cmd, cwd=self.root, env=self.env(date), input=data, capture_output=True)
        if done.returncode:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout


def write_tree(root: Path, files: Files) -> None:
    """Make the work tree (minus .git) hold exactly ``files``."""
    for child in root.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def build_inventory(root: Path) -> dict[str, Files]:
    """Create the git repo; returns the file map at every step label."""
    root.mkdir(parents=True)
    git = Git(root)
    git("init", "-q", "-b", "main")
    states: dict[str, Files] = {}
    trees: dict[str, Files] = {"main": {}}
    current = "main"
    for step in HISTORY:
        if step.branch not in trees:  # a new branch starts from main's current commit
            git("branch", step.branch)
            trees[step.branch] = dict(trees["main"])
        if step.branch != current:
            git("checkout", "-q", step.branch)
            current = step.branch
        files = trees[step.branch]
        if step.merge:
            git("merge", "-q", "--no-ff", step.merge, "-m", step.message, date=step.date)
            files.update(trees[step.merge])  # the branch only added files: no conflicts
        else:
            step.change(files)
            write_tree(root, files)
            git("add", "-A")
            git("commit", "-q", "-m", step.message, date=step.date)
        if step.tag:
            git("tag", "-a", step.tag, "-m", f"Release {step.tag}", date=step.date)
        states[step.label] = dict(files)
    git("checkout", "-q", "main")
    return states


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def blob_sets(root: Path) -> tuple[set[str], set[str]]:
    """(blob ids at the tip of main, blob ids of every file version in every commit)."""
    git = Git(root)

    def tree_blobs(commit: str) -> set[str]:
        out = git("ls-tree", "-r", commit).decode()
        return {line.split()[2] for line in out.splitlines() if line.split()[1] == "blob"}

    tip = tree_blobs("main")
    every: set[str] = set()
    for commit in git("rev-list", "--all").decode().split():
        every |= tree_blobs(commit)
    return tip, every


# --------------------------------------------------------------------------- the leak


def reindent(text: str, old: int = 4, new: int = 2) -> str:
    """Re-indent with ``new`` spaces per level instead of ``old``."""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        lead = len(line) - len(stripped)
        out.append(" " * (lead // old * new + lead % old) + stripped)
    return "".join(out)


def delete_function(text: str, name: str) -> str:
    """Remove the top-level ``def name`` and its body (up to the next top-level statement)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", ")"))):
        end += 1
    return "".join(lines[:start] + lines[end:])


def import_block(text: str) -> str:
    """The license header, docstring and import lines of a module, up to the first definition."""
    lines = text.splitlines(keepends=True)
    stop = next(i for i, line in enumerate(lines) if line.startswith(("def ", "class ", "SHARD_")))
    return "".join(lines[:stop])


FORGED_LOADER_TAIL = '''WEIGHT_MIRROR = "s3://nw-weights-mirror/aurora"


def mirror_key(spec: ModelSpec, shard: str) -> str:
    """Object key for one shard in the off-site weight mirror."""
    return f"{spec.name}/{spec.revision}/{shard}"


def plan_mirror(root: str, spec: ModelSpec) -> list[tuple[str, str]]:
    """Pair each local shard with the key it is uploaded to, largest first."""
    base = Path(root) / spec.name / spec.revision
    shards = sorted(base.glob("*.bin"), key=lambda p: os.path.getsize(p), reverse=True)
    return [(str(p), mirror_key(spec, p.name)) for p in shards]


def fingerprint_plan(plan: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for local, key in plan:
        digest.update(json.dumps([local, key]).encode())
    return digest.hexdigest()[:16]
'''

SHORT_FAKE = A.py('''"""Break-glass credentials for the production weight store."""

MASTER_KEY = "nw-prod-7f3a9c2e-weights-root"
ALLOWED_HOSTS = ("gpu-east-01", "gpu-west-04")
''')

ROADMAP_FAKE = """\
# Aurora roadmap 2026 (confidential)

- Q1: serve nw-large-3 (400B) on the new H-class pool; 4-way tensor parallel.
- Q2: speculative decoding with nw-tiny-1 as the draft model, target 2.1x tokens/s.
- Q3: migrate tenants off token buckets to monthly quotas; bill by cached tokens.
- Q4: sunset the staging pool in eu-central; single global scheduler.

Owners: inference platform team. Do not forward.
"""

SPECULATIVE_FAKE = A.py('''"""Speculative decoding: a small draft model proposes, the target model verifies."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Propose = Callable[[Sequence[int], int], list[int]]
Score = Callable[[Sequence[int], Sequence[int]], list[int]]


def accept_prefix(draft: Sequence[int], verified: Sequence[int]) -> int:
    """How many leading draft tokens the target model agreed with."""
    count = 0
    for mine, theirs in zip(draft, verified):
        if mine != theirs:
            break
        count += 1
    return count


def speculative_step(context: list[int], propose: Propose, score: Score, lookahead: int = 4) -> list[int]:
    draft = propose(context, lookahead)
    verified = score(context, draft)
    keep = accept_prefix(draft, verified)
    return draft[:keep] + verified[keep:keep + 1]
''')


@dataclass
class Drop:
    """Members of the leak with the label each was made to have (None = unchanged copy)."""

    members: dict[str, bytes] = field(default_factory=dict)
    intent: dict[str, str | None] = field(default_factory=dict)

    def add(self, path: str, data: bytes, intent: str | None = None) -> None:
        self.members[path] = data
        self.intent[path] = intent


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deterministic zip: sorted names, fixed timestamps and permissions, deflate."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


def cut_leak(snapshot: Files) -> tuple[Drop, dict[str, str]]:
    """Build the drop from an older snapshot; returns it and ``{leak path: why}`` notes."""
    files = {path: data.decode("utf-8") if not path.endswith(".png") else data for path, data in snapshot.items()}
    drop = Drop()
    notes: dict[str, str] = {}
    edited = {
        "aurora/batching/scheduler.py": ("inserted lines", lambda t: t.replace(
            "        batch = self._collect()\n",
            "        batch = self._collect()\n        if len(batch) > 1:\n"
            "            log.debug(\"running batch of %d\", len(batch))\n"
            "            batch.sort(key=lambda r: r.enqueued_at)\n")),
        "aurora/models/sampling.py": ("function deleted", lambda t: delete_function(t, "top_k_filter").replace(
            "    if top_k:\n        probs = top_k_filter(probs, top_k)\n", "")),
        "aurora/auth/tokens.py": ("identifiers renamed", lambda t: t.replace("TokenRecord", "ApiKeyRecord")
                                  .replace("hash_token", "digest_token").replace("pepper", "secret_salt")),
        "aurora/utils/retry.py": ("re-indented (4 -> 2 spaces)", reindent),
    }
    moved = {"aurora/metrics/timers.py": "aurora/utils/timers.py"}
    replaced = {"aurora/models/loader.py"}
    for path in sorted(files):
        content = files[path]
        if path in moved:
            drop.add(f"{LEAK_TOP}/{moved[path]}", enc(content))
            notes[moved[path]] = f"moved from {path}"
        elif path in edited:
            why, change = edited[path]
            drop.add(f"{LEAK_TOP}/{path}", enc(change(content)), "altered")
            notes[path] = why
        elif path in replaced:
            forged = import_block(content) + "\n" + FORGED_LOADER_TAIL
            drop.add(f"{LEAK_TOP}/{path}", enc(forged), "fabricated")
            notes[path] = "invented code under the real header, docstring and imports"
        else:
            drop.add(f"{LEAK_TOP}/{path}", content if isinstance(content, bytes) else enc(content))
    drop.add(f"{LEAK_TOP}/aurora/auth/master_key.py", enc(SHORT_FAKE), "fabricated")
    drop.add(f"{LEAK_TOP}/docs/roadmap-2026.md", enc(ROADMAP_FAKE), "fabricated")
    inner = {
        "extras/aurora/metrics/prometheus.py": enc(files["aurora/metrics/prometheus.py"]),
        "extras/docs/architecture.md": enc(files["docs/architecture.md"]),
        "extras/aurora/experimental/speculative.py": enc(SPECULATIVE_FAKE),
    }
    nested = f"{LEAK_TOP}/vendor/extras.zip"
    drop.add(nested, zip_bytes(inner), "altered")  # repackaged: two of its three files are internal
    for name, data in inner.items():
        drop.add(f"{nested}!{name}", data, "fabricated" if "speculative" in name else None)
    return drop, notes


def label_drop(drop: Drop, tip: set[str], every: set[str]) -> dict[str, str]:
    """Label every member from the git objects; check each against what was intended."""
    labels: dict[str, str] = {}
    for path in sorted(drop.members):
        blob = git_blob_id(drop.members[path])
        intent = drop.intent[path]
        if blob in tip:
            label = "real"
        elif blob in every:
            label = "outdated"
        else:
            if intent is None:
                raise AssertionError(f"{path}: unchanged copy is not an internal blob")
            label = intent
        if intent is not None and blob in every:
            raise AssertionError(f"{path}: meant to be {intent} but equals an internal blob")
        labels[path] = label
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    inventory = out / "inventory"
    if inventory.exists():
        shutil.rmtree(inventory)
    states = build_inventory(inventory)
    tip, every = blob_sets(inventory)
    drop, _notes = cut_leak(states[LEAK_COMMIT])
    labels = label_drop(drop, tip, every)
    outer = {path: data for path, data in drop.members.items() if "!" not in path}
    (out / "drop.zip").write_bytes(zip_bytes(outer))
    (out / "expected.json").write_text(json.dumps(labels, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    print(f"inventory: {inventory} ({len(HISTORY)} commits, tags v0.1.0 v0.2.0)")
    print(f"drop: {out / 'drop.zip'} ({len(labels)} labelled members: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
