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
from functools import cached_property

import numpy as np

from triage.inventory.indexer import iso
from triage.inventory.store import Store
from triage.read.compressed import stem

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
    """The commits of the index, or of ``sources`` only: a commit holds a drop file at its path
    only in a history that held that content at all, and an organisation's other repositories
    would make every scan read all their commits."""

    def __init__(self, store: Store, sources: set[int] | None = None):
        table = store.commits_table(sources)
        self.store = store
        self.ids = table[:, 0].copy()
        self.row_of = {cid: row for row, cid in enumerate(self.ids.tolist())}
        self.source = table[:, 1].copy()
        self._oids: dict[int, str] = {}  # row -> commit oid, read when first named
        by_id = np.argsort(self.ids, kind="stable")
        parent = table[:, 2]
        at = np.minimum(np.searchsorted(self.ids[by_id], parent), max(len(self.ids) - 1, 0))
        known = (parent >= 0) & (self.ids[by_id][at] == parent) if len(self.ids) else parent >= 0
        self.first_parent = np.where(known, by_id[at], -1).astype(np.int64)
        self.date = table[:, 4].copy()
        self.refs: dict[str, int] = {}
        self.tips: dict[int, int] = {}
        held = [(sid, name, self.row_of[cid], is_default) for sid, name, cid, is_default in store.refs()
                if (sources is None or sid in sources) and cid in self.row_of]
        # Two histories both have a refs/heads/main: named by source when more than one is read.
        labels = store.source_names() if len({sid for sid, *_ in held}) > 1 else {}
        for source_id, name, row, is_default in held:
            self.refs[f"{labels[source_id]}:{name}" if labels else name] = row
            if is_default:
                self.tips[source_id] = row
        self._ref_names = sorted(self.refs)
        self._ref_rows = np.array([self.refs[n] for n in self._ref_names], dtype=np.int64)

    def oids(self, rows) -> list[str]:
        """The commit oids of these rows (read from the index for the rows not named before)."""
        rows = [int(r) for r in rows]
        missing = [r for r in rows if r not in self._oids]
        if missing:
            got = self.store.commit_oids(int(self.ids[r]) for r in missing)
            self._oids.update((r, got[int(self.ids[r])]) for r in missing)
        return [self._oids[r] for r in rows]

    def oid(self, row: int) -> str:
        return self.oids([row])[0]

    @cached_property
    def _tour(self) -> tuple[np.ndarray, np.ndarray]:
        """Pre-order entry and exit numbers over the first-parent forest: commit ``c`` is on the
        first-parent chain of ``head`` when ``enter[c] <= enter[head] < leave[c]``. One pass over
        the commits answers every chain question with array comparisons, however many refs."""
        n = len(self.ids)
        children: list[list[int]] = [[] for _ in range(n)]
        roots = []
        for row, parent in enumerate(self.first_parent.tolist()):
            (children[parent] if parent >= 0 else roots).append(row)
        enter, leave = [0] * n, [0] * n
        clock = 0
        stack = [(r, False) for r in reversed(roots)]
        while stack:
            row, done = stack.pop()
            if done:
                leave[row] = clock
                continue
            enter[row] = clock
            clock += 1
            stack.append((row, True))
            stack.extend((c, False) for c in reversed(children[row]))
        return np.array(enter, dtype=np.int64), np.array(leave, dtype=np.int64)

    def _chain_mask(self, heads) -> np.ndarray:
        enter, leave = self._tour
        mask = np.zeros(len(self.ids), dtype=bool)
        for row in heads:
            mask |= (enter <= enter[row]) & (enter[row] < leave)
        return mask

    @cached_property
    def mainline(self) -> np.ndarray:
        return self._chain_mask(self.tips.values())

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

    def states(self, path_ids: list[int]) -> States:
        """What each of these paths holds at every commit (see ``States``)."""
        return States(self, path_ids)

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

    def moment_span(self, states: States, held: np.ndarray) -> dict:
        """``span`` of the commits whose moment is in ``held`` (a mask over moments), from the
        moments' own figures: no pass over the commits."""
        held = held & (states.count > 0)
        if not held.any():
            return self.span(np.zeros(0, dtype=bool))
        return {
            "first_seen": iso(int(states.first[held].min())),
            "last_seen": iso(int(states.last[held].max())),
            "present_in": int(states.count[held].sum()),
            "current": any(bool(held[states.moment[t]]) for t in self.tips.values()),
            "refs": [self._ref_names[i] for i in np.nonzero(held[states.moment[self._ref_rows]])[0]],
        }

    def describe(self, rows: np.ndarray) -> dict:
        """A window: oldest and newest commit (by date, then topological order), every commit id."""
        order = rows[np.lexsort((rows, self.date[rows]))]
        oldest, newest = int(order[0]), int(order[-1])
        return {
            "window": self.oids([oldest, newest]),
            "dates": [iso(int(self.date[oldest])), iso(int(self.date[newest]))],
            "commits": self.oids(order[:MAX_LISTED_COMMITS]),
            "commit_count": int(len(order)),
            "newest": newest,
        }

    def branch_of(self, rows: np.ndarray) -> str | None:
        """The ref whose first-parent history holds most of these commits (the default wins ties)."""
        enter, leave = self._tour
        row_enter, row_leave = enter[rows], leave[rows]
        best, best_n = None, 0
        tips = set(self.tips.values())
        for name, head in sorted(self.refs.items(), key=lambda kv: (kv[1] not in tips, kv[0])):
            at = enter[head]
            n = int(np.count_nonzero((row_enter <= at) & (at < row_leave)))
            if n > best_n:
                best, best_n = name, n
        return best


