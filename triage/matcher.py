"""Find the few internal candidates a dropped file may derive from, and compare it with them.

Candidates come from indexed lookups only, never from a pass over the inventory:
- the inverted index of specific lines (postings), for containment: truncations, chimeras,
  concatenations, files with inserted lines;
- LSH bands of the token and shape MinHash sketches, for similarity that survives reformatting,
  minification and renaming;
- contents ever held at the same internal path or under the same file name.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from triage.classify import Scored
from triage.compare import Comparison, View, WeightFn, binary_view, compare, hashes_view, text_view
from triage.fingerprint import Fingerprint
from triage.fingerprint.filetype import decode
from triage.fingerprint.minhash import band_keys, distinct
from triage.inventory.store import Store

# Lines held by more internal paths than this are boilerplate and do not nominate candidates.
POSTING_DF_LIMIT = 20
# Candidates kept from each lookup, and in all, per dropped file.
PER_LOOKUP = 6
MAX_CANDIDATES = 16
# Contents tied at a lookup's cut on one shared line or band are ordered by SHA-256 when at most
# this many, and left out when more (see ``top``).
TIE_BREAK_MAX = 32
# Same-path candidates: the most recent versions held at that path (and under that file name,
# unless more internal paths than SAME_NAME_MAX_PATHS have it: a README.md or an index.js says
# nothing about which file a dropped one came from; the largest count in the accuracy
# benchmark's inventories is 13, __init__.py).
SAME_PATH_VERSIONS = 4
SAME_NAME_MAX_PATHS = 50
# An LSH band held by more contents than this nominates none of them: like a line held at many
# paths, it is what files of one shape share (configs, locales, generated code), and its bucket
# grows with the inventory (13k contents for one band at 250k contents, 54k at 1M). The largest
# bucket in the accuracy benchmark's inventories is 669.
BAND_BUCKET_MAX = 1000


# Analysed candidate views kept across the files of one scan (the same internal files are
# candidates of many dropped files), bounded by the memory they hold: a view holds about
# VIEW_MEMORY_PER_BYTE bytes per byte of content (text, lines, hashes, categories, token hashes;
# measured 6-7x on source files), so the cache keeps ~32 MB of contents.
VIEW_MEMORY_PER_BYTE = 8
VIEW_CACHE_BYTES = 256 * 1024 * 1024
# Line frequencies and band buckets remembered during one scan (~100 bytes a line, ~40 bytes
# an id in a bucket).
DF_CACHE_ENTRIES = 300_000
# A text with more lines than this is compared by its line hashes alone (no diff, no tokens):
# a view keeps every line, blank ones too, as a Python list (a hostile file of 60M line feeds
# took 1.3 GB).
MAX_VIEW_LINES = 2_500_000
BUCKET_CACHE_IDS = 1_000_000


def _footprint(row: dict) -> int:
    return VIEW_MEMORY_PER_BYTE * len(row["body"] or b"")


class ViewCache:
    """Content id -> (row, View), least recently used first out, bounded by the views' memory."""

    def __init__(self, max_bytes: int = VIEW_CACHE_BYTES):
        self.max_bytes = max_bytes
        self.used = 0
        self.items: OrderedDict[int, tuple[dict, View | None]] = OrderedDict()
        self.df: dict[int, int] = {}  # line hash -> internal paths holding it (1: not in line_df)
        self.buckets: dict[int, list[int] | None] = {}  # band key -> its contents (None: too many)
        self.bucket_ids = 0  # ids held in ``buckets`` (and one per key)
        self.sha: dict[int, str] = {}  # content id -> SHA-256, for ties (see ``top``)

    def bands(self, store: Store, keys: list[int]) -> dict[int, int]:
        """``store.candidates_by_bands(keys, BAND_BUCKET_MAX)``, remembering each key's bucket for
        the next files (files of one shape share their large buckets)."""
        missing = [k for k in set(keys) if k not in self.buckets]
        if self.bucket_ids + len(missing) * BAND_BUCKET_MAX > BUCKET_CACHE_IDS:
            self.buckets.clear()
            self.bucket_ids = 0
            missing = list(set(keys))
        got = store.band_buckets(missing, BAND_BUCKET_MAX)
        self.bucket_ids += sum(len(c) for c in got.values() if c) + len(got)
        self.buckets.update(got)
        counts: dict[int, int] = {}
        for key in set(keys):
            for cid in self.buckets[key] or ():
                counts[cid] = counts.get(cid, 0) + 1
        return counts

    def sha256_of(self, store: Store, cids: list[int]) -> dict[int, str]:
        """``store.sha256_of``, remembered for the next files (bounded like the line frequencies)."""
        missing = [c for c in cids if c not in self.sha]
        if len(self.sha) + len(missing) > DF_CACHE_ENTRIES:
            self.sha.clear()
            missing = list(cids)
        self.sha.update(store.sha256_of(missing))
        return {c: self.sha[c] for c in cids}

    def line_df(self, store: Store, hashes: set[int]) -> dict[int, int]:
        """``store.line_df`` of these hashes (the lines held at 2+ paths), remembering every
        answer for the next files: boilerplate and the same candidates' lines come back."""
        missing = [h for h in hashes if h not in self.df]
        if len(missing) > DF_CACHE_ENTRIES:  # one very long file: ask, remember nothing
            found = store.line_df(missing)
            return {h: n for h in hashes if (n := self.df.get(h) or found.get(h, 1)) != 1}
        if len(self.df) + len(missing) > DF_CACHE_ENTRIES:
            self.df.clear()
            missing = list(hashes)
        found = store.line_df(missing)
        for h in missing:
            self.df[h] = found.get(h, 1)
        return {h: n for h in hashes if (n := self.df[h]) != 1}

    def get(self, store: Store, cids: list[int]) -> dict[int, tuple[dict, View | None]]:
        out = {}
        missing = []
        for cid in cids:
            if cid in self.items:
                self.items.move_to_end(cid)
                out[cid] = self.items[cid]
            else:
                missing.append(cid)
        for cid, row in store.content_rows(missing).items():
            stored = np.frombuffer(row["lines"], dtype="<u4").astype(np.uint32) if row["lines"] else None
            if row["body"] is not None:
                view = view_of(row["body"], row["kind"], stored)
            else:  # too large for the index to keep its bytes: compared by its hashes
                view = hashes_view(row["kind"], stored) if stored is not None and len(stored) else None
            out[cid] = (row, view)
            self.items[cid] = out[cid]
            self.used += _footprint(row)
            while self.used > self.max_bytes and len(self.items) > 1:
                _, (old, _v) = self.items.popitem(last=False)
                self.used -= _footprint(old)
        return out


