"""Compare one dropped content with one internal candidate: figures and what changed.

A ``View`` is the analysed form of a text (or binary) content; ``compare()`` aligns two views
and returns a ``Comparison`` of plain figures that the classifier judges. Lines are weighted by
how specific they are (the boilerplate discount): a line held by many internal paths (license
header, common import, generated banner) is weak evidence that one file derives from another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from rapidfuzz.distance import LCSseq

from triage.align import matching_blocks, opcodes
from triage.fingerprint import text as T
from triage.fingerprint.filetype import decode
from triage.fingerprint.minhash import distinct

# Lines whose first characters say "comment" or "import": shared prologue, not derived code.
_COMMENT_RE = re.compile(r"^(#(?!include|define|if|pragma)|//|/\*|\*|<!--|--|;|\"\"\"|\'\'\')")
_IMPORT_RE = re.compile(
    r"^(import\s|from\s+\S+\s+import\b|#\s*include\b|using\s|package\s|use\s|require\(|@import\b"
    r"|(var|let|const)\s+[\w${},:\s]*=\s*require\(|[\w$.]+\s*=\s*require\(|export\s.*\sfrom\s)"
)
_DIRECTIVE_RE = re.compile(r"""^['"]use (strict|client|server)['"];?$""")
# Diff hunks shown per altered file, and lines per hunk, in the report.
MAX_HUNKS = 8
MAX_HUNK_LINES = 24
# Binaries up to this size are aligned byte by byte when their sizes differ (bit-parallel LCS:
# 64 KiB x 64 KiB costs ~64M word operations).
BYTE_LCS_MAX = 64 * 1024
# A drop file this much aligned with a candidate line by line needs no token-level figures.
SETTLED_BY_LINES = 0.9
# Binaries of equal size are 'byte-patched' when at most this share of bytes differ.
MAX_PATCHED_BYTE_SHARE = 0.10

# Token 5-grams of a view are hashed this many at a time (their distinct values are kept).
SHINGLE_PIECE = 1 << 20
# Token and structure figures are computed for texts up to this many characters: a view's
# tokens cost ~10 bytes per character, and a text this long is compared by its lines alone
# (the fingerprints of texts up to FUZZY_MAX_BYTES still find its candidates).
TOKEN_FIGURES_MAX_CHARS = 32 * 1024 * 1024
# Token-level change kinds (comments, renamed identifiers, constants) are told apart for texts up
# to this many characters: telling them tokenizes both sides (seconds for 10 MB sources).
TOKEN_KINDS_MAX_CHARS = 4 * 1024 * 1024


class View:
    """The analysed form of one content. Token-level views are computed on first use only:
    most comparisons are settled by line alignment and never need them."""

    def __init__(self, text: str | None, raw_lines: list[str], lines: list[str], hashes: np.ndarray,
                 informative: np.ndarray, category: list[str], data: bytes = b"", textual: bool | None = None):
        self.text = text  # newline-normalized text, None for binaries
        self.raw_lines = raw_lines  # the text's lines (for diffs)
        self.lines = lines  # ws-stripped non-blank lines (not kept by text_view: ``hashes`` stand for them)
        self.hashes = hashes  # per entry of ``lines`` (or binary chunk)
        self.informative = informative
        self.category = category  # per line: "comment" | "import" | "code"
        self.data = data
        self.textual = text is not None if textual is None else textual

    @property
    def is_text(self) -> bool:
        return self.textual

    @property
    def hashes_only(self) -> bool:
        """An indexed content whose bytes the index does not keep (over BODY_MAX_BYTES): only
        its line (or chunk) hashes can be compared; no tokens, no diff, no byte patch."""
        return self.textual and self.text is None

    @cached_property
    def _tokenized(self) -> tuple[np.ndarray, np.ndarray]:
        """Token hashes and per-line shape hashes. The token strings themselves are not kept (a
        view lives in the scan's cache; ``tokens`` recomputes them for the rare caller)."""
        if self.text is None:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
        return T.token_and_shape_hashes(self.text)  # hashed in batches: no list of every token

    @property
    def tokens(self) -> list[str]:
        return T.tokens_and_shape_lines(self.text)[0] if self.text is not None else []

    @property
    def shape_hashes(self) -> np.ndarray:
        """Per line with code: hash of its identifier/literal-abstracted token sequence."""
        return self._tokenized[1]

    @cached_property
    def token_shingles(self) -> np.ndarray:
        """Distinct token 5-gram hashes, sorted (uint32)."""
        hashes = self._tokenized[0]
        if not len(hashes):
            return np.zeros(0, dtype=np.uint32)
        step = SHINGLE_PIECE  # pieces overlap by 4 tokens: every 5-gram is in one of them
        return distinct(np.concatenate([distinct(T.shingle_hashes(hashes[i : i + step + 4], 5))
                                        for i in range(0, max(1, len(hashes) - 4), step)]))

    @cached_property
    def code_mask(self) -> np.ndarray:
        """Per line: a code line (not a comment or an import)."""
        if len(self.category) != len(self.hashes):
            return np.ones(len(self.hashes), dtype=bool)
        return np.fromiter((k == "code" for k in self.category), dtype=bool, count=len(self.category))


