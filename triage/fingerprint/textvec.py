"""Text fingerprints computed over the UTF-8 bytes with whole-array NumPy operations.

Indexing fingerprints every distinct content of a history, so nothing here loops in Python per
line or per token: newline normalization, whitespace-stripped lines and their hashes, the
token stream and its identifier-abstracted shape are each a few passes over a ``uint8`` array.
Strings and comments are found by one C-level regular-expression split (they are context:
a ``#`` inside a string is not a comment).

Line and token hashes are 32-bit, from one segment hash (``segment_hashes``): a polynomial
``sum(b_j * P^(j - start)) mod 2^64`` read off one prefix sum per content, with the length
folded in and a 64-bit finalizer; the top 32 bits are kept. ``text.line_hashes`` hashes
``str`` lines with the same function, so scan-time alignment meets the index's postings.

Semantics (``triage-fp/2``), where they differ from the regex tokenizer in ``text.py``:

- bytes >= 0x80 (any non-ASCII character) are identifier characters: a word starting with one
  is an identifier (the regex skips its first character), and non-ASCII punctuation joins the
  word it touches instead of being an operator;
- a number absorbs the rest of its word, ``$`` included (``1$x`` is one number, not two tokens);
- the 2,000 bound of a quoted string counts units, a run of plain bytes or an escape, not
  characters (``MAX_STRING_UNITS``).

Lines are split and stripped exactly as ``text.normalize_newlines`` and ``text.ws_lines`` do
(every ``str.isspace`` character is whitespace); a content holding non-ASCII whitespace takes
those ``str`` functions for that step, so both paths give the same lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from triage.fingerprint.starts import masked

# Lines shorter than this (whitespace removed, in characters) carry no evidence: "}", "else:".
MIN_INFORMATIVE_LINE = 6

# Multiplier of the segment hash (odd, so invertible mod 2^64) and the length salt.
_P = 0xC2B2AE3D27D4EB4F
_P_INV = pow(_P, -1, 1 << 64)
_LEN_SALT = np.uint64(0x9E3779B97F4A7C15)
_M64 = (1 << 64) - 1
# Prefix sums are built in blocks of this many bytes, so the power tables stay 8 MiB each
# whatever the content's size.
_BLOCK_BITS = 20
_BLOCK = 1 << _BLOCK_BITS


def _power_table(base: int, n: int) -> np.ndarray:
    steps = np.full(n, base, dtype=np.uint64)
    steps[0] = 1
    return np.cumprod(steps, dtype=np.uint64)  # wraps mod 2^64, as intended


_POW = _power_table(_P, _BLOCK)  # P^k, k < BLOCK
_INV = _power_table(_P_INV, _BLOCK)  # P^-k, k < BLOCK
_P_BLOCK = pow(_P, _BLOCK, 1 << 64)
_P_INV_BLOCK = pow(_P_INV, _BLOCK, 1 << 64)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _prefix(x: np.ndarray) -> np.ndarray:
    """C[i] = sum_{j<i} x_j * P^j mod 2^64 (length len(x) + 1), for uint8 ``x``."""
    n = len(x)
    c = np.empty(n + 1, dtype=np.uint64)
    c[0] = 0
    scale = 1  # P^block_start
    for bs in range(0, n, _BLOCK):
        m = min(_BLOCK, n - bs)
        part = c[bs + 1 : bs + 1 + m]
        np.multiply(x[bs : bs + m], _POW[:m], out=part)
        np.cumsum(part, out=part)  # wraps mod 2^64, as intended
        if scale != 1:
            part *= np.uint64(scale)
            part += c[bs]
        scale = scale * _P_BLOCK & _M64
    return c


def _inverse_powers(starts: np.ndarray) -> np.ndarray:
    """P^-s for each start offset s."""
    out = _INV[starts & (_BLOCK - 1)]
    hi = starts >> _BLOCK_BITS
    if hi.any():
        table = np.array([pow(_P_INV_BLOCK, k, 1 << 64) for k in range(int(hi.max()) + 1)], dtype=np.uint64)
        out = out * table[hi]
    return out


def _mixed(c: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hashes of segments [starts, ends) of the array behind prefix ``c``."""
    h = (c[ends] - c[starts]) * _inverse_powers(starts)
    return _fmix64(h ^ ((ends - starts).astype(np.uint64) * _LEN_SALT))


def _top32(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(32)).astype(np.uint32)


# Segments are hashed in groups spanning at most this many bytes: a prefix array costs 8 bytes
# per byte it spans, so a 64 MB text needs 32 MB of it at a time instead of 512 MB. The hash of a
# segment does not depend on where the prefix starts (it is multiplied by P^-start).
GROUP_BYTES = 1 << 22


