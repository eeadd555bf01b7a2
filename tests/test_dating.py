"""Snapshot windows: linear and branchy histories, moved files, mixed moments, --as-of."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import numpy as np

from tests.conftest import Repo, code_file
from triage.dating import History
from triage.inventory.indexer import index_source, parse_date
from triage.inventory.store import SQLiteStore
from triage.model import Verdict
from triage.pipeline import ScanOptions, scan


def _index(repo: Repo, db: Path) -> None:
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()


def _tree(repo: Repo, commit: str) -> dict[str, bytes]:
    """The exact bytes of every file of a commit."""
    out = {}
    for name in repo.git("ls-tree", "-r", "--name-only", commit).splitlines():
        out[name] = subprocess.run(["git", "-C", str(repo.path), "cat-file", "blob", f"{commit}:{name}"],
                                   check=True, capture_output=True).stdout
    return out


def _drop(tmp: Path, files: dict[str, bytes], name: str = "d.zip") -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p, data in files.items():
            zf.writestr(p, data)
    path = tmp / name
    path.write_bytes(buf.getvalue())
    return path


def _linear(repo: Repo, n: int = 6) -> list[str]:
    commits = []
    files = {f"src/m{i}.py": code_file(f"m{i}") for i in range(4)}
    commits.append(repo.commit(files, "c0"))
    for k in range(1, n):
        commits.append(repo.commit({f"src/m{k % 4}.py": code_file(f"m{k % 4}", salt=str(k))}, f"c{k}"))
    return commits


def test_linear_window_contains_the_true_commit(repo: Repo, tmp_path: Path):
    commits = _linear(repo)
    _index(repo, tmp_path / "i.db")
    true = commits[3]
    files = {f"leak/{p}": d for p, d in _tree(repo, true).items()}
    snap = scan(_drop(tmp_path, files), tmp_path / "i.db").snapshot
    assert true in snap["commits"]
    assert snap["support"] == len(files) and not snap["mixed"] and not snap["contradicting"]
    assert snap["branch"] == "refs/heads/main"


def test_partial_drop_gives_the_wider_true_window(repo: Repo, tmp_path: Path):
    commits = _linear(repo)
    _index(repo, tmp_path / "i.db")
    # m3 changes only at c3: a drop of m3 alone fits c3..c5 (and nothing earlier)
    files = {"leak/src/m3.py": _tree(repo, commits[4])["src/m3.py"]}
    snap = scan(_drop(tmp_path, files), tmp_path / "i.db").snapshot
    assert snap["commits"][0] == commits[3] and set(snap["commits"]) == set(commits[3:])


def test_side_branch_commit_before_merge(repo: Repo, tmp_path: Path):
    repo.commit({"a.py": code_file("a"), "b.py": code_file("b")}, "base")
    repo.git("checkout", "-q", "-b", "feature")
    side = repo.commit({"b.py": code_file("b", salt="feature")}, "feature work")
    repo.commit({"b.py": code_file("b", salt="feature2")}, "more feature work")
    repo.git("checkout", "-q", "main")
    repo.commit({"a.py": code_file("a", salt="main")}, "main moves on")
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "feature")
    _index(repo, tmp_path / "i.db")
    files = {f"x/{p}": d for p, d in _tree(repo, side).items()}
    snap = scan(_drop(tmp_path, files), tmp_path / "i.db").snapshot
    assert snap["commits"] == [side]
    assert snap["branch"] == "refs/heads/feature"


def test_backup_folder_inside_newer_checkout(repo: Repo, tmp_path: Path):
    commits = _linear(repo, 8)
    _index(repo, tmp_path / "i.db")
    new = _tree(repo, commits[7])
    old = _tree(repo, commits[1])
    files = {f"checkout/{p}": d for p, d in new.items()}
    # an old backup folder inside the newer checkout
    files.update({f"checkout/backup/{p}": d for p, d in old.items() if d != new.get(p)})
    report = scan(_drop(tmp_path, files), tmp_path / "i.db")
    snap = report.snapshot
    assert commits[7] in snap["commits"]
    # backup files sit under backup/: they are moved, not dated at their own path
    assert snap["moved"]


def test_mixed_moments_at_the_same_paths(repo: Repo, tmp_path: Path):
    a = repo.commit({f"p{i}.py": code_file(f"p{i}") for i in range(6)}, "v1")
    v2 = repo.commit({f"p{i}.py": code_file(f"p{i}", salt="2") for i in range(3)}, "v2: p0-p2 change")
    b = repo.commit({f"p{i}.py": code_file(f"p{i}", salt="3") for i in range(3, 6)}, "v3: p3-p5 change")
    _index(repo, tmp_path / "i.db")
    ta, tb = _tree(repo, a), _tree(repo, b)
    # p0-p2 as of v2/v3 and p3-p4 as of v1/v2: one moment (v2) explains them all -> not mixed
    files = {"r/p0.py": tb["p0.py"], "r/p1.py": tb["p1.py"], "r/p2.py": tb["p2.py"],
             "r/p3.py": ta["p3.py"], "r/p4.py": ta["p4.py"]}
    snap = scan(_drop(tmp_path, files), tmp_path / "i.db").snapshot
    assert snap["support"] == 5 and not snap["mixed"] and snap["commits"] == [v2]
    # p0-p2 as of v1 only and p3-p5 as of v3 only: two moments, no commit holds both
    files = {f"r/p{i}.py": ta[f"p{i}.py"] for i in range(3)} | {f"r/p{i}.py": tb[f"p{i}.py"] for i in range(3, 6)}
    snap = scan(_drop(tmp_path, files, "d2.zip"), tmp_path / "i.db").snapshot
    assert snap["mixed"] and len(snap["windows"]) == 2
    assert snap["windows"][0]["commits"] == [b] and snap["windows"][1]["commits"] == [a]
    assert {c["path"] for c in snap["contradicting"]} == {"r/p0.py", "r/p1.py", "r/p2.py"}
    assert all(c["needs"]["window"] == [a, a] for c in snap["contradicting"])


def test_as_of_judges_against_the_tip_at_that_date(repo: Repo, tmp_path: Path):
    c0 = repo.commit({"a.py": code_file("a")}, "v1")
    repo.commit({"a.py": code_file("a", salt="2")}, "v2")
    _index(repo, tmp_path / "i.db")
    drop = _drop(tmp_path, {"x/a.py": _tree(repo, c0)["a.py"]})
    assert scan(drop, tmp_path / "i.db").files[0].verdict is Verdict.OUTDATED
    date = repo.git("show", "-s", "--format=%cI", c0)
    report = scan(drop, tmp_path / "i.db", ScanOptions(as_of=parse_date(date)))
    assert report.files[0].verdict is Verdict.REAL
    assert report.inventory["as_of"]["tips"][0]["commit"] == c0


def test_moved_file_is_real_but_not_dated_at_its_drop_path(repo: Repo, tmp_path: Path):
    c = repo.commit({"lib/a.py": code_file("a"), "lib/b.py": code_file("b")}, "v1")
    _index(repo, tmp_path / "i.db")
    t = _tree(repo, c)
    report = scan(_drop(tmp_path, {"x/lib/a.py": t["lib/a.py"], "x/elsewhere/b.py": t["lib/b.py"]}),
                  tmp_path / "i.db")
    assert [f.verdict for f in report.files] == [Verdict.REAL, Verdict.REAL]
    assert report.snapshot["moved"] == ["x/elsewhere/b.py"]
    assert report.snapshot["support"] == 1


def test_altered_file_equally_close_to_two_versions_is_not_dated(repo: Repo, tmp_path: Path):
    body = code_file("res")
    v1 = repo.commit({"res.py": "# Copyright 2006-2021 Example\n" + body}, "v1")
    repo.commit({"res.py": "# Copyright 2006-2022 Example\n" + body}, "v2")
    _index(repo, tmp_path / "i.db")
    drop = _drop(tmp_path, {"x/res.py": ("# Copyright 2007-2021 Example\n" + body).encode()})
    f = scan(drop, tmp_path / "i.db").files[0]
    assert f.verdict is Verdict.ALTERED
    assert "dated_by_source" not in f.evidence  # one line from either version: dating through one is a guess
    # a version that differs only in whitespace is told apart on raw lines
    near = _tree(repo, v1)["res.py"].decode().replace("def res_step_0(", "def  res_step_0(")
    repo.commit({"res.py": near}, "v3: whitespace only")
    _index(repo, tmp_path / "i2.db")
    edited = near.replace("'step': 5}", "'step': 55}")
    f = scan(_drop(tmp_path, {"x/res.py": edited.encode()}, "d2.zip"), tmp_path / "i2.db").files[0]
    assert f.verdict is Verdict.ALTERED and f.evidence.get("dated_by_source") is True


def _dense(history, path_ids: list[int]) -> np.ndarray:
    """Reference: content id of each path at each commit, a full (commits x paths) matrix."""
    col = {p: j for j, p in enumerate(path_ids)}
    s = np.zeros((len(history.ids), len(path_ids)), dtype=np.int64)
    by_row: dict[int, list[tuple[int, int]]] = {}
    for commit_id, path_id, content_id in history.store.changes_for_paths(path_ids):
        by_row.setdefault(history.row_of[commit_id], []).append((col[path_id], content_id or 0))
    for row in range(len(history.ids)):
        if history.first_parent[row] >= 0:
            s[row] = s[history.first_parent[row]]
        for j, c in by_row.get(row, ()):
            s[row, j] = c
    return s


def _walk(history, head: int) -> np.ndarray:
    mask = np.zeros(len(history.ids), dtype=bool)
    while head >= 0:
        mask[head] = True
        head = int(history.first_parent[head])
    return mask


def test_moments_answer_as_the_full_commit_matrix(repo: Repo, tmp_path: Path):
    """States keeps one row per moment, not per commit: every life span, chain and window it
    gives must equal what the full (commits x paths) matrix gives, on a branchy history."""
    repo.commit({f"p{i}.py": code_file(f"p{i}") for i in range(4)}, "base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"p1.py": code_file("p1", salt="f1"), "p2.py": None}, "feature: p1, drop p2")
    repo.commit({"p3.py": code_file("p3", salt="f2")}, "feature: p3")
    repo.git("checkout", "-q", "main")
    repo.commit({"p0.py": code_file("p0", salt="m1")}, "main: p0")
    repo.commit({"unrelated.py": code_file("u")}, "main: unrelated")
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "feature")
    repo.commit({"p1.py": code_file("p1", salt="m2"), "p2.py": code_file("p2", salt="back")}, "main: p1, p2")
    repo.git("tag", "v1")
    _index(repo, tmp_path / "i.db")
    store = SQLiteStore.open_readonly(tmp_path / "i.db")
    try:
        history = History(store)
        path_ids = sorted(store.path_ids_readonly([f"p{i}.py" for i in range(4)]).values())
        states = history.states(path_ids)
        dense = _dense(history, path_ids)
        assert len(states.table) - 1 < len(history.ids)  # the unrelated commit is no moment of its own
        for j, pid in enumerate(path_ids):
            assert np.array_equal(states.table[states.moment, j], dense[:, j])
            for cid in sorted(set(dense[:, j].tolist()) - {0}):
                held = states.holding(pid, cid)
                assert history.moment_span(states, held) == history.span(dense[:, j] == cid)
        for head in range(len(history.ids)):
            assert np.array_equal(history.chain(head), _walk(history, head))
    finally:
        store.close()
