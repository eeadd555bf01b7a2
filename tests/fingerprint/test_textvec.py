"""The NumPy bytes path (index time) against the str functions (scan time).

Line hashes must agree exactly: a scanned file's lines are looked up in the index's postings.
The token stream may differ only where ``textvec`` documents it (non-ASCII word characters,
``$`` after a number, the bound of a quoted string).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.fingerprint import fingerprint, text, textvec
from triage.fingerprint.filetype import decode

VARIED = [
    # CRLF, tabs, trailing blanks
    "# License: internal\r\nimport os  \r\n\r\ndef f(x):\r\n\treturn x + 1\r\n",
    "a\rb\r\r\nc  \t\n\n\n",  # lone CR, CR CR LF, trailing blank lines
    "",
    "\n\n\n",
    "  \t \n\t\n",
    "no final newline   ",
    "héllo wörld  \nçava\t\n日本語のテキスト です\n",  # non-ASCII, multi-byte characters
    "a\u00a0b\n c\u2003d\u3000\n\u2028x\n",  # non-ASCII whitespace: the str fallback
    "tab\tsep\x1c\x1fend\x0b\x0c\n  indented\n",  # ASCII whitespace str.isspace() accepts
    "\ufeffbom line\n",
    "\ufeff\ufeffdouble bom\n",
    "line\r\n\r\n  \r\n",
    "x" * 5 + "\n" + "y" * 6 + "\n" + "é" * 5 + "\n" + "é" * 6,  # informative: characters, not bytes
]


def _str_views(t: str) -> tuple[str, str, list[int], list[bool]]:
    norm = text.normalize_newlines(t)
    wsl = text.ws_lines(norm)
    return (hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest(),
            hashlib.sha256("\n".join(wsl).encode("utf-8", "surrogatepass")).hexdigest(),
            text.line_hashes(wsl).tolist(), text.informative(wsl).tolist())


def _bytes_views(t: str) -> tuple[str, str, list[int], list[bool]]:
    tf = textvec.features(t.encode("utf-8", "surrogatepass"), t)
    return tf.norm_sha256, tf.ws_sha256, tf.lines.tolist(), tf.informative.tolist()


@pytest.mark.parametrize("t", VARIED)
def test_bytes_path_lines_equal_str_path(t: str):
    assert _bytes_views(t) == _str_views(t)


@pytest.mark.parametrize("t", VARIED)
def test_fingerprint_lines_equal_scan_time_lines(t: str):
    data = t.encode("utf-8")
    fp = fingerprint(data)
    decoded = decode(data)
    if decoded is None:  # empty, or too many control characters to be text
        assert fp.kind in ("empty", "binary")
        return
    content, _enc = decoded
    wsl = text.ws_lines(text.normalize_newlines(content))
    assert fp.lines.tolist() == text.line_hashes(wsl).tolist()
    assert fp.informative.tolist() == text.informative(wsl).tolist()


def test_other_encodings_hash_their_text():
    t = "naïve café\r\n  résumé = 1\r\n"
    for enc in ("utf-16", "latin-1"):
        data = t.encode(enc)
        fp = fingerprint(data)
        content, _found = decode(data)  # charset detection may name another 8-bit encoding
        assert fp.kind == "text"
        assert fp.lines.tolist() == text.line_hashes(text.ws_lines(text.normalize_newlines(content))).tolist()


def test_long_content_crosses_prefix_blocks():
    # More than one 1 MiB prefix block, lines of every length: the blocked prefix sums must agree.
    rng = np.random.RandomState(5)
    lines = ["".join(chr(97 + c) for c in rng.randint(0, 26, n)) for n in rng.randint(0, 4000, 1500)]
    t = "\n".join(lines)
    assert len(t) > 2 * textvec._BLOCK
    assert _bytes_views(t) == _str_views(t)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é\t\r\n\x0b\x1c\u00a0\u3000#/*'\"`.$1_;")), max_size=80))
def test_bytes_path_lines_equal_str_path_property(t: str):
    assert _bytes_views(t) == _str_views(t)


ASCII_CODE = """\
import os, sys  # comment
x = a.b.c + 1.5e3 + .5 + foo.1.bar ... $a $1.2 0x1F
s = "say \\"hi\\"" + 'it''s' + `multi
line` /* block
comment */ <!-- html --> // line
def f(self): return None
"""


def test_tokens_equal_regex_tokenizer_on_ascii_code():
    toks, shapes = text.tokens(ASCII_CODE)
    tf = textvec.features(ASCII_CODE.encode())
    assert tf.tokens.tolist() == text.token_hashes(toks).tolist()
    assert tf.shapes.tolist() == text.token_hashes(shapes).tolist()


def test_documented_token_differences():
    # A number absorbs "$" (the regex splits "1$x" in two); a non-ASCII letter starts a word.
    assert textvec.features(b"1$x").tokens.tolist() == text.token_hashes(["1$x"]).tolist()
    assert textvec.features("éa".encode()).tokens.tolist() == text.token_hashes(["éa"]).tolist()



def _one_prefix(x: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return textvec._mixed(textvec._prefix(x), starts.astype(np.int64), ends.astype(np.int64))


@pytest.mark.parametrize("group", [64, 4096, 1 << 22])
def test_grouped_segment_hashes_equal_one_prefix(monkeypatch, group: int):
    """Hashing segments group by group (bounded memory) gives the hashes of one prefix over the
    whole content: short segments, a segment longer than a group, one longer than a power-table
    block (1 MiB), and segments at the end."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, size=3 * (1 << 20) + 12345, dtype=np.uint8)
    cuts = np.sort(rng.choice(np.arange(1, 600_000), size=5_000, replace=False))
    long_end = 600_000 + (1 << 20) + 777  # a 1 MiB+ segment after the short ones
    bounds = np.concatenate([[0], cuts, [600_000, long_end, len(x) - 5, len(x)]])
    starts, ends = bounds[:-1], bounds[1:]
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    starts = starts + (np.arange(len(starts)) % 3 == 0)  # gaps between some segments (tokens)
    monkeypatch.setattr(textvec, "GROUP_BYTES", group)
    assert np.array_equal(textvec.segment_hashes64(x, starts, ends), _one_prefix(x, starts, ends))
    lone = np.array([5]), np.array([len(x) - 3])  # one segment across the whole content
    assert np.array_equal(textvec.segment_hashes64(x, *lone), _one_prefix(x, *lone))


