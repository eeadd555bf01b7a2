"""Structure checks keep look-alikes out: checksums, alphabets, decodable headers."""

from __future__ import annotations

import base64
import json

from tests.rules.conftest import ghp
from triage.rules.checks import aws_key_id, github_checksum, jwt, pypi_macaroon


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_ghp_checksum_accepts_valid_and_rejects_wrong(builtin):
    for seed in range(20):
        tok = ghp(seed)
        assert github_checksum(tok)
        assert not github_checksum(_flip_last(tok))
        assert [h["rule"] for h in builtin.scan_text("a.env", f"GITHUB_TOKEN={tok}\n")] == ["github-token"]
        assert builtin.scan_text("a.env", f"GITHUB_TOKEN={_flip_last(tok)}\n") == []


def test_aws_key_id_alphabet():
    assert aws_key_id("AKIA6LAXYOEYZGCHNYG2")
    assert not aws_key_id("AKIA6LAXYOEYZGCHNYG1")  # 1 is not base32
    assert not aws_key_id("AKIA6LAXYOEYZGCHNYG")  # 15 characters


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def test_jwt_header_must_decode_and_name_alg():
    sig = "JwxnBYGoUeXxE_IrOrbQojbzAJnWud-dqAPfLefKY6Q"
    assert jwt(f"{_b64({'alg': 'HS256'})}.{_b64({'sub': '1'})}.{sig}")
    assert not jwt(f"{_b64({'typ': 'JWT'})}.{_b64({'sub': '1'})}.{sig}")  # no alg
    assert not jwt(f"{_b64({'alg': 'none'})}.{_b64({'sub': '1'})}.{sig}")  # unsigned
    assert not jwt(f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ.{sig}")  # payload truncated


def test_pypi_token_must_be_a_pypi_macaroon():
    ok = "pypi-" + base64.urlsafe_b64encode(b"\x02\x01\x08pypi.org\x02\x01\x24" + bytes(range(60))).decode()
    bad = "pypi-" + base64.urlsafe_b64encode(b"\x02\x01\x08evil.org\x02\x01\x24" + bytes(range(60))).decode()
    assert pypi_macaroon(ok) and not pypi_macaroon(bad)
