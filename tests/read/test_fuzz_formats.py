"""Property tests for the new parsers: source maps, git objects/packs/bundles, libarchive formats.

Whatever the bytes, reading gives only Member / Skipped / EmbeddedRepo or an InputError, and
each parser fails only with its documented exception.
"""

from __future__ import annotations

import io
import json
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import read_drop, sourcemap
from triage.read.base import OpenError
from triage.read.gitdata import EmbeddedRepo, _Found, apply_delta, loose_object, parse_commit, read_pack
from triage.read.limits import Limits
from triage.read.names import traversal

from .helpers import zip_bytes
from .test_gitdata import COMMIT_A, COMMIT_B, delta, pack

LIMITS = Limits(member_bytes=1 << 20, total_bytes=4 << 20, members=500, seconds=10, depth=4)
MAP = json.dumps(
    {
        "version": 3,
        "sources": ["webpack:///./a.ts", "../b.ts", None],
        "sourcesContent": ["A", None, "C"],
        "mappings": "AAAA",
        "sections": [],
    }
).encode()
PACK = pack([(1, COMMIT_A, None), (3, b"blob" * 50, None), (6, delta(COMMIT_A, COMMIT_B), 0)])
BUNDLE = b"# v2 git bundle\n-" + b"1" * 40 + b" base\n" + b"a" * 40 + b" refs/heads/main\n\n" + PACK
SEEDS = [
    MAP,
    BUNDLE,
    b"# v3 git bundle\n@object-format=sha1\n" + b"a" * 40 + b" refs/tags/v1\n\n" + PACK,
    zip_bytes([("p/x.js.map", MAP), ("p/r.bundle", BUNDLE)]),
    zip_bytes(
        [
            ("r/.git/objects/pack/pack-" + "0" * 40 + ".pack", PACK),
            ("r/.git/objects/ab/" + "c" * 38, zlib.compress(b"commit %d\x00" % len(COMMIT_A) + COMMIT_A)),
            ("r/.git/packed-refs", b"# pack-refs\n" + b"a" * 40 + b" refs/heads/main\n"),
            ("r/.git/HEAD", b"ref: refs/heads/main\n"),
            ("r/x.py", b"x = 1\n"),
        ]
    ),
]
try:
    import libarchive

    _tmp = Path(tempfile.mkdtemp())
    for _fmt in ("7zip", "cpio_newc"):
        with libarchive.file_writer(str(_tmp / _fmt), _fmt) as _w:
            _w.add_file_from_memory("a/b.txt", 300, b"hello " * 50)
        SEEDS.append((_tmp / _fmt).read_bytes())
except Exception:  # noqa: BLE001 - no libarchive: those seeds are left out
    pass

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drop"
        path.write_bytes(data)
        try:
            results = list(read_drop(path, LIMITS))
        except InputError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        for r in results:
            assert isinstance(r, (Member, Skipped, EmbeddedRepo))
            assert r.path.isprintable()
        assert list(read_drop(path, LIMITS)) == results


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_new_formats(seed: bytes, flips: list[tuple[float, int]], cut: float | None) -> None:
    data = bytearray(seed)
    for where, value in flips:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _check(bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    sources=st.lists(st.one_of(st.text(max_size=30), json_values), max_size=6),
    contents=st.one_of(
        st.none(), st.lists(st.one_of(st.none(), st.text(max_size=30), json_values), max_size=6)
    ),
    extra=st.dictionaries(
        st.sampled_from(["sourceRoot", "sections", "file", "names"]), json_values, max_size=3
    ),
)
def test_random_source_maps(sources: list, contents: list | None, extra: dict) -> None:
    doc = {"version": 3, "mappings": "", "sources": sources, **extra}
    if contents is not None:
        doc["sourcesContent"] = contents
    _check(zip_bytes([("dist/a.js.map", json.dumps(doc).encode())]))
    _check(json.dumps(doc).encode())


@FUZZ
@given(st.binary(max_size=2048))
def test_source_map_loader(data: bytes) -> None:
    try:
        assert isinstance(sourcemap.load(b'{"version":3,' + data), dict)
    except OpenError:
        pass


@FUZZ
@given(st.text(max_size=60), st.one_of(st.none(), st.integers(0, 4)))
def test_normalised_names_never_traverse(name: str, allowance: int | None) -> None:
    clean, _ = sourcemap.normalise(name, allowance)
    assert clean == "" or traversal(clean) is None


@FUZZ
@given(st.binary(max_size=1024))
def test_git_object_parsers(data: bytes) -> None:
    parse_commit("a" * 40, data)
    parse_commit("a" * 40, COMMIT_A[: len(data) % len(COMMIT_A)] + data)
    for blob in (data, zlib.compress(data), zlib.compress(b"commit %d\x00" % len(data) + data)):
        try:
            loose_object(blob)
        except ValueError:
            pass
    try:
        apply_delta(COMMIT_A, data)
    except ValueError:
        pass


@FUZZ
@given(st.binary(max_size=2048), st.integers(0, len(PACK)))
def test_pack_walker(data: bytes, at: int) -> None:
    for raw in (data, b"PACK\x00\x00\x00\x02" + data, PACK[:at] + data):
        found = _Found()
        read_pack(io.BytesIO(raw).read, found, "fuzz", lambda: None)


@FUZZ
@given(st.binary(max_size=512))
def test_bundle_headers(data: bytes) -> None:
    _check(b"# v2 git bundle\n" + data)
    _check(b"# v3 git bundle\n" + data + b"\n\n" + PACK)
