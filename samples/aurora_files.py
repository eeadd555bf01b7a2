"""Source texts of the made-up internal project "aurora" (Northwind Labs' model-serving service).

Everything here was written for this sample; nothing is copied from a real project.
``make_sample.py`` turns these texts into a git history (see ``HISTORY`` there) and cuts a
fake leak from it. Files are plain strings keyed by path; edits across commits are applied
by ``make_sample.py`` as exact text replacements, so every later version is derived from
the text below.
"""

from __future__ import annotations

HEADER = """\
# Copyright (c) 2025 Northwind Labs, Inc. All rights reserved.
# SPDX-License-Identifier: LicenseRef-Northwind-Proprietary
#
# This file is part of Aurora, Northwind Labs' model-serving platform.
# Unauthorized copying or distribution of this file is strictly prohibited.
"""


def py(body: str) -> str:
    """A Python source file: the shared license header, then ``body``."""
    return HEADER + body


INIT = py('''"""Aurora: low-latency model serving for Northwind Labs' language models."""

from __future__ import annotations

__all__ = ["__version__", "version_info", "default_config_path"]

__version__ = "0.1.0"


def version_info() -> tuple[int, int, int]:
    """The package version as a tuple of three integers."""
    major, minor, patch = (int(part) for part in __version__.split(".")[:3])
    return major, minor, patch


def default_config_path() -> str:
    """Where the service looks for its configuration when none is given."""
    import os

    return os.environ.get("AURORA_CONFIG", "/etc/aurora/aurora.yaml")
''')

CONFIG = py('''"""Typed configuration for the serving process, read from a flat YAML subset."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


@dataclass
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 8080
    workers: int = 2
    request_timeout_s: float = 30.0


@dataclass
class BatchConfig:
    max_batch_size: int = 16
    max_wait_ms: int = 8
    queue_limit: int = 512


@dataclass
class AuroraConfig:
    model_dir: str = "/var/lib/aurora/models"
    default_model: str = "nw-small-2"
    server: ServerConfig = field(default_factory=ServerConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)


def _coerce(raw: str, kind: type) -> object:
    """Turn a scalar string from the config file into ``kind``."""
    raw = raw.strip().strip('"').strip("'")
    if kind is bool:
        return raw.lower() in {"1", "true", "yes", "on"}
    if kind in (int, float):
        return kind(raw)
    return raw


def parse_flat_yaml(text: str) -> dict[str, dict[str, str] | str]:
    """Parse the two-level ``key: value`` YAML subset our config files use."""
    result: dict[str, dict[str, str] | str] = {}
    section: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition(":")
        if not line.startswith(" "):
            if value.strip():
                result[key.strip()] = value.strip()
                section = None
            else:
                section = key.strip()
                result[section] = {}
        elif section is not None:
            nested = result[section]
            assert isinstance(nested, dict)
            nested[key.strip()] = value.strip()
    return result


def _apply(target: object, values: dict[str, str]) -> None:
    for item in fields(target):  # type: ignore[arg-type]
        if item.name in values:
            setattr(target, item.name, _coerce(values[item.name], type(getattr(target, item.name))))


def load_config(path: str | None = None) -> AuroraConfig:
    """Read the config file at ``path`` (or $AURORA_CONFIG) and fill in defaults."""
    config = AuroraConfig()
    path = path or os.environ.get("AURORA_CONFIG")
    if not path or not os.path.exists(path):
        return config
    with open(path, encoding="utf-8") as handle:
        raw = parse_flat_yaml(handle.read())
    for key in ("model_dir", "default_model"):
        if isinstance(raw.get(key), str):
            setattr(config, key, _coerce(raw[key], str))  # type: ignore[arg-type]
    for name in ("server", "batch"):
        section = raw.get(name)
        if isinstance(section, dict):
            _apply(getattr(config, name), section)
    return config
''')

