"""The readers, in detection order. Adding a format = one module + one line here.

A reader module provides ``detect(head, path) -> bool`` (by content: ``head`` holds the first
bytes, ``path`` is set only for a top-level drop), ``kind(source) -> str`` (for
``describe_drop``) and ``iter_members(source, ctx) -> Iterator[Entry]`` which opens the
source at once (raising ``OpenError`` when it cannot) and yields entries lazily.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from triage.read import compressed, directory, gitdata, libarc, sourcemap, tar, weightsfile, zip

READERS: tuple[ModuleType, ...] = (
    directory,
    weightsfile,  # a drop that is one checkpoint (torch and npz are zips: before the zip reader)
    zip,
    compressed,  # gzip/bzip2/xz/zstd streams, and the tars inside them
    libarc,  # 7z, rar, cpio, ISO 9660 through libarchive (by magic; ISO's is at byte 32769)
    sourcemap,  # JSON source maps carrying sourcesContent
    gitdata,  # git bundles ("# v2 git bundle"): yield one EmbeddedRepo
    tar,  # last: detected by header checksum, not by a magic number at offset 0
)


def find(head: bytes, path: Path | None = None) -> ModuleType | None:
    """The first reader that recognises this content (or directory), or None."""
    for reader in READERS:
        if reader.detect(head, path):
            return reader
    return None
