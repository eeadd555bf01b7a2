"""Checks a candidate secret must pass, and how a secret is shown: pure string functions.

A rule names a validator (``match.validate``); each one knows the structure of one format, so a
string that only looks like a token (a placeholder, a made-up key in documentation) does not fire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import math
import re
from collections import Counter
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Substrings (lower-cased) that mark a value as a placeholder, not a credential: documentation
# and templates write these where the real value goes.
PLACEHOLDERS = (
    "xxxx", "example", "changeme", "change_me", "change-me", "placeholder", "your_", "your-",
    "yourtoken", "yourkey", "yourpassword", "<", ">", "${", "{{", "%(", "redacted", "dummy",
    "****", "....", "…", "00000000", "12345678", "abcdefgh", "lorem", "insert", "replace",
    "fake", "sample", "foobar", "qwerty",
)


def entropy(s: str) -> float:
    """Shannon entropy of ``s`` in bits per character (0 for the empty string)."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def is_placeholder(s: str) -> bool:
    low = s.lower()
    if any(p in low for p in PLACEHOLDERS):
        return True
    # one character repeated (aaaaaaaa) or a two-character alternation is filler, not a secret
    return len(set(low)) <= 2 and len(low) >= 4


def redact(secret: str) -> str:
    """At most the first and last 4 characters (for secrets of 16 or more), fewer for shorter.

    A 16-character secret keeps 8 of its characters around "…"; shorter ones keep 2+2, 1+1 or
    nothing, so the redacted form never holds the whole secret nor most of a short one.
    """
    n = len(secret)
    keep = 4 if n >= 16 else 2 if n >= 12 else 1 if n >= 8 else 0
    out = f"{secret[:keep]}…{secret[n - keep:]}" if keep else "…"
    # only a secret made of "…" characters could hide inside its own redaction
    return "" if secret and secret in out else out


def fingerprint(secret: str) -> str:
    """SHA-256 of the secret (UTF-8): correlates the same secret across files and reports."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _b64url_json(part: str) -> object:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw.decode("utf-8"))


def base62_crc32(body: str) -> str:
    """The 6-character checksum GitHub and npm append: CRC32 of the random part in base62."""
    n = binascii.crc32(body.encode("ascii"))
    out = ""
    for _ in range(6):
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out


def github_checksum(s: str) -> bool:
    """ghp_/gho_/ghu_/ghs_/ghr_ and npm_ tokens: 4-char prefix, 30 random, 6 checksum characters."""
    if len(s) != 40 or not s[4:].isascii() or not s[4:].isalnum():
        return False
    return base62_crc32(s[4:34]) == s[34:]


def jwt(s: str) -> bool:
    """Three base64url parts; header and payload decode to JSON objects, the header names "alg"."""
    parts = s.split(".")
    if len(parts) != 3 or not parts[2]:
        return False
    try:
        header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return False
    return (isinstance(header, dict) and isinstance(header.get("alg"), str)
            and header["alg"].lower() != "none" and isinstance(payload, dict))


_AWS_ID = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|AGPA)[A-Z2-7]{16}")


def aws_key_id(s: str) -> bool:
    """AWS key ids: a 4-letter type prefix and 16 base32 characters (A-Z, 2-7)."""
    return _AWS_ID.fullmatch(s) is not None


def base64_key(s: str) -> bool:
    """Strict standard base64 of 32 or 64 bytes (Azure storage and shared access keys)."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) in (32, 64)


def pem_body(s: str) -> bool:
    """The base64 body of a PEM block (after any headers) holds at least 48 bytes of key."""
    lines = [ln.strip() for ln in s.splitlines()]
    body = "".join(ln for ln in lines if ln and ":" not in ln and not ln.startswith("="))
    low = body.lower()
    return len(body) >= 64 and not any(p in low for p in ("xxxxxxxx", "example", "abcdefghijklmnop"))


def pypi_macaroon(s: str) -> bool:
    """PyPI tokens are base64url macaroons whose location is pypi.org (or test.pypi.org)."""
    body = s[len("pypi-"):]
    try:
        raw = base64.urlsafe_b64decode(body[:64] + "=" * (-len(body[:64]) % 4))
    except (binascii.Error, ValueError):
        return False
    return b"pypi.org" in raw


_DOC_NETS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def public_ip(s: str) -> bool:
    """An IPv4 literal of a host on the internet (not private, loopback, link-local, multicast or
    reserved); the documentation ranges count as public, since they stand for public hosts."""
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return False
    return (ip.is_global and not ip.is_multicast) or any(ip in n for n in _DOC_NETS)


def public_host(s: str) -> bool:
    """An IP literal must be public (see public_ip); a URL whose host is an IP literal likewise;
    a URL with a host name passes (its allow-list in the rule drops the well-known ones)."""
    if "://" not in s:
        return public_ip(s)
    host = s.split("://", 1)[1].rsplit(":", 1)[0] if s.count(":") > 1 else s.split("://", 1)[1]
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return public_ip(host)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "github-checksum": github_checksum,
    "jwt": jwt,
    "aws-key-id": aws_key_id,
    "base64-key": base64_key,
    "pem": pem_body,
    "pypi-macaroon": pypi_macaroon,
    "public-ip": public_ip,
    "public-host": public_host,
}