SAMPLING = py('''"""Token sampling strategies applied to the logits a model returns."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def softmax(logits: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Numerically stable softmax with temperature scaling."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scaled = [value / temperature for value in logits]
    peak = max(scaled)
    exps = [math.exp(value - peak) for value in scaled]
    total = sum(exps)
    return [value / total for value in exps]


def greedy(logits: Sequence[float]) -> int:
    """Index of the largest logit (ties go to the lowest index)."""
    best_index, best_value = 0, logits[0]
    for index, value in enumerate(logits):
        if value > best_value:
            best_index, best_value = index, value
    return best_index


def top_k_filter(probs: Sequence[float], k: int) -> list[float]:
    """Zero all but the ``k`` most likely tokens, then renormalise."""
    if k <= 0 or k >= len(probs):
        return list(probs)
    cutoff = sorted(probs, reverse=True)[k - 1]
    kept = [p if p >= cutoff else 0.0 for p in probs]
    total = sum(kept)
    return [p / total for p in kept]


def top_p_filter(probs: Sequence[float], p: float) -> list[float]:
    """Nucleus filtering: keep the smallest set of tokens whose mass reaches ``p``."""
    order = sorted(range(len(probs)), key=lambda i: probs[i], reverse=True)
    kept = [0.0] * len(probs)
    mass = 0.0
    for index in order:
        kept[index] = probs[index]
        mass += probs[index]
        if mass >= p:
            break
    return [value / mass for value in kept]


def sample(
    logits: Sequence[float],
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    rng: random.Random | None = None,
) -> int:
    """Draw one token index from ``logits`` under the given sampling settings."""
    if temperature == 0:
        return greedy(logits)
    probs = softmax(logits, temperature)
    if top_k:
        probs = top_k_filter(probs, top_k)
    if top_p < 1.0:
        probs = top_p_filter(probs, top_p)
    draw = (rng or random).random()
    running = 0.0
    for index, prob in enumerate(probs):
        running += prob
        if draw < running:
            return index
    return len(probs) - 1
''')

TOKENIZER = py('''"""A byte-level BPE tokenizer that reads Northwind's merges file format."""

from __future__ import annotations

import json
from pathlib import Path


class Tokenizer:
    """Encode text to token ids and back with a list of ranked byte-pair merges."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]]) -> None:
        self.vocab = vocab
        self.inverse = {index: token for token, index in vocab.items()}
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}

    @classmethod
    def from_dir(cls, path: str | Path) -> Tokenizer:
        root = Path(path)
        vocab = json.loads((root / "vocab.json").read_text(encoding="utf-8"))
        merges = []
        for line in (root / "merges.txt").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                left, right = line.split()
                merges.append((left, right))
        return cls(vocab, merges)

    def _merge_word(self, symbols: list[str]) -> list[str]:
        while len(symbols) > 1:
            pairs = [(self.ranks.get(pair, 1 << 30), i) for i, pair in enumerate(zip(symbols, symbols[1:]))]
            rank, position = min(pairs)
            if rank == 1 << 30:
                break
            symbols = symbols[:position] + [symbols[position] + symbols[position + 1]] + symbols[position + 2 :]
        return symbols

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in text.split(" "):
            symbols = [chr(byte + 256) if byte < 33 else chr(byte) for byte in word.encode("utf-8")]
            for piece in self._merge_word(symbols):
                ids.append(self.vocab.get(piece, self.vocab.get("<unk>", 0)))
            ids.append(self.vocab.get(" ", 0))
        return ids[:-1] if ids else ids

    def decode(self, ids: list[int]) -> str:
        pieces = [self.inverse.get(index, "") for index in ids]
        raw = "".join(pieces)
        data = bytes(ord(ch) - 256 if ord(ch) >= 256 else ord(ch) for ch in raw)
        return data.decode("utf-8", errors="replace")

    def __len__(self) -> int:
        return len(self.vocab)
''')

LRU = py('''"""A small thread-safe LRU cache used for prompt prefixes and tokenizer results."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """Least-recently-used cache with a fixed number of entries."""

    def __init__(self, capacity: int = 1024) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: V | None = None) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
            return default

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0
''')

APP = py('''"""The HTTP front end: a tiny WSGI application dispatching to route handlers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

Handler = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]

STATUS_TEXT = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
               429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class App:
    """Map (method, path) pairs to handlers that take a JSON body and return one."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[(method.upper(), path)] = handler
            return handler

        return register

    def _read_body(self, environ: dict[str, Any]) -> dict[str, Any]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if not length:
            return {}
        raw = environ["wsgi.input"].read(length)
        return json.loads(raw.decode("utf-8"))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = (environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"))
        handler = self.routes.get(key)
        if handler is None:
            status, payload = 404, {"error": "no such route"}
        else:
            try:
                status, payload = handler(self._read_body(environ))
            except ValueError as exc:
                status, payload = 400, {"error": str(exc)}
        body = json.dumps(payload).encode("utf-8")
        start_response(f"{status} {STATUS_TEXT.get(status, 'Unknown')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


app = App()


@app.route("GET", "/healthz")
def healthz(_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"status": "ok"}
''')

