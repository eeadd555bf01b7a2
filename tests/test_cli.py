"""The command line: documented exit codes, one clear line for bad input, never a traceback,
and nothing written into the drop."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import Repo, code_file
from triage.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def indexed(repo: Repo, tmp_path: Path, runner: CliRunner) -> Path:
    repo.commit({"src/a.py": code_file("alpha"), "src/b.py": code_file("beta")})
    db = tmp_path / "inv.db"
    res = runner.invoke(main, ["index", str(repo.path), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def _one_line_error(res, code: int, needle: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.stderr)
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("triage: error:"), res.stderr
    assert needle in err[0]
    assert "Traceback" not in res.output + res.stderr


def test_scan_writes_reports_and_exit_code(indexed: Path, repo: Repo, tmp_path: Path, runner: CliRunner):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("x/src/a.py", (repo.path / "src/a.py").read_bytes())
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert doc["schema"] == "triage-report/1" and doc["files"][0]["verdict"] == "real"
    assert (tmp_path / "ev" / "report.md").read_text().startswith("# triage validation report")
    with zipfile.ZipFile(drop, "a") as zf:
        zf.writestr("x/src/new.py", code_file("zeta"))
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(tmp_path / "ev"), "--force"])
    assert res.exit_code == 1  # a fabricated file needs attention
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(tmp_path / "ev")])
    _one_line_error(res, 2, "already holds a report.json")


def test_scan_bad_inputs(indexed: Path, tmp_path: Path, runner: CliRunner):
    out = str(tmp_path / "ev")
    _one_line_error(runner.invoke(main, ["scan", str(tmp_path / "missing.zip"), "--db", str(indexed), "--out", out]),
                    3, "does not exist")
    text = tmp_path / "notes.tar"
    text.write_text("just some text, not an archive\n")
    _one_line_error(runner.invoke(main, ["scan", str(text), "--db", str(indexed), "--out", out]), 3,
                    "named like an archive")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04" + b"\xff" * 200)
    _one_line_error(runner.invoke(main, ["scan", str(garbage), "--db", str(indexed), "--out", out]), 3, "garbage.zip")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"x" * 100_000
        info = tarfile.TarInfo("t/big.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    trunc = tmp_path / "trunc.tgz"
    trunc.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    res = runner.invoke(main, ["scan", str(trunc), "--db", str(indexed), "--out", out])
    assert res.exit_code in (1, 3) and "Traceback" not in res.output + res.stderr
    if res.exit_code == 1:  # read what it could: the cut member is reported, not triaged
        doc = json.loads((tmp_path / "ev" / "report.json").read_text())
        assert doc["skipped"] and doc["skipped"][0]["reason"] in ("truncated", "corrupt")


def test_scan_bad_inventories(tmp_path: Path, runner: CliRunner):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("a.txt", "hello")
    out = str(tmp_path / "ev")
    _one_line_error(runner.invoke(main, ["scan", str(drop), "--db", str(tmp_path / "no.db"), "--out", out]),
                    4, "does not exist")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 500)
    _one_line_error(runner.invoke(main, ["scan", str(drop), "--db", str(junk), "--out", out]), 4, "junk.db")
    (tmp_path / "dir.db").mkdir()
    _one_line_error(runner.invoke(main, ["scan", str(drop), "--db", str(tmp_path / "dir.db"), "--out", out]),
                    4, "is not a file")
    _one_line_error(runner.invoke(main, ["index", str(drop), "--db", str(tmp_path / "junk.db" / "sub.db")]),
                    4, "cannot be created")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "f.txt").write_text("x")
    # an index that exists but was never filled
    from triage.inventory.store import SQLiteStore

    SQLiteStore.create_or_open(tmp_path / "fresh.db").close()
    _one_line_error(runner.invoke(main, ["scan", str(drop), "--db", str(tmp_path / "fresh.db"), "--out", out]),
                    4, "empty index")
    assert not Path(out).exists()


def test_index_bad_inputs(tmp_path: Path, runner: CliRunner):
    db = str(tmp_path / "i.db")
    _one_line_error(runner.invoke(main, ["index", str(tmp_path / "nowhere"), "--db", db]), 3, "does not exist")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("a")
    _one_line_error(runner.invoke(main, ["index", str(plain), "--db", db, "--kind", "git"]), 3,
                    "not a git repository")
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(b"hello")[:10])
    res = runner.invoke(main, ["index", str(gz), "--db", db])
    assert res.exit_code == 3 and "Traceback" not in res.output + res.stderr
    assert not Path(db).exists()  # a failed first index leaves no empty index file behind


def test_mistaken_index_keeps_a_complete_index_usable(indexed: Path, repo: Repo, tmp_path: Path,
                                                      runner: CliRunner):
    """A bad source given to ``triage index`` of a complete index changes nothing a scan sees:
    before, the index was marked "indexing" first and every scan then refused it as interrupted."""
    norefs = tmp_path / "norefs"
    norefs.mkdir()
    import subprocess

    subprocess.run(["git", "init", "-q", str(norefs)], check=True)
    before = indexed.read_bytes()
    _one_line_error(runner.invoke(main, ["index", str(norefs), "--db", str(indexed)]), 3, "no branches or tags")
    _one_line_error(runner.invoke(main, ["index", str(tmp_path / "nowhere"), "--db", str(indexed)]), 3,
                    "does not exist")
    empty = tmp_path / "emptydir"
    empty.mkdir()
    _one_line_error(runner.invoke(main, ["index", str(empty), "--db", str(indexed)]), 3, "no files")
    assert indexed.exists() and indexed.read_bytes() == before
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("x/src/a.py", (repo.path / "src/a.py").read_bytes())
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.stderr


def test_out_that_cannot_be_written_fails_before_the_scan(indexed: Path, tmp_path: Path, runner: CliRunner,
                                                          monkeypatch):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("a.txt", "hello")
    afile = tmp_path / "afile"
    afile.write_text("x")
    import triage.pipeline

    monkeypatch.setattr(triage.pipeline, "scan", lambda *a, **k: pytest.fail("scanned before --out was checked"))
    _one_line_error(runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(afile / "ev")]), 2,
                    "cannot be written to")


def test_scan_of_one_file(indexed: Path, repo: Repo, tmp_path: Path, runner: CliRunner):
    """An e-mail attachment scanned alone: a drop of one file, judged like any other."""
    one = tmp_path / "attachment.py"
    one.write_bytes((repo.path / "src/a.py").read_bytes())
    res = runner.invoke(main, ["scan", str(one), "--db", str(indexed), "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert doc["drop"]["kind"] == "file"
    assert [(f["path"], f["verdict"]) for f in doc["files"]] == [("attachment.py", "real")]


def test_out_inside_directory_drop_is_refused(indexed: Path, tmp_path: Path, runner: CliRunner):
    drop = tmp_path / "dropdir"
    drop.mkdir()
    (drop / "a.py").write_text(code_file("alpha"))
    before = sorted(p.name for p in drop.rglob("*"))
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(drop / "ev")])
    _one_line_error(res, 2, "inside the drop")
    assert sorted(p.name for p in drop.rglob("*")) == before


def test_help_lists_exit_codes(runner: CliRunner):
    for args in (["--help"], ["scan", "--help"], ["index", "--help"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 0 and "Exit codes" in res.output


def test_scan_writes_every_format_and_verify_detects_changes(indexed: Path, repo: Repo, tmp_path: Path,
                                                             runner: CliRunner):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("x/src/a.py", (repo.path / "src/a.py").read_bytes())
        zf.writestr("x/src/<script>alert(1)</script>.py", code_file("zeta"))
    res = runner.invoke(main, ["keygen", str(tmp_path / "k.pem"), str(tmp_path / "k.pub")])
    assert res.exit_code == 0, res.stderr
    ev = tmp_path / "ev"
    res = runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(ev), "--sign-key",
                               str(tmp_path / "k.pem")])
    assert res.exit_code == 1, res.stderr
    names = sorted(p.name for p in ev.iterdir())
    assert names == ["manifest.json", "manifest.sig", "report.csv", "report.dfxml", "report.html", "report.json",
                     "report.md"]
    assert "<script>alert(1)</script>" not in (ev / "report.html").read_text()
    ok = runner.invoke(main, ["verify", str(ev), "--public-key", str(tmp_path / "k.pub"), "--drop", str(drop)])
    assert ok.exit_code == 0, ok.output
    data = bytearray((ev / "report.json").read_bytes())
    data[10] ^= 1
    (ev / "report.json").write_bytes(bytes(data))
    bad = runner.invoke(main, ["verify", str(ev), "--public-key", str(tmp_path / "k.pub")])
    assert bad.exit_code == 1 and "report.json" in bad.output
    md = runner.invoke(main, ["render", str(ev / "report.md"), "--format", "md"])
    _one_line_error(md, 3, "not a triage report.json")


def test_render_rebuilds_outputs_from_json_alone(indexed: Path, repo: Repo, tmp_path: Path, runner: CliRunner):
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("x/src/a.py", (repo.path / "src/a.py").read_bytes())
    ev = tmp_path / "ev"
    assert runner.invoke(main, ["scan", str(drop), "--db", str(indexed), "--out", str(ev)]).exit_code == 0
    for fmt, name in (("md", "report.md"), ("html", "report.html"), ("dfxml", "report.dfxml")):
        res = runner.invoke(main, ["render", str(ev / "report.json"), "--format", fmt])
        assert res.exit_code == 0
        assert res.output == (ev / name).read_text()
    _one_line_error(runner.invoke(main, ["render", str(tmp_path / "nope.json")]), 3, "does not exist")
