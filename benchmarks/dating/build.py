#!/usr/bin/env python3
"""Build the dating benchmark: long synthetic git histories from public release series, and
drops cut from known commits with their brute-force ground truth.

Usage::

    python benchmarks/dating/build.py            # pygments, flask, moment; ~2,400 commits, 56 drops each
    python benchmarks/dating/build.py --quick    # flask and moment, ~1,100 commits, 14 drops each

For each package (releases downloaded or read from ``benchmarks/work/cache/`` through
``benchmarks/accuracy/build.py``), the changes between consecutive releases are replayed as many
small commits (modified text files pass through intermediate versions: their diff hunks are
applied a few at a time) on ``main``, with side branches merged back and one left unmerged. The
history is written with ``git fast-import`` into ``benchmarks/work/dating/<pkg>/repo``. Every
commit's tree is kept in memory as a row of a (commits x paths) matrix of content ids, so the
true consistent window of any set of (path, content) pairs is an exact vectorised brute force.

Drops go to ``benchmarks/work/dating/<pkg>/drops/*.zip`` (top folder ``leak/``) and the truth to
``benchmarks/work/dating/<pkg>/truth.json``. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE.parent / "work"


def _load_accuracy_build():
    """benchmarks/accuracy/build.py (download/extract/zip helpers), under a name that does not
    clash with this module's."""
    import importlib.util

    name = "accuracy_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / "accuracy" / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


acc = _load_accuracy_build()

PACKAGES = ("pygments", "flask", "moment")
QUICK_PACKAGES = ("flask", "moment")
TARGET_COMMITS = 2400
QUICK_TARGET_COMMITS = 1100
# Files above this size are left out of the histories (pygments' large example files would make
# every drop a multi-megabyte scan without adding anything to dating).
MAX_FILE = 32 << 10
MAX_SPLITS = 5  # a modified text file goes through at most this many versions per release interval
BRANCH_EVERY = (80, 120)  # main commits between side branches
BRANCH_LEN = (5, 20)
BASE_DATE = 1_546_300_800  # 2019-01-01T00:00:00Z
KINDS = ("full", "partial", "rare-files", "side-branch", "mixed", "mostly-altered")
NOISY_KINDS = ("full", "partial", "rare-files", "side-branch", "mixed")
TOP = "leak/"


# --------------------------------------------------------------------------- history model


@dataclass
class Commit:
    row: int
    ref: str
    parents: list[int]
    date: int
    changes: dict[int, int]  # path id -> content id (0 = deleted)
    message: str
    branch_id: int | None = None  # side branch number, None on main (merges are on main)


@dataclass
class History:
    pkg: str
    paths: list[str]
    modes: dict[int, bool]  # path id -> executable
    blobs: list[bytes]  # content id -> bytes (0 is "absent")
    commits: list[Commit] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    branches: list[dict] = field(default_factory=list)  # {name, base, commits, merge, merged}
    oids: list[str] = field(default_factory=list)
    state: np.ndarray | None = None  # (commits, paths) content ids

    def blob_id(self, data: bytes, index: dict[bytes, int]) -> int:
        key = hashlib.sha1(data).digest()
        if key not in index:
            index[key] = len(self.blobs)
            self.blobs.append(data)
        return index[key]


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def split_versions(a: bytes, b: bytes, rng: random.Random, max_splits: int = MAX_SPLITS) -> list[bytes]:
    """Intermediate versions from a to b: the diff hunks applied a few groups at a time; ends with b."""
    if not (acc.is_text(a) and acc.is_text(b)):
        return [b]
    la, lb = a.splitlines(keepends=True), b.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, la, lb, autojunk=len(la) + len(lb) > 4000).get_opcodes()
    hunks = [i for i, op in enumerate(ops) if op[0] != "equal"]
    k = min(len(hunks), rng.randint(1, max_splits))
    if k <= 1:
        return [b]
    cuts = sorted(rng.sample(range(1, len(hunks)), k - 1))
    versions = []
    for cut in cuts:
        applied = set(hunks[:cut])
        out = []
        for i, (tag, i1, i2, j1, j2) in enumerate(ops):
            out.extend(lb[j1:j2] if (tag != "equal" and i in applied) else la[i1:i2])
        v = b"".join(out)
        if v != a and v != b and (not versions or v != versions[-1]):
            versions.append(v)
    versions.append(b)
    return versions


