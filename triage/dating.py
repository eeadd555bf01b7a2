"""When was it taken: life spans of matched contents and the drop's snapshot windows.

The index stores, per commit, only what differs from its first parent. ``History`` replays
those changes in topological order for just the paths a drop touches, giving a
(commits x paths) matrix of content ids; life spans and windows are read off that matrix.

A window is the set of commits whose trees hold the most drop files at their path with their
content. Files that do not fit the main window are ``contradicting``; when enough of them fit
another moment together, the drop is ``mixed`` and that moment is a further window (an old
backup folder inside a newer checkout, or a doctored copy).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from triage.inventory.indexer import iso
from triage.inventory.store import Store

# A second moment is reported only when at least this many files, and this share of the dated
# files, fit it together and not the main window: one stray file is a contradiction, not a mix.
MIX_MIN_FILES = 2
MIX_MIN_SHARE = 0.05
MAX_WINDOWS = 4
# Commit ids listed per window and per contradicting file (the counts are always given).
MAX_LISTED_COMMITS = 500


@dataclass(frozen=True)
class FileAt:
    """A dated drop file: the internal path it sits at and the content it holds there.

    ``via`` is "exact" for real/outdated files and "source" for an altered file dated through
    its unambiguous internal source version.
    """

    drop_path: str
    path_id: int | None
    content_id: int
    via: str = "exact"


class History:
    def __init__(self, store: Store):
        rows = store.commits_table()
        self.store = store
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.row_of = {int(cid): i for i, cid in enumerate(self.ids)}
        self.source = np.array([r[1] for r in rows], dtype=np.int64)
        self.oid = [r[2] for r in rows]
        self.first_parent = np.array([self.row_of.get(r[3], -1) if r[3] is not None else -1 for r in rows],
                                     dtype=np.int64)
        self.date = np.array([r[5] for r in rows], dtype=np.int64)
        self.refs: dict[str, int] = {}
        self.tips: dict[int, int] = {}
        for source_id, name, commit_id, is_default in store.refs():
            row = self.row_of.get(commit_id)
            if row is None:
                continue
            self.refs[name] = row
            if is_default:
                self.tips[source_id] = row
        self.mainline = self._chain_mask(self.tips.values())

    def _chain_mask(self, heads) -> np.ndarray:
        mask = np.zeros(len(self.ids), dtype=bool)
        for row in heads:
            while row >= 0 and not mask[row]:
                mask[row] = True
                row = int(self.first_parent[row])
        return mask

    def chain(self, head: int) -> np.ndarray:
        return self._chain_mask([head])

    def tip_at(self, source_id: int, ts: int) -> int | None:
        """The default branch's commit in force at a date (latest first-parent commit not after it)."""
        tip = self.tips.get(source_id)
        if tip is None:
            return None
        rows = np.nonzero(self.chain(tip))[0]
        rows = rows[self.date[rows] <= ts]
        return int(rows[np.argmax(self.date[rows])]) if len(rows) else None

    def states(self, path_ids: list[int]) -> np.ndarray:
        """Content id (0 = absent) of each path at each commit: shape (commits, len(path_ids))."""
        col = {p: j for j, p in enumerate(path_ids)}
        s = np.zeros((len(self.ids), len(path_ids)), dtype=np.int64)
        if not path_ids:
            return s
        by_commit: dict[int, list[tuple[int, int]]] = {}
        for commit_id, path_id, content_id in self.store.changes_for_paths(path_ids):
            row = self.row_of.get(commit_id)
            if row is not None:
                by_commit.setdefault(row, []).append((col[path_id], content_id or 0))
        for row in range(len(self.ids)):
            fp = self.first_parent[row]
            if fp >= 0:
                s[row] = s[fp]
            for j, c in by_commit.get(row, ()):
                s[row, j] = c
        return s

    def span(self, present: np.ndarray) -> dict:
        """First and last date, commit count and holding refs of a presence vector over commits."""
        rows = np.nonzero(present)[0]
        if len(rows) == 0:
            return {"first_seen": None, "last_seen": None, "present_in": 0, "current": False, "refs": []}
        dates = self.date[rows]
        return {
            "first_seen": iso(int(dates.min())),
            "last_seen": iso(int(dates.max())),
            "present_in": int(len(rows)),
            "current": any(bool(present[t]) for t in self.tips.values()),
            "refs": sorted(n for n, r in self.refs.items() if present[r]),
        }

    def describe(self, rows: np.ndarray) -> dict:
        """A window: oldest and newest commit (by date, then topological order), every commit id."""
        order = rows[np.lexsort((rows, self.date[rows]))]
        oldest, newest = int(order[0]), int(order[-1])
        return {
            "window": [self.oid[oldest], self.oid[newest]],
            "dates": [iso(int(self.date[oldest])), iso(int(self.date[newest]))],
            "commits": [self.oid[int(r)] for r in order[:MAX_LISTED_COMMITS]],
            "commit_count": int(len(order)),
            "newest": newest,
        }

    def branch_of(self, rows: np.ndarray) -> str | None:
        """The ref whose first-parent history holds most of these commits (the default wins ties)."""
        best, best_n = None, 0
        for name, head in sorted(self.refs.items(), key=lambda kv: (kv[1] not in self.tips.values(), kv[0])):
            n = int(self.chain(head)[rows].sum())
            if n > best_n:
                best, best_n = name, n
        return best


