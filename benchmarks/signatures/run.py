#!/usr/bin/env python3
"""Signatures benchmark: recall of planted credentials, false positives, scan speed.

Usage::

    python benchmarks/signatures/run.py                 # every package under benchmarks/work/*/inventory
    python benchmarks/signatures/run.py --plants 3000 --seed 2 --show-fp 20

Text files come from the package repositories the accuracy benchmark checks out
(``benchmarks/work/<pkg>/inventory``, built by ``benchmarks/accuracy/build.py``): their tracked
files, read from the work tree. Three measurements:

- **false positives**: every whole-member rule over the untouched files; every hit counts as
  false (these are public releases), reported per 10,000 files and listed for inspection. The
  policy rules are also run as if every line of every file had been added (an upper bound of the
  noise they would make on altered files).
- **recall**: valid-format generated credentials (AWS key ids in base32, ghp_/npm_ with their
  CRC32, decodable JWTs, PEM bodies...), canaries and markers (from the example packs, renamed
  into a temporary rules folder) planted one per copy of a random file at a random line; found =
  a hit of the expected rule on the planted line. Each plant goes into a file its rule applies
  to (generic-secret-assignment leaves documentation out by design). Also counted: redactions
  that would give a planted secret away.
- **speed**: MB of text per second through ``RuleSet.scan_text`` on the untouched files; and per
  rule, MB/s over its near misses (its examples cut short and repeated to the longest line a
  regex sees), the slowest listed: the engine bounds lines and candidates, not what one regex
  costs on one line (the tests count work and cannot see that).

Needs the built benchmark data; runs in well under two minutes.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = HERE.parent / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

from triage.rules import BUILTIN_DIR, load_rules  # noqa: E402

# Files larger than this are not planted into or scanned (the pipeline's members are bounded too).
MAX_FILE_BYTES = 4 * 1024 * 1024


def text_files(work: Path) -> list[tuple[str, str]]:
    """(path, text) of every tracked, decodable, NUL-free file of every inventory repository."""
    out = []
    for repo in sorted(work.glob("*/inventory")):
        names = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True,
                               check=True).stdout.decode("utf-8", "surrogateescape").split("\0")
        for name in filter(None, names):
            p = repo / name
            try:
                if not p.is_file() or p.is_symlink() or p.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = p.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append((f"{repo.parent.name}/{name}", text))
    return out


def plants(rng: random.Random, canaries: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(rule id, line(s) to plant, recipient or '', secret or '') for one round over every generator."""
    out = []
    for rule, gen, fmt in generate.PLANTS:
        secret = gen(rng)  # type: ignore[operator]
        out.append((rule, fmt.format(s=secret), "", secret))
    token, who = rng.choice(sorted(canaries.items()))
    out.append(("org-canary-tokens", f"# ref {token}", who, token))
    out.append(("org-classification-banner", rng.choice(["<!-- NORTHWIND CONFIDENTIAL -->",
                                                          "# Northwind Internal Only"]), "", ""))
    out.append(("org-internal-host", f"HOST = 'db{rng.randrange(99)}.prod.corp.northwind.example'", "", ""))
    return out


# A rule whose near-miss lines scan slower than this is listed as slow (the engine's bounds
# cap lines and candidates, not what one regex costs on one line).
NEAR_MISS_MIN_MBPS = 1.0