def generate(pkg: str, releases: list[acc.Release], target: int, seed: int) -> History:
    rng = random.Random(f"{seed}:{pkg}:history")
    trees = [{p: v for p, v in r.tree.items() if len(v[0]) <= MAX_FILE} for r in releases]
    all_paths = sorted(set().union(*trees))
    pid = {p: i for i, p in enumerate(all_paths)}
    modes = {}
    for t in trees:
        for p, (_, ex) in t.items():
            modes[pid[p]] = ex
    # Steps per release interval: per path, the queue of contents it takes (0 = deleted). Modified
    # text files go through more intermediate versions when the releases are too few for the target.
    for max_splits in (MAX_SPLITS, 8, 12, 20, 40):
        h = History(pkg, all_paths, modes, [b""])
        index: dict[bytes, int] = {}
        h.blob_id(b"", index)  # content id 1 is the empty file; 0 means absent
        srng = random.Random(f"{seed}:{pkg}:splits")
        intervals: list[dict[int, list[int]]] = []
        for a, b in zip(trees, trees[1:], strict=False):
            queues: dict[int, list[int]] = {}
            for p in sorted(set(a) | set(b)):
                if p not in b:
                    queues[pid[p]] = [0]
                elif p not in a:
                    queues[pid[p]] = [h.blob_id(b[p][0], index)]
                elif a[p][0] != b[p][0]:
                    queues[pid[p]] = [
                        h.blob_id(v, index) for v in split_versions(a[p][0], b[p][0], srng, max_splits)
                    ]
            intervals.append(queues)
        steps = sum(len(q) for qs in intervals for q in qs.values())
        if steps >= 1.2 * target:
            break
    per_commit = max(1.0, steps / max(1, target - 40))
    date = [BASE_DATE]

    def tick(lo: int = 600, hi: int = 30 * 3600) -> int:
        date[0] += rng.randint(lo, hi)
        return date[0]

    def commit(
        ref: str, parents: list[int], changes: dict[int, int], message: str, branch_id: int | None = None
    ) -> int:
        row = np.zeros(len(all_paths), dtype=np.int32) if not parents else h.rows[parents[0]].copy()
        for p, c in changes.items():
            row[p] = c
        h.rows.append(row)
        h.commits.append(Commit(len(h.commits), ref, parents, tick(), dict(changes), message, branch_id))
        return len(h.commits) - 1

    def nfiles() -> int:
        base = int(per_commit)
        n = base + (1 if rng.random() < per_commit - base else 0)
        return max(1, n + rng.choice((-1, 0, 0, 0, 1)) if n > 1 else n)

    # Initial import: the first release in a dozen commits, folder by folder.
    first = sorted(trees[0])
    chunks = max(1, min(12, len(first) // 20))
    head = -1
    for i in range(chunks):
        part = first[i * len(first) // chunks : (i + 1) * len(first) // chunks]
        changes = {pid[p]: h.blob_id(trees[0][p][0], index) for p in part}
        head = commit(
            "main", [head] if head >= 0 else [], changes, f"Import {len(part)} files ({i + 1}/{chunks})"
        )
    main_since = 0
    next_gap = rng.randint(*BRANCH_EVERY)
    n_intervals = len(intervals)
    unmerged_at = n_intervals // 2  # the side branch started in this interval is never merged
    unmerged_done = False
    for iv, queues in enumerate(intervals):
        q = {p: deque(v) for p, v in queues.items()}
        branch = None  # {"id", "name", "head", "reserved", "queues", "left", "merge"}
        while True:
            free = [
                p
                for p, d in q.items()
                if d and (branch is None or not branch["merge"] or p not in branch["reserved"])
            ]
            if branch is None and main_since >= next_gap and len(free) >= 12:
                bid = len(h.branches)
                unmerged = iv == unmerged_at and not unmerged_done
                unmerged_done = unmerged_done or unmerged
                reserved = set(rng.sample(free, min(len(free) // 3, rng.randint(5, 30))))
                name = f"feature/{pkg}-{bid + 1}" if not unmerged else f"experiment/{pkg}-abandoned"
                branch = {
                    "id": bid,
                    "name": name,
                    "head": head,
                    "base": head,
                    "reserved": reserved,
                    "queues": {p: deque(q[p]) for p in reserved} if unmerged else q,
                    "left": rng.randint(*BRANCH_LEN),
                    "merge": not unmerged,
                    "commits": [],
                }
                h.branches.append(
                    {
                        "name": name,
                        "base": head,
                        "commits": branch["commits"],
                        "merge": None,
                        "merged": not unmerged,
                    }
                )
                main_since = 0
                next_gap = rng.randint(*BRANCH_EVERY)
                free = [p for p in free if not branch["merge"] or p not in reserved]
            if branch is not None:
                bq = branch["queues"]
                bfree = [p for p in branch["reserved"] if bq.get(p)]
                if bfree and branch["left"] > 0 and (rng.random() < 0.45 or not free):
                    pick = rng.sample(bfree, min(len(bfree), nfiles()))
                    changes = {p: bq[p].popleft() for p in pick}
                    branch["head"] = commit(
                        branch["name"],
                        [branch["head"]],
                        changes,
                        f"{branch['name']}: update {', '.join(all_paths[p] for p in pick[:3])}",
                        branch["id"],
                    )
                    branch["commits"].append(branch["head"])
                    branch["left"] -= 1
                    continue
                if not bfree or branch["left"] <= 0 or not free:
                    if branch["merge"] and branch["commits"]:
                        changes = {
                            p: int(h.rows[branch["head"]][p])
                            for p in branch["reserved"]
                            if h.rows[branch["head"]][p] != h.rows[head][p]
                        }
                        head = commit(
                            "main", [head, branch["head"]], changes, f"Merge branch '{branch['name']}'"
                        )
                        h.branches[branch["id"]]["merge"] = head
                    branch = None
                    continue
            if not free:
                break
            pick = rng.sample(free, min(len(free), nfiles()))
            changes = {p: q[p].popleft() for p in pick}
            head = commit("main", [head], changes, f"Update {', '.join(all_paths[p] for p in pick[:3])}")
            main_since += 1
    h.state = np.vstack(h.rows)
    # Sanity: main's tip is the last release (within the size cap).
    last = {pid[p]: h.blob_id(v[0], index) for p, v in trees[-1].items()}
    tip = h.rows[head]
    assert all(tip[p] == c for p, c in last.items()) and int((tip != 0).sum()) == len(last), (
        "replay lost changes"
    )
    return h


def write_repo(h: History, repo: Path) -> None:
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(repo),
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    base = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]
    subprocess.run(base + ["init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    out = io.BytesIO()
    used = sorted({int(c) for c in np.unique(h.state) if c})
    for c in used:
        data = h.blobs[c]
        out.write(b"blob\nmark :%d\ndata %d\n" % (c, len(data)) + data + b"\n")
    off = len(h.blobs)

    def quote(path: str) -> str:
        return json.dumps(path) if any(ch in path for ch in ' "\n\\') or not path.isascii() else path

    ident = f"{h.pkg} developers <dev@{h.pkg}.invalid>"
    for cm in h.commits:
        msg = (cm.message + "\n").encode()
        out.write(f"commit refs/heads/{cm.ref}\nmark :{off + cm.row + 1}\n".encode())
        out.write(f"author {ident} {cm.date} +0000\ncommitter {ident} {cm.date} +0000\n".encode())
        out.write(b"data %d\n%s" % (len(msg), msg))
        if cm.parents:
            out.write(f"from :{off + cm.parents[0] + 1}\n".encode())
        for p in cm.parents[1:]:
            out.write(f"merge :{off + p + 1}\n".encode())
        for p, c in sorted(cm.changes.items()):
            if c:
                out.write(f"M {'100755' if h.modes.get(p) else '100644'} :{c} {quote(h.paths[p])}\n".encode())
            else:
                out.write(f"D {quote(h.paths[p])}\n".encode())
        out.write(b"\n")
    marks = repo / ".git" / "bench-marks"
    subprocess.run(
        base + ["fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=repo,
        env=env,
        input=out.getvalue(),
        check=True,
    )
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    h.oids = [by_mark[f":{off + cm.row + 1}"] for cm in h.commits]
    marks.unlink()
    subprocess.run(base + ["reset", "-q", "--hard", "main"], cwd=repo, env=env, check=True)
    # Check the in-memory trees against git on a sample of commits.
    rng = random.Random(0)
    for row in rng.sample(range(len(h.commits)), min(12, len(h.commits))) + [len(h.commits) - 1]:
        ls = subprocess.run(
            ["git", "ls-tree", "-r", "-z", h.oids[row]], cwd=repo, env=env, capture_output=True, check=True
        ).stdout
        got = {}
        for entry in filter(None, ls.split(b"\0")):
            meta, path = entry.split(b"\t", 1)
            got[path.decode()] = meta.split()[2].decode()
        want = {h.paths[p]: git_blob_oid(h.blobs[c]) for p, c in enumerate(h.state[row]) if c}
        assert got == want, f"{h.pkg}: in-memory tree of commit {row} differs from git"


# --------------------------------------------------------------------------- drops

WORDS = (
    "alpha beta gamma delta ledger quota vault relay beacon harbor matrix vector kernel shard token "
    "cipher buffer stream socket driver bridge portal shadow ember cobalt zephyr "
).split()


def invented_file(rng: random.Random, path: str) -> bytes:
    name = lambda: "_".join(rng.sample(WORDS, 2))  # noqa: E731
    if path.endswith(".js"):
        lines = [f"// {rng.choice(WORDS)} {rng.choice(WORDS)} helpers", "'use strict';", ""]
        for _ in range(rng.randint(3, 6)):
            f = name()
            lines += [
                f"function {f}(a, b) {{",
                f"  var {rng.choice(WORDS)} = a * {rng.randint(2, 99)} + b;",
                f"  return {rng.choice(WORDS)} - {rng.randint(1, 50)};",
                "}",
                "",
            ]
        lines.append(f"module.exports = {{ {name()}: {rng.randint(1, 9)} }};")
    else:
        lines = [
            f'"""{rng.choice(WORDS).title()} {rng.choice(WORDS)} support."""',
            "",
            f"import {rng.choice(WORDS)}",
            "",
        ]
        for _ in range(rng.randint(3, 6)):
            f = name()
            lines += [
                f"def {f}(x, y={rng.randint(1, 99)}):",
                f"    {rng.choice(WORDS)} = x * {rng.randint(2, 99)} + y",
                f"    return {rng.choice(WORDS)}.{name()}(x)",
                "",
            ]
    return ("\n".join(lines) + "\n").encode()


def alter(rng: random.Random, data: bytes, taken: set[bytes]) -> bytes | None:
    """A few lines edited (changed, inserted, deleted): a doctored copy of a real file."""
    lines = data.splitlines(keepends=True)
    if len(lines) < 30 or not acc.is_text(data):
        return None
    for _ in range(10):
        new = list(lines)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(new))
            op = rng.random()
            if op < 0.5 and new[i].strip():
                line = new[i]
                body = line.rstrip(b"\r\n")
                m = re.search(rb"\d+", body)
                if m and rng.random() < 0.5:
                    body = (
                        body[: m.start()] + str(int(m.group()) + rng.randint(1, 9)).encode() + body[m.end() :]
                    )
                else:
                    body = body + b" " + rng.choice(WORDS).encode()
                new[i] = body + line[len(line.rstrip(b"\r\n")) :]
            elif op < 0.85:
                indent = re.match(rb"[ \t]*", new[i]).group()
                new.insert(
                    i, indent + f"{rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.randint(1, 999)}\n".encode()
                )
            elif len(new) > 30:
                del new[i]
        out = b"".join(new)
        if out != data and out not in taken:
            return out
    return None


@dataclass
class Drop:
    name: str
    kind: str
    noisy: bool
    x: int
    y: int | None = None
    members: dict[str, bytes] = field(default_factory=dict)
    roles: dict[str, dict] = field(default_factory=dict)  # member -> {"role", "path", "content"}


class Cutter:
    def __init__(self, h: History, seed: int):
        self.h = h
        self.rng = random.Random(f"{seed}:{h.pkg}:drops")
        self.recut = 0  # mixed drops cut again (X not among the commits holding the most drop files)
        self.state = h.state
        n = len(h.commits)
        self.main_rows = [c.row for c in h.commits if c.branch_id is None and c.row >= n // 10]
        self.branch_rows = [r for b in h.branches for r in b["commits"]]
        self.blob_set = set(h.blobs)
        self.path_set = set(h.paths)
        self.text = {
            c for c in range(len(h.blobs)) if acc.is_text(h.blobs[c]) and h.blobs[c].count(b"\n") >= 30
        }

    def files_at(self, row: int) -> list[int]:
        return [int(p) for p in np.nonzero(self.state[row])[0]]

    def add(self, d: Drop, p: int, c: int, role: str) -> None:
        name = TOP + self.h.paths[p]
        d.members[name] = self.h.blobs[c]
        d.roles[name] = {"role": role, "path": self.h.paths[p], "content": c}

    def noise(self, d: Drop, n_real: int) -> None:
        rng = self.rng
        real = [m for m, r in d.roles.items() if r["role"] == "x"]
        k = max(1, min(3, n_real // 10))
        # Moved: real bytes at a path the inventory never had.
        for m in rng.sample(real, min(k, len(real))):
            r = d.roles.pop(m)
            data = d.members.pop(m)
            stem, _, ext = r["path"].rpartition(".")
            new = TOP + "backup/" + (f"{stem}_old.{ext}" if stem else r["path"] + "_old")
            d.members[new] = data
            d.roles[new] = {"role": "moved", "path": r["path"], "content": r["content"]}
            real.remove(m)
        # Altered: a few lines edited, at the real path.
        cands = [m for m in real if d.roles[m]["content"] in self.text]
        for m in rng.sample(cands, min(k, len(cands))):
            new = alter(rng, d.members[m], self.blob_set)
            if new is not None:
                d.members[m] = new
                d.roles[m]["role"] = "altered"
        # Invented: new files at new paths beside real ones.
        ext = ".js" if sum(p.endswith(".js") for p in self.h.paths) > len(self.h.paths) / 3 else ".py"
        folders = sorted({r["path"].rpartition("/")[0] for r in d.roles.values()}) or [""]
        for i in range(k):
            folder = rng.choice(folders)
            path = (folder + "/" if folder else "") + f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{i}{ext}"
            if path in self.path_set or TOP + path in d.members:
                continue
            d.members[TOP + path] = invented_file(rng, path)
            d.roles[TOP + path] = {"role": "invented", "path": path, "content": None}

    def cut(self, kind: str, i: int) -> Drop:
        """A drop of this kind. A mixed drop is cut again while some other commit holds more of its
        files than X does (a Y version that lived on until just before X makes the commits before
        X the better-supported moment): X must be the drop's best explanation to be its answer."""
        for _ in range(50):
            d = self._cut(kind, i)
            if kind != "mixed" or d.x in self.plain(d):
                return d
            self.recut += 1
        raise RuntimeError(f"{self.h.pkg}: no mixed drop found where X holds the most files")

    def _cut(self, kind: str, i: int) -> Drop:
        rng = self.rng
        noisy = kind in NOISY_KINDS and i % 2 == 1
        if kind == "side-branch":
            x = rng.choice(self.branch_rows)
        elif kind == "mixed":
            x = rng.choice(self.main_rows[len(self.main_rows) // 3 :])
        else:
            x = rng.choice(self.main_rows)
        d = Drop(f"{self.h.pkg}-{kind}-{i + 1}{'-noisy' if noisy else ''}.zip", kind, noisy, x)
        files = self.files_at(x)
        if kind == "full":
            chosen = rng.sample(files, max(1, round(len(files) * rng.uniform(0.8, 1.0))))
        elif kind == "partial":
            chosen = rng.sample(files, max(3, round(len(files) * rng.uniform(0.05, 0.2))))
        elif kind == "rare-files":
            life = {p: int((self.state[:, p] == self.state[x, p]).sum()) for p in files}
            cut = np.quantile(list(life.values()), 0.75)
            rare = [p for p in files if life[p] >= cut]
            chosen = rng.sample(rare, min(len(rare), rng.randint(5, 30)))
        elif kind == "side-branch":
            b = next(b for b in self.h.branches if x in b["commits"])
            changed = [p for p in files if self.state[x, p] != self.state[b["base"], p]]
            changed_set = set(changed)
            rest = [p for p in files if p not in changed_set]
            chosen = changed + rng.sample(rest, round(len(rest) * rng.uniform(0.5, 1.0)))
        elif kind == "mostly-altered":
            texts = [p for p in files if int(self.state[x, p]) in self.text]
            chosen = rng.sample(texts, min(len(texts), rng.randint(40, 80)))
        else:  # mixed
            chosen = rng.sample(files, max(1, round(len(files) * rng.uniform(0.8, 1.0))))
            share = rng.uniform(0.1, 0.25)
            want = max(3, round(share * len(chosen)))
            older = [r for r in self.main_rows if r < x - len(self.h.commits) // 8] or self.main_rows[:1]
            # Y's versions replace fewer than half of the paths that differ between X and Y, so that
            # X holds more of the drop than Y does: a max-match estimator sees X only.
            best = None
            for y in rng.sample(older, len(older)):
                diff = [p for p in chosen if self.state[y, p] and self.state[y, p] != self.state[x, p]]
                if best is None or len(diff) > len(best[1]):
                    best = (y, diff)
                if len(diff) >= 2 * want + 1:
                    break
            y, diff = best
            want = max(3, min(want, (len(diff) - 1) // 2))
            d.y = y
            ys = set(rng.sample(diff, min(len(diff), want)))
            for p in sorted(chosen):
                self.add(d, p, int(self.state[y if p in ys else x, p]), "y" if p in ys else "x")
        if kind != "mixed":
            for p in sorted(chosen):
                self.add(d, p, int(self.state[x, p]), "x")
        if kind == "mostly-altered":
            ms = [m for m, r in d.roles.items()]
            for m in rng.sample(ms, round(0.7 * len(ms))):
                new = alter(rng, d.members[m], self.blob_set)
                if new is not None:
                    d.members[m] = new
                    d.roles[m]["role"] = "altered"
        if noisy:
            self.noise(d, sum(1 for r in d.roles.values() if r["role"] == "x"))
        return d

    def window(self, pairs: list[tuple[int, int]]) -> list[int]:
        """Every commit (any branch) whose tree holds each (path, content) pair."""
        if not pairs:
            return list(range(len(self.h.commits)))
        ps = np.array([p for p, _ in pairs])
        cs = np.array([c for _, c in pairs])
        return [int(r) for r in np.nonzero((self.state[:, ps] == cs).all(axis=1))[0]]

    def plain(self, d: Drop) -> list[int]:
        """The plain estimator: commits holding the most drop files at their path."""
        pid = {p: i for i, p in enumerate(self.h.paths)}
        pairs = []
        blob_index = (
            {hashlib.sha1(b).digest(): i for i, b in enumerate(self.h.blobs)}
            if not hasattr(self, "_bi")
            else self._bi
        )
        self._bi = blob_index
        for m, data in d.members.items():
            p = pid.get(m[len(TOP) :])
            c = blob_index.get(hashlib.sha1(data).digest())
            if p is not None and c is not None:
                pairs.append((p, c))
        if not pairs:
            return []
        ps = np.array([p for p, _ in pairs])
        cs = np.array([c for _, c in pairs])
        count = (self.state[:, ps] == cs).sum(axis=1)
        return [int(r) for r in np.nonzero(count == count.max())[0]]

    def truth(self, d: Drop) -> dict:
        pid = {p: i for i, p in enumerate(self.h.paths)}
        by_role: dict[str, list[tuple[int, int]]] = {}
        for r in d.roles.values():
            if r["role"] in ("x", "y"):
                by_role.setdefault(r["role"], []).append((pid[r["path"]], r["content"]))
        t = {
            "kind": d.kind,
            "noisy": d.noisy,
            "x": self.h.oids[d.x],
            "x_row": d.x,
            "x_branch": self.h.commits[d.x].ref,
            "files": len(d.members),
            "roles": {
                role: sum(1 for r in d.roles.values() if r["role"] == role)
                for role in ("x", "y", "moved", "altered", "invented")
            },
            "x_window": self.window(by_role.get("x", [])),
            "plain": self.plain(d),
            # Non-X members: role, and the git blob of the internal content they come from.
            "members": {
                m: {
                    "role": r["role"],
                    "blob": git_blob_oid(self.h.blobs[r["content"]]) if r["content"] else None,
                }
                for m, r in sorted(d.roles.items())
                if r["role"] != "x"
            },
        }
        assert d.x in t["x_window"]
        if d.y is not None:
            t.update({"y": self.h.oids[d.y], "y_row": d.y, "y_window": self.window(by_role.get("y", []))})
            assert d.y in t["y_window"]
        if d.kind == "mostly-altered":
            # Exact files only (what an exact-match estimator can use), and the best any dating of
            # altered files through their source versions can do (their originals included).
            t["exact_window"] = t["x_window"]
            t["source_window"] = self.window(
                by_role.get("x", [])
                + [(pid[r["path"]], r["content"]) for r in d.roles.values() if r["role"] == "altered"]
            )
        return t


def build_package(pkg_name: str, work: Path, target: int, drops_per_kind: int, seed: int) -> dict:
    eco, versions = acc.DEFAULTS[pkg_name]
    pkg = acc.Package(pkg_name, eco, versions)
    t0 = time.perf_counter()
    releases = acc.load_releases(pkg, WORK / "cache")
    h = generate(pkg_name, releases, target, seed)
    out = work / pkg_name
    write_repo(h, out / "repo")
    t_hist = time.perf_counter() - t0
    cutter = Cutter(h, seed)
    drops_dir = out / "drops"
    if drops_dir.exists():
        shutil.rmtree(drops_dir)
    drops_dir.mkdir(parents=True)
    truth = {}
    for kind in KINDS:
        # Twice as many mostly-altered drops: they are cheap and the kind where dating through
        # source versions can go wrong.
        for i in range(drops_per_kind * (2 if kind == "mostly-altered" else 1)):
            d = cutter.cut(kind, i)
            (drops_dir / d.name).write_bytes(acc.zip_bytes(d.members))
            truth[d.name] = cutter.truth(d)
    merges = sum(1 for c in h.commits if len(c.parents) > 1)
    meta = {
        "package": pkg_name,
        "releases": versions,
        "commits": len(h.commits),
        "merges": merges,
        "side_branches": sum(1 for b in h.branches if b["commits"]),
        "unmerged": [b["name"] for b in h.branches if not b["merged"] and b["commits"]],
        "side_commits": sum(len(b["commits"]) for b in h.branches),
        "paths": len(h.paths),
        "contents": int(len(np.unique(h.state)) - 1),
        "build_s": round(time.perf_counter() - t0, 2),
        "history_s": round(t_hist, 2),
        "mixed_recut": cutter.recut,
    }
    (out / "truth.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "commits": h.oids,
                "dates": [c.date for c in h.commits],
                "refs": [c.ref for c in h.commits],
                "drops": truth,
            }
        )
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="flask and moment, ~1,100 commits, 2 drops per kind"
    )
    parser.add_argument(
        "--packages", help=f"comma list among {', '.join(acc.DEFAULTS)} (default {','.join(PACKAGES)})"
    )
    parser.add_argument("--commits", type=int, help="target commits per history")
    parser.add_argument("--drops", type=int, help="drops per kind per package (default 8, quick 2)")
    parser.add_argument("--work", type=Path, default=WORK / "dating")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    pkgs = args.packages.split(",") if args.packages else list(QUICK_PACKAGES if args.quick else PACKAGES)
    target = args.commits or (QUICK_TARGET_COMMITS if args.quick else TARGET_COMMITS)
    per_kind = args.drops or (2 if args.quick else 8)
    args.work.mkdir(parents=True, exist_ok=True)
    for name in pkgs:
        meta = build_package(name, args.work, target, per_kind, args.seed)
        print(
            f"{name}: {meta['commits']} commits ({meta['merges']} merges, {meta['side_branches']} side branches, "
            f"{meta['side_commits']} side commits), {meta['contents']} contents, {(len(KINDS) + 1) * per_kind} drops "
            f"in {meta['build_s']}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
