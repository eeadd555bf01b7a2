"""Evidence integrity: ``manifest.json`` beside the reports, its check, and an optional signature.

The manifest pins what a report is evidence *of* and *by what*: the SHA-256 of the drop and of
every file in the evidence directory, the index's identity, the ruleset id, the tool and library
versions, the command line, operator, host and UTC start and end times. ``verify`` re-hashes
everything and says exactly what changed. An Ed25519 signature (``manifest.sig``, base64 of the
64 raw bytes) covers the canonical manifest bytes
``json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()``; keys are PEM files.

``manifest.json`` is written in one exact form (``json.dumps(indent=2, sort_keys=True)``); verify
refuses any other bytes, so even a whitespace edit of the manifest is caught, signed or not.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import json
import os
import platform
import socket
import sqlite3
import stat
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from triage import __version__
from triage.errors import InputError, UsageError
from triage.model import Report

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
SCHEMA = "triage-manifest/1"
OWN_FILES = frozenset((MANIFEST_NAME, SIGNATURE_NAME))
# Distributions whose versions can change a verdict or a report (python-magic also needs libmagic).
LIBRARIES = ("click", "pyyaml", "python-magic", "datasketch", "numpy", "rapidfuzz", "xxhash", "pygments",
             "py-tlsh", "charset-normalizer", "zstandard", "cryptography")
# Hashing reads in 1 MiB chunks: constant memory whatever the drop's size.
CHUNK = 1 << 20
# An evidence directory holds a handful of reports; more files than this means --out points at
# the wrong place (a home directory), and hashing it all would be slow and pointless.
MAX_EVIDENCE_FILES = 10_000


# --- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing that does not check out.

    ``kind``: missing | changed | extra | not-regular | manifest-missing | manifest-unreadable |
    manifest-edited | signature-missing | signature-invalid | drop-missing | drop-changed.
    """

    kind: str
    name: str
    expected: str | None = None
    actual: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        msg = {
            "missing": "is missing",
            "changed": "has changed",
            "extra": "is not listed in the manifest",
            "not-regular": "is not a regular file",
            "manifest-missing": "is missing: nothing can be verified",
            "manifest-unreadable": "cannot be read as a manifest",
            "manifest-edited": "is not byte-for-byte as written by triage (edited after the fact)",
            "signature-missing": "is missing, but a public key was given",
            "signature-invalid": "does not verify: the manifest was changed or signed with another key",
            "drop-missing": "is missing",
            "drop-changed": "has changed since the scan",
        }.get(self.kind, self.kind)
        out = f"{self.name} {msg}"
        if self.expected or self.actual:
            out += f" (manifest sha256 {self.expected or '-'}, now {self.actual or '-'})"
        return out + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found. ``signature`` is valid | invalid | missing | unchecked (signed, no
    key given) | absent (unsigned, no key given)."""

    evidence_dir: str
    checked: tuple[str, ...]
    problems: tuple[Problem, ...]
    signature: str
    manifest: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """A human summary, one line each: problems first, then what checked out."""
        out = [f"FAIL: {p}" for p in self.problems]
        out.append(f"{len(self.checked)} file(s) match the manifest: {', '.join(self.checked) or '-'}")
        out.append({"valid": "signature: valid for the given public key",
                    "invalid": "signature: INVALID",
                    "missing": "signature: MISSING",
                    "unchecked": "signature: present, not checked (no public key given)",
                    "absent": "signature: none (manifest not signed)"}.get(self.signature, self.signature))
        out.append("OK: the evidence is as recorded" if self.ok else f"NOT OK: {len(self.problems)} problem(s)")
        return out


# --- hashing -------------------------------------------------------------------------------------

def sha256_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of a regular file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _tree_lines(root: Path) -> list[bytes]:
    """``sha256sum``-style lines for every regular file under ``root`` (symlinks not followed)."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if not stat.S_ISREG(p.lstat().st_mode):
                continue
            rel = os.fsencode(p.relative_to(root).as_posix()).replace(b"\\", b"\\\\").replace(b"\n", b"\\n")
            lines.append(sha256_file(p)[0].encode() + b"  " + rel + b"\n")
    return sorted(lines, key=lambda b: b[66:])


def drop_digest(path: Path) -> dict[str, Any]:
    """The drop's identity: SHA-256 of a file, or for a directory the SHA-256 of its sorted
    ``sha256sum`` listing (``digest: tree-sha256``), which ``sha256sum`` can reproduce."""
    path = Path(path)
    try:
        if path.is_dir():
            lines = _tree_lines(path)
            return {"path": str(path), "digest": "tree-sha256", "sha256": hashlib.sha256(b"".join(lines)).hexdigest(),
                    "files": len(lines)}
        sha, size = sha256_file(path)
    except OSError as exc:
        raise InputError(f"cannot read the drop {path}: {exc.strerror or exc}") from None
    return {"path": str(path), "digest": "sha256", "sha256": sha, "size": size}


