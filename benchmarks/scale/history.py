"""A synthetic project history written into a real (bare) git repository with ``git fast-import``.

The history looks like a busy repository's: an initial import, then commits that each change a
few files (hot files more often), add some, delete or move a few; feature branches merged back
(some left open), release tags. It stops at exactly the requested number of distinct contents
(blobs), not counting ``synth.ORG_SHARED`` (identical in every project, counted once overall).

``triage index`` then reads the repository as it reads any other: the benchmark's index is the
real indexer's output. What the drop builder needs (the files at the tip of ``main`` and a
sample of superseded versions, with their paths) is written to a zip beside the repository.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import synth

START = 1_388_534_400  # 2014-01-01
END = 1_748_736_000  # 2025-06-01
# Commits: files changed per commit, chance of adding new files, deleting, moving one.
MEAN_CHANGED = 3.0
ADD_CHANCE = 0.35
DELETE_CHANCE = 0.03
MOVE_CHANCE = 0.02
INITIAL_FILES = 150
# A new file opens a new folder this often (folders hold tens of files, as in real trees).
NEW_DIR_CHANCE = 0.03
# A changed file is a recently changed one this often (hot files change again and again).
HOT_CHANCE = 0.5
HOT_KEEP = 300
# Feature branches: started every FEATURE_EVERY commits on average, a few commits long,
# merged back unless left open. Release tags every TAG_EVERY commits of main.
FEATURE_EVERY = 40
OPEN_BRANCH_CHANCE = 0.25
TAG_EVERY = 400
# Superseded versions kept for the drop builder, per project (reservoir sample).
OLD_SAMPLE = 2500
AUTHORS = 24


@dataclass
class Stats:
    project: str
    contents: int = 0
    commits: int = 0
    bytes: int = 0
    tip_files: int = 0


class FastImport:
    """Writes a fast-import stream: blobs (deduplicated), commits, lightweight tags."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.marks = 0
        self.blob_marks: dict[bytes, int] = {}

    def _mark(self) -> int:
        self.marks += 1
        return self.marks

    def blob(self, data: bytes) -> tuple[int, bool]:
        """The blob's mark, and whether it is new."""
        key = hashlib.sha1(data).digest()  # noqa: S324 - a dedup key, as git's own
        mark = self.blob_marks.get(key)
        if mark is not None:
            return mark, False
        mark = self._mark()
        self.blob_marks[key] = mark
        self.out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)))
        self.out.write(data)
        self.out.write(b"\n")
        return mark, True

    def commit(self, ref: str, who: str, when: int, message: str, changes: list[tuple[str, int | None]],
               parent: int | None = None, merge: int | None = None) -> int:
        mark = self._mark()
        msg = message.encode()
        head = f"commit {ref}\nmark :{mark}\nauthor {who} {when} +0000\ncommitter {who} {when} +0000\n"
        self.out.write(head.encode() + b"data %d\n" % len(msg) + msg + b"\n")
        if parent is not None:
            self.out.write(b"from :%d\n" % parent)
        if merge is not None:
            self.out.write(b"merge :%d\n" % merge)
        for path, blob in changes:
            if blob is None:
                self.out.write(f"D {path}\n".encode())
            else:
                self.out.write(f"M 100644 :{blob} {path}\n".encode())
        self.out.write(b"\n")
        return mark

    def tag(self, name: str, mark: int) -> None:
        self.out.write(f"reset refs/tags/{name}\nfrom :{mark}\n\n".encode())