LEGACY = py('''"""Handlers from the v0 prototype, kept until clients move to /v1 routes."""

from __future__ import annotations

from typing import Any

from aurora.server.app import app


@app.route("POST", "/generate")
def legacy_generate(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The old single-prompt endpoint; forwards to the v1 completion path."""
    prompt = body.get("text")
    if not isinstance(prompt, str):
        raise ValueError("'text' must be a string")
    return 200, {"deprecated": True, "echo": prompt[:64], "hint": "use POST /v1/completions"}


@app.route("GET", "/status")
def legacy_status(_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"deprecated": True, "status": "ok"}


def legacy_paths() -> list[str]:
    """Paths served only for backwards compatibility."""
    return ["/generate", "/status"]
''')

QUEUE = py('''"""A bounded request queue with per-request deadlines."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any


class QueueFull(Exception):
    """Raised when a request arrives while the queue is at its limit."""


@dataclass(order=True)
class PendingRequest:
    enqueued_at: float
    request_id: str = field(compare=False)
    prompt_tokens: list[int] = field(compare=False, default_factory=list)
    max_new_tokens: int = field(compare=False, default=128)
    deadline: float = field(compare=False, default=float("inf"))
    payload: dict[str, Any] = field(compare=False, default_factory=dict)

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.monotonic()) > self.deadline


class RequestQueue:
    """FIFO of pending requests; consumers take up to N at a time."""

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._items: collections.deque[PendingRequest] = collections.deque()
        self._cond = threading.Condition()

    def put(self, request: PendingRequest) -> None:
        with self._cond:
            if len(self._items) >= self.limit:
                raise QueueFull(f"queue limit {self.limit} reached")
            self._items.append(request)
            self._cond.notify()

    def take(self, max_items: int, timeout: float) -> list[PendingRequest]:
        """Wait up to ``timeout`` seconds for one request, then drain up to ``max_items``."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            batch: list[PendingRequest] = []
            now = time.monotonic()
            while self._items and len(batch) < max_items:
                item = self._items.popleft()
                if not item.expired(now):
                    batch.append(item)
            return batch

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
''')

SCHEDULER = py('''"""Dynamic batching: group queued requests into batches the model can run together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from aurora.batching.queue import PendingRequest, RequestQueue

log = logging.getLogger(__name__)

RunBatch = Callable[[list[PendingRequest]], None]


class BatchScheduler:
    """Pull requests from a queue and hand them to ``run_batch`` in groups."""

    def __init__(self, queue: RequestQueue, run_batch: RunBatch, max_batch_size: int = 16,
                 max_wait_ms: int = 8) -> None:
        self.queue = queue
        self.run_batch = run_batch
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches_run = 0

    def _collect(self) -> list[PendingRequest]:
        batch = self.queue.take(self.max_batch_size, self.max_wait_s)
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch_size and time.monotonic() < deadline:
            more = self.queue.take(self.max_batch_size - len(batch), deadline - time.monotonic())
            if not more:
                break
            batch.extend(more)
        return batch

    def step(self) -> int:
        """Run at most one batch; returns its size."""
        batch = self._collect()
        if batch:
            self.run_batch(batch)
            self.batches_run += 1
        return len(batch)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # keep serving whatever one batch did
                log.exception("batch failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="aurora-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
''')

REGISTRY = py('''"""Registry of the models this process can serve, and which one is loaded."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    revision: str
    context_length: int
    vocab_size: int
    dtype: str = "bf16"

    @property
    def key(self) -> str:
        return f"{self.name}@{self.revision}"


class ModelRegistry:
    """Known model specs by name, with at most one active model at a time."""

    def __init__(self) -> None:
        self._specs: dict[str, ModelSpec] = {}
        self._active: str | None = None
        self._lock = threading.RLock()

    def register(self, spec: ModelSpec) -> None:
        with self._lock:
            if spec.name in self._specs and self._specs[spec.name] != spec:
                raise ValueError(f"model {spec.name!r} already registered with another spec")
            self._specs[spec.name] = spec

    def get(self, name: str) -> ModelSpec:
        with self._lock:
            try:
                return self._specs[name]
            except KeyError:
                raise KeyError(f"unknown model {name!r}; known: {sorted(self._specs)}") from None

    def activate(self, name: str) -> ModelSpec:
        with self._lock:
            spec = self.get(name)
            self._active = name
            return spec

    @property
    def active(self) -> ModelSpec | None:
        with self._lock:
            return self._specs.get(self._active) if self._active else None

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._specs)


DEFAULT_MODELS = (
    ModelSpec("nw-small-2", "r7", context_length=8192, vocab_size=50304),
    ModelSpec("nw-medium-1", "r3", context_length=16384, vocab_size=50304),
)
''')