def _evidence_files(evidence_dir: Path) -> tuple[list[str], list[str]]:
    """(regular files, other entries) under the evidence dir as POSIX relative names, sorted,
    leaving out the manifest and its signature."""
    regular, other = [], []
    for dirpath, dirnames, filenames in os.walk(evidence_dir, followlinks=False):
        dirnames.sort()
        for name in [*filenames, *(d for d in dirnames if Path(dirpath, d).is_symlink())]:
            p = Path(dirpath, name)
            rel = p.relative_to(evidence_dir).as_posix()
            if rel in OWN_FILES:
                continue
            (regular if stat.S_ISREG(p.lstat().st_mode) else other).append(rel)
            if len(regular) + len(other) > MAX_EVIDENCE_FILES:
                raise UsageError(f"{evidence_dir} holds more than {MAX_EVIDENCE_FILES} files:"
                                 " not an evidence directory")
    return sorted(regular), sorted(other)


# --- the manifest --------------------------------------------------------------------------------

def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes a signature covers."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def _pretty(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def utc_now() -> str:
    """The current UTC time as the manifest records it (``2025-01-31T12:00:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment() -> dict[str, Any]:
    """Python, platform, library and libmagic versions (None for what is not installed)."""
    libs: dict[str, str | None] = {"triage": __version__}
    for name in LIBRARIES:
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libs[name] = None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "executable": sys.executable, "libraries": libs,
            "libmagic": _libmagic_version(), "sqlite": sqlite3.sqlite_version}


def _libmagic_version() -> str | None:
    try:
        import magic

        v = int(magic.version())
    except Exception:  # noqa: BLE001 - no libmagic, or a python-magic without version()
        return None
    return f"{v // 100}.{v % 100:02d}"


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name and no passwd entry (some containers)
        return None


def write_manifest(evidence_dir: Path, report: Report, drop_path: Path, argv: list[str], started: str, ended: str,
                   key: Path | None = None) -> Path:
    """Write ``manifest.json`` (and ``manifest.sig`` when ``key``, an Ed25519 private key PEM, is
    given) for the reports already in ``evidence_dir``. Returns the manifest's path.

    Call it last: every other file in the directory is hashed. A stale ``manifest.sig`` from an
    earlier run is removed when no key is given (it could only fail to verify).
    """
    evidence_dir = Path(evidence_dir)
    signer = _load_private(Path(key)) if key is not None else None
    regular, _ = _evidence_files(evidence_dir)
    files = []
    for name in regular:
        sha, size = sha256_file(evidence_dir / name)
        files.append({"name": name, "sha256": sha, "size": size})
    drop = drop_digest(Path(drop_path))
    drop["kind"] = report.drop.get("kind")
    if report.drop.get("sha256"):
        drop["matches_report"] = report.drop["sha256"] == drop["sha256"]
    inv = report.inventory
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "triage", "version": __version__},
        "environment": environment(),
        "command": [str(a) for a in argv],
        "operator": _operator(),
        "host": socket.gethostname(),
        "started": started,
        "ended": ended,
        "drop": drop,
        "inventory": {k: inv.get(k) for k in ("db", "digest", "schema_version", "sources", "current")},
        "ruleset": report.ruleset,
        "report": {"schema": report.schema, "generated_at": report.generated_at, "summary": report.summary},
        "files": files,
    }
    sig_path = evidence_dir / SIGNATURE_NAME
    if signer is not None:
        manifest["signature"] = {"algorithm": "ed25519", "file": SIGNATURE_NAME,
                                 "public_key_sha256": _fingerprint(signer.public_key())}
    path = evidence_dir / MANIFEST_NAME
    _write_atomic(path, _pretty(manifest).encode("ascii"))
    if signer is not None:
        _write_atomic(sig_path, base64.b64encode(signer.sign(canonical(manifest))) + b"\n")
    elif sig_path.exists():
        sig_path.unlink()
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --- verification --------------------------------------------------------------------------------

def verify(evidence_dir: Path, public_key: Path | None = None, drop: Path | None = None) -> VerifyResult:
    """Re-check every hash in the manifest (and the drop's, when ``drop`` is given), list what is
    missing, changed or unlisted, and check the signature when ``public_key`` is given."""
    evidence_dir = Path(evidence_dir)
    if not evidence_dir.is_dir():
        raise InputError(f"{evidence_dir} is not a directory")
    verifier = _load_public(Path(public_key)) if public_key is not None else None
    problems: list[Problem] = []
    path = evidence_dir / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return VerifyResult(str(evidence_dir), (), (Problem("manifest-missing", MANIFEST_NAME),),
                            "missing" if verifier else "absent")
    try:
        manifest = json.loads(raw)
        if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
            raise ValueError(f"schema is not {SCHEMA}")
        listed = [f for f in manifest.get("files", []) if isinstance(f, dict)]
    except (ValueError, UnicodeDecodeError) as exc:
        return VerifyResult(str(evidence_dir), (), (Problem("manifest-unreadable", MANIFEST_NAME, detail=str(exc)),),
                            "invalid" if verifier else "absent")
    if raw != _pretty(manifest).encode("ascii", "replace"):
        problems.append(Problem("manifest-edited", MANIFEST_NAME))

    checked: list[str] = []
    names = set()
    for entry in listed:
        name = str(entry.get("name", ""))
        names.add(name)
        p = evidence_dir / name
        if not _inside(name):
            problems.append(Problem("extra", name, detail="listed name leaves the evidence directory"))
        elif not p.exists() and not p.is_symlink():
            problems.append(Problem("missing", name, expected=entry.get("sha256")))
        elif not stat.S_ISREG(p.lstat().st_mode):
            problems.append(Problem("not-regular", name, expected=entry.get("sha256")))
        else:
            sha, _ = sha256_file(p)
            if sha != entry.get("sha256"):
                problems.append(Problem("changed", name, expected=entry.get("sha256"), actual=sha))
            else:
                checked.append(name)
    regular, other = _evidence_files(evidence_dir)
    problems += [Problem("extra", n) for n in regular if n not in names]
    problems += [Problem("not-regular", n, detail="unlisted") for n in other if n not in names]

    if drop is not None:
        problems += _check_drop(Path(drop), manifest.get("drop") or {})

    signature = _check_signature(evidence_dir, manifest, verifier, problems)
    return VerifyResult(str(evidence_dir), tuple(checked), tuple(problems), signature, manifest)


def _inside(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "\\" not in name


def _check_drop(drop: Path, recorded: dict[str, Any]) -> list[Problem]:
    label = f"drop {drop}"
    if not drop.exists():
        return [Problem("drop-missing", label, expected=recorded.get("sha256"))]
    now = drop_digest(drop)
    if now["sha256"] != recorded.get("sha256") or now["digest"] != recorded.get("digest", now["digest"]):
        return [Problem("drop-changed", label, expected=recorded.get("sha256"), actual=now["sha256"])]
    return []


def _check_signature(evidence_dir: Path, manifest: dict[str, Any], verifier: Any, problems: list[Problem]) -> str:
    sig_path = evidence_dir / SIGNATURE_NAME
    if not sig_path.exists():
        if verifier is not None:
            problems.append(Problem("signature-missing", SIGNATURE_NAME))
            return "missing"
        return "absent"
    if verifier is None:
        return "unchecked"
    from cryptography.exceptions import InvalidSignature

    sig = _read_signature(sig_path)
    try:
        if sig is None:
            raise InvalidSignature
        verifier.verify(sig, canonical(manifest))
    except InvalidSignature:
        detail = "not a signature" if sig is None else ""
        signed_by = (manifest.get("signature") or {}).get("public_key_sha256")
        given = _fingerprint(verifier)
        if signed_by and signed_by != given:
            detail = f"the manifest names signing key {signed_by[:16]}..., the given public key is {given[:16]}..."
        problems.append(Problem("signature-invalid", SIGNATURE_NAME, detail=detail))
        return "invalid"
    return "valid"


def _read_signature(path: Path) -> bytes | None:
    """The 64 signature bytes from ``manifest.sig``: base64 text or raw."""
    data = path.read_bytes()
    if len(data) == 64:
        return data
    try:
        sig = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return sig if len(sig) == 64 else None


# --- keys ----------------------------------------------------------------------------------------

def generate_keypair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair as PEM (private: PKCS#8, unencrypted, mode 0600; public:
    SubjectPublicKeyInfo). Refuses to overwrite. Returns the public key's SHA-256 fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = Path(private_path), Path(public_path)
    for p in (private_path, public_path):
        if p.exists() or p.is_symlink():
            raise UsageError(f"{p} already exists: not overwriting a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return _fingerprint(key.public_key())


def _fingerprint(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _load_private(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise UsageError(f"cannot read the signing key {path}: {exc.strerror or exc}") from None
    except TypeError:
        raise UsageError(f"the signing key {path} is encrypted: give an unencrypted Ed25519 PEM key") from None
    except ValueError:
        raise UsageError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 private key")
    return key


def _load_public(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read the public key {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise UsageError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key")
    return key