class Generator:
    """One project's history, driven by one seeded RNG."""

    def __init__(self, name: str, seed: str, target: int, fi: FastImport):
        self.rng = random.Random(f"history:{seed}")
        self.seed = seed
        self.project = synth.Project(name, seed)
        self.name = name
        self.target = target
        self.fi = fi
        self.shared = {hashlib.sha1(d).digest() for d in synth.ORG_SHARED}  # noqa: S324
        self.count = 0  # distinct contents outside ORG_SHARED
        self.stats = Stats(name)
        self.authors = [f"{self.project.word(self.rng).title()} {self.project.word(self.rng).title()} "
                        f"<{self.project.word(self.rng)}@acme.example>" for _ in range(AUTHORS)]
        self.now = START + self.rng.randrange(0, 90 * 86400)
        self.gap = (END - self.now) / max(1.0, target / (MEAN_CHANGED + ADD_CHANCE * 2))
        self.dirs = [self._dir() for _ in range(60)]
        # main's files: path -> (kind, content, blob mark)
        self.files: dict[str, tuple[str, list[str] | bytes, int]] = {}
        self.hot: list[str] = []
        self.old: list[tuple[str, bytes]] = []
        self.old_seen = 0

    def _dir(self) -> str:
        top = self.rng.choice(("src", "src", "lib", "pkg", "internal", "tests", "docs", "tools", "services"))
        depth = self.rng.randint(1, 3)
        return "/".join([top] + [self.project.word(self.rng) for _ in range(depth)])

    def _path(self, kind: str) -> str:
        ext = {"py": ".py", "js": ".js", "go": ".go", "md": ".md", "json": ".json", "yaml": ".yaml",
               "bin": ".png"}
        for attempt in range(1000):
            if attempt > 5 or self.rng.random() < NEW_DIR_CHANCE:
                self.dirs.append(self._dir())
            d = self.rng.choice(self.dirs)
            if kind == "init":
                path = f"{d}/__init__.py"
            elif self.rng.random() < synth.COMMON_NAME_CHANCE:
                path = f"{d}/{self.rng.choice(synth.COMMON_NAMES[kind])}"
            else:
                path = f"{d}/{self.project.ident(self.rng)}{ext[kind]}"
            if path not in self.files:
                return path
        raise RuntimeError("no free path")

    def _blob(self, data: bytes) -> int | None:
        """The blob's mark, or None when it would exceed the target of distinct contents."""
        key = hashlib.sha1(data).digest()  # noqa: S324
        fresh = key not in self.fi.blob_marks and key not in self.shared
        if fresh and self.count >= self.target:
            return None
        mark, new = self.fi.blob(data)
        if new and key not in self.shared:
            self.count += 1
            self.stats.bytes += len(data)
        return mark

    def _tick(self) -> int:
        self.now += int(self.rng.expovariate(1.0 / self.gap)) + 60
        return self.now

    def _supersede(self, path: str) -> None:
        """Sample the version main is about to lose (for the drop builder's outdated files)."""
        kind, content, _mark = self.files[path]
        self.old_seen += 1
        item = (path, synth.render(content))
        if len(self.old) < OLD_SAMPLE:
            self.old.append(item)
        else:
            j = self.rng.randrange(self.old_seen)
            if j < OLD_SAMPLE:
                self.old[j] = item

    def _changes(self, files: dict, n_changed: int, adds: int) -> list[tuple[str, int | None]]:
        """Edit, add, delete and move files of ``files`` (a branch's state) in place."""
        out: list[tuple[str, int | None]] = []
        paths = list(files)
        touched: set[str] = set()
        for _ in range(n_changed):
            if not paths:
                break
            pool = self.hot if self.hot and self.rng.random() < HOT_CHANCE else paths
            path = self.rng.choice(pool)
            if path in touched or path not in files:
                continue
            kind, content, _m = files[path]
            if kind == "fixed":
                continue
            new = self.project.edit(self.rng, kind, content)
            mark = self._blob(synth.render(new))
            if mark is None:
                return out
            if files is self.files:
                self._supersede(path)
            files[path] = (kind, new, mark)
            touched.add(path)
            out.append((path, mark))
            self.hot.append(path)
        for _ in range(adds):
            kind = synth.pick_kind(self.rng)
            path = self._path(kind)
            content = self.project.new_file(self.rng, kind, synth.target_size(self.rng), _year(self.now))
            mark = self._blob(synth.render(content))
            if mark is None:
                return out
            files[path] = (kind, content, mark)
            out.append((path, mark))
        if paths and self.rng.random() < DELETE_CHANCE:
            path = self.rng.choice(paths)
            if path not in touched and path in files and files[path][0] != "fixed":
                if files is self.files:
                    self._supersede(path)
                del files[path]
                out.append((path, None))
        if paths and self.rng.random() < MOVE_CHANCE:
            path = self.rng.choice(paths)
            if path not in touched and path in files and files[path][0] != "fixed":
                kind, content, mark = files.pop(path)
                dest = self._path(kind)
                if kind == "init":
                    files[path] = (kind, content, mark)
                else:
                    files[dest] = (kind, content, mark)
                    out += [(path, None), (dest, mark)]
        if len(self.hot) > HOT_KEEP:
            del self.hot[: len(self.hot) - HOT_KEEP]
        return out

    def _n_changed(self) -> int:
        return max(1, min(12, int(self.rng.expovariate(1.0 / MEAN_CHANGED)) + 1))

    def _adds(self) -> int:
        return self.rng.randint(1, 4) if self.rng.random() < ADD_CHANCE else 0

    def run(self) -> Stats:
        rng = self.rng
        # The initial import, with the organisation's shared files.
        init: list[tuple[str, int | None]] = []
        for path, data in (("LICENSE", synth.LICENSE_FILE), (".gitignore", synth.GITIGNORE)):
            mark = self._blob(data)
            assert mark is not None
            self.files[path] = ("fixed", [], mark)
            init.append((path, mark))
        init += self._changes(self.files, 0, INITIAL_FILES)
        head = self.fi.commit("refs/heads/main", rng.choice(self.authors), self._tick(), "Initial import",
                              init)
        commits, since_tag, tag_n = 1, 0, 0
        branches: list[tuple[str, int, dict, list[str]]] = []  # open feature branches
        while self.count < self.target:
            if rng.random() < 1.0 / FEATURE_EVERY:
                head, commits = self._feature(head, commits, branches)
            else:
                changes = self._changes(self.files, self._n_changed(), self._adds())
                if not changes:
                    continue
                msg = f"{rng.choice(synth.VERBS).title()} {self.project.sentence(rng, 3, 8)}"
                head = self.fi.commit("refs/heads/main", rng.choice(self.authors), self._tick(), msg, changes)
                commits += 1
            since_tag += 1
            if since_tag >= TAG_EVERY:
                tag_n += 1
                self.fi.tag(f"v{1 + tag_n // 10}.{tag_n % 10}.0", head)
                since_tag = 0
        self.stats.contents = self.count
        self.stats.commits = commits
        self.stats.tip_files = len(self.files)
        return self.stats

    def _feature(self, head: int, commits: int, branches: list) -> tuple[int, int]:
        """A feature branch off main: a few commits, then merged (or left open)."""
        rng = self.rng
        ref = f"refs/heads/feature/{self.project.word(rng)}-{commits}"
        files = dict(self.files)
        tip = head
        changed: dict[str, int | None] = {}
        parent: int | None = head
        for _ in range(rng.randint(1, 4)):
            changes = self._changes(files, self._n_changed(), self._adds())
            if not changes:
                break
            tip = self.fi.commit(ref, rng.choice(self.authors), self._tick(),
                                 f"WIP {self.project.sentence(rng, 2, 5)}", changes, parent=parent)
            parent = None
            commits += 1
            changed.update(changes)
        if tip == head or rng.random() < OPEN_BRANCH_CHANCE:
            return head, commits
        # Merge: main takes the branch's version of every path the branch changed.
        merged = []
        for path, mark in sorted(changed.items()):
            if mark is None:
                if path in self.files:
                    self._supersede(path)
                    del self.files[path]
                    merged.append((path, None))
            else:
                if path in self.files:
                    self._supersede(path)
                self.files[path] = files[path]
                merged.append((path, mark))
        head = self.fi.commit("refs/heads/main", rng.choice(self.authors), self._tick(),
                              f"Merge branch '{ref[11:]}'", merged, merge=tip)
        return head, commits + 1

    def truth(self, path: Path) -> None:
        """main's tip files and the sampled superseded versions, for the drop builder."""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for p in sorted(self.files):
                z.writestr(f"tip/{p}", synth.render(self.files[p][1]))
            for i, (p, data) in enumerate(self.old):
                z.writestr(f"old/{i:05d}/{p}", data)
            # SHA-1 of every content of the history: the drop builder checks that what it makes
            # as altered or fabricated equals none of them.
            z.writestr("contents.sha1", b"".join(sorted(self.fi.blob_marks)))
            z.writestr("meta.json", json.dumps({"project": self.name, "seed": self.seed,
                                                "stats": self.stats.__dict__}))


def _year(ts: int) -> int:
    return 1970 + ts // 31_556_952


def build_repo(repo: Path, name: str, seed: str, target: int, truth: Path | None = None) -> Stats:
    """Generate a project's history into a fresh bare repository at ``repo``."""
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    gen = Generator(name, seed, target, FastImport(proc.stdin))
    try:
        stats = gen.run()
        proc.stdin.write(b"done\n")
    finally:
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"git fast-import failed for {repo}")
    if truth is not None:
        gen.truth(truth)
    return stats
