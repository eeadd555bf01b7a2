#!/usr/bin/env python3
"""Build labelled accuracy-benchmark data from the release histories of public packages.

Usage::

    python benchmarks/accuracy/build.py                 # all default packages
    python benchmarks/accuracy/build.py --quick         # requests + moment, 3 releases each
    python benchmarks/accuracy/build.py --packages requests:4,express,npm:left-pad=1.2.0;1.3.0

For each package it downloads the releases (cached in ``benchmarks/work/cache/``), builds
``benchmarks/work/<pkg>/inventory/`` (a git repo: one commit and tag per release, oldest
first) and cuts zip drops into ``benchmarks/work/<pkg>/drops/`` with ground truth in
``drops/labels.json``::

    {"drop.zip": {"member path": {"label": ..., "case": ..., "source": ..., ...}}}

Everything is deterministic for a given ``--seed``: same commits, same zip bytes, same labels.
See README.md beside this file for what each case means.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import codegen  # noqa: E402
import mutate  # noqa: E402
from mutate import NotApplicable, language  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = HERE.parent / "work"
ZIP_TIME = (2024, 11, 5, 8, 0, 0)
BASE_EPOCH = 1_420_070_400  # 2015-01-01: first synthetic release date; then +45 days per release
MAX_FILE = 4 << 20  # files above 4 MiB are left out of inventories

DEFAULTS: dict[str, tuple[str, list[str]]] = {
    "requests": ("pypi", ["2.20.0", "2.21.0", "2.22.0", "2.23.0", "2.24.0", "2.25.0", "2.25.1", "2.26.0"]),
    "click": ("pypi", ["7.0", "7.1", "7.1.2", "8.0.0", "8.0.3", "8.1.3"]),
    "flask": ("pypi", ["1.1.2", "2.0.0", "2.0.3", "2.1.0", "2.2.0", "2.2.5"]),
    "pygments": ("pypi", ["2.11.2", "2.12.0", "2.13.0", "2.14.0"]),
    "express": ("npm", ["4.17.1", "4.17.3", "4.18.1", "4.18.2", "4.19.2"]),
    "lodash": ("npm", ["4.17.15", "4.17.19", "4.17.20", "4.17.21"]),
    "moment": ("npm", ["2.24.0", "2.27.0", "2.29.1", "2.29.4"]),
}
QUICK = "requests:3,moment:3"

# How many labelled files of each case to aim for per package (fewer when sources run out).
TARGETS: dict[str, int] = {
    "real": 50, "moved-real": 15, "outdated": 40,
    "inserted-lines": 10, "deleted-function": 8, "renamed": 10, "reindent": 8, "crlf": 8,
    "trailing-ws": 8, "strip-comments": 8, "constants": 8, "truncation": 10, "concatenation": 8,
    "minified-js": 10, "byte-patch": 4, "one-line-edit-long": 10, "format-only": 8, "stacked": 10,
    "chimera": 10, "sibling-copy": 8,
    "other-package": 10, "forgery-real-header": 12, "forgery-short": 8, "family-style-fabricated": 6,
}

Tree = dict[str, tuple[bytes, bool]]  # path -> (bytes, executable)


@dataclass
class Package:
    name: str
    ecosystem: str  # "pypi" or "npm"
    versions: list[str]


@dataclass
class Release:
    version: str
    tree: Tree


@dataclass
class Item:
    """One labelled drop member before it is assigned to a drop."""

    path: str
    data: bytes
    label: str
    case: str
    source: str | None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- packages and downloads


def parse_packages(spec: str) -> list[Package]:
    """``[npm:|pypi:]name[:N | =v1,v2,...]`` items separated by commas (``=`` lists use ``;``)."""
    packages = []
    for raw in filter(None, (part.strip() for part in spec.split(","))):
        ecosystem = None
        if raw.startswith(("npm:", "pypi:")):
            ecosystem, raw = raw.split(":", 1)
        count = None
        versions: list[str] | None = None
        if "=" in raw:
            raw, listed = raw.split("=", 1)
            versions = [v for v in listed.split(";") if v]
        elif ":" in raw:
            raw, number = raw.split(":", 1)
            count = int(number)
        default_eco, default_versions = DEFAULTS.get(raw, (ecosystem or "pypi", []))
        versions = versions or default_versions
        if not versions:
            raise SystemExit(f"no versions known for {raw!r}; give them as {raw}=v1;v2;v3")
        packages.append(Package(raw, ecosystem or default_eco, versions[-count:] if count else versions))
    return packages


def download(pkg: Package, version: str, cache: Path) -> Path:
    """The release archive, from the cache or fetched with pip/npm into it."""
    target = cache / pkg.ecosystem / pkg.name / version
    found = sorted(p for p in target.glob("*") if p.is_file()) if target.exists() else []
    if found:
        return found[0]
    target.mkdir(parents=True, exist_ok=True)
    if pkg.ecosystem == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
               f"{pkg.name}=={version}", "-d", str(target)]
    else:
        cmd = ["npm", "pack", "-q", f"{pkg.name}@{version}"]
    print(f"  downloading {pkg.name} {version}", file=sys.stderr)
    done = subprocess.run(cmd, cwd=target, capture_output=True, text=True)
    found = sorted(p for p in target.glob("*") if p.is_file())
    if done.returncode or not found:
        raise RuntimeError(f"download of {pkg.name} {version} failed: {done.stderr[-2000:]}")
    return found[0]


def extract(archive: Path) -> Tree:
    """Regular files of a .tar.gz/.tgz/.zip, with the single top-level folder stripped."""
    raw: dict[str, tuple[bytes, bool]] = {}
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir() and info.file_size <= MAX_FILE:
                    raw[info.filename] = (zf.read(info), bool((info.external_attr >> 16) & 0o111))
    else:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                if member.isfile() and member.size <= MAX_FILE:
                    handle = tf.extractfile(member)
                    assert handle is not None
                    raw[member.name] = (handle.read(), bool(member.mode & 0o111))
    tops = {name.split("/", 1)[0] for name in raw}
    strip = len(tops) == 1 and all("/" in name for name in raw)
    tree: Tree = {}
    for name, value in raw.items():
        path = name.split("/", 1)[1] if strip else name
        path = path.lstrip("./")
        if path and ".." not in path.split("/"):
            tree[path] = value
    return tree


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- inventory repo


def build_inventory(repo: Path, pkg: Package, releases: list[Release]) -> None:
    """A git repo with one commit (and lightweight tag) per release, built with fast-import.

    fast-import stores the exact bytes (no eol/attribute filters), so blob ids match the files.
    """
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin:/usr/local/bin",
           "HOME": str(repo), "LC_ALL": "C", "TZ": "UTC"}
    base = ["git", "-c", "init.defaultBranch=main", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
            "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]
    subprocess.run(base + ["init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    stream = io.BytesIO()
    ident = f"{pkg.name} maintainers <maintainers@{pkg.name}.invalid>"
    for index, release in enumerate(releases):
        when = BASE_EPOCH + index * 45 * 86400
        message = f"Release {pkg.name} {release.version}\n".encode()
        stream.write(b"commit refs/heads/main\n")
        stream.write(f"mark :{index + 1}\n".encode())
        stream.write(f"author {ident} {when} +0000\ncommitter {ident} {when} +0000\n".encode())
        stream.write(b"data %d\n%s" % (len(message), message))
        if index:
            stream.write(f"from :{index}\n".encode())
        stream.write(b"deleteall\n")
        for path in sorted(release.tree):
            data, executable = release.tree[path]
            quoted = json.dumps(path) if any(c in path for c in ' "\n\\') or not path.isascii() else path
            stream.write(f"M {'100755' if executable else '100644'} inline {quoted}\n".encode())
            stream.write(b"data %d\n" % len(data) + data + b"\n")
        stream.write(f"reset refs/tags/v{release.version}\nfrom :{index + 1}\n\n".encode())
    subprocess.run(base + ["fast-import", "--quiet"], cwd=repo, env=env, input=stream.getvalue(), check=True)
    subprocess.run(base + ["reset", "-q", "--hard", "main"], cwd=repo, env=env, check=True)


# --------------------------------------------------------------------------- source pools


def is_text(data: bytes) -> bool:
    if b"\0" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Pools:
    """Everything the case makers draw from, for one package."""

    pkg: Package
    releases: list[Release]
    tip: Tree
    tip_hashes: set[str]
    all_hashes: set[str]
    text_sources: list[tuple[str, str, bytes]]  # (path, version, bytes) of text files, any release
    families: dict[str, list[str]]  # folder -> sibling tip paths

    @property
    def tip_version(self) -> str:
        return self.releases[-1].version


def code_files(tree: Tree, min_lines: int = 10) -> list[str]:
    return sorted(p for p, (d, _) in tree.items()
                  if language(p) != "text" and is_text(d) and d.count(b"\n") >= min_lines)


def skeleton(line: str) -> str:
    line = re.sub(r"'[^']*'|\"[^\"]*\"", "S", line.strip())
    return re.sub(r"\d+", "N", line)


FAMILY_FOLDERS = frozenset("locale locales lang langs i18n l10n translations styles themes lexers".split())


def find_families(tree: Tree) -> dict[str, list[str]]:
    """Folders of >= 8 same-extension code files of 15+ lines that are one family of siblings:
    by name (locale/, styles/, lexers/...) or because they share most line skeletons."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in code_files(tree, 15):
        folder, _, name = path.rpartition("/")
        groups[(folder, name.rsplit(".", 1)[-1])].append(path)
    families = {}
    for (folder, _), paths in sorted(groups.items()):
        if len(paths) < 8 or "test" in folder.lower():
            continue
        rng = random.Random(folder)
        scores = []
        for _ in range(12):
            a, b = rng.sample(paths, 2)
            sa = {skeleton(x) for x in tree[a][0].decode().splitlines() if x.strip()}
            sb = {skeleton(x) for x in tree[b][0].decode().splitlines() if x.strip()}
            scores.append(len(sa & sb) / max(1, len(sa | sb)))
        if folder.rsplit("/", 1)[-1] in FAMILY_FOLDERS or sorted(scores)[len(scores) // 2] >= 0.3:
            families[folder] = paths
    return families


def make_pools(pkg: Package, releases: list[Release]) -> Pools:
    tip = releases[-1].tree
    tip_hashes = {sha256(d) for d, _ in tip.values()}
    all_hashes = {sha256(d) for r in releases for d, _ in r.tree.values()}
    seen: set[str] = set()
    text_sources = []
    for release in reversed(releases):
        for path in sorted(release.tree):
            data = release.tree[path][0]
            digest = sha256(data)
            if digest not in seen and is_text(data) and data.count(b"\n") >= 10:
                seen.add(digest)
                text_sources.append((path, release.version, data))
    return Pools(pkg, releases, tip, tip_hashes, all_hashes, text_sources, find_families(tip))


# --------------------------------------------------------------------------- case makers


def new_name(rng: random.Random, path: str) -> str:
    """A new file name in the same folder, with the same extension and naming style."""
    folder, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    fresh = codegen.ident(rng, 2)
    if "-" in stem:
        fresh = fresh.replace("_", "-")
    elif re.search(r"[a-z][A-Z]", stem):
        fresh = codegen.camel(fresh)
    elif stem.startswith("_"):
        fresh = "_" + codegen.camel(fresh)
    return f"{folder}/{fresh}.{ext}" if folder else f"{fresh}.{ext}"


def pick_sources(pools: Pools, rng: random.Random, want: Callable[[str, bytes], bool], tip_share: float = 0.75,
                 passes: int = 3):
    """Shuffled stream of (path, version, text) sources, mostly from the tip.

    Small packages run out of sources, so the stream goes over the pool up to ``passes`` times
    (a source edited twice gives two different altered files).
    """
    tip_v = pools.tip_version
    for _ in range(passes):
        tip = [s for s in pools.text_sources if s[1] == tip_v and want(s[0], s[2])]
        old = [s for s in pools.text_sources if s[1] != tip_v and want(s[0], s[2])]
        rng.shuffle(tip)
        rng.shuffle(old)
        while tip or old:
            use_tip = tip and (not old or rng.random() < tip_share)
            yield (tip if use_tip else old).pop()


def altered_items(pools: Pools, case: str, count: int, rng: random.Random) -> list[Item]:
    """``count`` altered files of one plain case, each checked to equal no internal blob."""
    def want(path: str, data: bytes) -> bool:
        lang = language(path)
        lines = data.count(b"\n")
        if case == "minified-js":
            return lang == "js" and lines >= 15 and not path.endswith(".min.js")
        if case == "one-line-edit-long":
            return lines >= 500
        if case in ("deleted-function", "renamed", "strip-comments", "chimera"):
            return lang != "text" and lines >= 20
        return lines >= 12

    func = mutate.PLAIN.get(case)
    items: list[Item] = []
    sources = pick_sources(pools, rng, want, tip_share=1.0 if case == "one-line-edit-long" else 0.75)
    if case == "one-line-edit-long" and not any(True for _ in pick_sources(pools, random.Random(0), want)):
        sources = pick_sources(pools, rng, lambda p, d: d.count(b"\n") >= 200, tip_share=1.0)
    for path, version, data in sources:
        if len(items) >= count:
            break
        text = data.decode("utf-8")
        extra: dict = {"version": version}
        try:
            if case == "stacked":
                new, applied = mutate.stacked(text, language(path), rng)
                extra["edits"] = applied
            else:
                assert func is not None
                new = func(text, language(path), rng)
        except NotApplicable:
            continue
        out = new.encode("utf-8")
        if out == data or sha256(out) in pools.all_hashes:
            continue
        items.append(Item(path, out, "altered", case, path, extra))
    return items


def concatenation_items(pools: Pools, count: int, rng: random.Random) -> list[Item]:
    by_lang: dict[str, list[tuple[str, str, bytes]]] = defaultdict(list)
    for source in pools.text_sources:
        if source[1] == pools.tip_version:
            by_lang[language(source[0])].append(source)
    langs = [lang for lang in sorted(by_lang) if len(by_lang[lang]) >= 3]
    items = []
    for _ in range(count * 3):
        if len(items) >= count or not langs:
            break
        parts = rng.sample(by_lang[rng.choice(langs)], rng.randint(2, 3))
        out = b"\n".join(p[2] for p in parts)
        if sha256(out) not in pools.all_hashes:
            items.append(Item(parts[0][0], out, "altered", "concatenation", parts[0][0],
                              {"sources": [p[0] for p in parts], "version": pools.tip_version}))
    return items


def byte_patch_items(pools: Pools, count: int, rng: random.Random) -> list[Item]:
    binaries = sorted(p for p, (d, _) in pools.tip.items() if not is_text(d) and len(d) >= 256)
    rng.shuffle(binaries)
    items = []
    for path in binaries[:count]:
        out = mutate.byte_patch(pools.tip[path][0], rng)
        if sha256(out) not in pools.all_hashes:
            items.append(Item(path, out, "altered", "byte-patch", path, {"version": pools.tip_version}))
    return items


def sibling_items(pools: Pools, count: int, rng: random.Random) -> list[Item]:
    """Copy a family member, change a few string lines, save it at a new sibling path."""
    items: list[Item] = []
    folders = sorted(pools.families)
    for _ in range(count * 4):
        if len(items) >= count or not folders:
            break
        source = rng.choice(pools.families[rng.choice(folders)])
        lines = pools.tip[source][0].decode("utf-8").splitlines(keepends=True)
        with_strings = [i for i, line in enumerate(lines) if re.search(r"'[A-Za-z]{3,}|\"[A-Za-z]{3,}", line)]
        if len(with_strings) < 3:
            continue
        for index in rng.sample(with_strings, min(len(with_strings), rng.randint(3, 5))):
            lines[index] = re.sub(r"(['\"])([A-Za-z]{3,})", lambda m: m.group(1) + codegen.fake_word(rng),
                                  lines[index], count=1)
        out = "".join(lines).encode("utf-8")
        target = family_new_path(rng, source, pools)
        if sha256(out) not in pools.all_hashes:
            items.append(Item(target, out, "altered", "sibling-copy", source, {"version": pools.tip_version}))
    return items


def family_new_path(rng: random.Random, sibling: str, pools: Pools) -> str:
    folder, _, name = sibling.rpartition("/")
    ext = name.rsplit(".", 1)[-1]
    while True:
        stem = codegen.fake_word(rng, 2, 3).lower() if "locale" in folder else codegen.fake_word(rng, 4, 7).lower()
        path = f"{folder}/{stem}.{ext}"
        if path not in pools.tip:
            return path


def family_style_items(pools: Pools, count: int, rng: random.Random) -> list[Item]:
    """Fabricated family members from hand-written templates (never from the family's files)."""
    makers = []
    for folder in sorted(pools.families):
        ext = pools.families[folder][0].rsplit(".", 1)[-1]
        if ext == "js" and "locale" in folder:
            makers.append((folder, lambda r, p: codegen.fake_locale_js(r, p.rsplit("/", 1)[1].split(".")[0])))
        elif ext == "py" and folder.endswith("styles"):
            makers.append((folder, lambda r, p: codegen.fake_style_py(r, p.rsplit("/", 1)[1].split(".")[0])))
        elif ext == "py" and folder.endswith("lexers"):
            makers.append((folder, lambda r, p: codegen.fake_lexer_py(r, p.rsplit("/", 1)[1].split(".")[0])))
    items = []
    for index in range(count if makers else 0):
        folder, make = makers[index % len(makers)]
        path = family_new_path(rng, pools.families[folder][0], pools)
        out = make(rng, path).encode("utf-8")
        items.append(Item(path, out, "fabricated", "family-style-fabricated", None, {"family": folder}))
    return items


def forgery_items(pools: Pools, count: int, rng: random.Random, short: bool) -> list[Item]:
    """The real license header, docstring and imports of a file, followed by generated code."""
    items: list[Item] = []
    candidates = [p for p in code_files(pools.tip, 10)]
    rng.shuffle(candidates)
    for path in candidates:
        if len(items) >= count:
            break
        lang = language(path)
        header = mutate.source_header(pools.tip[path][0].decode("utf-8"), lang)
        header_lines = header.count("\n") + 1
        if header_lines < 3 or (short and header_lines > 18):
            continue
        if short:  # one small generated function; keep the whole file under 30 lines
            budget = 28 - header_lines - 2
            make = codegen.python_function if lang == "py" else codegen.js_function
            drafts = [make(rng) for _ in range(30)]
            fitting = [d for d in drafts if d.count("\n") <= budget]
            if not fitting:
                continue
            body = fitting[0]
        else:
            body = codegen.module_body(rng, lang, rng.randint(30, 90))
        out = (header + "\n\n" + body).encode("utf-8")
        at_real = len(items) % 2 == 0
        target = path if at_real else new_name(rng, path)
        if sha256(out) not in pools.all_hashes:
            case = "forgery-short" if short else "forgery-real-header"
            items.append(Item(target, out, "fabricated", case, None,
                              {"header_from": path, "at_real_path": at_real, "lines": out.count(b"\n")}))
    return items


def other_package_items(pools: Pools, donors: dict[str, Tree], count: int, rng: random.Random) -> list[Item]:
    """A file of another package, at a plausible new path or over a real path of this package."""
    pool = []
    for donor in sorted(donors):
        for path in code_files(donors[donor], 15):
            base = path.rsplit("/", 1)[-1].lower()
            if not base.startswith(("license", "readme", "changes", "setup", "index", "__init__", "conftest")):
                pool.append((donor, path, donors[donor][path][0]))
    rng.shuffle(pool)
    real_paths = sorted(pools.tip)
    folders = sorted({p.rpartition("/")[0] for p in real_paths})
    items = []
    for donor, path, data in pool:
        if len(items) >= count:
            break
        if sha256(data) in pools.all_hashes:
            continue
        ext = path.rsplit(".", 1)[-1]
        if len(items) % 2 == 0:
            same_ext = [p for p in real_paths if p.endswith("." + ext)] or real_paths
            target, where = rng.choice(same_ext), "real path"
        else:
            folder = rng.choice(folders)
            name = path.rsplit("/", 1)[-1]
            target, where = (f"{folder}/{name}" if folder else name), "new path"
        items.append(Item(target, data, "fabricated", "other-package", None, {"donor": f"{donor}:{path}", "at": where}))
    return items


def real_items(pools: Pools, rng: random.Random) -> list[Item]:
    paths = sorted(p for p, (d, _) in pools.tip.items() if d)
    items = [Item(p, pools.tip[p][0], "real", "real", p) for p in rng.sample(paths, min(len(paths), TARGETS["real"]))]
    folders = sorted({p.rpartition("/")[0] for p in pools.tip})
    for path in rng.sample(paths, min(len(paths), TARGETS["moved-real"])):
        name = path.rsplit("/", 1)[-1]
        if rng.random() < 0.5:
            folder = rng.choice(folders + ["backup", "old/src", "misc"])
            target = f"{folder}/{name}" if folder else name
        else:
            target = new_name(rng, path)
        if target == path:
            target = "copy/" + path
        items.append(Item(target, pools.tip[path][0], "real", "moved-real", path))
    return items


def outdated_items(pools: Pools, rng: random.Random) -> list[Item]:
    seen: set[str] = set()
    pool = []
    for release in pools.releases[:-1]:
        for path in sorted(release.tree):
            data = release.tree[path][0]
            digest = sha256(data)
            if data and digest not in pools.tip_hashes and digest not in seen:
                seen.add(digest)
                pool.append(Item(path, data, "outdated", "outdated", path, {"version": release.version}))
    rng.shuffle(pool)
    return pool[: TARGETS["outdated"]]


def make_items(pools: Pools, donors: dict[str, Tree], seed: int) -> list[Item]:
    """All labelled items of one package, one RNG stream per case."""
    def rng(case: str) -> random.Random:
        return random.Random(f"{seed}:{pools.pkg.name}:{case}")

    items = real_items(pools, rng("real")) + outdated_items(pools, rng("outdated"))
    for case in ("inserted-lines", "deleted-function", "renamed", "reindent", "crlf", "trailing-ws",
                 "strip-comments", "constants", "truncation", "minified-js", "one-line-edit-long",
                 "format-only", "stacked", "chimera"):
        items += altered_items(pools, case, TARGETS[case], rng(case))
    items += concatenation_items(pools, TARGETS["concatenation"], rng("concatenation"))
    items += byte_patch_items(pools, TARGETS["byte-patch"], rng("byte-patch"))
    items += sibling_items(pools, TARGETS["sibling-copy"], rng("sibling-copy"))
    items += other_package_items(pools, donors, TARGETS["other-package"], rng("other-package"))
    items += forgery_items(pools, TARGETS["forgery-real-header"], rng("forgery"), short=False)
    items += forgery_items(pools, TARGETS["forgery-short"], rng("forgery-short"), short=True)
    items += family_style_items(pools, TARGETS["family-style-fabricated"], rng("family-style"))
    return items


# --------------------------------------------------------------------------- drops


def verify_label(item: Item, pools: Pools) -> None:
    """The label must follow from the bytes: real/outdated by hash, others equal no blob."""
    digest = sha256(item.data)
    expected = "real" if digest in pools.tip_hashes else "outdated" if digest in pools.all_hashes else None
    if expected != (item.label if item.label in ("real", "outdated") else None):
        raise AssertionError(f"{item.case} {item.path}: label {item.label} but bytes say {expected}")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


def write_drops(pools: Pools, items: list[Item], out: Path, count: int, seed: int) -> dict[str, dict]:
    """Spread the items over ``count`` zips (unique paths per zip); returns the labels."""
    rng = random.Random(f"{seed}:{pools.pkg.name}:drops")
    order = list(items)
    rng.shuffle(order)
    tops = [f"{pools.pkg.name}-leak/", "", f"{pools.pkg.name}-{pools.tip_version}/", "internal/src/"]
    names = [f"{pools.pkg.name}-drop-{i + 1}.zip" for i in range(count)]
    members: list[dict[str, bytes]] = [{} for _ in range(count)]
    labels: dict[str, dict] = {name: {} for name in names}
    for position, item in enumerate(order):
        for attempt in range(count * 8):
            slot = (position + attempt) % count
            path = tops[slot % len(tops)] + item.path
            if attempt >= count and not (item.case == "other-package" or item.extra.get("at_real_path")):
                # taken in every drop: an edited copy may sit in another folder ("copy2/...");
                # files whose point is to sit at a real path are left out instead
                path = tops[slot % len(tops)] + f"copy{attempt // count}/" + item.path
            if path not in members[slot]:
                break
        else:
            continue
        members[slot][path] = item.data
        labels[names[slot]][path] = {"label": item.label, "case": item.case, "source": item.source, **item.extra}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, files in zip(names, members):
        (out / name).write_bytes(zip_bytes(files))
    sorted_labels = {name: dict(sorted(labels[name].items())) for name in names}
    (out / "labels.json").write_text(json.dumps(sorted_labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return sorted_labels


# --------------------------------------------------------------------------- main


def load_releases(pkg: Package, cache: Path) -> list[Release]:
    return [Release(v, extract(download(pkg, v, cache))) for v in pkg.versions]


def summarize(all_labels: dict[str, dict[str, dict]]) -> str:
    """A per-case, per-package count table."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels_of_case: dict[str, str] = {}
    for pkg, drops in all_labels.items():
        for members in drops.values():
            for entry in members.values():
                counts[entry["case"]][pkg] += 1
                labels_of_case[entry["case"]] = entry["label"]
    pkgs = list(all_labels)
    rows = [f"{'case':<26}{'label':<11}" + "".join(f"{p[:10]:>11}" for p in pkgs) + f"{'total':>8}"]
    for case in sorted(counts, key=lambda c: (labels_of_case[c], c)):
        row = [counts[case][p] for p in pkgs]
        rows.append(f"{case:<26}{labels_of_case[case]:<11}" + "".join(f"{n:>11}" for n in row) + f"{sum(row):>8}")
    totals = [sum(counts[c][p] for c in counts) for p in pkgs]
    rows.append(f"{'TOTAL':<37}" + "".join(f"{n:>11}" for n in totals) + f"{sum(totals):>8}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", help="comma list of [npm:|pypi:]name[:N|=v1;v2;...] (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"small run for tuning: {QUICK}")
    parser.add_argument("--work", type=Path, default=WORK, help="output root (default benchmarks/work)")
    parser.add_argument("--drops", type=int, default=4, help="zip drops per package (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    spec = args.packages or (QUICK if args.quick else ",".join(DEFAULTS))
    packages = parse_packages(spec)
    cache = args.work / "cache"
    started = time.monotonic()
    releases = {}
    for pkg in packages:
        print(f"{pkg.name}: {len(pkg.versions)} releases ({pkg.versions[0]} .. {pkg.versions[-1]})", file=sys.stderr)
        releases[pkg.name] = load_releases(pkg, cache)
        build_inventory(args.work / pkg.name / "inventory", pkg, releases[pkg.name])
    all_labels = {}
    for pkg in packages:
        pools = make_pools(pkg, releases[pkg.name])
        donors = {other: releases[other][-1].tree for other in releases if other != pkg.name}
        items = make_items(pools, donors, args.seed)
        for item in items:
            verify_label(item, pools)
        all_labels[pkg.name] = write_drops(pools, items, args.work / pkg.name / "drops", args.drops, args.seed)
        families = ", ".join(f"{k} ({len(v)})" for k, v in pools.families.items()) or "none"
        print(f"{pkg.name}: {len(items)} labelled files; families: {families}", file=sys.stderr)
    print(summarize(all_labels))
    print(f"done in {time.monotonic() - started:.1f}s; data under {args.work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
