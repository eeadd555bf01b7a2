"""Compare one dropped content with one internal candidate: figures and what changed.

A ``View`` is the analysed form of a text (or binary) content; ``compare()`` aligns two views
and returns a ``Comparison`` of plain figures that the classifier judges. Lines are weighted by
how specific they are (the boilerplate discount): a line held by many internal paths (license
header, common import, generated banner) is weak evidence that one file derives from another.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import xxhash

from triage.fingerprint import text as T

# Lines whose first characters say "comment" or "import": shared prologue, not derived code.
_COMMENT_RE = re.compile(r"^(#(?!include|define|if|pragma)|//|/\*|\*|<!--|--|;|\"\"\"|''')")
_IMPORT_RE = re.compile(r"^(import|from\S*import|#include|using|require\(|const\S*=require\(|package|use)")
# Diff hunks shown per altered file, and lines per hunk, in the report.
MAX_HUNKS = 8
MAX_HUNK_LINES = 24
# Binaries of equal size are 'byte-patched' when at most this share of bytes differ.
MAX_PATCHED_BYTE_SHARE = 0.05


@dataclass
class View:
    text: str | None  # newline-normalized text, None for binaries
    raw_lines: list[str]  # the text's lines (for diffs)
    lines: list[str]  # ws-stripped non-blank lines
    hashes: np.ndarray  # per entry of ``lines`` (or binary chunk)
    informative: np.ndarray
    category: list[str]  # per line: "comment" | "import" | "code"
    shape_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    token_shingles: set[int] = field(default_factory=set)
    tokens: list[str] = field(default_factory=list)
    data: bytes = b""

    @property
    def is_text(self) -> bool:
        return self.text is not None


def text_view(text: str, data: bytes = b"") -> View:
    norm = T.normalize_newlines(text)
    raw = norm.split("\n")
    lines = T.ws_lines(norm)
    cats = []
    in_doc = False
    for s in lines:
        quotes = s.count('"""') + s.count("'''")
        if in_doc or quotes:
            cats.append("comment")
            if quotes % 2 == 1:
                in_doc = not in_doc
            continue
        if _COMMENT_RE.match(s):
            cats.append("comment")
        elif _IMPORT_RE.match(s):
            cats.append("import")
        else:
            cats.append("code")
    shape_lines = []
    for line in raw:
        _toks, shapes = T.tokens(line)
        if shapes:
            shape_lines.append(" ".join(shapes))
    toks, _ = T.tokens(norm)
    sh = T.shingle_hashes(T.token_hashes(toks), 5) if toks else np.zeros(0, dtype=np.uint32)
    return View(norm, raw, lines, T.line_hashes(lines), T.informative(lines), cats,
                shape_hashes=T.line_hashes(shape_lines), token_shingles=set(sh.tolist()), tokens=toks,
                data=data)


def binary_view(data: bytes) -> View:
    from triage.fingerprint.binary import chunk_hashes

    h = chunk_hashes(data)
    return View(None, [], [], h, np.ones(len(h), dtype=bool), ["code"] * len(h), data=data)


@dataclass(frozen=True)
class Comparison:
    containment_drop: float  # weighted share of the drop file found (aligned) in the candidate
    containment_source: float  # weighted share of the candidate found in the drop file
    matched_code: float  # weight of matched code lines (not comments or imports)
    matched_lines: int
    drop_lines: int
    source_lines: int
    inserted: int  # lines in the drop file not aligned with the candidate
    deleted: int  # candidate lines not aligned with the drop file
    token_containment: float  # share of drop token 5-grams present in the candidate
    shape_ratio: float  # sequence similarity of the identifier-abstracted lines
    matched_drop_mask: np.ndarray  # per drop line: aligned with this candidate
    prefix: bool  # the drop file is the candidate's beginning (truncation)
    byte_diff: int | None = None  # binaries of equal size: bytes that differ


WeightFn = Callable[[np.ndarray], np.ndarray]


def _weights(view: View, weight: WeightFn) -> np.ndarray:
    w = weight(view.hashes) if len(view.hashes) else np.zeros(0)
    return np.where(view.informative, w, 0.0)


