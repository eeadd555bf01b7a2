"""Read a git history through git's own plumbing, never by checking commits out.

- ``git log --topo-order --reverse`` lists new commits, parents first (already indexed commits
  are excluded with ``^oid`` lines on stdin, so a re-run reads only what is new);
- ``git diff-tree --stdin -r -z`` gives, per commit, the paths whose blob differs from the first
  parent (git compares trees by id, so unchanged subtrees cost nothing);
- ``git cat-file --batch`` streams blob contents.

The repository is evidence: nothing here writes to it (plumbing only, no hooks, no index).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InputError
from triage.model import Spilled

_GIT_BASE = ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-c", "core.quotepath=off"]
# Commit metadata fields, separated by unit separators; records by record separators.
_LOG_FORMAT = "%H%x1f%T%x1f%P%x1f%ct%x1f%at%x1f%an <%ae>%x1f%cn <%ce>%x1f%s%x1e"
GITLINK = "160000"
# Blobs larger than this (model weights committed without LFS) are streamed to a scratch file
# and fingerprinted from there, never held in memory; the same bound as a drop member's.
BLOB_MEMORY_MAX = 256 * 1024 * 1024
# Bytes copied per read while streaming a large blob to its scratch file.
COPY_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class CommitMeta:
    oid: str
    tree: str
    parents: tuple[str, ...]
    date: int
    author_date: int
    author: str
    committer: str
    subject: str


@dataclass(frozen=True)
class Change:
    path: str
    mode: str
    oid: str | None  # None: deleted


def _parse_log(out: str) -> list[CommitMeta]:
    commits = []
    for rec in out.split("\x1e"):
        rec = rec.strip("\n")
        if not rec:
            continue
        oid, tree, parents, ct, at, author, committer, subject = rec.split("\x1f")
        commits.append(CommitMeta(oid, tree, tuple(parents.split()), int(ct), int(at), author, committer, subject))
    return commits


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"})
    return env


class GitRepo:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            out = self._run(["rev-parse", "--absolute-git-dir"]).strip()
        except InputError:
            raise InputError(f"{path} is not a git repository") from None
        self.git_dir = Path(out)

    @staticmethod
    def is_repo_root(path: Path) -> bool:
        """True when ``path`` is a work tree's top level or a bare repository itself."""
        path = Path(path)
        if (path / ".git").exists():
            return True
        return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()

    def _cmd(self, args: list[str]) -> list[str]:
        return [*_GIT_BASE, "-C", str(self.path), *args]

    def _run(self, args: list[str], stdin: bytes | None = None) -> str:
        try:
            res = subprocess.run(self._cmd(args), input=stdin, capture_output=True, env=_env(), check=False)
        except FileNotFoundError:
            raise InputError("git is not installed (needed to index a git history)") from None
        if res.returncode != 0:
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"git {args[0]} failed in {self.path}: {msg[-1] if msg else 'unknown error'}")
        return res.stdout.decode("utf-8", "surrogateescape")

    def refs(self) -> dict[str, str]:
        """Branches, tags and remote-tracking branches that point (peeled) at commits."""
        out = self._run(["for-each-ref", "--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)"
                         "%00%(*objectname)", "refs/heads", "refs/tags", "refs/remotes"])
        refs = {}
        for line in out.splitlines():
            name, otype, oid, ptype, poid = line.split("\0")
            if name.endswith("/HEAD"):
                continue
            if otype == "commit":
                refs[name] = oid
            elif otype == "tag" and ptype == "commit":
                refs[name] = poid
        return refs

    def default_branch(self, refs: dict[str, str]) -> str | None:
        try:
            head = self._run(["symbolic-ref", "-q", "HEAD"]).strip()
        except InputError:
            head = ""
        if head in refs:
            return head
        try:
            remote_head = self._run(["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]).strip()
        except InputError:
            remote_head = ""
        if remote_head in refs:
            return remote_head
        for cand in ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/main",
                     "refs/remotes/origin/master"):
            if cand in refs:
                return cand
        heads = sorted(r for r in refs if r.startswith("refs/heads/"))
        return heads[0] if heads else None

    def new_commits(self, tips: Iterable[str], known: Iterable[str]) -> list[CommitMeta]:
        """Commits reachable from ``tips`` and not from ``known``, parents before children."""
        tips = list(tips)
        if not tips:
            return []
        stdin = "".join(f"{t}\n" for t in tips) + "".join(f"^{k}\n" for k in known)
        out = self._run(["log", "--topo-order", "--reverse", f"--format={_LOG_FORMAT}", "--stdin"],
                        stdin=stdin.encode())
        return _parse_log(out)

    def commits(self, oids: Iterable[str]) -> list[CommitMeta]:
        """The metadata of the given commits, in the given order (a worker's share of a run)."""
        oids = list(oids)
        if not oids:
            return []
        out = self._run(["log", "--no-walk=unsorted", f"--format={_LOG_FORMAT}", "--stdin"],
                        stdin="".join(f"{o}\n" for o in oids).encode())
        by_oid = {c.oid: c for c in _parse_log(out)}
        missing = [o for o in oids if o not in by_oid]
        if missing:
            raise InputError(f"{self.path} lacks commit {missing[0]} of the index run in progress"
                             " (update this clone, or let the run finish first)")
        return [by_oid[o] for o in oids]

    def diffs(self, commits: list[CommitMeta]) -> dict[str, list[Change]]:
        """Per commit, the changes against its first parent (roots: against the empty tree)."""
        if not commits:
            return {}
        stdin = "".join(f"{c.oid} {c.parents[0]}\n" if c.parents else f"{c.oid}\n" for c in commits)
        try:
            res = subprocess.run(
                self._cmd(["diff-tree", "--stdin", "-r", "-z", "--no-renames", "--root", "--always",
                           "--full-index"]),
                input=stdin.encode(), capture_output=True, env=_env(), check=False)
        except FileNotFoundError:
            raise InputError("git is not installed (needed to index a git history)") from None
        if res.returncode != 0:
            raise InputError(f"git diff-tree failed in {self.path}: {res.stderr.decode('utf-8', 'replace').strip()}")
        out: dict[str, list[Change]] = {c.oid: [] for c in commits}
        toks = res.stdout.split(b"\0")
        current: list[Change] | None = None
        i = 0
        while i < len(toks):
            tok = toks[i]
            if tok.startswith(b":"):
                _old_mode, new_mode, _old_oid, new_oid, status = tok[1:].decode().split(" ")
                path = toks[i + 1].decode("utf-8", "surrogateescape")
                i += 2
                if current is None:
                    continue
                if status.startswith("D") or new_mode == "000000":
                    current.append(Change(path, "000000", None))
                else:
                    current.append(Change(path, new_mode, new_oid))
                continue
            if len(tok) == 40:
                current = out.setdefault(tok.decode(), [])
            i += 1
        return out

    def blobs(self, oids: list[str], spill_dir: Path | None = None) -> Iterator[tuple[str, bytes | Spilled]]:
        """Stream blob contents with one ``git cat-file --batch`` process; blobs over
        ``BLOB_MEMORY_MAX`` go to a scratch file in ``spill_dir`` (when given)."""
        if not oids:
            return
        proc = subprocess.Popen(self._cmd(["cat-file", "--batch"]), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env())
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for oid in oids:
                proc.stdin.write(f"{oid}\n".encode())
                proc.stdin.flush()
                header = proc.stdout.readline().decode().split()
                if len(header) < 3 or header[1] != "blob":
                    continue  # missing object (shallow clone, gitlink): not content we can index
                size = int(header[2])
                if spill_dir is not None and size > BLOB_MEMORY_MAX:
                    yield oid, _spill(proc.stdout, size, spill_dir, oid)
                else:
                    yield oid, proc.stdout.read(size)
                proc.stdout.read(1)
        finally:
            proc.stdin.close()
            proc.stdout.close()
            proc.wait()


def _spill(stream, size: int, spill_dir: Path, oid: str) -> Spilled:  # type: ignore[no-untyped-def]
    """Copy ``size`` bytes of ``stream`` to a scratch file (removed once fingerprinted)."""
    fd, name = tempfile.mkstemp(prefix="blob-", dir=spill_dir)
    left = size
    with os.fdopen(fd, "wb") as out:
        while left:
            chunk = stream.read(min(left, COPY_CHUNK))
            if not chunk:
                raise InputError(f"git cat-file ended inside blob {oid}")
            out.write(chunk)
            left -= len(chunk)
    return Spilled(name, size, temporary=True, git_oid=oid)
