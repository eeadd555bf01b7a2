"""The bundled sample (what `make demo` runs): every file gets the label the sample builder
computed from the repository's own git objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from triage.inventory.indexer import index_source
from triage.inventory.store import SQLiteStore
from triage.pipeline import scan

ROOT = Path(__file__).resolve().parents[1]


def test_sample_drop_matches_expected_labels(tmp_path: Path):
    out = tmp_path / "sample"
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), "--out", str(out)], check=True,
                   capture_output=True)
    store = SQLiteStore.create_or_open(tmp_path / "inv.db")
    index_source(store, out / "inventory")
    store.close()
    report = scan(out / "drop.zip", tmp_path / "inv.db")
    expected = json.loads((out / "expected.json").read_text())
    got = {f.path: f.verdict.value for f in report.files}
    assert got == expected
    assert report.snapshot["support"] >= 0.8 * report.snapshot["files"]


def test_source_map_of_the_sample_is_triaged_member_by_member(tmp_path: Path):
    """A bundle's source map whose sourcesContent carries the sample's files (the way a CLI's
    whole source leaked inside an npm package): each source is a member, matched exactly."""
    import io
    import tarfile

    out = tmp_path / "sample"
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), "--out", str(out)], check=True,
                   capture_output=True)
    store = SQLiteStore.create_or_open(tmp_path / "inv.db")
    index_source(store, out / "inventory")
    store.close()
    inv = out / "inventory"
    names = sorted(p.relative_to(inv).as_posix() for p in (inv / "aurora").rglob("*.py"))
    contents = [(inv / n).read_text(encoding="utf-8") for n in names]
    contents[0] = contents[0] + "\n# patched in the bundle\n"  # one source differs from the internal file
    smap = {"version": 3, "file": "cli.js", "mappings": "AAAA",
            "sources": [f"webpack://aurora/./{n}" for n in names], "sourcesContent": contents}
    data = json.dumps(smap).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("package/cli.js.map")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    (tmp_path / "aurora-cli-1.0.0.tgz").write_bytes(buf.getvalue())
    report = scan(tmp_path / "aurora-cli-1.0.0.tgz", tmp_path / "inv.db")
    mapped = {f.path: f for f in report.files if "cli.js.map!" in f.path}
    assert len(mapped) == len(names)
    first = mapped[f"package/cli.js.map!aurora/{names[0]}"]  # webpack://aurora/ keeps its namespace
    assert first.verdict.value == "altered"
    assert all(f.verdict.value in ("real", "outdated") for p, f in mapped.items() if p != first.path)
    assert any(f.evidence.get("matches") and f.evidence["matches"][0]["path"] == names[1] for f in mapped.values())
