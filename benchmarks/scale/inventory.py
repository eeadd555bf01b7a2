"""Build (once) and cache the scale benchmark's synthetic inventories.

An inventory of N contents is ``N / project_size`` synthetic projects (``history``), each a real
bare git repository indexed by triage's indexer (``index_source``, what ``triage index REPO --db
DB`` runs; through ``bulk_index.py``, on a connection set up for bulk loading), one after the
other. Sizes share their projects: the index of 500k is a copy of the 250k index with two more
repositories indexed into it (exactly what running ``triage index`` four times gives), so each
project is generated and fingerprinted once however many sizes are measured.

Cache layout under ``benchmarks/work/scale/`` (git-ignored)::

    gen-<key>/repos/<project>.git       the repository (key: generator code, project size, seed)
    gen-<key>/repos/<project>.json      its generation figures (written last: present = done)
    gen-<key>/truth/<project>.zip       tip files, superseded versions, content hashes
    gen-<key>/index-<key>/inv-<N>.db    the index of the first N / project_size projects
    gen-<key>/index-<key>/inv-<N>.json  how it was built (written last: present = done)

The index key covers the fingerprint parameters and schema version (a scan refuses an index
built with others); ``--rebuild`` forces a new build when the indexer changed otherwise.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
         "kilo", "lima", "mike", "november", "oscar", "papa")
# Long builds run at a lower priority: the machine is shared.
NICE = 10


def project_name(i: int) -> str:
    return NAMES[i] if i < len(NAMES) else f"project{i:02d}"


def _code_of(path: Path) -> str:
    """The module's syntax tree without docstrings: what it does, not how it is laid out."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, annotate_fields=False)


def code_key(*names: str) -> str:
    """A key of these modules' code (syntax trees without docstrings)."""
    h = hashlib.sha256()
    for name in names:
        h.update(_code_of(HERE / name).encode())
    return h.hexdigest()[:12]


def generator_key(project_size: int, seed: int) -> str:
    h = hashlib.sha256()
    for name in ("synth.py", "history.py"):
        h.update(_code_of(HERE / name).encode())
    h.update(f"{project_size}:{seed}".encode())
    return h.hexdigest()[:12]


def index_key() -> str:
    sys.path.insert(0, str(ROOT))
    from triage.fingerprint import PARAMS
    from triage.inventory.schema import SCHEMA_VERSION

    return hashlib.sha256(json.dumps([PARAMS, SCHEMA_VERSION], sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Layout:
    work: Path
    project_size: int
    seed: int

    @cached_property
    def root(self) -> Path:
        """Computed once: editing the generator while a build runs must not move its files."""
        return self.work / f"gen-{generator_key(self.project_size, self.seed)}"

    def repo(self, i: int) -> Path:
        return self.root / "repos" / f"{project_name(i)}.git"

    def truth(self, i: int) -> Path:
        return self.root / "truth" / f"{project_name(i)}.zip"

    def index_dir(self) -> Path:
        return self.root / f"index-{index_key()}"

    def db(self, size: int) -> Path:
        return self.index_dir() / f"inv-{size}.db"


def _generate(args: tuple[str, int, str, int, str, str]) -> dict:
    """Worker: one project's repository, truth zip and figures."""
    here, i, name, size, repo, truth = args
    sys.path.insert(0, here)
    import history

    seed = f"{name}:{i}"
    target = size - (len(__import__("synth").ORG_SHARED) if i == 0 else 0)
    t = time.perf_counter()
    tmp = Path(repo + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    stats = history.build_repo(tmp, name, seed, target, Path(truth))
    tmp.rename(repo)
    out = dict(stats.__dict__, seconds=round(time.perf_counter() - t, 1))
    Path(repo[:-4] + ".json").write_text(json.dumps(out))
    return out


def ensure_repos(layout: Layout, n_projects: int, log=print) -> list[dict]:
    """Generate the projects that are missing (two at a time) and return every project's figures."""
    (layout.root / "repos").mkdir(parents=True, exist_ok=True)
    (layout.root / "truth").mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n_projects) if not layout.repo(i).with_suffix(".json").exists()]
    if missing:
        log(f"generating {len(missing)} project histories of {layout.project_size:,} contents each"
            f" into {layout.root / 'repos'} ...")
        for i in missing:
            shutil.rmtree(layout.repo(i), ignore_errors=True)
        jobs = [(str(HERE), i, project_name(i), layout.project_size, str(layout.repo(i)),
                 str(layout.truth(i))) for i in missing]
        with ProcessPoolExecutor(min(2, len(jobs))) as pool:
            for st in pool.map(_generate, jobs):
                log(f"  {st['project']}: {st['contents']:,} contents, {st['commits']:,} commits,"
                    f" {st['bytes'] / 1e6:.0f} MB, {st['tip_files']:,} files at the tip,"
                    f" {st['seconds']:.0f} s")
    return [json.loads(layout.repo(i).with_suffix(".json").read_text()) for i in range(n_projects)]


def _index_one(repo: Path, db: Path, name: str) -> dict:
    """One repository into the index, in a fresh process at a lower priority: wall time and peak
    RSS. ``bulk_index.py`` runs the indexer ``triage index`` runs (``index_source``), on a
    connection set up for bulk loading (see there): the same rows, written faster."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = ["nice", "-n", str(NICE), sys.executable, str(HERE / "bulk_index.py"), str(repo), str(db), name]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"indexing {repo} failed: {err.strip()[-2000:]}")
    stats = json.loads(out.strip().splitlines()[-1])
    return {"project": name, "seconds": round(wall, 1), "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "method": "bulk", "message": f"{stats['contents']} new contents, {stats['commits']} commits"}


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in ("contents", "commits", "paths", "postings", "bands", "line_df")}


def ensure_indexes(layout: Layout, sizes: list[int], log=print) -> dict[int, dict]:
    """The index of every size, built from the previous size's index plus the projects it lacks."""
    layout.index_dir().mkdir(parents=True, exist_ok=True)
    out: dict[int, dict] = {}
    prev: int | None = None
    for size in sorted(sizes):
        db, info = layout.db(size), layout.db(size).with_suffix(".json")
        if info.exists() and db.exists():
            out[size] = json.loads(info.read_text())
            if "contents" not in out[size]:
                out[size].update(_counts(db))
                info.write_text(json.dumps(out[size], indent=1))
            prev = size
            continue
        part = db.with_suffix(".db.part")
        part.unlink(missing_ok=True)
        steps: list[dict] = []
        first = 0
        if prev is not None:
            log(f"copying the {prev:,} index to start the {size:,} one ...")
            shutil.copyfile(layout.db(prev), part)
            steps = list(out[prev]["steps"])
            first = prev // layout.project_size
        for i in range(first, size // layout.project_size):
            n = size // layout.project_size
            log(f"indexing {layout.repo(i).name} into {db.name} ({i + 1}/{n}) ...")
            step = _index_one(layout.repo(i), part, project_name(i))
            log(f"  {step['seconds']:.0f} s, peak RSS {step['max_rss_mb']:.0f} MB: {step['message']}")
            steps.append(step)
        part.rename(db)
        rec = {"size": size, "db": str(db), "steps": steps,
               "build_seconds": round(sum(s["seconds"] for s in steps), 1), "bytes": db.stat().st_size,
               **_counts(db)}
        info.write_text(json.dumps(rec, indent=1))
        out[size] = rec
        prev = size
    return out