def _long_segment(x: np.ndarray) -> np.uint64:
    """sum x_j * P^j mod 2^64 over a whole array, one block of the power table at a time."""
    acc, scale = 0, 1
    for bs in range(0, len(x), _BLOCK):
        m = min(_BLOCK, len(x) - bs)
        part = int(np.sum(x[bs : bs + m] * _POW[:m], dtype=np.uint64))  # wraps mod 2^64, as intended
        acc = (acc + part * scale) & _M64
        scale = scale * _P_BLOCK & _M64
    return np.uint64(acc)


def segment_hashes64(x: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hashes of the byte segments ``x[starts[i]:ends[i]]`` (uint8 ``x``): in order and
    not overlapping (lines, tokens, joined strings), else through one prefix of the whole."""
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)
    n = len(starts)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(x) <= GROUP_BYTES or (n > 1 and ((starts[1:] < ends[:-1]).any() or (ends < starts).any())):
        return _mixed(_prefix(x), starts, ends)
    out = np.empty(n, dtype=np.uint64)
    i = 0
    while i < n:
        base = int(starts[i])
        j = max(i + 1, int(np.searchsorted(ends, base + GROUP_BYTES, side="right")))
        top = int(ends[j - 1])
        if j == i + 1 and top - base > GROUP_BYTES:  # one segment longer than a group
            h = np.array([_long_segment(x[base:top])], dtype=np.uint64)
            out[i] = _fmix64(h ^ (np.array([top - base], dtype=np.uint64) * _LEN_SALT))[0]
        else:
            out[i:j] = _mixed(_prefix(x[base:top]), starts[i:j] - base, ends[i:j] - base)
        i = j
    return out


def segment_hashes(x: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """32-bit hashes of the byte segments ``x[starts[i]:ends[i]]`` (uint8 ``x``)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint32)
    return _top32(segment_hashes64(x, starts, ends))


def hash_strings(items: list[str]) -> np.ndarray:
    """``segment_hashes`` of each string's UTF-8 bytes (the str-level twin of the bytes path)."""
    if not items:
        return np.zeros(0, dtype=np.uint32)
    joined = "".join(items)
    if joined.isascii():  # one encode: every character is one byte
        lens = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        ends = np.cumsum(lens)
        return segment_hashes(np.frombuffer(joined.encode("ascii"), dtype=np.uint8), ends - lens, ends)
    enc = [s.encode("utf-8", "surrogatepass") for s in items]
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
    ends = np.cumsum(lens)
    return segment_hashes(np.frombuffer(b"".join(enc), dtype=np.uint8), ends - lens, ends)


def _hash64_strings(items: list[str]) -> np.ndarray:
    enc = [s.encode() for s in items]
    lens = np.array([len(e) for e in enc], dtype=np.int64)
    ends = np.cumsum(lens)
    return _mixed(_prefix(np.frombuffer(b"".join(enc), dtype=np.uint8)), ends - lens, ends)


# -- byte classes ---------------------------------------------------------------------------------

