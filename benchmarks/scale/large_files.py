#!/usr/bin/env python3
"""Large files: peak memory, time and verdict of `triage scan` on drops of very large texts.

Usage::

    python benchmarks/scale/large_files.py                 # 500k-line internal file, 60 MB drop text
    python benchmarks/scale/large_files.py --lines 100000 --huge-mb 20

It builds (in a temporary folder, seeded) a git inventory holding one large generated source file
(``--lines`` lines, about 37 bytes each: larger than the index keeps bytes for, so it is compared
by its stored line hashes) and a few small files, indexes it, and scans four drops, each with the
CLI in its own child process whose peak RSS is read from ``getrusage``:

- ``edited``: the large internal file with some lines edited and one suspicious line inserted
  (expected: altered, the insertion flagged);
- ``huge``: an unrelated text of ``--huge-mb`` MB in short lines (expected: fabricated);
- ``one-line``: an unrelated 10 MB single-line text, a minified bundle's shape (fabricated);
- ``copy``: the large file unchanged (expected: real);
- ``binary``: ``--huge-mb`` MB of random bytes (expected: fabricated);
- ``blank``: a hostile text of ``--huge-mb`` MB that is all blank lines (a blank before every
  line feed), stored so that no compression ratio gives it away (fabricated);
- ``many``: 12 files of 40 MB of random bytes (480 MB: more than a scan keeps in memory while
  files wait for the fuzzy stage; the row shows the last file).

The hostile-drop rules bound a scan's peak memory to 1 GiB whatever the drop holds: each row
says PASS or FAIL against it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT_BYTES = 1 << 30
MANY_FILES = 12  # x 40 MB of random bytes
WORDS = ["var", "function", "return", "if", "else", "for", "x", "y", "z", "a1", "b2", "this", "new", "null",
         "=", "(", ")", "{", "}", ";", "+", "0", "1", "'s'"]


def _lines(rng: random.Random, n: int, tag: str) -> list[str]:
    return [f"    {' '.join(rng.choice(WORDS) for _ in range(7))} // {tag}{i}" for i in range(n)]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
                   check=True, capture_output=True)


def build(work: Path, lines: int, huge_mb: int, seed: int) -> tuple[Path, dict[str, tuple[Path, str, str]]]:
    rng = random.Random(seed)
    repo = work / "inventory"
    repo.mkdir()
    big = _lines(rng, lines, "k")
    (repo / "gen.js").write_text("\n".join(big) + "\n")
    (repo / "small.js").write_text("module.exports = function add(a, b) { return a + b; };\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "large generated file")
    edited = list(big)
    for k in range(0, len(edited), 7919):
        edited[k] = edited[k] + " + 1"
    edited.insert(len(edited) // 3, "    eval(atob('ZXZpbA=='));")
    huge: list[str] = []
    size = 0
    while size < huge_mb * 1_000_000:
        chunk = _lines(rng, 50_000, f"h{len(huge)}-")
        huge += chunk
        size += sum(len(x) + 1 for x in chunk)
    one_line = " ".join(rng.choice(WORDS) for _ in range(2_600_000))
    blob = rng.randbytes(huge_mb * 1_000_000)
    drops = {}
    for name, member, text, expect in [
        ("edited", "leak/gen.js", "\n".join(edited) + "\n", "altered"),
        ("huge", "leak/dist/huge.js", "\n".join(huge) + "\n", "fabricated"),
        ("one-line", "leak/dist/bundle.min.js", one_line, "fabricated"),
        ("copy", "leak/gen.js", "\n".join(big) + "\n", "real"),
        ("binary", "leak/assets/blob.bin", blob, "fabricated"),
        ("blank", "leak/src/pad.js", "var x = 1;\n" + " \n" * (huge_mb * 500_000) + "var y = 2;\n", "fabricated"),
    ]:
        path = work / f"{name}.zip"
        stored = isinstance(text, bytes) or name == "blank"  # stored: no compression ratio to refuse
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(member, text)
        drops[name] = (path, member, expect)
    path = work / "many.zip"  # more waiting bytes than the scan keeps in memory
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(MANY_FILES):
            zf.writestr(f"leak/assets/part{i:02d}.bin", rng.randbytes(40_000_000))
    drops["many"] = (path, f"leak/assets/part{MANY_FILES - 1:02d}.bin", "fabricated")
    return repo, drops


def scan(drop: Path, db: Path, out: Path) -> tuple[float, int, dict]:
    """Wall seconds, peak RSS (bytes) of the scan's own process, and its report."""
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]);"
             " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    cmd = [sys.executable, "-c", probe, sys.executable, "-m", "triage.cli", "scan", str(drop), "--db", str(db),
           "--out", str(out), "-q"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    dt = time.perf_counter() - t
    if res.returncode not in (0, 1):
        raise SystemExit(f"scan of {drop.name} failed: {res.stderr.strip()}")
    peak_kib = int(res.stdout.strip().splitlines()[-1])
    return dt, peak_kib * 1024, json.loads((out / "report.json").read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=500_000, help="lines of the large internal file")
    ap.add_argument("--huge-mb", type=int, default=60, help="size of the unrelated large drop text")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="triage-large-") as tmp:
        work = Path(tmp)
        repo, drops = build(work, args.lines, args.huge_mb, args.seed)
        db = work / "index.db"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "triage.cli", "index", str(repo), "--db", str(db), "-q"],
                       check=True, env=env, cwd=ROOT, capture_output=True)
        print(f"large files: internal gen.js {(repo / 'gen.js').stat().st_size / 1e6:.1f} MB"
              f" ({args.lines:,} lines), indexed in {time.perf_counter() - t:.1f} s; peak RSS of each"
              f" scan against {LIMIT_BYTES / 2**30:.0f} GiB\n")
        print(f"{'drop':10s} {'drop MB':>9s} {'wall s':>7s} {'peak MB':>8s}  {'verdict':11s} {'expected':11s}"
              " memory  notes")
        for name, (drop, member, expect) in drops.items():
            with zipfile.ZipFile(drop) as zf:
                size = sum(i.file_size for i in zf.infolist())
            dt, peak, report = scan(drop, db, work / f"ev-{name}")
            found = {f["path"]: f for f in report["files"]}[member]
            mem_ok = peak < LIMIT_BYTES
            ok = ok and mem_ok and found["verdict"] == expect
            flagged = "insertion flagged" if found["evidence"].get("trojanized") else ""
            print(f"{name:10s} {size / 1e6:9.1f} {dt:7.1f} {peak / 1e6:8.0f}  {found['verdict']:11s} {expect:11s}"
                  f" {'PASS' if mem_ok else 'FAIL':6s}  {flagged}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