LOADER = py('''"""Load model weights from Northwind's sharded checkpoint layout."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from aurora.models.registry import ModelSpec

SHARD_SUFFIX = ".nwshard"


class CheckpointError(RuntimeError):
    """Raised when a checkpoint directory is incomplete or corrupt."""


def read_manifest(model_dir: Path) -> dict:
    manifest_path = model_dir / "manifest.json"
    if not manifest_path.exists():
        raise CheckpointError(f"no manifest in {model_dir}")
    return json.loads(manifest_path.read_text(encoding="utf-8"))


def verify_shard(path: Path, expected_sha256: str, chunk_size: int = 1 << 20) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected_sha256:
        raise CheckpointError(f"checksum mismatch for {path.name}")


def shard_paths(model_dir: Path, manifest: dict) -> list[Path]:
    paths = []
    for entry in manifest.get("shards", []):
        path = model_dir / entry["file"]
        if path.suffix != SHARD_SUFFIX:
            raise CheckpointError(f"unexpected shard file {entry['file']}")
        paths.append(path)
    return paths


def load_checkpoint(root: str, spec: ModelSpec, verify: bool = True) -> dict:
    """Return a description of the shards for ``spec``, verifying checksums if asked."""
    model_dir = Path(root) / spec.name / spec.revision
    manifest = read_manifest(model_dir)
    shards = shard_paths(model_dir, manifest)
    if verify:
        for entry, path in zip(manifest["shards"], shards):
            verify_shard(path, entry["sha256"])
    total = sum(os.path.getsize(path) for path in shards)
    return {"model": spec.key, "shards": [p.name for p in shards], "bytes": total}
''')

KV_CACHE = py('''"""Paged key/value cache bookkeeping: which sequence owns which cache blocks."""

from __future__ import annotations

from dataclasses import dataclass, field


class OutOfBlocks(RuntimeError):
    """No free cache blocks are left for a new or growing sequence."""


@dataclass
class Sequence:
    seq_id: int
    length: int = 0
    blocks: list[int] = field(default_factory=list)


class BlockAllocator:
    """Hand out fixed-size cache blocks to sequences as they grow."""

    def __init__(self, num_blocks: int, block_size: int = 16) -> None:
        self.block_size = block_size
        self.free = list(range(num_blocks - 1, -1, -1))
        self.sequences: dict[int, Sequence] = {}

    def blocks_needed(self, length: int) -> int:
        return -(-length // self.block_size)

    def allocate(self, seq_id: int, prompt_length: int) -> Sequence:
        needed = self.blocks_needed(prompt_length)
        if needed > len(self.free):
            raise OutOfBlocks(f"need {needed} blocks, {len(self.free)} free")
        seq = Sequence(seq_id, prompt_length, [self.free.pop() for _ in range(needed)])
        self.sequences[seq_id] = seq
        return seq

    def append_token(self, seq_id: int) -> None:
        seq = self.sequences[seq_id]
        seq.length += 1
        if self.blocks_needed(seq.length) > len(seq.blocks):
            if not self.free:
                raise OutOfBlocks("cache exhausted while decoding")
            seq.blocks.append(self.free.pop())

    def release(self, seq_id: int) -> None:
        seq = self.sequences.pop(seq_id)
        self.free.extend(reversed(seq.blocks))

    def utilisation(self) -> float:
        used = sum(len(seq.blocks) for seq in self.sequences.values())
        return used / (used + len(self.free)) if used + len(self.free) else 0.0
''')

TIMERS = py('''"""Latency timers and a fixed-bucket histogram for request metrics."""

from __future__ import annotations

import bisect
import time
from contextlib import contextmanager
from collections.abc import Iterator

DEFAULT_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


class Histogram:
    """Counts of observations per upper bucket bound, plus sum and count."""

    def __init__(self, buckets: tuple[float, ...] = DEFAULT_BUCKETS_MS) -> None:
        self.buckets = tuple(sorted(buckets))
        self.counts = [0] * (len(self.buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def quantile(self, q: float) -> float:
        """Upper bound of the bucket holding the ``q`` quantile (inf past the last bucket)."""
        if not self.count:
            return 0.0
        target = q * self.count
        running = 0
        for bound, count in zip(self.buckets + (float("inf"),), self.counts):
            running += count
            if running >= target:
                return bound
        return float("inf")

    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    """Observe the wall time of the ``with`` block, in milliseconds."""
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe((time.perf_counter() - start) * 1000.0)
''')

