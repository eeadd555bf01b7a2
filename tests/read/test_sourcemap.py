"""Source maps: sources carried in sourcesContent become members named map!source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.errors import InputError
from triage.model import Member, Skipped
from triage.read import reasons, sourcemap
from triage.read.sourcemap import detect, normalise

from .helpers import compress, members, read_all, skipped, steps, tar_bytes, write, zip_bytes


def smap(sources: list, contents: list | None = None, **extra: object) -> bytes:
    doc: dict = {"version": 3, "file": "cli.js", "sources": sources, "mappings": "AAAA;AACA", "names": []}
    if contents is not None:
        doc["sourcesContent"] = contents
    doc.update(extra)
    return json.dumps(doc).encode()


def npm_tarball(map_bytes: bytes) -> bytes:
    return compress(
        tar_bytes(
            [
                ("package/package.json", b'{"name": "cli"}'),
                ("package/cli.js", b"console.log(1)\n//# sourceMappingURL=cli.js.map\n"),
                ("package/cli.js.map", map_bytes),
            ]
        ),
        "gz",
    )


def test_npm_tarball_read_through_to_original_sources(tmp_path: Path) -> None:
    data = smap(
        ["webpack://cli/./src/main.ts", "webpack:///./src/util/log.ts", "../src/x.ts", "src//./y.ts"],
        ["export const main = 1;\n", "export function log() {}\n", "x\n", "y\n"],
    )
    got = members(read_all(write(tmp_path, "cli-1.0.0.tgz", npm_tarball(data))))
    assert got["package/cli.js.map!cli/src/main.ts"] == b"export const main = 1;\n"
    assert got["package/cli.js.map!src/util/log.ts"] == b"export function log() {}\n"
    assert got["package/cli.js.map!src/x.ts"] == b"x\n"
    assert got["package/cli.js.map!src/y.ts"] == b"y\n"
    assert got["package/cli.js.map"] == data  # the map itself is still a member


def test_traversal_name_reported_and_content_still_read(tmp_path: Path) -> None:
    data = smap(["../../etc/passwd", "C:\\Users\\dev\\src\\a.ts"], ["root:x:0:0\n", "a\n"])
    results = read_all(write(tmp_path, "p.tgz", npm_tarball(data)))
    evil = "package/cli.js.map!etc/passwd"
    assert members(results)[evil] == b"root:x:0:0\n"
    assert next(r for r in results if isinstance(r, Member) and r.path == evil).notes == (
        reasons.PATH_TRAVERSAL,
    )
    assert skipped(results)[evil] == reasons.PATH_TRAVERSAL
    assert skipped(results)["package/cli.js.map!Users/dev/src/a.ts"] == reasons.PATH_TRAVERSAL
    assert members(results)["package/cli.js.map!Users/dev/src/a.ts"] == b"a\n"


def test_unsafe_source_names_refused(tmp_path: Path) -> None:
    data = smap(["src/ok.ts", "src/evil\u202etxt.ts", "src/nul\x00.ts"], ["1", "2", "3"])
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("dist/a.js.map", data)])))
    assert members(results)["dist/a.js.map!src/ok.ts"] == b"1"
    reasons_ = [r.reason for r in results if isinstance(r, Skipped)]
    assert reasons_ == [reasons.NAME_UNSAFE, reasons.NAME_UNSAFE]
    assert all(r.path.isprintable() for r in results)


def test_missing_content(tmp_path: Path) -> None:
    data = smap(["a.ts", "b.ts", "c.ts"], ["a", None])
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("m.js.map", data)])))
    assert members(results)["m.js.map!a.ts"] == b"a"
    assert skipped(results) == {"m.js.map!b.ts": reasons.NO_CONTENT, "m.js.map!c.ts": reasons.NO_CONTENT}
    bare = read_all(write(tmp_path, "e.zip", zip_bytes([("m.js.map", smap(["a.ts", "b.ts"]))])))
    assert skipped(bare) == {"m.js.map": reasons.NO_CONTENT}
    assert "2 source(s)" in next(r.detail for r in bare if isinstance(r, Skipped))


def test_top_level_map_and_sections(tmp_path: Path) -> None:
    inner = json.loads(smap(["../src/a.ts"], ["A"]))
    index = json.dumps({"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": inner}]})
    results = read_all(write(tmp_path, "bundle.js.map", index.encode()))
    assert members(results) == {"bundle.js.map!src/a.ts": b"A"}  # top level: leading '..' allowed
    assert skipped(results) == {}


@pytest.mark.parametrize(
    "data",
    [b'{"version": 3, "sources": [', b'{"version": 3, "sources": 5}' + b" " * 10],
)
def test_top_level_broken_maps_are_input_errors(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputError):
        read_all(write(tmp_path, "x.map", data))


def test_top_level_json_that_is_no_map_is_one_file(tmp_path: Path) -> None:
    assert members(read_all(write(tmp_path, "x.map", b"[1, 2, 3]"))) == {"x.map": b"[1, 2, 3]"}


def test_recursion_bomb_is_corrupt_not_crash(tmp_path: Path) -> None:
    bomb = b'{"version": 3, "sources": ["a"], "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    results = read_all(write(tmp_path, "d.zip", zip_bytes([("a.js.map", bomb)])))
    assert skipped(results) == {"a.js.map": reasons.CORRUPT}


def test_detection_by_content_not_name(tmp_path: Path) -> None:
    assert detect(b'{"version":3,"sources":["a"]}', None)
    assert detect(b')]}\'\n{"mappings": "", "sources": []}', None)
    assert not detect(b'{"name": "pkg", "version": "3.0.0"}', None)
    assert not detect(b"[3]", None)
    data = smap(["a.ts"], ["A"])
    got = members(read_all(write(tmp_path, "d.zip", zip_bytes([("notes.txt", data)]))))
    assert got["notes.txt!a.ts"] == b"A"


@pytest.mark.parametrize(
    ("name", "allowance", "expected"),
    [
        ("webpack:///./src/a.ts", 0, ("src/a.ts", None)),
        ("webpack://lib/./src/a.ts", 0, ("lib/src/a.ts", None)),
        ("../src/a.ts", 1, ("src/a.ts", None)),
        ("../../src/a.ts", 1, ("src/a.ts", "climbs above the archive holding the map")),
        ("../../../x", None, ("x", None)),
        ("src/../../x", None, ("x", "climbs above the archive holding the map")),
        ("/home/dev/p/a.ts", 0, ("home/dev/p/a.ts", None)),
        ("file:///home/dev/a.ts", 0, ("home/dev/a.ts", None)),
        ("C:\\p\\a.ts", 0, ("p/a.ts", "is a drive-letter path")),
        ("./", 0, ("", None)),
    ],
)
def test_normalise(name: str, allowance: int | None, expected: tuple) -> None:
    assert normalise(name, allowance) == expected


def _npm_with_map(tmp_path: Path, n: int) -> Path:
    sources = [f"webpack://cli/./src/mod{i // 50}/file{i}.ts" for i in range(n)]
    contents = [f"export const v{i} = {i};\n" * 40 for i in range(n)]
    return write(tmp_path, f"cli{n}.tgz", npm_tarball(smap(sources, contents)))


def test_large_map_real_world_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~1,900 TypeScript sources in one map inside an npm tarball (scaled down in line count).
    Work, not time: the map is parsed once, and each source costs the same at 475 and 1,900."""
    parses = []
    real_load = sourcemap.load

    def counted_load(data: bytes) -> dict:
        parses.append(len(data))
        return real_load(data)

    monkeypatch.setattr(sourcemap, "load", counted_load)
    per_source = {}
    for n in (475, 1900):
        parses.clear()
        path = _npm_with_map(tmp_path, n)
        results, lines = steps(lambda: read_all(path))  # noqa: B023 - called at once
        got = [r for r in results if isinstance(r, Member) and "!" in r.path]
        assert len(got) == n
        assert got[7].path == "package/cli.js.map!cli/src/mod0/file7.ts"
        assert len(parses) == 1, parses  # one map, read whole and parsed once
        per_source[n] = lines / n
    assert per_source[1900] <= 1.25 * per_source[475], per_source