def compare(d: View, c: View, weight: WeightFn) -> Comparison:
    sm = difflib.SequenceMatcher(None, d.hashes.tolist(), c.hashes.tolist(), autojunk=False)
    blocks = sm.get_matching_blocks()
    md = np.zeros(len(d.hashes), dtype=bool)
    mc = np.zeros(len(c.hashes), dtype=bool)
    for a, b, n in blocks:
        md[a : a + n] = True
        mc[b : b + n] = True
    wd, wc = _weights(d, weight), _weights(c, weight)
    # Novel drop lines (never seen internally) weigh fully: they are what a forger adds.
    cd = float(wd[md].sum() / wd.sum()) if wd.sum() > 0 else 0.0
    cs = float(wc[mc].sum() / wc.sum()) if wc.sum() > 0 else 0.0
    code = np.array([k == "code" for k in d.category], dtype=bool) if d.category else np.zeros(0, dtype=bool)
    matched_code = float(wd[md & code].sum()) if len(code) == len(md) else float(wd[md].sum())
    tc = 0.0
    if d.token_shingles:
        tc = len(d.token_shingles & c.token_shingles) / len(d.token_shingles)
    shape = 0.0
    if len(d.shape_hashes) and len(c.shape_hashes):
        ss = difflib.SequenceMatcher(None, d.shape_hashes.tolist(), c.shape_hashes.tolist(), autojunk=False)
        shape = ss.ratio()
    n_match = int(md.sum())
    prefix = n_match > 0 and bool(md.all()) and len(c.hashes) > len(d.hashes) and bool(mc[: len(d.hashes)].all())
    byte_diff = None
    if not d.is_text and not c.is_text and len(d.data) == len(c.data) and d.data:
        a = np.frombuffer(d.data, dtype=np.uint8)
        b = np.frombuffer(c.data, dtype=np.uint8)
        n_diff = int(np.count_nonzero(a != b))
        byte_diff = n_diff if n_diff <= MAX_PATCHED_BYTE_SHARE * len(d.data) else None
    return Comparison(cd, cs, matched_code, n_match, len(d.hashes), len(c.hashes), int((~md).sum()),
                      int((~mc).sum()), tc, shape, md, prefix, byte_diff)


def diff_hunks(d: View, c: View, source_label: str, drop_label: str) -> list[dict]:
    """Unified-diff hunks (source -> drop), capped for the report."""
    if not d.is_text or not c.is_text:
        return []
    hunks: list[dict] = []
    diff = difflib.unified_diff(c.raw_lines, d.raw_lines, fromfile=source_label, tofile=drop_label, n=1,
                                lineterm="")
    current: dict | None = None
    for line in diff:
        if line.startswith("---") or line.startswith("+++"):
            continue
        if line.startswith("@@"):
            if len(hunks) >= MAX_HUNKS:
                break
            current = {"header": line, "lines": [], "truncated": False}
            hunks.append(current)
            continue
        if current is None:
            continue
        if len(current["lines"]) < MAX_HUNK_LINES:
            current["lines"].append(line[:300])
        else:
            current["truncated"] = True
    return hunks


def change_kinds(d: View, c: View, cmp: Comparison) -> list[str]:
    """Name the kind of modification where it is recognisable."""
    kinds: list[str] = []
    if not d.is_text or not c.is_text:
        if cmp.byte_diff is not None:
            kinds.append("byte-patched")
        return kinds or ["binary-modified"]
    if d.lines == c.lines:
        if "\r\n" in d.data.decode("utf-8", "replace") and "\r\n" not in c.data.decode("utf-8", "replace"):
            kinds.append("line-endings")
        if [x.rstrip() for x in d.raw_lines] == [x.rstrip() for x in c.raw_lines]:
            kinds.append("trailing-whitespace")
        elif [x.strip() for x in d.raw_lines if x.strip()] == [x.strip() for x in c.raw_lines if x.strip()]:
            kinds.append("reindented")
        return ["format-only", *kinds]
    if d.tokens == c.tokens:
        return ["comments-changed" if any(k == "comment" for k in d.category) else "comments-stripped"]
    if len(d.tokens) == len(c.tokens):
        names = numbers = 0
        for x, y in zip(d.tokens, c.tokens):
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
    if len(d.raw_lines) <= 3 and len(c.raw_lines) > 10 and cmp.token_containment >= 0.5:
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


def line_hash(s: str) -> int:
    return xxhash.xxh32_intdigest(s.encode("utf-8", "surrogatepass"))