PROMETHEUS = py('''"""Render Aurora's metrics in the Prometheus text exposition format."""

from __future__ import annotations

from aurora.metrics.timers import Histogram


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return "{" + inner + "}"


def render_counter(name: str, value: float, help_text: str, labels: dict[str, str] | None = None) -> str:
    return f"# HELP {name} {help_text}\\n# TYPE {name} counter\\n{name}{_labels(labels or {})} {value}\\n"


def render_gauge(name: str, value: float, help_text: str) -> str:
    return f"# HELP {name} {help_text}\\n# TYPE {name} gauge\\n{name} {value}\\n"


def render_histogram(name: str, hist: Histogram, help_text: str) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    running = 0
    for bound, count in zip(hist.buckets, hist.counts):
        running += count
        lines.append(f'{name}_bucket{{le="{bound}"}} {running}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {hist.count}')
    lines.append(f"{name}_sum {hist.total}")
    lines.append(f"{name}_count {hist.count}")
    return "\\n".join(lines) + "\\n"


class MetricsRegistry:
    def __init__(self) -> None:
        self.counters: dict[str, float] = {}
        self.histograms: dict[str, Histogram] = {}

    def inc(self, name: str, amount: float = 1.0) -> None:
        self.counters[name] = self.counters.get(name, 0.0) + amount

    def histogram(self, name: str) -> Histogram:
        return self.histograms.setdefault(name, Histogram())

    def expose(self) -> str:
        parts = [render_counter(name, value, "Aurora counter") for name, value in sorted(self.counters.items())]
        parts += [render_histogram(name, hist, "Aurora latency (ms)") for name, hist in sorted(self.histograms.items())]
        return "".join(parts)
''')

TOKENS = py('''"""API tokens: issue, hash and verify the bearer tokens clients send."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

TOKEN_PREFIX = "nwk_"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    digest: str
    tenant: str
    scopes: frozenset[str]
    expires_at: float | None = None

    def allows(self, scope: str, now: float | None = None) -> bool:
        if self.expires_at is not None and (now or time.time()) >= self.expires_at:
            return False
        return scope in self.scopes or "*" in self.scopes


def hash_token(token: str, pepper: bytes) -> str:
    return hmac.new(pepper, token.encode("utf-8"), hashlib.sha256).hexdigest()


def issue_token(tenant: str, scopes: set[str], pepper: bytes, ttl_s: float | None = None) -> tuple[str, TokenRecord]:
    """Create a new token; returns the plaintext (shown once) and the record to store."""
    token_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(24)}"
    expires = time.time() + ttl_s if ttl_s else None
    return token, TokenRecord(token_id, hash_token(token, pepper), tenant, frozenset(scopes), expires)


def parse_bearer(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):].strip()
    return token if token.startswith(TOKEN_PREFIX) else None


def verify(token: str, records: dict[str, TokenRecord], pepper: bytes) -> TokenRecord | None:
    """Find the record for ``token`` and check its digest in constant time."""
    try:
        token_id = token[len(TOKEN_PREFIX):].split("_", 1)[0]
    except IndexError:
        return None
    record = records.get(token_id)
    if record is None:
        return None
    return record if hmac.compare_digest(record.digest, hash_token(token, pepper)) else None
''')

RATELIMIT = py('''"""Per-tenant token-bucket rate limiting for the public API."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class Bucket:
    capacity: float
    refill_per_s: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_s)
        self.updated = now


class RateLimiter:
    """One token bucket per tenant; a request costs its number of tokens requested."""

    def __init__(self, capacity: float = 20000.0, refill_per_s: float = 2000.0) -> None:
        self.capacity = capacity
        self.refill_per_s = refill_per_s
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, tenant: str, now: float) -> Bucket:
        bucket = self._buckets.get(tenant)
        if bucket is None:
            bucket = Bucket(self.capacity, self.refill_per_s, self.capacity, now)
            self._buckets[tenant] = bucket
        return bucket

    def try_acquire(self, tenant: str, cost: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._bucket(tenant, now)
            bucket.refill(now)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return True
            return False

    def retry_after(self, tenant: str, cost: float, now: float | None = None) -> float:
        """Seconds until ``cost`` tokens will be available for ``tenant``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._bucket(tenant, now)
            bucket.refill(now)
            missing = cost - bucket.tokens
            return max(0.0, missing / self.refill_per_s)
''')