@dataclass
class Matched:
    """A dropped file's candidates with their figures and the views needed for diffs."""

    drop_view: View
    scored: list[Scored]
    views: dict[int, View]
    rows: dict[int, dict]
    occurrences: dict[int, list[tuple]]


def line_weight(df: dict[int, int]):
    """Boilerplate discount: a line held by ``n`` internal paths weighs min(1, 2/n)."""
    keys = np.fromiter(df, dtype=np.int64, count=len(df))
    order = np.argsort(keys)
    keys = keys[order]
    vals = np.minimum(1.0, 2.0 / np.fromiter(df.values(), dtype=np.float64, count=len(df))[order])

    def weight(hashes: np.ndarray) -> np.ndarray:
        w = np.ones(len(hashes), dtype=float)
        if len(keys) and len(hashes):
            h = hashes.astype(np.int64)
            at = np.minimum(np.searchsorted(keys, h), len(keys) - 1)
            found = keys[at] == h
            w[found] = vals[at[found]]
        return w

    return weight


def view_of(data: bytes, kind: str, line_hashes: np.ndarray | None = None,
            informative: np.ndarray | None = None) -> View | None:
    if kind == "text" and line_hashes is not None and data.count(b"\n") > MAX_VIEW_LINES:
        return hashes_view(kind, line_hashes)  # millions of (blank) lines: ~8 bytes each as a list
    if kind == "text":
        dec = decode(data)
        if dec is None:
            return None
        return text_view(dec[0], data, line_hashes, informative)
    if kind == "binary":
        return binary_view(data)
    return None


