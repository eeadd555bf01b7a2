"""manifest.json, verify and the Ed25519 signature: round trip, tamper detection, wrong key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from triage import evidence
from triage.errors import UsageError
from triage.model import Finding, Report, Verdict
from triage.render import html, json as render_json, markdown

REPORTS = ("report.json", "report.md", "report.html")
ARGV = ["triage", "scan", "drop.zip", "--out", "ev"]


def _report(drop: Path) -> Report:
    f = Finding("leak/a.py", 3, "aa" * 32, "text/plain", Verdict.REAL, 1.0, ("exact",),
                {"matches": [{"path": "a.py", "blob": "bb" * 20, "commits": ["cc" * 20],
                              "first_seen": "2025-01-01T00:00:00Z", "last_seen": "2025-02-01T00:00:00Z"}]})
    return Report("triage-report/1", {"name": "triage", "version": "0.1.0"},
                  {"path": str(drop), "kind": "zip", "sha256": evidence.sha256_file(drop)[0], "size": drop.stat().st_size},
                  {"db": "inv.db", "digest": "dd" * 32, "schema_version": 1, "sources": [{"kind": "git", "name": "r"}],
                   "current": {"commit": "ee" * 20, "date": "2025-02-01T00:00:00Z"}},
                  (f,), (), {}, {"real": 1, "outdated": 0, "altered": 0, "fabricated": 0, "skipped": 0},
                  "2025-03-01T00:00:00Z", ("Of 1 file in the drop, 1 is internal.",), (), {"id": "ff" * 32, "rules": 3})


@pytest.fixture
def case(tmp_path: Path):
    """(evidence dir, drop, report) with the three reports written, no manifest yet."""
    drop = tmp_path / "drop.zip"
    drop.write_bytes(b"PK\x05\x06" + bytes(18))
    ev = tmp_path / "ev"
    ev.mkdir()
    report = _report(drop)
    for name, mod in zip(REPORTS, (render_json, markdown, html)):
        (ev / name).write_text(mod.render(report), encoding="utf-8")
    return ev, drop, report


@pytest.fixture
def keys(tmp_path: Path):
    priv, pub = tmp_path / "k" / "triage.key", tmp_path / "k" / "triage.pub"
    priv.parent.mkdir()
    fp = evidence.generate_keypair(priv, pub)
    return priv, pub, fp


def _flip(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_manifest_records_what_the_issue_asks(case):
    ev, drop, report = case
    path = evidence.write_manifest(ev, report, drop, ARGV, "2025-03-01T00:00:00Z", "2025-03-01T00:00:05Z")
    assert path == ev / "manifest.json"
    m = json.loads(path.read_text())
    assert m["schema"] == evidence.SCHEMA
    assert m["drop"]["sha256"] == report.drop["sha256"] and m["drop"]["matches_report"] is True
    assert [f["name"] for f in m["files"]] == sorted(REPORTS)
    for f in m["files"]:
        assert f["sha256"] == evidence.sha256_file(ev / f["name"])[0]
    assert m["inventory"]["digest"] == "dd" * 32 and m["inventory"]["schema_version"] == 1
    assert m["inventory"]["current"]["commit"] == "ee" * 20 and m["inventory"]["sources"]
    assert m["ruleset"]["id"] == "ff" * 32
    assert m["command"] == ARGV and m["started"] < m["ended"] and m["host"]
    libs = m["environment"]["libraries"]
    for name in ("triage", "click", "pyyaml", "python-magic", "datasketch", "numpy", "rapidfuzz"):
        assert name in libs
    assert libs["triage"] == "0.1.0" and m["environment"]["python"]
    assert "signature" not in m and not (ev / "manifest.sig").exists()


def test_round_trip_unsigned(case):
    ev, drop, report = case
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e")
    res = evidence.verify(ev, drop=drop)
    assert res.ok, res.lines()
    assert sorted(res.checked) == sorted(REPORTS) and res.signature == "absent"


def test_round_trip_signed(case, keys):
    ev, drop, report = case
    priv, pub, fp = keys
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e", key=priv)
    m = json.loads((ev / "manifest.json").read_text())
    assert m["signature"]["public_key_sha256"] == fp
    sig = base64.b64decode((ev / "manifest.sig").read_bytes())
    assert len(sig) == 64
    res = evidence.verify(ev, public_key=pub, drop=drop)
    assert res.ok and res.signature == "valid", res.lines()
    assert evidence.verify(ev).signature == "unchecked"
    # the signature is over the canonical bytes, and a raw 64-byte .sig is accepted too
    (ev / "manifest.sig").write_bytes(sig)
    assert evidence.verify(ev, public_key=pub).ok


@pytest.mark.parametrize("name", REPORTS)
def test_one_byte_change_in_any_report_is_caught(case, keys, name):
    ev, drop, report = case
    priv, pub, _ = keys
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e", key=priv)
    before = evidence.sha256_file(ev / name)[0]
    _flip(ev / name, offset=len((ev / name).read_bytes()) // 2)
    res = evidence.verify(ev, public_key=pub)
    assert not res.ok
    (p,) = res.problems
    assert (p.kind, p.name, p.expected) == ("changed", name, before)
    assert p.actual == evidence.sha256_file(ev / name)[0] != before
    assert res.signature == "valid"  # the manifest itself is intact: it is the report that changed
    assert any(name in line and "has changed" in line for line in res.lines())


def test_one_byte_change_in_the_manifest_is_caught_by_the_signature(case, keys):
    ev, drop, report = case
    priv, pub, _ = keys
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e", key=priv)
    path = ev / "manifest.json"
    text = path.read_text()
    host = json.loads(text)["host"]
    i = text.index(f'"host": "{host}"') + len('"host": "')
    path.write_text(text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1:])  # same form, one byte of content
    res = evidence.verify(ev, public_key=pub)
    assert res.signature == "invalid"
    assert [p.kind for p in res.problems] == ["signature-invalid"]


def test_whitespace_edit_of_the_manifest_is_caught_even_unsigned(case):
    ev, drop, report = case
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e")
    path = ev / "manifest.json"
    path.write_text(path.read_text().replace('"schema": ', '"schema":  ', 1))
    res = evidence.verify(ev)
    assert [p.kind for p in res.problems] == ["manifest-edited"]


def test_missing_extra_and_drop_changes(case):
    ev, drop, report = case
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e")
    (ev / "report.md").unlink()
    (ev / "notes.txt").write_text("added later")
    _flip(drop)
    res = evidence.verify(ev, drop=drop)
    kinds = {(p.kind, p.name) for p in res.problems}
    assert ("missing", "report.md") in kinds and ("extra", "notes.txt") in kinds
    assert ("drop-changed", f"drop {drop}") in kinds
    drop.unlink()
    assert any(p.kind == "drop-missing" for p in evidence.verify(ev, drop=drop).problems)
    (ev / "manifest.json").unlink()
    assert [p.kind for p in evidence.verify(ev).problems] == ["manifest-missing"]


def test_wrong_public_key_fails(case, keys, tmp_path):
    ev, drop, report = case
    priv, _, fp = keys
    other_priv, other_pub = tmp_path / "other.key", tmp_path / "other.pub"
    evidence.generate_keypair(other_priv, other_pub)
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e", key=priv)
    res = evidence.verify(ev, public_key=other_pub)
    assert not res.ok and res.signature == "invalid"
    (p,) = res.problems
    assert p.kind == "signature-invalid" and fp[:16] in p.detail


def test_public_key_given_but_manifest_unsigned(case, keys):
    ev, drop, report = case
    _, pub, _ = keys
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e")
    res = evidence.verify(ev, public_key=pub)
    assert res.signature == "missing" and [p.kind for p in res.problems] == ["signature-missing"]


def test_rewriting_unsigned_removes_a_stale_signature(case, keys):
    ev, drop, report = case
    priv, pub, _ = keys
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e", key=priv)
    evidence.write_manifest(ev, report, drop, ARGV, "s", "e")
    assert not (ev / "manifest.sig").exists() and evidence.verify(ev).ok


def test_keys_are_pem_private_0600_and_never_overwritten(keys, tmp_path):
    priv, pub, _ = keys
    assert priv.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert priv.stat().st_mode & 0o777 == 0o600
    with pytest.raises(UsageError):
        evidence.generate_keypair(priv, tmp_path / "new.pub")
    with pytest.raises(UsageError):
        evidence.write_manifest(tmp_path, _report(pub), pub, ARGV, "s", "e", key=pub)  # a public key cannot sign


def test_directory_drop_has_a_tree_digest(tmp_path, case):
    ev, _, report = case
    d = tmp_path / "dropdir"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("a")
    (d / "sub" / "b.txt").write_text("b")
    evidence.write_manifest(ev, report, d, ARGV, "s", "e")
    m = json.loads((ev / "manifest.json").read_text())
    assert m["drop"]["digest"] == "tree-sha256" and m["drop"]["files"] == 2
    assert evidence.verify(ev, drop=d).ok
    (d / "sub" / "b.txt").write_text("c")
    assert [p.kind for p in evidence.verify(ev, drop=d).problems] == ["drop-changed"]