def categories(raw_lines: list[str]) -> list[str]:
    """Per non-blank line (the lines ``ws_lines`` keeps): comment, import or code.

    An import that opens a bracket (``from x import (``, ``import {``) runs to the line that
    closes it, and ``'use strict'`` directives are prologue too: a forger who copies the import
    block copies those lines with it."""
    cats = []
    in_doc = False
    open_import = 0  # unclosed brackets of the import statement being read
    for line in raw_lines:
        sq = line.strip()
        if not sq:
            continue
        quotes = sq.count('"""') + sq.count("\'\'\'")
        if open_import > 0:
            cats.append("import")
            open_import += _bracket_balance(sq)
        elif in_doc or quotes:
            cats.append("comment")
            if quotes % 2 == 1:
                in_doc = not in_doc
        elif _COMMENT_RE.match(sq):
            cats.append("comment")
        elif _IMPORT_RE.match(sq) or _DIRECTIVE_RE.match(sq):
            cats.append("import")
            open_import = max(_bracket_balance(sq), 0) if _IMPORT_RE.match(sq) else 0
        else:
            cats.append("code")
    return cats


def _bracket_balance(line: str) -> int:
    return line.count("(") + line.count("{") - line.count(")") - line.count("}")


def text_view(text: str, data: bytes = b"", line_hashes: np.ndarray | None = None,
              informative: np.ndarray | None = None) -> View:
    """``line_hashes``: the content's line hashes when already known (an indexed content's
    ``lines``, a dropped file's fingerprint: the same function of the same lines), else
    computed here; ``informative`` likewise (a fingerprint's)."""
    norm = T.normalize_newlines(text)
    raw = norm.split("\n")
    cats = categories(raw)
    known = line_hashes is not None and informative is not None and len(line_hashes) == len(informative)
    if known and len(cats) == len(line_hashes):  # the lines need not be made again
        return View(norm, raw, [], line_hashes, informative, cats, data)
    lines = T.ws_lines(norm)
    if len(cats) != len(lines):  # a line of only exotic whitespace: fall back to "all code"
        cats = ["code"] * len(lines)
    if line_hashes is None or len(line_hashes) != len(lines):
        line_hashes = T.line_hashes(lines)
    informative = T.informative(lines)
    del lines  # the hashes stand for them from here on (a large file's lines would be kept twice)
    return View(norm, raw, [], line_hashes, informative, cats, data)


def hashes_view(kind: str, hashes: np.ndarray) -> View:
    """The view of an indexed content kept without its bytes: its stored line (text) or chunk
    (binary) hashes, every line counted as informative code (the line frequencies still weigh
    boilerplate down)."""
    n = len(hashes)
    return View(None, [], [], hashes, np.ones(n, dtype=bool), ["code"] * n, b"", textual=kind == "text")


