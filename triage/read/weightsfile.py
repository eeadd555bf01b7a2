"""A drop that is one model weights file (``triage scan model.safetensors``): one member, itself.

Only a top-level file is read this way: a torch checkpoint or an ``.npz`` is a zip, and would
otherwise be opened as an archive of its storages. Inside archives, weights members are kept
whole by ``triage.read.weights``.
"""

from __future__ import annotations

from pathlib import Path

from triage.read.base import Source
from triage.read.single import iter_members  # one member, itself
from triage.read.weights import kind as weights_kind


def detect(head: bytes, path: Path | None) -> bool:
    if path is None or not path.is_file():
        return False
    return weights_kind(head, path.stat().st_size) is not None


def kind(source: Source) -> str:
    return f"weights:{weights_kind(source.head, source.size)}"


__all__ = ["detect", "kind", "iter_members"]
