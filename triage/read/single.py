"""A drop that is one file and not an archive (``triage scan attachment.pdf``): one member, itself.

An extortion e-mail often carries a single file: a document, a dump, a source file. It is read
like a file of a directory drop (opened read-only without following links) and named by its
base name. Office documents and e-books are zips, but a document given alone is one file too,
not an archive of its XML parts. Never chosen by content detection: ``triage.read`` picks it for
a top-level file that no archive reader takes and whose name does not promise an archive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from triage.read.base import FILE, Context, Entry, Source
from triage.read.directory import open_regular


def detect(head: bytes, path: Path | None) -> bool:
    return False  # chosen explicitly for a top-level file (see the module docstring)


def kind(source: Source) -> str:
    return "file"


def iter_members(source: Source, ctx: Context) -> Iterator[Entry]:
    assert source.path is not None
    path = str(source.path)
    mtime = os.stat(path).st_mtime
    yield Entry(source.raw, FILE, open=lambda: open_regular(path), mtime=mtime, path=os.path.abspath(path))