def binary_view(data: bytes) -> View:
    from triage.fingerprint.binary import chunk_hashes

    h = chunk_hashes(data)
    return View(None, [], [], h, np.ones(len(h), dtype=bool), ["code"] * len(h), data)


@dataclass(frozen=True)
class Comparison:
    containment_drop: float  # weighted share of the drop file found (aligned) in the candidate
    containment_source: float  # weighted share of the candidate found in the drop file
    matched_code: float  # weight of matched code lines (not comments or imports)
    matched_weight: float  # weight of all matched drop lines (specific lines weigh ~1, boilerplate ~0)
    matched_lines: int
    drop_lines: int
    source_lines: int
    inserted: int  # lines in the drop file not aligned with the candidate
    deleted: int  # candidate lines not aligned with the drop file
    token_containment: float | None  # share of drop token 5-grams in the candidate (None: not needed)
    shape_ratio: float | None  # LCS similarity of the identifier-abstracted lines (None: not needed)
    matched_drop_mask: np.ndarray  # per drop line: aligned with this candidate
    token_shingles: int  # distinct token 5-grams of the drop file (0 when not computed)
    code_drop: float  # weighted share of the drop file's code lines aligned (comments, imports aside)
    code_source: float  # weighted share of the candidate's code lines aligned
    prefix: bool  # the drop file is the candidate's beginning (truncation)
    byte_diff: int | None = None  # binaries of equal size: bytes that differ
    # Weight of the candidate's lines past its prologue (license, docstring, imports) copied in
    # one verbatim run together with the end of that prologue: a copy that does not stop where a
    # forger's reuse of the header would.
    run_past_prologue: float = 0.0
    source_code_lines: int = 0  # the candidate's code lines (not comments, docstrings or imports)


WeightFn = Callable[[np.ndarray], np.ndarray]


def _weights(view: View, weight: WeightFn) -> np.ndarray:
    w = weight(view.hashes) if len(view.hashes) else np.zeros(0)
    return np.where(view.informative, w, 0.0)


def compare(d: View, c: View, weight: WeightFn) -> Comparison:
    # Longest-common-subsequence alignment of the line hashes (bit-parallel, C++): linear-ish
    # even for files of tens of thousands of lines, where difflib is quadratic.
    blocks = matching_blocks(d.hashes, c.hashes)  # bounded memory for very long files (align.py)
    md = np.zeros(len(d.hashes), dtype=bool)
    mc = np.zeros(len(c.hashes), dtype=bool)
    for a, b, n in blocks:
        md[a : a + n] = True
        mc[b : b + n] = True
    wd, wc = _weights(d, weight), _weights(c, weight)
    # Novel drop lines (never seen internally) weigh fully: they are what a forger adds.
    cd = float(wd[md].sum() / wd.sum()) if wd.sum() > 0 else 0.0
    cs = float(wc[mc].sum() / wc.sum()) if wc.sum() > 0 else 0.0
    code = d.code_mask
    ccode = c.code_mask
    matched_code = float(wd[md & code].sum())
    code_drop = matched_code / float(wd[code].sum()) if wd[code].sum() > 0 else 0.0
    code_source = float(wc[mc & ccode].sum() / wc[ccode].sum()) if wc[ccode].sum() > 0 else 0.0
    tc = shape = None
    if (d.is_text and c.is_text and not (cd >= SETTLED_BY_LINES and matched_code >= 2.0)
            and d.text is not None and c.text is not None
            and max(len(d.text), len(c.text)) <= TOKEN_FIGURES_MAX_CHARS):
        ds = d.token_shingles
        tc = len(np.intersect1d(ds, c.token_shingles, assume_unique=True)) / len(ds) if len(ds) else 0.0
        shape = 0.0
        if len(d.shape_hashes) and len(c.shape_hashes):
            shape = float(LCSseq.normalized_similarity(d.shape_hashes.tolist(), c.shape_hashes.tolist()))
    n_match = int(md.sum())
    run_past = 0.0
    if d.is_text and c.is_text and not c.hashes_only and ccode.any():
        pe = int(np.argmax(ccode))  # the candidate's first code line: where its prologue ends
        for _a, b, n in blocks:
            if b < pe < b + n:
                run_past = float(wc[pe : b + n].sum())
    prefix = n_match > 0 and bool(md.all()) and len(c.hashes) > len(d.hashes) and bool(mc[: len(d.hashes)].all())
    byte_diff = None
    if not d.is_text and not c.is_text and d.data and c.data:
        if len(d.data) == len(c.data):
            a = np.frombuffer(d.data, dtype=np.uint8)
            b = np.frombuffer(c.data, dtype=np.uint8)
            n_diff = int(np.count_nonzero(a != b))
        elif max(len(d.data), len(c.data)) <= BYTE_LCS_MAX:
            # Small binaries have too few chunks to compare: align the bytes themselves.
            n_diff = max(len(d.data), len(c.data)) - int(LCSseq.similarity(d.data, c.data))
        else:
            n_diff = len(d.data)
        byte_diff = n_diff if n_diff <= MAX_PATCHED_BYTE_SHARE * len(d.data) else None
    return Comparison(cd, cs, matched_code, float(wd[md].sum()), n_match, len(d.hashes), len(c.hashes), int((~md).sum()),
                      int((~mc).sum()), tc, shape, md, len(d.token_shingles) if tc is not None else 0, code_drop, code_source, prefix, byte_diff,
                      run_past, int(ccode.sum()))