# Whitespace other than LF: the ASCII characters str.isspace() accepts.
_WS = np.zeros(256, dtype=bool)
_WS[[9, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_LF = 10
# Non-ASCII characters str.isspace() accepts, in UTF-8: their presence sends line splitting to
# the str functions (rare: NBSP, ideographic space, U+2028...).
_EXOTIC_WS = re.compile(
    rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
# Character classes of the tokenizer.
_C_SEP, _C_WORD, _C_DIGIT, _C_DOT, _C_OP, _C_STR = 0, 1, 2, 3, 4, 5
_CLASS = np.full(256, _C_OP, dtype=np.uint8)
_CLASS[_WS] = _C_SEP
_CLASS[_LF] = _C_SEP
for _lo, _hi in ((ord("a"), ord("z")), (ord("A"), ord("Z"))):
    _CLASS[_lo : _hi + 1] = _C_WORD
_CLASS[[ord("_"), ord("$")]] = _C_WORD
_CLASS[128:] = _C_WORD
_CLASS[ord("0") : ord("9") + 1] = _C_DIGIT
_CLASS[ord(".")] = _C_DOT
# UTF-8 continuation bytes (not counted as characters).
_CONT = np.zeros(256, dtype=bool)
_CONT[0x80:0xC0] = True

# A string holds at most this many units, runs of plain characters or escapes (possessive: no
# backtracking): the bound keeps each attempt at an unclosed quote short.
MAX_STRING_UNITS = 2000


def str_com_re(units: int) -> re.Pattern[bytes]:
    """Strings and comments, as in text._TOKEN_RE (one group: split() keeps the matches)."""
    return re.compile(
        rb"""(
          "(?:[^"\\\n]++|\\.){0,%d}+"|'(?:[^'\\\n]++|\\.){0,%d}+'|`(?:[^`\\]++|\\.){0,%d}+`
        | \#[^\n]*|//[^\n]*|/\*.*?\*/|<!--.*?-->
        )""" % (units, units, units),
        re.VERBOSE | re.DOTALL,
    )


_STR_COM_RE = str_com_re(MAX_STRING_UNITS)
_QUOTES = np.zeros(256, dtype=bool)
_QUOTES[[ord('"'), ord("'"), ord("`")]] = True


# Keywords kept as themselves in the abstracted stream: the shape of control flow is evidence,
# the names are not. A union over common languages; a word that is a keyword in one language
# and an identifier in another only makes a shape slightly more specific.
KEYWORDS = frozenset(
    """
    and as assert async await break case catch class const continue def default del delete do
    elif else enum except export extends false finally fn for from func function go if impl
    import in instanceof interface is lambda let loop match mod new nil none not null or
    package pass private protected pub public raise return self static struct super switch
    this throw throws true try type typeof use var void while with yield None True False
    """.split()
)

_KEYWORDS64 = np.sort(_hash64_strings(sorted(KEYWORDS)))


def _keyword_table(bits: int = 12) -> tuple[np.ndarray, np.uint64]:
    """A direct table: slot = top ``bits`` bits of a token's 64-bit hash, holding the keyword
    hash found there (0 elsewhere). One gather and one compare per token, where a binary search
    took seven; the width grows until no two keywords share a slot."""
    while True:
        shift = np.uint64(64 - bits)
        slots = _KEYWORDS64 >> shift
        if len(np.unique(slots)) == len(slots) and not (_KEYWORDS64 == 0).any():
            table = np.zeros(1 << bits, dtype=np.uint64)
            table[slots] = _KEYWORDS64
            return table, shift
        bits += 1


_KEYWORD_TABLE, _KEYWORD_SHIFT = _keyword_table()
_SYMBOLS = _top32(_hash64_strings(["I", "0", "S"]))  # identifier, number, string in shapes


def _shift_right(mask: np.ndarray) -> np.ndarray:
    """out[i] = mask[i - 1] (False at 0)."""
    out = np.empty_like(mask)
    out[0] = False
    out[1:] = mask[:-1]
    return out


def _shift_left(mask: np.ndarray) -> np.ndarray:
    """out[i] = mask[i + 1] (False at the end)."""
    out = np.empty_like(mask)
    out[-1] = False
    out[:-1] = mask[1:]
    return out


@dataclass(frozen=True)
class TextFeatures:
    norm_sha256: str
    ws_sha256: str
    lines: np.ndarray  # uint32 per whitespace-stripped non-blank line
    informative: np.ndarray  # bool per line
    tokens: np.ndarray  # uint32 per token (comments dropped)
    shapes: np.ndarray  # uint32 per token, identifiers/numbers/strings abstracted


# -- newline normalization and lines --------------------------------------------------------------

_WS_BYTES = bytes(np.flatnonzero(_WS).tolist())


def _strip_trailing(buf: bytes) -> bytes:
    """Drop every run of blanks that ends a line (LF-only text), piece by piece (a piece ends
    with a line feed, so no run crosses it)."""
    if not buf:
        return buf
    a = np.frombuffer(buf, dtype=np.uint8)
    last = len(a) - 1  # blanks before a line feed at 1..last, or at the very end

    def blank_before_lf(s: int) -> bool:
        e = min(s + PIECE_BYTES, last)
        return bool((_WS[a[s:e]] & (a[s + 1 : e + 1] == _LF)).any())

    if not _WS[a[-1]] and not any(blank_before_lf(s) for s in range(0, last, PIECE_BYTES)):
        return buf  # the common case: no line ends with a blank
    cuts = _line_cuts(buf)
    return b"".join(_strip_piece(buf[lo:hi]) for lo, hi in zip(cuts, cuts[1:]))


def _strip_piece(buf: bytes) -> bytes:
    if not buf:
        return buf
    a = np.frombuffer(buf, dtype=np.uint8)
    n = len(a)
    ws = _WS[a]
    run_starts = np.flatnonzero(ws & ~_shift_right(ws))
    run_ends = np.flatnonzero(ws & ~_shift_left(ws)) + 1
    trailing = (run_ends == n) | (a[np.minimum(run_ends, n - 1)] == _LF)
    delta = np.zeros(n + 1, dtype=np.int8)
    delta[run_starts[trailing]] = 1
    delta[run_ends[trailing]] -= 1
    np.cumsum(delta[:-1], out=delta[:-1])
    return a[~delta[:-1].view(bool)].tobytes()


def _normalize(buf: bytes) -> bytes:
    """text.normalize_newlines over UTF-8 bytes (ASCII whitespace only; BOM already dropped)."""
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return _strip_trailing(buf).rstrip(b"\n")


# Texts are analysed in pieces of about this many bytes, cut at line feeds where no string or
# comment spans them (tokens) or anywhere (lines): the same hashes as one pass, with memory
# bounded by the piece instead of the text (~25 bytes of arrays per byte analysed).
PIECE_BYTES = 1 << 22


def _line_cuts(norm: bytes, ok: Callable[[int], int] | None = None) -> list[int]:
    """Piece boundaries: 0, the first acceptable line feed after every PIECE_BYTES, len(norm).
    ``ok(pos)`` returns ``pos`` when a line feed at ``pos`` may be cut, else where to look next."""
    cuts, n = [0], len(norm)
    while n - cuts[-1] > PIECE_BYTES:
        at = norm.find(b"\n", cuts[-1] + PIECE_BYTES)
        while at != -1 and ok is not None and ok(at) != at:
            at = norm.find(b"\n", ok(at))
        if at == -1:
            break
        cuts.append(at + 1)
    return [*cuts, n]


def _ws_lines(norm: bytes) -> tuple[str, np.ndarray, np.ndarray]:
    """ws_sha256, line hashes and informative mask of newline-normalized bytes."""
    cuts = _line_cuts(norm)
    sha = hashlib.sha256()
    hashes, informative = [], []
    for lo, hi in zip(cuts, cuts[1:]):
        joined, h, inf = _ws_piece(norm[lo:hi])
        if len(h):
            if any(len(x) for x in hashes):  # lines joined by LF across pieces too
                sha.update(b"\n")
            sha.update(joined)
        hashes.append(h)
        informative.append(inf)
    return sha.hexdigest(), np.concatenate(hashes), np.concatenate(informative)


def _ws_piece(norm: bytes) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The joined whitespace-stripped lines of a piece, their hashes and informative mask."""
    # Blanks removed, lines kept: bytes.split() then cuts at the line feeds and drops blank lines.
    lines = norm.translate(None, _WS_BYTES).split()
    joined = b"\n".join(lines)
    if not lines:
        return joined, np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=bool)
    lens = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    ends = np.cumsum(lens + 1) - 1
    starts = ends - lens
    arr = np.frombuffer(joined, dtype=np.uint8)
    if joined.isascii():
        chars = lens
    else:
        lead = np.zeros(len(arr) + 1, dtype=np.int64)
        np.cumsum(~_CONT[arr], out=lead[1:])
        chars = lead[ends] - lead[starts]
    return joined, segment_hashes(arr, starts, ends), chars >= MIN_INFORMATIVE_LINE


# -- tokens ------------------------------------------------------------------------------------------


def _number_mask(wd: np.ndarray, word: np.ndarray, digit_part: np.ndarray) -> np.ndarray:
    """Bytes inside numbers: in each run of word characters and dots, from its first digit-led
    part to the run's end (``1.5e3``, ``0x1F``, ``1.b``; ``a.1`` is ``a`` ``.`` ``1``)."""
    n = len(wd)
    firsts = np.flatnonzero(digit_part)
    mask = np.zeros(n, dtype=bool)
    if len(firsts) == 0:
        return mask
    runs = np.flatnonzero(wd & ~_shift_right(wd))
    run_ends = np.flatnonzero(wd & ~_shift_left(wd)) + 1
    run_of = np.searchsorted(runs, firsts, side="right") - 1
    first_in_run = np.ones(len(firsts), dtype=bool)
    first_in_run[1:] = run_of[1:] != run_of[:-1]
    lo, hi = firsts[first_in_run], run_ends[run_of[first_in_run]]
    delta = np.zeros(n + 1, dtype=np.int8)
    delta[lo] = 1
    delta[hi] -= 1
    np.cumsum(delta[:-1], out=delta[:-1])
    return delta[:-1].view(bool)


def _tokens(raw: bytes, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token and shape hashes of newline-normalized bytes (``raw`` and ``a`` hold the same bytes)."""
    empty = np.zeros(0, dtype=np.uint32)
    if len(a) == 0:
        return empty, empty
    # Strings and comments of the whole text first (one C-level split). Starts that cannot match
    # are masked first: a crafted file of them would cost starts x size.
    parts = _STR_COM_RE.split(masked(raw, MAX_STRING_UNITS, runs=True))
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    del parts
    bounds = np.concatenate([[0], np.cumsum(lens)])  # part p spans bounds[p]:bounds[p + 1]
    kind = np.zeros(len(lens), dtype=np.uint8)
    if len(lens) > 1:
        is_str = _QUOTES[a[bounds[1:-1:2]]]
        # Bytes of a string take the string class, bytes of a comment separate tokens.
        kind[1::2] = np.where(is_str, _C_STR, _C_SEP + 16)

    def in_code(pos: int) -> int:
        """``pos`` when it lies in code (not in a string or comment), else that match's end."""
        p = int(np.searchsorted(bounds, pos, side="right")) - 1
        return pos if p % 2 == 0 else int(bounds[p + 1])

    cuts = _line_cuts(raw, in_code) if len(a) > PIECE_BYTES else [0, len(a)]
    toks, shapes = [], []
    for lo, hi in zip(cuts, cuts[1:]):
        p0 = int(np.searchsorted(bounds, lo, side="right")) - 1
        p1 = int(np.searchsorted(bounds, hi, side="left"))
        piece_lens = np.diff(np.clip(bounds[p0 : p1 + 1], lo, hi))
        t, sh = _piece_tokens(a[lo:hi], kind[p0:p1], piece_lens)
        toks.append(t)
        shapes.append(sh)
    return np.concatenate(toks), np.concatenate(shapes)


def _piece_tokens(a: np.ndarray, kind: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token and shape hashes of a piece cut at a line feed in code; ``kind`` and ``lens``:
    the string/comment class and length of each part of the split within the piece."""
    empty = np.zeros(0, dtype=np.uint32)
    if len(a) == 0:
        return empty, empty
    cls = _CLASS[a]
    str_starts = np.zeros(0, dtype=np.int64)
    if kind.any():
        per_byte = np.repeat(kind, lens)
        np.copyto(cls, per_byte & 15, where=per_byte != 0)
        del per_byte
        first = np.cumsum(lens) - lens
        str_starts = first[(kind == _C_STR) & (lens > 0)]
    word = (cls == _C_WORD) | (cls == _C_DIGIT)
    dot = cls == _C_DOT
    part_start = word & ~_shift_right(word)
    num = _number_mask(word | dot, word, part_start & (cls == _C_DIGIT))
    starts_mask = (cls == _C_OP) | ((dot | part_start) & ~num) | (num & ~_shift_right(num))
    starts_mask[str_starts] = True
    is_tok = cls != _C_SEP
    t_starts = np.flatnonzero(starts_mask)
    if len(t_starts) == 0:
        return empty, empty
    t_ends = np.flatnonzero(is_tok & ~(_shift_left(is_tok) & ~_shift_left(starts_mask))) + 1
    first_cls = cls[t_starts]
    is_num = num[t_starts]
    del cls, word, dot, part_start, num, starts_mask, is_tok  # per byte: free before the hashing
    h64 = segment_hashes64(a, t_starts, t_ends)
    del t_starts, t_ends
    toks = _top32(h64)
    abstract = (first_cls == _C_WORD) & ~is_num & (_KEYWORD_TABLE[h64 >> _KEYWORD_SHIFT] != h64)
    shapes = toks.copy()
    shapes[abstract] = _SYMBOLS[0]
    shapes[is_num] = _SYMBOLS[1]
    shapes[first_cls == _C_STR] = _SYMBOLS[2]
    return toks, shapes


def features(buf: bytes, text: str | None = None) -> TextFeatures:
    """Fingerprint views of a text given as UTF-8 bytes (``text``: the same, decoded, if at hand)."""
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
        text = text[1:] if text is not None and text.startswith("\ufeff") else None
    if not buf.isascii() and _EXOTIC_WS.search(buf):
        from triage.fingerprint import text as T

        s = text if text is not None else buf.decode("utf-8", "surrogatepass")
        norm_s = T.normalize_newlines(s)
        raw = norm_s.encode("utf-8", "surrogatepass")
        wsl = T.ws_lines(norm_s)
        ws_sha = hashlib.sha256("\n".join(wsl).encode("utf-8", "surrogatepass")).hexdigest()
        lines, informative = hash_strings(wsl), T.informative(wsl)
        norm = np.frombuffer(raw, dtype=np.uint8)
    else:
        raw = _normalize(buf)
        norm = np.frombuffer(raw, dtype=np.uint8)
        ws_sha, lines, informative = _ws_lines(raw)
    toks, shapes = _tokens(raw, norm)
    return TextFeatures(hashlib.sha256(raw).hexdigest(), ws_sha, lines, informative, toks, shapes)