ROUTES = py('''"""The /v1 API routes: completions, model listing and metrics."""

from __future__ import annotations

import uuid
from typing import Any

from aurora.batching.queue import PendingRequest, QueueFull, RequestQueue
from aurora.metrics.prometheus import MetricsRegistry
from aurora.models.registry import ModelRegistry
from aurora.server.app import app

QUEUE = RequestQueue()
MODELS = ModelRegistry()
METRICS = MetricsRegistry()

MAX_NEW_TOKENS = 1024


def _validate_completion(body: dict[str, Any]) -> tuple[str, int]:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("'prompt' must be a non-empty string")
    max_tokens = int(body.get("max_tokens", 128))
    if not 1 <= max_tokens <= MAX_NEW_TOKENS:
        raise ValueError(f"'max_tokens' must be between 1 and {MAX_NEW_TOKENS}")
    return prompt, max_tokens


@app.route("POST", "/v1/completions")
def create_completion(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    prompt, max_tokens = _validate_completion(body)
    request_id = f"cmpl-{uuid.uuid4().hex[:12]}"
    request = PendingRequest(0.0, request_id, [], max_tokens, payload={"prompt": prompt})
    try:
        QUEUE.put(request)
    except QueueFull:
        METRICS.inc("aurora_rejected_total")
        return 503, {"error": "server busy, retry later"}
    METRICS.inc("aurora_requests_total")
    return 200, {"id": request_id, "status": "queued"}


@app.route("GET", "/v1/models")
def list_models(_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"data": [{"id": name, "object": "model"} for name in MODELS.names()]}


@app.route("GET", "/metrics")
def metrics(_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"text": METRICS.expose()}
''')

MIDDLEWARE = py('''"""WSGI middleware: request ids, authentication and access logging."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from aurora.auth.tokens import TokenRecord, parse_bearer, verify

log = logging.getLogger("aurora.access")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PUBLIC_PATHS = frozenset({"/healthz", "/metrics"})


def request_id_middleware(inner: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.setdefault("HTTP_X_REQUEST_ID", uuid.uuid4().hex)
        return inner(environ, start_response)

    return wrapped


def auth_middleware(inner: WsgiApp, records: dict[str, TokenRecord], pepper: bytes) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in PUBLIC_PATHS:
            return inner(environ, start_response)
        token = parse_bearer(environ.get("HTTP_AUTHORIZATION"))
        record = verify(token, records, pepper) if token else None
        if record is None:
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error": "invalid or missing token"}']
        environ["aurora.tenant"] = record.tenant
        return inner(environ, start_response)

    return wrapped


def access_log_middleware(inner: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, *rest)

        result = inner(environ, capture)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        log.info("%s %s %s %.1fms rid=%s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                 seen.get("status", "-"), elapsed_ms, environ.get("HTTP_X_REQUEST_ID"))
        return result

    return wrapped
''')

RETRY = py('''"""Retry helpers with exponential backoff and jitter for calls to storage."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def backoff_delays(base_s: float = 0.1, factor: float = 2.0, cap_s: float = 5.0, attempts: int = 5,
                   rng: random.Random | None = None) -> list[float]:
    """Full-jitter exponential backoff: each delay drawn from [0, min(cap, base * factor**n)]."""
    rng = rng or random.Random()
    return [rng.uniform(0, min(cap_s, base_s * factor**n)) for n in range(attempts)]


def retry(
    exceptions: tuple[type[BaseException], ...] = (OSError,),
    attempts: int = 5,
    base_s: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: call the function again on ``exceptions``, sleeping between attempts."""

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args: object, **kwargs: object) -> T:
            delays = backoff_delays(base_s=base_s, attempts=attempts - 1)
            for delay in delays:
                try:
                    return func(*args, **kwargs)
                except exceptions:
                    sleep(delay)
            return func(*args, **kwargs)

        return wrapper

    return decorate
''')

LOGGING = py('''"""Structured JSON logging for the serving process."""

from __future__ import annotations

import json
import logging
import sys
import time

RESERVED = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(level: str = "info", json_output: bool = True) -> None:
    """Configure the root logger once for the whole process."""
    handler = logging.StreamHandler(sys.stderr)
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
''')