def raw_opcodes(d: View, c: View) -> list:
    """Opcodes from the candidate's raw lines to the drop file's, aligned once per pair (the diff
    and the added lines both need them; a large pair takes seconds)."""
    memo = d.__dict__.setdefault("_raw_ops", {})
    if id(c) not in memo:
        memo[id(c)] = (c, opcodes(c.raw_lines, d.raw_lines))  # c kept: its id stays its own
    return memo[id(c)][1]


def diff_hunks(d: View, c: View, context: int = 1) -> list[dict]:
    """Unified-diff hunks (source -> drop) from an LCS alignment of the lines, capped for the report."""
    if not d.is_text or not c.is_text or c.hashes_only:
        return []
    a, b = c.raw_lines, d.raw_lines
    ops = [op for op in raw_opcodes(d, c) if op.tag != "equal"]
    # Group changes whose context windows touch into one hunk, as unified diff does.
    groups: list[list] = []
    for op in ops:
        if groups and op.src_start - groups[-1][-1].src_end <= 2 * context:
            groups[-1].append(op)
        else:
            groups.append([op])
    hunks: list[dict] = []
    for group in groups[:MAX_HUNKS]:
        s0 = max(0, group[0].src_start - context)
        s1 = min(len(a), group[-1].src_end + context)
        d0 = max(0, group[0].dest_start - context)
        d1 = min(len(b), group[-1].dest_end + context)
        lines: list[str] = []
        pos = s0
        for op in group:
            lines += [" " + x for x in a[pos : op.src_start]]
            lines += ["-" + x for x in a[op.src_start : op.src_end]]
            lines += ["+" + x for x in b[op.dest_start : op.dest_end]]
            pos = op.src_end
        lines += [" " + x for x in a[pos:s1]]
        header = f"@@ -{s0 + 1},{s1 - s0} +{d0 + 1},{d1 - d0} @@"
        hunks.append({"header": header, "lines": [x[:300] for x in lines[:MAX_HUNK_LINES]],
                      "truncated": len(lines) > MAX_HUNK_LINES})
    if len(groups) > MAX_HUNKS:
        hunks.append({"header": f"... {len(groups) - MAX_HUNKS} more hunks", "lines": [], "truncated": True})
    return hunks


