"""A drop that is one model weights file (``triage scan model.safetensors``): one member, itself.

Only a top-level file is read this way: a torch checkpoint or an ``.npz`` is a zip, and would
otherwise be opened as an archive of its storages. Inside archives, weights members are kept
whole by ``triage.read.weights``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from triage.read.base import FILE, Context, Entry, Source
from triage.read.directory import open_regular
from triage.read.weights import kind as weights_kind


def detect(head: bytes, path: Path | None) -> bool:
    if path is None or not path.is_file():
        return False
    return weights_kind(head, path.stat().st_size) is not None


def kind(source: Source) -> str:
    return f"weights:{weights_kind(source.head, source.size)}"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    assert source.path is not None
    path = str(source.path)
    mtime = os.stat(path).st_mtime
    yield Entry(source.raw, FILE, open=lambda: open_regular(path), mtime=mtime, path=os.path.abspath(path))