CLI = py('''"""Command line entry point: ``aurora serve`` and ``aurora check-config``."""

from __future__ import annotations

import argparse
import sys
from wsgiref.simple_server import make_server

from aurora import __version__
from aurora.config import load_config
from aurora.server.app import app


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aurora", description="Northwind Labs model server")
    parser.add_argument("--version", action="version", version=f"aurora {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--config", default=None)
    serve.add_argument("--port", type=int, default=None)
    check = sub.add_parser("check-config", help="validate a config file and print it")
    check.add_argument("path")
    return parser


def cmd_serve(config_path: str | None, port: int | None) -> int:
    config = load_config(config_path)
    listen_port = port or config.server.port
    with make_server(config.server.host, listen_port, app) as server:
        print(f"aurora {__version__} serving {config.default_model} on :{listen_port}", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            return 0
    return 0


def cmd_check_config(path: str) -> int:
    config = load_config(path)
    print(config)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return cmd_serve(args.config, args.port)
    return cmd_check_config(args.path)


if __name__ == "__main__":
    raise SystemExit(main())
''')

TEST_SAMPLING = py('''from __future__ import annotations

import random

import pytest

from aurora.models.sampling import greedy, sample, softmax, top_k_filter, top_p_filter


def test_softmax_sums_to_one():
    probs = softmax([1.0, 2.0, 3.0])
    assert abs(sum(probs) - 1.0) < 1e-9
    assert probs[2] > probs[1] > probs[0]


def test_softmax_rejects_zero_temperature():
    with pytest.raises(ValueError):
        softmax([1.0], temperature=0)


def test_greedy_picks_first_max():
    assert greedy([0.5, 2.0, 2.0, -1.0]) == 1


def test_top_k_keeps_k():
    kept = top_k_filter([0.1, 0.2, 0.3, 0.4], 2)
    assert kept[0] == kept[1] == 0.0
    assert abs(sum(kept) - 1.0) < 1e-9


def test_top_p_keeps_nucleus():
    kept = top_p_filter([0.5, 0.3, 0.15, 0.05], 0.7)
    assert kept[2] == kept[3] == 0.0


def test_sample_is_reproducible():
    logits = [0.1, 0.4, 1.3, 0.2]
    first = [sample(logits, rng=random.Random(7)) for _ in range(5)]
    second = [sample(logits, rng=random.Random(7)) for _ in range(5)]
    assert first == second
''')

TEST_LRU = py('''from __future__ import annotations

import pytest

from aurora.cache.lru import LRUCache


def test_evicts_least_recent():
    cache = LRUCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1


def test_hit_rate():
    cache = LRUCache(capacity=4)
    cache.put("x", 1)
    cache.get("x")
    cache.get("y")
    assert cache.hit_rate() == 0.5


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        LRUCache(capacity=0)


def test_clear_resets_counters():
    cache = LRUCache()
    cache.put(1, 1)
    cache.get(1)
    cache.clear()
    assert len(cache) == 0 and cache.hits == 0
''')

TEST_SCHEDULER = py('''from __future__ import annotations

import time

from aurora.batching.queue import PendingRequest, QueueFull, RequestQueue
from aurora.batching.scheduler import BatchScheduler


def _request(n: int) -> PendingRequest:
    return PendingRequest(time.monotonic(), f"r{n}", [1, 2, 3], 8)


def test_queue_limit():
    queue = RequestQueue(limit=1)
    queue.put(_request(0))
    try:
        queue.put(_request(1))
    except QueueFull:
        pass
    else:
        raise AssertionError("expected QueueFull")


def test_scheduler_batches_up_to_max():
    queue = RequestQueue()
    for n in range(5):
        queue.put(_request(n))
    seen: list[int] = []
    scheduler = BatchScheduler(queue, lambda batch: seen.append(len(batch)), max_batch_size=3, max_wait_ms=1)
    scheduler.step()
    scheduler.step()
    assert seen == [3, 2]


def test_expired_requests_are_dropped():
    queue = RequestQueue()
    stale = _request(9)
    stale.deadline = time.monotonic() - 1
    queue.put(stale)
    assert queue.take(4, 0.01) == []
''')

TEST_RATELIMIT = py('''from __future__ import annotations

from aurora.auth.ratelimit import RateLimiter


def test_bucket_drains_and_refills():
    limiter = RateLimiter(capacity=10, refill_per_s=5)
    assert limiter.try_acquire("t1", 10, now=0.0)
    assert not limiter.try_acquire("t1", 1, now=0.0)
    assert limiter.try_acquire("t1", 5, now=1.0)


def test_tenants_are_independent():
    limiter = RateLimiter(capacity=3, refill_per_s=1)
    assert limiter.try_acquire("a", 3, now=0.0)
    assert limiter.try_acquire("b", 3, now=0.0)


def test_retry_after():
    limiter = RateLimiter(capacity=4, refill_per_s=2)
    limiter.try_acquire("a", 4, now=0.0)
    assert limiter.retry_after("a", 2, now=0.0) == 1.0
''')

