"""The same verdicts from both backends: the bundled sample and drops generated from its history,
scanned against the SQLite file and against the PostgreSQL server (tests/pg_server.py)."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.backends import comparable, dump_db, index_into
from triage.pipeline import scan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_indexes(tmp_path_factory, pg_server):
    """The sample built once, indexed into an SQLite file and into a PostgreSQL schema."""
    out = tmp_path_factory.mktemp("sample")
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), "--out", str(out)], check=True,
                   capture_output=True)
    lite, pg = out / "inv.db", pg_server.new_schema()
    for db in (lite, pg):
        index_into(db, out / "inventory")
    return out, lite, pg


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def generated_drop(repo: Path, seed: int) -> bytes:
    """A leak cut from a random commit: files kept, moved, edited, cut short or invented."""
    rng = random.Random(seed)
    commits = sorted(_git(repo, "rev-list", "--all").decode().split())
    commit = rng.choice(commits)
    paths = sorted(_git(repo, "ls-tree", "-r", "--name-only", commit).decode().splitlines())
    files: dict[str, bytes] = {}
    for path in rng.sample(paths, min(14, len(paths))):
        data = _git(repo, "show", f"{commit}:{path}")
        case = rng.choice(["same", "same", "moved", "insert", "delete", "invent"])
        lines = data.decode("utf-8", "replace").splitlines(keepends=True)
        if case == "moved":
            path = f"elsewhere/{path.rsplit('/', 1)[-1]}"
        elif case == "insert" and lines:
            at = rng.randrange(len(lines))
            data = "".join(lines[:at] + [f"    audit_hook_{seed}(token)  # added\n"] + lines[at:]).encode()
        elif case == "delete" and len(lines) > 8:
            at = rng.randrange(len(lines) - 4)
            data = "".join(lines[:at] + lines[at + 4 :]).encode()
        elif case == "invent":
            path = f"tools/made_up_{rng.randrange(1000)}.py"
            data = "".join(f"def helper_{seed}_{i}(x):\n    return x * {rng.randrange(99)}\n\n"
                           for i in range(30)).encode()
        files[f"leak-{seed}/{path}"] = data
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), files[name])
    return buf.getvalue()


def test_sample_indexes_hold_the_same_rows(sample_indexes):
    _, lite, pg = sample_indexes
    assert dump_db(lite) == dump_db(pg)


def test_sample_verdicts_are_identical(sample_indexes):
    out, lite, pg = sample_indexes
    a, b = comparable(scan(out / "drop.zip", lite)), comparable(scan(out / "drop.zip", pg))
    assert a == b
    assert len(a["files"]) > 10
    assert {f["verdict"] for f in a["files"]} == {"real", "outdated", "altered", "fabricated"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_drop_verdicts_are_identical(sample_indexes, tmp_path: Path, seed: int):
    out, lite, pg = sample_indexes
    drop = tmp_path / f"drop-{seed}.zip"
    drop.write_bytes(generated_drop(out / "inventory", seed))
    a, b = comparable(scan(drop, lite)), comparable(scan(drop, pg))
    assert a == b
    assert len(a["files"]) >= 10 and len({f["verdict"] for f in a["files"]}) >= 2


def test_documents_dumps_and_weights_identical_in_both_backends(tmp_path: Path, pg_url: str):
    """Documents (text, metadata), dumps (row hashes) and model weights (tensor records) are
    stored alike by both backends, and a drop of edited copies gets the same verdicts."""
    import numpy as np

    from tests.conftest import Repo, code_file
    from tests.fingerprint.test_documents import make_docx
    from tests.fingerprint.weights_files import model, write_safetensors

    rows = ["id,name,email"] + [f"{i},user {i},u{i}@example.com" for i in range(60)]
    weights = model(0)
    repo = Repo(tmp_path / "internal")
    repo.commit({"docs/plan.docx": make_docx(), "data/users.csv": "\n".join(rows) + "\n",
                 "models/model.safetensors": write_safetensors(weights), "src/a.py": code_file("a")}, "one")
    lite = tmp_path / "i.db"
    for db in (lite, pg_url):
        index_into(db, repo.path)
    dumped = dump_db(lite)
    assert dump_db(pg_url) == dumped
    assert all(dumped[t] for t in ("documents", "doc_postings", "dump_tables", "dump_rows", "weights", "tensors"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("leak/plan.docx", make_docx(author="Eve Outsider"))
        zf.writestr("leak/users.csv", "\n".join(rows[:30]) + "\n")
        zf.writestr("leak/model.safetensors",
                    write_safetensors({k: v.astype(np.float16) if v.dtype == np.float32 else v
                                       for k, v in weights.items()}))
    drop = tmp_path / "drop.zip"
    drop.write_bytes(buf.getvalue())
    a, b = comparable(scan(drop, lite)), comparable(scan(drop, pg_url))
    assert a == b
    verdicts = {f["path"].rsplit("/", 1)[-1]: f["verdict"] for f in a["files"]}
    assert verdicts["model.safetensors"] == "altered" and verdicts["users.csv"] != "fabricated"
    assert verdicts["plan.docx"] != "fabricated"