class States:
    """What a few paths hold at every commit, kept once per moment.

    Most commits change none of the paths a drop touches: they hold what their first parent
    holds. A moment is a commit that changes one of them (moment 0: before any of them exists);
    ``moment[row]`` is the moment in force at each commit and ``table[m, j]`` the content id of
    path j at moment m (0 = absent). Memory grows with moments x paths, not commits x paths (a
    large history has hundreds of thousands of commits); per-moment commit counts, dates and
    last rows answer life spans and windows without a pass over the commits.
    """

    def __init__(self, history: History, path_ids: list[int]):
        self.col = {p: j for j, p in enumerate(path_ids)}
        events: dict[int, list[tuple[int, int]]] = {}
        if path_ids:
            for commit_id, path_id, content_id in history.store.changes_for_paths(path_ids):
                row = history.row_of.get(commit_id)
                if row is not None:
                    events.setdefault(row, []).append((self.col[path_id], content_id or 0))
        n = len(history.ids)
        moment = [0] * n
        base: list[int] = [0]  # per moment, the moment it was changed from
        changes: list[list[tuple[int, int]]] = [[]]
        # Rows are topological (a first parent comes first), so one pass assigns every moment.
        for row, parent in enumerate(history.first_parent.tolist()):
            m = moment[parent] if parent >= 0 else 0
            ch = events.get(row)
            if ch is not None:
                base.append(m)
                changes.append(ch)
                m = len(base) - 1
            moment[row] = m
        top = max((c for chs in changes for _j, c in chs), default=0)
        table = np.zeros((len(base), len(path_ids)), dtype=np.int32 if top < 2**31 else np.int64)
        for m in range(1, len(base)):
            table[m] = table[base[m]]
            for j, c in changes[m]:
                table[m, j] = c
        self.table = table
        self.moment = np.array(moment, dtype=np.int64)
        k = len(base)
        self.count = np.bincount(self.moment, minlength=k)
        self.first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        self.last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
        self.last_row = np.full(k, -1, dtype=np.int64)
        np.minimum.at(self.first, self.moment, history.date)
        np.maximum.at(self.last, self.moment, history.date)
        np.maximum.at(self.last_row, self.moment, np.arange(n, dtype=np.int64))

    def holding(self, path_id: int, content_id: int) -> np.ndarray:
        """Mask over moments: the path holds this content."""
        j = self.col.get(path_id)
        if j is None:
            return np.zeros(len(self.table), dtype=bool)
        return self.table[:, j] == content_id

    def commits(self, moments: np.ndarray) -> np.ndarray:
        """Commit rows (ascending) whose moment is in the mask ``moments``."""
        return np.nonzero(moments[self.moment])[0]


