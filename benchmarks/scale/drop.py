"""A labelled drop cut from synthetic projects: real, outdated, altered and fabricated files.

The drop reads like a leaked checkout of a few repositories (``<project>/<path>`` in a zip).
Its files come from what ``history`` recorded (main's tip files and superseded versions) and
carry their ground truth:

- real: bytes of a file at the tip of main;
- outdated: bytes of a superseded version, held at no tip;
- altered: a tip or older version with lines edited, identifiers renamed, a block inserted or
  deleted, the file truncated, or bytes patched (binaries);
- fabricated: new files written with the project's own vocabulary and style (so they share its
  license header, imports and idioms), some at real paths, a few binaries.

Altered and fabricated bytes are checked against every content of the histories: none of them
equals an internal version. Deterministic for a seed: same members, same bytes, same labels.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import synth

ZIP_TIME = (2025, 6, 2, 8, 0, 0)
SHARES = (("real", 0.35), ("outdated", 0.15), ("altered", 0.30), ("fabricated", 0.20))
# Altered files are cut from files with at least this many informative lines (a truncated
# three-line file is no longer evidence of anything).
MIN_ALTER_LINES = 25
IDENT_RE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+[A-Z]\w+\b")


@dataclass
class Truth:
    project: str
    seed: str
    tip: dict[str, bytes]
    old: list[tuple[str, bytes]]
    shas: set[bytes]


def load_truth(path: Path) -> Truth:
    with zipfile.ZipFile(path) as z:
        meta = json.loads(z.read("meta.json"))
        tip: dict[str, bytes] = {}
        old: list[tuple[str, bytes]] = []
        for info in z.infolist():
            if info.filename.startswith("tip/"):
                tip[info.filename[4:]] = z.read(info)
            elif info.filename.startswith("old/"):
                old.append((info.filename.split("/", 2)[2], z.read(info)))
        raw = z.read("contents.sha1")
    shas = {raw[i : i + 20] for i in range(0, len(raw), 20)}
    return Truth(meta["project"], meta["seed"], tip, old, shas)


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()  # noqa: S324 - the histories' own dedup key


def _informative(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if len(b"".join(line.split())) >= 6)


def alter(rng: random.Random, project: synth.Project, data: bytes) -> tuple[bytes, str]:
    """An altered copy of a file and the name of what was done."""
    if data.startswith(b"\x89PNG"):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(16, len(buf) - 8)
            buf[i : i + 4] = rng.randbytes(4)
        return bytes(buf), "byte-patch"
    lines = data.decode().split("\n")
    case = rng.choice(("edit-lines", "rename", "insert", "delete-block", "truncate", "edit+insert"))
    body = [i for i, s in enumerate(lines) if len(s.strip()) >= 12]
    if case in ("edit-lines", "edit+insert"):
        for i in rng.sample(body, min(len(body), rng.randint(1, 3))):
            lines[i] = _edit_line(rng, project, lines[i])
    if case == "rename":
        names = sorted(set(IDENT_RE.findall(data.decode())))
        for old in rng.sample(names, min(len(names), rng.randint(1, 2))):
            new = project.ident(rng) if "_" in old else project.camel(rng)
            lines = [re.sub(rf"\b{re.escape(old)}\b", new, s) for s in lines]
    if case in ("insert", "edit+insert"):
        at = rng.randrange(len(lines) // 3, len(lines))
        lines[at:at] = [f"    {project.ident(rng)} = {project.ident(rng)}({project.num(rng)})"
                        for _ in range(rng.randint(2, 6))]
    if case == "delete-block":
        n = max(2, len(lines) // rng.randint(6, 12))
        start = rng.randrange(len(lines) // 4, len(lines) - n)
        del lines[start : start + n]
    if case == "truncate":
        lines = lines[: int(len(lines) * rng.uniform(0.5, 0.85))]
        lines.append("")
    return "\n".join(lines).encode(), case


def _edit_line(rng: random.Random, project: synth.Project, s: str) -> str:
    names = IDENT_RE.findall(s)
    if names and rng.random() < 0.6:
        return s.replace(rng.choice(names), project.ident(rng), 1)
    digits = [j for j, c in enumerate(s) if c.isdigit()]
    if digits:
        j = rng.choice(digits)
        return s[:j] + str((int(s[j]) + rng.randint(1, 9)) % 10) + s[j + 1 :]
    return s + f"  # {project.word(rng)}"


def build_drop(truths: list[Truth], count: int, seed: int, out: Path, labels: Path) -> dict[str, dict]:
    """Write the drop zip and its labels; return the labels."""
    rng = random.Random(f"drop:{seed}")
    known = set().union(*(t.shas for t in truths))
    current = {_sha1(d) for t in truths for d in t.tip.values()} | {_sha1(d) for d in synth.ORG_SHARED}
    members: dict[str, bytes] = {}
    meta: dict[str, dict] = {}
    wanted = {label: round(count * share) for label, share in SHARES}
    wanted["real"] += count - sum(wanted.values())

    def put(project: str, path: str, data: bytes, label: str, case: str, source: str | None = None) -> bool:
        name = f"{project}/{path}"
        if name in members:
            return False
        members[name] = data
        meta[name] = {"label": label, "case": case, "project": project, "source": source}
        return True

    projects = [synth.Project(t.project, t.seed) for t in truths]
    tips = [sorted(t.tip) for t in truths]
    olds = [[(p, d) for p, d in t.old if _sha1(d) not in current] for t in truths]
    for label in ("real", "outdated", "altered", "fabricated"):
        made = 0
        while made < wanted[label]:
            k = rng.randrange(len(truths))
            t, proj = truths[k], projects[k]
            if label == "real":
                path = rng.choice(tips[k])
                made += put(t.project, path, t.tip[path], "real", "real")
            elif label == "outdated":
                path, data = rng.choice(olds[k])
                made += put(t.project, path, data, "outdated", "outdated")
            elif label == "altered":
                if rng.random() < 0.7:
                    path = rng.choice(tips[k])
                    src, when = t.tip[path], "current"
                else:
                    path, src = rng.choice(olds[k])
                    when = "old"
                if not src.startswith(b"\x89PNG") and _informative(src) < MIN_ALTER_LINES:
                    continue
                data, case = alter(rng, proj, src)
                if _sha1(data) in known:
                    continue
                made += put(t.project, path, data, "altered", f"{case} ({when})", path)
            else:
                kind = "bin" if rng.random() < 0.04 else rng.choice(("py", "py", "js", "go", "md"))
                content = proj.new_file(rng, kind, synth.target_size(rng), rng.randint(2016, 2025))
                data = synth.render(content)
                if _sha1(data) in known or _informative(data) < 3 and kind != "bin":
                    continue
                ext = {"bin": ".png", "py": ".py", "js": ".js", "go": ".go", "md": ".md"}[kind]
                if rng.random() < 0.3:  # at a real path (impersonating an internal file), when there is one
                    same = [p for p in tips[k] if p.endswith(ext)]
                    path, case = ((rng.choice(same), "at-real-path") if same
                                  else (f"src/{proj.ident(rng)}{ext}", "new"))
                else:  # a new file in a real folder
                    path, case = f"{rng.choice(tips[k]).rsplit('/', 1)[0]}/{proj.ident(rng)}{ext}", "new"
                made += put(t.project, path, data, "fabricated", case)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, members[name])
    out.write_bytes(buf.getvalue())
    labels.write_text(json.dumps(meta, indent=1, sort_keys=True))
    return meta
