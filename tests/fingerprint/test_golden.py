"""Golden values: a silent change of any hashing or normalization must fail here.

The SHA-256 values were checked with coreutils ``sha256sum``; the line, token and MinHash values
were pinned from this code when ``triage-fp/2`` was defined. Change them only together with a
new ``PARAMS["fingerprint"]`` version (old indexes then refuse to open, as they must).
"""

import numpy as np
from datasketch import MinHash

from triage.fingerprint import PARAMS, fingerprint, minhash, text, textvec
from triage.fingerprint.exact import git_blob_oid

SAMPLE = b"# License: internal\r\nimport os  \r\n\r\ndef f(x):\r\n\treturn x + 1\r\n"


def test_git_blob_oid_matches_git():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_minhash_equals_datasketch_affine32():
    vals = np.array([1, 2, 3, 99999, 123456789, 2**32 - 1], dtype=np.uint32)
    m = MinHash(num_perm=minhash.NUM_PERM, seed=minhash.SEED, hashfunc=lambda x: x)
    m.update_batch([int(v) for v in vals])
    assert m.scheme == "affine32"
    assert (minhash.signature(vals) == m.hashvalues).all()


def test_minhash_equals_datasketch_on_many_values():
    # More values than one NumPy chunk, with duplicates: the chunked minimum and the distinct step.
    rng = np.random.RandomState(3)
    vals = rng.randint(0, 1 << 32, 3 * minhash.CHUNK + 17, dtype=np.uint64).astype(np.uint32)
    vals = np.concatenate([vals, vals[:100]])
    m = MinHash(num_perm=minhash.NUM_PERM, seed=minhash.SEED, hashfunc=lambda x: x)
    m.update_batch([int(v) for v in vals])
    assert (minhash.signature(vals) == m.hashvalues).all()


def test_minhash_golden_values():
    sig = minhash.signature(np.array([1, 2, 3], dtype=np.uint32))
    assert sig[:4].tolist() == [277274469, 2241546430, 1311794348, 1610968749]


def test_line_hash_golden():
    assert text.line_hashes(["importos"]).tolist() == [225357854]


def test_normalizers():
    t = SAMPLE.decode()
    assert text.normalize_newlines(t) == "# License: internal\nimport os\n\ndef f(x):\n\treturn x + 1"
    assert text.ws_lines(text.normalize_newlines(t)) == ["#License:internal", "importos", "deff(x):", "returnx+1"]
    toks, shapes = text.tokens("def f(x): return 'a' + 12  # note")
    assert toks == ["def", "f", "(", "x", ")", ":", "return", "'a'", "+", "12"]
    assert shapes == ["def", "I", "(", "I", ")", ":", "return", "S", "+", "0"]


def test_fingerprint_golden():
    fp = fingerprint(SAMPLE)
    assert fp.kind == "text"
    assert fp.sha256 == "53dc82b0c99c785e94aa903b04340d96a178c817a66fbda42e769ab88c2356af"  # sha256sum
    assert fp.norm_sha256 == "7f08d66b97d3657d9f02d49ad149fe7a0c1d1ca381c39b8cbc3f80a6fa4a4559"  # sha256sum of LF text
    # sha256sum of the whitespace-stripped lines joined by LF:
    assert fp.ws_sha256 == "0351fbecc0b0ac5840e9eb17e911339e92773605877781edfb2ceb1ac20a8d23"
    assert fp.lines.tolist() == [3706005091, 225357854, 16534060, 443517692]
    assert fp.lines.tolist()[:2] == text.line_hashes(["#License:internal", "importos"]).tolist()
    assert fp.informative.tolist() == [True] * 4
    assert fp.sig_tokens[:4].tolist() == [667019009, 773989298, 32637160, 12686769]
    assert fp.sig_shapes[:4].tolist() == [3004929966, 2015463466, 407399414, 1324197415]
    assert PARAMS["fingerprint"] == "triage-fp/3"


def test_token_and_shape_hashes_golden():
    tf = textvec.features(SAMPLE)
    # import os def f ( x ) : return x + 1   (the comment is dropped)
    assert tf.tokens.tolist() == [
        777303319, 2304718623, 1305432145, 4241852073, 1226799959, 3400283983,
        2417866556, 698372743, 2812647452, 3400283983, 1170445965, 3064349750,
    ]
    ident, number = text.token_hashes(["I", "0"]).tolist()
    assert tf.shapes.tolist() == [
        777303319, ident, 1305432145, ident, 1226799959, ident,
        2417866556, 698372743, 2812647452, ident, 1170445965, number,
    ]


def test_format_only_edits_share_ws_hash():
    a = fingerprint(b"def f(x):\n    return x + 1\n")
    b = fingerprint(b"def f(x):\r\n\treturn x+1   \r\n")
    assert a.sha256 != b.sha256 and a.ws_sha256 == b.ws_sha256


def test_binary_patch_changes_one_chunk():
    rng = np.random.RandomState(7)
    data = rng.randint(0, 256, 200_000, dtype=np.uint8).tobytes()
    patched = bytearray(data)
    patched[100_000] ^= 0xFF
    a, b = fingerprint(data), fingerprint(bytes(patched))
    assert a.kind == b.kind == "binary"
    assert len(set(a.lines.tolist()) - set(b.lines.tolist())) == 1