def _presence(history: History, files: list[FileAt]) -> tuple[list[FileAt], np.ndarray, States]:
    """The placed files and, per file, the moments at which its path holds its content."""
    placed = [f for f in files if f.path_id is not None]
    path_ids = sorted({f.path_id for f in placed if f.path_id is not None})
    states = history.states(path_ids)
    pres = np.zeros((len(placed), len(states.table)), dtype=bool)
    for i, f in enumerate(placed):
        pres[i] = states.holding(f.path_id, f.content_id)  # type: ignore[arg-type]
    return placed, pres, states


def _window(states: States, pres: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, int]:
    """Moments holding the most of ``members``, and only those holding the same files: two
    moments that tie are two windows, not one. Of tied moments the newer is taken first."""
    support = np.where(states.count > 0, pres[members].sum(axis=0), -1)
    best = int(support.max()) if len(support) else 0
    cols = np.nonzero(support == best)[0]
    groups: dict[bytes, list[int]] = {}
    sub = pres[members][:, cols]
    for i, m in enumerate(cols):
        groups.setdefault(np.packbits(sub[:, i]).tobytes(), []).append(int(m))
    chosen = max(groups.values(), key=lambda g: (int(states.last[g].max()), int(states.last_row[g].max())))
    return np.array(sorted(chosen), dtype=np.int64), best


def snapshot(history: History, files: list[FileAt]) -> dict:
    """The drop's snapshot windows (report.json ``snapshot``)."""
    out = {"commit": None, "window": [None, None], "dates": [None, None], "support": 0, "files": len(files),
           "commits": [], "commit_count": 0, "branch": None, "contradicting": [], "mixed": False, "windows": []}
    placed, pres, states = _presence(history, files)
    if not placed or len(history.ids) == 0 or not pres.any():
        return out
    remaining = np.arange(len(placed))
    windows = []
    while len(remaining) and len(windows) < MAX_WINDOWS:
        moments, best = _window(states, pres, remaining)
        if best == 0:
            break
        fits = remaining[pres[remaining][:, moments].all(axis=1)]
        mask = np.zeros(len(states.table), dtype=bool)
        mask[moments] = True
        rows = states.commits(mask)
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
        rows = states.commits(pres[i])
        need = history.describe(rows) if len(rows) else None
        contradicting.append({
            "path": f.drop_path,
            "via": f.via,
            "needs": None if need is None else {"window": need["window"], "dates": need["dates"],
                                                  "commit_count": need["commit_count"]},
        })
    out.update({
        "commit": history.oid(main["newest"]),
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


def unwrapped(drop_path: str) -> str:
    """The path a file had before it was compressed on its own: ``a/b.py.gz!b.py`` -> ``a/b.py``
    (the reader names a single compressed stream's file after the stream); other paths as they are."""
    container, _, inner = drop_path.rpartition("!")
    if not container or "/" in inner:
        return drop_path
    base = container.rpartition("!")[2].rpartition("/")[2]
    if base == inner or stem(base) != inner:
        return drop_path
    return container[: len(container) - len(base)] + inner


def drop_roots(pairs: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Per container (the part of a member path before its last ``!``), the folder prefix that
    maps drop paths onto internal paths, voted by exactly matched files."""
    votes: dict[str, Counter] = {}
    for drop_path, internal_paths in pairs:
        container, _, inner = unwrapped(drop_path).rpartition("!")
        for ip in internal_paths:
            if inner == ip:
                votes.setdefault(container, Counter())[""] += 1
            elif inner.endswith("/" + ip):
                votes.setdefault(container, Counter())[inner[: -len(ip)]] += 1
    return {c: v.most_common(1)[0][0] for c, v in votes.items()}


def internal_path(drop_path: str, roots: dict[str, str]) -> str:
    container, _, inner = unwrapped(drop_path).rpartition("!")
    root = roots.get(container)
    if root is None:
        # No exactly matched sibling: fall back to the top-level folder convention.
        root = inner.split("/", 1)[0] + "/" if "/" in inner and not container else ""
    return inner[len(root):] if root and inner.startswith(root) else inner
