"""Model weights in ``fingerprint()``: detect a weights file, read its per-tensor records under a
time limit, and fingerprint files too large to hold in memory straight from a read-only map.

A weights file that cannot be parsed (truncated, over a limit, hostile) is not an error of the
run: its ``WeightsPrint`` carries the reason and the content is fingerprinted as ordinary bytes.
A large file (``Spilled``) is hashed whole in one thread while its tensors are read in another:
hashlib releases the GIL, so the two SHA-256 passes (file and tensors) overlap.
"""

from __future__ import annotations

import gc
import hashlib
import mmap
import os
import stat
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from triage.errors import InputError
from triage.fingerprint.tensors import (
    MIN_INFORMATIVE_ELEMENTS,
    SKETCH_SEED,
    SKETCH_SIZE,
    TensorRecord,
    WeightLimits,
    WeightsError,
    detect_weights,
    read_weights,
)
from triage.model import Spilled

# Wall time for reading one weights file's tensors (a 400 GB checkpoint at 0.7 GB/s); past it the
# tensors read so far are kept and the record says it is incomplete.
WEIGHTS_MAX_SECONDS = 600.0
# Notes kept per weights file (a hostile file can produce one per tensor).
MAX_NOTES = 50
# Below this size the file hash and the tensors are computed one after the other (a thread
# costs more than it saves on small files).
PARALLEL_HASH_BYTES = 64 * 1024 * 1024
# What enters PARAMS: every setting that changes a stored tensor record.
PARAMS = (
    f"tensor-sha256-c-order;sketch-{SKETCH_SIZE}-f32-{SKETCH_SEED:#x};min-elements-{MIN_INFORMATIVE_ELEMENTS}"
)

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# Library errors a hostile file may still raise past the parsers' own checks: a note, not a crash.
_PARSE_ERRORS = (
    WeightsError, ValueError, IndexError, KeyError, TypeError, OverflowError, RecursionError,
    EOFError, NotImplementedError, zipfile.BadZipFile, zlib.error,
)  # fmt: skip


@dataclass(frozen=True)
class WeightsPrint:
    """The tensors of one weights file, or why they could not be read (``error``).

    ``complete`` is False when the time or tensor limit stopped reading part way: the records
    are then a prefix of the file's tensors. The pickle of a torch checkpoint is never executed
    (it is walked as opcodes), for every format alike.
    """

    format: str
    records: tuple[TensorRecord, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    complete: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def informative(self) -> int:
        return sum(1 for r in self.records if not r.uninformative)


def extract(data: bytes | memoryview | mmap.mmap, size: int | None = None) -> WeightsPrint | None:
    """The weights records of ``data`` when it is a weights file by content, else None."""
    kind = detect_weights(data)
    if kind is None:
        return None
    try:
        w = read_weights(data, kind, WeightLimits(max_seconds=WEIGHTS_MAX_SECONDS))
    except _PARSE_ERRORS as exc:
        return WeightsPrint(kind, error=f"{kind} file not readable as weights: {str(exc)[:300]}")
    except MemoryError:
        return WeightsPrint(kind, error=f"{kind} file needs more memory than allowed")
    stopped = any(n.startswith(("time limit", "truncated")) for n in w.notes)
    notes = tuple(n[:300] for n in w.notes[:MAX_NOTES])
    if len(w.notes) > MAX_NOTES:
        notes += (f"... {len(w.notes) - MAX_NOTES} more notes",)
    return WeightsPrint(kind, w.records, notes, None, not stopped)


def open_spilled(sp: Spilled) -> int:
    """A read-only descriptor of a spilled file, refusing links and anything not regular or
    of another size than recorded (it changed since it was listed)."""
    try:
        fd = os.open(sp.path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputError(f"cannot read {sp.path}: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size != sp.size:
        os.close(fd)
        raise InputError(f"{sp.path} changed while it was read (size {sp.size} when listed)")
    return fd


def hash_and_extract(mm: mmap.mmap) -> tuple[str, WeightsPrint | None]:
    """SHA-256 of the whole map and its weights records, in parallel for large maps."""
    if len(mm) < PARALLEL_HASH_BYTES:
        return hashlib.sha256(mm).hexdigest(), extract(mm)
    with ThreadPoolExecutor(1) as pool:
        whole = pool.submit(lambda: hashlib.sha256(mm).hexdigest())
        wp = extract(mm)
        return whole.result(), wp


def close_map(mm: mmap.mmap) -> None:
    """Close a map once the readers' memoryviews of it are gone (they may sit in a cycle)."""
    try:
        mm.close()
    except BufferError:
        gc.collect()
        mm.close()