def added_lines(d: View, c: View) -> list[tuple[int, str]]:
    """Lines of the drop file that its internal source does not have: (1-based line number, text)."""
    if not d.is_text or not c.is_text:
        return []
    if c.hashes_only:  # the source's text is not kept: its whitespace-free lines are, as hashes
        nonblank = [i for i, line in enumerate(d.raw_lines) if line.strip()]
        if len(nonblank) != len(d.hashes):
            return []
        out = []
        for op in opcodes(c.hashes, d.hashes):
            if op.tag in ("insert", "replace"):
                out.extend((nonblank[i] + 1, d.raw_lines[nonblank[i]]) for i in range(op.dest_start, op.dest_end))
        return out
    out: list[tuple[int, str]] = []
    for op in raw_opcodes(d, c):
        if op.tag in ("insert", "replace"):
            out.extend((i + 1, d.raw_lines[i]) for i in range(op.dest_start, op.dest_end))
    return out


def _surface(data: bytes) -> tuple[str, str]:
    """A text's encoding (``utf-8-sig`` when it starts with a byte order mark) and its line-ending
    style (``lf``, ``crlf``, ``cr``, ``mixed`` or ``none``)."""
    got = decode(data)
    if got is None:
        return "", ""
    text, enc = got
    crlf = text.count("\r\n")
    styles = [name for name, n in (("crlf", crlf), ("cr", text.count("\r") - crlf), ("lf", text.count("\n") - crlf))
              if n]
    return enc.lower(), styles[0] if len(styles) == 1 else "mixed" if styles else "none"


def change_kinds(d: View, c: View, cmp: Comparison) -> list[str]:
    """Name the kind of modification where it is recognisable."""
    kinds: list[str] = []
    if not d.is_text or not c.is_text:
        if cmp.byte_diff is not None:
            kinds.append("byte-patched")
        return kinds or ["binary-modified"]
    if np.array_equal(d.hashes, c.hashes):  # the same whitespace-stripped lines
        if c.hashes_only:
            return ["format-only"]
        ds, cs = _surface(d.data), _surface(c.data)
        if ds[0] != cs[0]:
            kinds.append("encoding")  # a byte order mark added or removed, UTF-16, a legacy code page
        if ds[1] != cs[1]:
            kinds.append("line-endings")
        if d.raw_lines == c.raw_lines:
            pass  # the same text: the bytes differ by encoding or line endings only
        elif [x.rstrip() for x in d.raw_lines] == [x.rstrip() for x in c.raw_lines]:
            kinds.append("trailing-whitespace")
        elif [x.strip() for x in d.raw_lines if x.strip()] == [x.strip() for x in c.raw_lines if x.strip()]:
            kinds.append("reindented")
        return ["format-only", *kinds]
    # Views keep token hashes, not strings: the strings are recomputed only when the counts agree.
    small = max(len(d.text or ""), len(c.text or "")) <= TOKEN_KINDS_MAX_CHARS
    if not c.hashes_only and small and len(d._tokenized[0]) == len(c._tokenized[0]):
        dt, ct = d.tokens, c.tokens
        if dt == ct:
            return ["comments-changed" if any(k == "comment" for k in d.category) else "comments-stripped"]
        names = numbers = 0
        for x, y in zip(dt, ct):
            if x != y:
                if x[:1].isdigit() or x[:1] in "\"'`" or y[:1].isdigit() or y[:1] in "\"'`":
                    numbers += 1
                else:
                    names += 1
        if names:
            kinds.append("identifiers-renamed")
        if numbers:
            kinds.append("constants-changed")
        if kinds:
            return kinds
    if len(d.raw_lines) <= 3 and len(c.raw_lines) > 10 and (cmp.token_containment or 0.0) >= 0.5:
        return ["minified"]
    if cmp.prefix:
        return ["truncated"]
    if cmp.inserted and not cmp.deleted:
        kinds.append("lines-inserted")
    elif cmp.deleted and not cmp.inserted:
        kinds.append("lines-deleted")
    else:
        kinds.append("edited")
    return kinds