TEST_TOKENS = py('''from __future__ import annotations

from aurora.auth.tokens import TOKEN_PREFIX, issue_token, parse_bearer, verify

PEPPER = b"test-pepper"


def test_issue_and_verify_roundtrip():
    token, record = issue_token("acme", {"complete"}, PEPPER)
    assert token.startswith(TOKEN_PREFIX)
    assert verify(token, {record.token_id: record}, PEPPER) == record
    assert record.allows("complete")
    assert not record.allows("admin")


def test_wrong_pepper_fails():
    token, record = issue_token("acme", {"*"}, PEPPER)
    assert verify(token, {record.token_id: record}, b"other") is None


def test_parse_bearer():
    assert parse_bearer("Bearer nwk_abc_def") == "nwk_abc_def"
    assert parse_bearer("Basic xyz") is None
    assert parse_bearer(None) is None
''')

README = """\
# Aurora

Aurora is Northwind Labs' internal model-serving service. It exposes our language
models over a small JSON HTTP API, batches concurrent requests dynamically and keeps a
paged key/value cache so long prompts stay cheap.

## Layout

- `aurora/server` - WSGI app, routes and middleware
- `aurora/batching` - request queue and the dynamic batch scheduler
- `aurora/models` - model registry, checkpoint loader, tokenizer and sampling
- `aurora/cache` - LRU and paged KV-cache bookkeeping
- `aurora/metrics` - latency histograms and Prometheus exposition

## Running locally

    pip install -e .
    aurora serve --config config/aurora.yaml

Internal only. Do not share outside Northwind Labs.
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "aurora"
version = "0.1.0"
description = "Northwind Labs model serving"
requires-python = ">=3.11"
dependencies = []

[project.scripts]
aurora = "aurora.cli:main"

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

CONFIG_YAML = """\
# Aurora serving configuration (staging defaults)
model_dir: /var/lib/aurora/models
default_model: nw-small-2

server:
  host: 0.0.0.0
  port: 8080
  workers: 2
  request_timeout_s: 30

batch:
  max_batch_size: 16
  max_wait_ms: 8
  queue_limit: 512
"""

ARCH_MD = """\
# Aurora architecture

Requests enter through the WSGI app (`aurora/server/app.py`). Middleware assigns a
request id, checks the bearer token against the tenant's hashed token records and writes
an access log line. Completion requests are validated and put on a bounded queue.

A single scheduler thread drains the queue. It waits at most `max_wait_ms` for the
first request, then keeps collecting until the batch is full or the wait budget is spent.
The batch is handed to the model runner, which allocates KV-cache blocks per sequence
from the block allocator and frees them when a sequence finishes.

## Why dynamic batching

Our GPUs are memory-bandwidth bound at small batch sizes. Grouping 8-16 requests
raises throughput about 5x at a p50 latency cost of a few milliseconds.

## Failure handling

- A full queue answers 503 so the load balancer can retry on another replica.
- A failed batch is logged and the scheduler keeps running.
- Checkpoint shards are verified by SHA-256 before a model is activated.
"""

DEPLOY_MD = """\
# Deploying Aurora

Aurora ships as a container image built by the `aurora-image` pipeline.

1. Bump `__version__` in `aurora/__init__.py` and tag the release (`vX.Y.Z`).
2. The pipeline builds the image and pushes it to the internal registry.
3. Roll out to the `staging` pool first; watch `aurora_rejected_total` and the
   p99 of `aurora_latency_ms` for thirty minutes.
4. Promote to `prod-east` and `prod-west` with the usual canary (5%, 25%, 100%).

## Configuration

The service reads `/etc/aurora/aurora.yaml` unless `AURORA_CONFIG` points elsewhere.
Tokens are checked with a pepper read from the `AURORA_TOKEN_PEPPER` secret.

## Rollback

Re-deploy the previous tag. KV-cache state is per process, so no migration is needed.
"""

API_MD = """\
# Aurora HTTP API (v1)

All routes except `/healthz` and `/metrics` need `Authorization: Bearer nwk_...`.

## POST /v1/completions

Body: `{"prompt": "...", "max_tokens": 128, "temperature": 0.7}`.
Returns `{"id": "cmpl-...", "status": "queued"}`; 400 on a bad body, 429 when the
tenant is over its token budget, 503 when the server queue is full.

## GET /v1/models

Lists the models this replica can serve.

## GET /healthz

Liveness probe; always `{"status": "ok"}` while the process runs.
"""
