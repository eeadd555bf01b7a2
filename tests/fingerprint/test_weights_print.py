"""fingerprint() on model weights: tensor records instead of byte sketches, parse failures as a
note, a time limit, and spilled files read from a read-only map like bytes in memory."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.fingerprint.weights_files import model, write_safetensors, write_torch
from triage.errors import InputError
from triage.fingerprint import fingerprint
from triage.fingerprint import weights as fw
from triage.model import Spilled


def test_weights_get_tensor_records_not_byte_sketches():
    data = write_torch(model(0))
    fp = fingerprint(data)
    assert fp.kind == "binary" and fp.weights is not None and fp.weights.ok
    assert fp.weights.format == "torch" and len(fp.weights.records) == 12 and fp.weights.informative == 7
    assert fp.sig_tokens is None and len(fp.lines) == 0 and fp.tlsh is None  # no binary chunks for weights
    assert any("pickle not executed" in n for n in fp.weights.notes)
    assert fingerprint(b"plain text\n").weights is None


def test_unreadable_weights_are_a_note_and_fingerprinted_as_bytes():
    data = bytearray(write_safetensors(model(0)))
    data[20:40] = b"\xff" * 20  # breaks the JSON header
    fp = fingerprint(bytes(data))
    assert fp.weights is not None and not fp.weights.ok and "not readable as weights" in fp.weights.error
    assert fp.sig_tokens is not None  # judged as an ordinary binary


def test_time_limit_keeps_what_was_read_and_says_so(monkeypatch):
    monkeypatch.setattr(fw, "WEIGHTS_MAX_SECONDS", -1.0)
    wp = fw.extract(write_safetensors(model(0)))
    assert wp is not None and wp.ok and not wp.complete and wp.records == ()
    assert any(n.startswith("time limit") for n in wp.notes)


def test_spilled_file_is_mapped_and_fingerprinted_like_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(fw, "PARALLEL_HASH_BYTES", 1)  # the threaded path, on a small file
    data = write_safetensors(model(0))
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    a, b = fingerprint(Spilled(str(path), len(data), git_oid="ab" * 20)), fingerprint(data)
    assert (a.sha256, a.size, a.weights) == (b.sha256, b.size, b.weights)
    assert a.git_oid == "ab" * 20  # the source's blob id, never recomputed
    with pytest.raises(InputError, match="changed"):
        fingerprint(Spilled(str(path), len(data) + 1))
    os.symlink(path, tmp_path / "link")
    with pytest.raises(InputError):
        fingerprint(Spilled(str(tmp_path / "link"), len(data)))


def test_non_weights_spilled_file_gets_exact_identity_only(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(np.arange(1000, dtype=np.uint8).tobytes())
    fp = fingerprint(Spilled(str(path), 1000))
    assert fp.weights is None and fp.kind == "binary" and fp.sig_tokens is None
    assert fp.sha256 == fingerprint(path.read_bytes()).sha256
