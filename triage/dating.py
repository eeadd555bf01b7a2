"""When was it taken: the life span of matched contents and the drop's snapshot window.

The index stores, per commit, only what differs from its first parent. ``History`` replays
those changes in topological order for just the paths a drop touches, giving a
(commits x paths) matrix of content ids; life spans and windows are read off that matrix.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from triage.inventory.indexer import iso
from triage.inventory.store import SQLiteStore


@dataclass(frozen=True)
class FileAt:
    """A real or outdated drop file: the internal path it sits at and its content id."""

    drop_path: str
    path_id: int | None
    content_id: int


class History:
    def __init__(self, store: SQLiteStore):
        rows = store.commits_table()
        self.store = store
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.row_of = {int(cid): i for i, cid in enumerate(self.ids)}
        self.source = np.array([r[1] for r in rows], dtype=np.int64)
        self.oid = [r[2] for r in rows]
        self.first_parent = np.array([self.row_of.get(r[3], -1) if r[3] is not None else -1 for r in rows],
                                     dtype=np.int64)
        self.date = np.array([r[5] for r in rows], dtype=np.int64)
        self.tips = {}
        for source_id, name, commit_id, is_default in store.refs():
            if is_default and commit_id in self.row_of:
                self.tips[source_id] = self.row_of[commit_id]
        self.mainline = np.zeros(len(rows), dtype=bool)
        for row in self.tips.values():
            while row >= 0 and not self.mainline[row]:
                self.mainline[row] = True
                row = int(self.first_parent[row])

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
        """First and last date, and the commits, of a boolean presence vector over commits."""
        rows = np.nonzero(present)[0]
        if len(rows) == 0:
            return {"first_seen": None, "last_seen": None, "present_in": 0, "current": False}
        dates = self.date[rows]
        current = any(bool(present[t]) for t in self.tips.values())
        return {
            "first_seen": iso(int(dates.min())),
            "last_seen": iso(int(dates.max())),
            "present_in": int(len(rows)),
            "current": current,
        }


def snapshot(history: History, files: list[FileAt]) -> dict:
    """The window of commits whose trees hold the most drop files at their path with their content."""
    empty = {"commit": None, "window": [None, None], "dates": [None, None], "support": 0,
             "files": len(files), "commits": []}
    placed = [f for f in files if f.path_id is not None]
    if not placed or len(history.ids) == 0:
        return empty
    path_ids = sorted({f.path_id for f in placed if f.path_id is not None})
    states = history.states(path_ids)
    col = {p: j for j, p in enumerate(path_ids)}
    support = np.zeros(len(history.ids), dtype=np.int64)
    for f in placed:
        support += states[:, col[f.path_id]] == f.content_id
    best = int(support.max())
    if best == 0:
        return empty
    rows = np.nonzero(support == best)[0]
    # Prefer the default branch's first-parent line when it reaches the best support.
    main = rows[history.mainline[rows]]
    chosen = main if len(main) else rows
    order = chosen[np.lexsort((chosen, history.date[chosen]))]
    oldest, newest = int(order[0]), int(order[-1])
    return {
        "commit": history.oid[newest],
        "window": [history.oid[oldest], history.oid[newest]],
        "dates": [iso(int(history.date[oldest])), iso(int(history.date[newest]))],
        "support": best,
        "files": len(files),
        "commits": [history.oid[int(r)] for r in order],
        "branch": "default" if len(main) else "other",
    }


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