def near_misses(rs) -> list[tuple[float, str, int]]:
    """Per rule, MB/s of its worst near-miss text: each positive example cut short and repeated to a
    line just under the engine's regex line limit (the shape that makes a backtracking regex go
    quadratic), three such lines per text, scanned whole and as added lines."""
    from triage.rules.engine import MAX_REGEX_LINE

    n = MAX_REGEX_LINE - 10
    out = []
    for rule in rs.rules:
        worst, nbytes = float("inf"), 0
        for ex in rule.positive:
            for cut in (len(ex.text) // 2, len(ex.text) - 1):
                piece = ex.text[:cut].replace("\n", " ") or "x"
                line = (piece * (n // len(piece) + 1))[:n]
                text = "\n".join([line] * 3)
                t = time.perf_counter()
                rs.scan_text(ex.path or "f.py", text)
                rs.scan_added(ex.path or "f.py", [(1, line)])
                dt = time.perf_counter() - t
                mbps = 4 * n / 1e6 / max(dt, 1e-9)
                if mbps < worst:
                    worst, nbytes = mbps, 4 * n
        if nbytes:
            out.append((worst, rule.id, nbytes))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--plants", type=int, default=2000, help="secrets, canaries and markers planted (about)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show-fp", type=int, default=15, help="false positives listed (default 15)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    files = text_files(args.work)
    if not files:
        print(f"no inventory repositories under {args.work}: run benchmarks/accuracy/build.py first")
        return 2
    mb = sum(len(t.encode("utf-8")) for _, t in files) / 1e6
    packages = len({p.split("/")[0] for p, _ in files})
    print(f"corpus: {len(files)} text files, {mb:.1f} MB from {packages} packages "
          f"(read in {time.perf_counter() - t0:.1f} s)")

    tmp = Path(tempfile.mkdtemp(prefix="triage-sigbench-"))
    try:
        for name in ("org-markers.example.yml", "canaries.example.yml"):
            shutil.copy(BUILTIN_DIR / name, tmp / name.replace(".example", ""))
        t0 = time.perf_counter()
        rs = load_rules([tmp])
        print(f"ruleset {rs.id[:16]}…: {rs.describe()['rules']} rules, loaded and compiled in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        canaries = dict(rs.get("org-canary-tokens").recipients)  # type: ignore[union-attr]

        # false positives and speed on untouched files
        t0 = time.perf_counter()
        fps = []
        for path, text in files:
            fps.extend(rs.scan_text(path, text, "text/plain", len(text)))
        dt = time.perf_counter() - t0
        per10k = len(fps) / len(files) * 10_000
        print(f"\nspeed: {mb:.1f} MB in {dt:.2f} s = {mb / dt:.1f} MB/s "
              f"({dt / len(files) * 1000:.2f} ms per file)")
        print(f"false positives (whole-member rules): {len(fps)} hits in {len({h['path'] for h in fps})} of "
              f"{len(files)} files = {per10k:.1f} per 10,000 files")
        for rule, n in Counter(h["rule"] for h in fps).most_common():
            print(f"  {rule}: {n}")
        for h in fps[:args.show_fp]:
            print(f"    {h['path']}:{h['line']} {h['rule']} {h['redacted']}")

        t0 = time.perf_counter()
        pol = []
        for path, text in files:
            pol.extend(rs.scan_added(path, list(enumerate(text.splitlines(), 1))))
        dt2 = time.perf_counter() - t0
        print(f"policy rules with every line taken as added (upper bound of noise on altered files): "
              f"{len(pol)} hits in {len({h['path'] for h in pol})} files ({dt2:.1f} s)")
        for rule, n in Counter(h["rule"] for h in pol).most_common():
            print(f"  {rule}: {n}")

        # recall of planted credentials
        rng = random.Random(args.seed)
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        leaks = 0
        rounds = max(1, args.plants // (len(generate.PLANTS) + 3))
        t0 = time.perf_counter()
        for _ in range(rounds):
            for rule, planted, who, secret in plants(rng, canaries):
                # into a file the rule applies to (generic-secret-assignment leaves documentation out)
                applies = rs.get(rule).applies  # type: ignore[union-attr]
                path, text = rng.choice(files)
                while not applies(path, "text/plain", len(text)):
                    path, text = rng.choice(files)
                lines = text.split("\n")
                at = rng.randrange(len(lines) + 1)
                lines.insert(at, planted)
                hits = rs.scan_text(path, "\n".join(lines), "text/plain")
                ok = [h for h in hits if h["rule"] == rule and h["line"] == at + 1
                      and (not who or h.get("recipient") == who)]
                found[rule][1] += 1
                if ok:
                    found[rule][0] += 1
                if secret and secret in repr(hits):
                    leaks += 1
        dt3 = time.perf_counter() - t0
        total = sum(n for _, n in found.values())
        hit = sum(f for f, _ in found.values())
        print(f"\nrecall: {hit}/{total} planted = {hit / total:.4f} ({dt3:.1f} s)")
        for rule, (f, n) in sorted(found.items()):
            print(f"  {rule}: {f}/{n}" + ("" if f == n else "  <-- missed"))
        print(f"hits holding a planted secret whole: {leaks}")
        slow = near_misses(rs)
        print(f"\nnear misses (each rule's examples cut short and repeated to lines of {slow[0][2] // 4:,}"
              f" characters, the longest a regex sees): slowest rules, MB/s")
        for mbps, rule, _n in slow[:5]:
            print(f"  {rule}: {mbps:.1f}" + ("  <-- slow" if mbps < NEAR_MISS_MIN_MBPS else ""))
        n_slow = sum(1 for mbps, _r, _n in slow if mbps < NEAR_MISS_MIN_MBPS)
        print(f"\nsummary: recall {hit / total:.4f} (target >= 0.99); "
              f"false positives {per10k:.1f} per 10,000 "
              f"files (target <= 1); {mb / dt:.1f} MB/s; near misses: {n_slow} rules under"
              f" {NEAR_MISS_MIN_MBPS} MB/s (slowest {slow[0][0]:.1f} MB/s, {slow[0][1]})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