_CODEISH = st.text(alphabet=st.sampled_from(list("ab1 \n\n\n'\"`#/*.-<!>\\x")), max_size=400)


@settings(max_examples=300, deadline=None)
@given(_CODEISH)
def test_pieces_give_the_hashes_of_one_pass(t: str):
    """Texts analysed in pieces (cut at line feeds outside strings and comments) give exactly
    the lines, tokens and shapes of one pass, whatever strings or comments span lines."""
    whole = textvec.features(t.encode())
    saved = textvec.PIECE_BYTES
    try:
        textvec.PIECE_BYTES = 7
        pieces = textvec.features(t.encode())
    finally:
        textvec.PIECE_BYTES = saved
    for f in whole.__dataclass_fields__:
        a, b = getattr(pieces, f), getattr(whole, f)
        assert np.array_equal(a, b) if isinstance(b, np.ndarray) else a == b, f"{f} of {t!r}"


def test_long_text_in_pieces_and_signature_in_pieces(monkeypatch):
    import triage.fingerprint as F

    src = "\n".join(f"x{i} = f(`a\n{i}`) /* c\n */ + 'q{i % 7}'  # n" for i in range(20_000)).encode()
    whole = fingerprint(src)
    monkeypatch.setattr(textvec, "PIECE_BYTES", 4096)
    monkeypatch.setattr(F, "SHINGLE_PIECE", 1000)
    pieces = fingerprint(src)
    for f in ("lines", "informative", "sig_tokens", "sig_shapes"):
        assert np.array_equal(getattr(pieces, f), getattr(whole, f)), f
    assert (pieces.norm_sha256, pieces.ws_sha256) == (whole.norm_sha256, whole.ws_sha256)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\x0b\x0c\x1c\n\n\n")), max_size=300))
def test_trailing_blanks_stripped_in_pieces_as_in_one(t: str):
    raw = t.encode()
    whole = textvec._normalize(raw)
    saved = textvec.PIECE_BYTES
    try:
        textvec.PIECE_BYTES = 5
        pieces = textvec._normalize(raw)
    finally:
        textvec.PIECE_BYTES = saved
    assert pieces == whole == text.normalize_newlines(t).encode()