def top(store: Store, counts: dict[int, int], n: int, cache: ViewCache | None = None) -> list[int]:
    """Up to ``n`` contents with the highest counts, in order, ties by SHA-256, never by content
    id: ids are numbered in the order index workers wrote them, which several workers filling a
    shared index do not fix, and the same history must give the same candidates in the same order.

    When more contents than TIE_BREAK_MAX tie at the cut on a single shared line or band, none of
    them is taken: they share that one line or band with the file like hundreds of others, and
    reading all their hashes cost more than they are worth (11.6 s of a 1M-content scan). Ties on
    two or more (the versions of one file, sharing most of their lines) are always ordered."""
    if not counts:
        return []
    cut = heapq.nlargest(n, counts.values())[-1]
    kept = [cid for cid, c in counts.items() if c > cut]
    tied = [cid for cid, c in counts.items() if c == cut]
    if len(kept) + len(tied) <= n or len(tied) <= TIE_BREAK_MAX or cut > 1:
        kept += tied
    sha = ordering(store, kept, cache)
    return sorted(kept, key=lambda cid: (-counts[cid], sha[cid]))[:n]


def ordering(store: Store, cids: list[int], cache: ViewCache | None) -> dict[int, str]:
    return cache.sha256_of(store, cids) if cache else store.sha256_of(cids)


def find_candidates(store: Store, fp: Fingerprint, internal_path: str | None,
                    cache: ViewCache | None = None) -> list[int]:
    picked: list[int] = []

    def take(counts: dict[int, int]) -> None:
        for cid in top(store, counts, PER_LOOKUP, cache):
            if cid not in picked:
                picked.append(cid)

    for col, val in (("ws_sha256", fp.ws_sha256), ("norm_sha256", fp.norm_sha256)):
        if val:
            same = store.contents_by(col, [val]).get(val, [])
            sha = ordering(store, same, cache)
            for cid in sorted(same, key=sha.__getitem__):
                if cid not in picked:
                    picked.append(cid)
    if len(fp.lines):
        hashes = fp.lines[fp.informative] if fp.kind == "text" else fp.lines
        take(store.candidates_by_postings(np.unique(hashes).tolist(), POSTING_DF_LIMIT))
    keys = [k for space, sig in fp.sketches() for k in band_keys(sig, space)]
    if keys:
        take(cache.bands(store, keys) if cache else store.candidates_by_bands(keys, BAND_BUCKET_MAX))
    if internal_path:
        base = internal_path.rsplit("/", 1)[-1]
        for cid in (*store.newest_at(internal_path, SAME_PATH_VERSIONS),
                    *(store.newest_named(base, SAME_PATH_VERSIONS, SAME_NAME_MAX_PATHS) or ())):
            if cid not in picked:
                picked.append(cid)
    return picked[:MAX_CANDIDATES]


def match(store: Store, fp: Fingerprint, data: bytes, internal_path: str | None,
          cache: ViewCache | None = None) -> Matched | None:
    """Compare a dropped file with its candidates (None when it cannot be analysed as text or bytes)."""
    text = fp.kind == "text"  # the fingerprint's line hashes are the view's: not computed twice
    dview = view_of(data, fp.kind, fp.lines if text else None, fp.informative if text else None)
    if dview is None:
        return None
    cache = cache or ViewCache()
    cids = find_candidates(store, fp, internal_path, cache)
    got = cache.get(store, cids)
    rows = {cid: row for cid, (row, _v) in got.items()}
    views: dict[int, View] = {}
    for cid in cids:
        row, v = got.get(cid, (None, None))
        if row is None or v is None or (row["kind"] == "text") != text:
            continue
        views[cid] = v
    weight: WeightFn = lambda h: np.ones(len(h))  # noqa: E731
    if text:
        hashes = distinct(np.concatenate([dview.hashes, *(v.hashes for v in views.values())]))
        weight = line_weight(cache.line_df(store, hashes.tolist()))
    occ = store.occurrences(views)
    scored: list[Scored] = []
    for cid, v in views.items():
        cmp: Comparison = compare(dview, v, weight)
        lineage = occ[cid][-1][0] if occ.get(cid) else str(cid)
        scored.append(Scored(cid, lineage, cmp, rows[cid]["sha256"]))
    return Matched(dview, scored, views, rows, occ)