def _presence(history: History, files: list[FileAt]) -> tuple[list[FileAt], np.ndarray]:
    placed = [f for f in files if f.path_id is not None]
    path_ids = sorted({f.path_id for f in placed if f.path_id is not None})
    states = history.states(path_ids)
    col = {p: j for j, p in enumerate(path_ids)}
    pres = np.zeros((len(placed), len(history.ids)), dtype=bool)
    for i, f in enumerate(placed):
        pres[i] = states[:, col[f.path_id]] == f.content_id
    return placed, pres


def _window(history: History, pres: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, int]:
    """Commits holding the most of ``members``, and only those holding the same files: two
    moments that tie are two windows, not one. Of tied moments the newer is taken first."""
    support = pres[members].sum(axis=0)
    best = int(support.max()) if len(support) else 0
    rows = np.nonzero(support == best)[0]
    groups: dict[bytes, list[int]] = {}
    for r in rows:
        groups.setdefault(np.packbits(pres[members][:, r]).tobytes(), []).append(int(r))
    chosen = max(groups.values(), key=lambda g: (int(history.date[g].max()), max(g)))
    return np.array(sorted(chosen), dtype=np.int64), best


def snapshot(history: History, files: list[FileAt]) -> dict:
    """The drop's snapshot windows (report.json ``snapshot``)."""
    out = {"commit": None, "window": [None, None], "dates": [None, None], "support": 0, "files": len(files),
           "commits": [], "commit_count": 0, "branch": None, "contradicting": [], "mixed": False, "windows": []}
    placed, pres = _presence(history, files)
    if not placed or len(history.ids) == 0 or not pres.any():
        return out
    remaining = np.arange(len(placed))
    windows = []
    while len(remaining) and len(windows) < MAX_WINDOWS:
        rows, best = _window(history, pres, remaining)
        if best == 0:
            break
        fits = remaining[pres[remaining][:, rows].all(axis=1)]
        if windows and (len(fits) < MIX_MIN_FILES or len(fits) < MIX_MIN_SHARE * len(placed)):
            break
        win = history.describe(rows)
        win.update({"support": int(len(fits)), "files": [placed[i].drop_path for i in fits],
                    "branch": history.branch_of(rows),
                    "via_source": int(sum(1 for i in fits if placed[i].via == "source"))})
        windows.append(win)
        remaining = np.setdiff1d(remaining, fits)
        if not len(fits):
            break
    if not windows:
        return out
    main = windows[0]
    contradicting = []
    main_fit = set(main["files"])
    for i, f in enumerate(placed):
        if f.drop_path in main_fit:
            continue
        rows = np.nonzero(pres[i])[0]
        need = history.describe(rows) if len(rows) else None
        contradicting.append({
            "path": f.drop_path,
            "via": f.via,
            "needs": None if need is None else {"window": need["window"], "dates": need["dates"],
                                                  "commit_count": need["commit_count"]},
        })
    out.update({
        "commit": history.oid[main["newest"]],
        "window": main["window"],
        "dates": main["dates"],
        "support": main["support"],
        "commits": main["commits"],
        "commit_count": main["commit_count"],
        "branch": main["branch"],
        "contradicting": contradicting,
        "mixed": len(windows) > 1,
        "windows": [{k: v for k, v in w.items() if k != "newest"} for w in windows],
        "dated_files": len(placed),
    })
    return out


def drop_roots(pairs: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Per container (the part of a member path before its last ``!``), the folder prefix that
    maps drop paths onto internal paths, voted by exactly matched files."""
    votes: dict[str, Counter] = {}
    for drop_path, internal_paths in pairs:
        container, _, inner = drop_path.rpartition("!")
        for ip in internal_paths:
            if inner == ip:
                votes.setdefault(container, Counter())[""] += 1
            elif inner.endswith("/" + ip):
                votes.setdefault(container, Counter())[inner[: -len(ip)]] += 1
    return {c: v.most_common(1)[0][0] for c, v in votes.items()}


def internal_path(drop_path: str, roots: dict[str, str]) -> str:
    container, _, inner = drop_path.rpartition("!")
    root = roots.get(container)
    if root is None:
        # No exactly matched sibling: fall back to the top-level folder convention.
        root = inner.split("/", 1)[0] + "/" if "/" in inner and not container else ""
    return inner[len(root):] if root and inner.startswith(root) else inner
