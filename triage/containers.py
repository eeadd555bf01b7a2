"""Archives inside a drop, and where files sit: what the scan says of a container and of the
files it holds, apart from the comparisons.

An archive opened inside a drop (``a.zip!b.py``) is a file of the drop like any other: real or
outdated when its own bytes are internal, else judged by the files it holds. Files inside an
internal archive are internal. A secret found in a container and again in the file it holds is
reported once, at the file. A fabricated file that maps into a dependency folder is marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from triage.fingerprint import Fingerprint
from triage.model import Finding, Member, Skipped, Verdict
from triage.read import ARCHIVE_NOTE

# Folders of third-party code that leaked checkouts carry along: a file there that matches no
# internal content is most likely a dependency the organisation does not index, not a forgery.
DEPENDENCY_FOLDERS = frozenset({"node_modules", "bower_components", "vendor", "third_party", "third-party",
                                "site-packages", "dist-packages", ".venv", "venv", "Pods", "Carthage",
                                ".yarn", ".pnpm-store", "jspm_packages"})


def containers_of(path: str, archives: set[str]) -> Iterator[str]:
    """The archives a member's path says it came out of (``a.zip!b.tar!c`` -> a.zip, a.zip!b.tar)."""
    at = path.find("!")
    while at != -1:
        if path[:at] in archives:
            yield path[:at]
        at = path.find("!", at + 1)


def without_echoes(hits: list[dict], opened: set[str]) -> list[dict]:
    """Rule hits without the echo of a secret in the archive that holds it (a source map's JSON
    holds its sources' text): the hit in the file inside is the one to act on."""
    inside = {(h["rule"], h.get("fingerprint"), c) for h in hits for c in containers_of(h["path"], opened)}
    return [h for h in hits if (h["rule"], h.get("fingerprint"), h["path"]) not in inside]


def dependency_folder(path: str) -> str | None:
    """The dependency folder a path lies in (``node_modules``, ``vendor``, ...), if any."""
    for part in path.replace("!", "/").split("/")[:-1]:
        if part in DEPENDENCY_FOLDERS:
            return part
    return None


def held_by(findings: dict[str, Finding], skipped: list[Skipped], opened: set[str],
            ) -> tuple[dict[str, list[Finding]], dict[str, int]]:
    """Per opened archive, the findings of the files it holds at any depth (inner archives count
    through their own files) and how many of its members were not triaged: one pass."""
    held: dict[str, list[Finding]] = {}
    refused: dict[str, int] = {}
    for path, f in findings.items():
        if path not in opened:
            for box in containers_of(path, opened):
                held.setdefault(box, []).append(f)
    for sk in skipped:
        for box in containers_of(sk.path, opened):
            refused[box] = refused.get(box, 0) + 1
    return held, refused


def inherited_finding(member: Member, fp: Fingerprint, box: Finding, ip: str) -> Finding:
    """A file inside an archive whose own bytes are internal (a shipped release archive): the
    index holds the archive, not always each file in it, and a file of internal bytes is
    internal. It takes the archive's verdict and points at it."""
    ev: dict[str, Any] = {
        "kind": fp.kind, "git_blob": fp.git_oid or None, "internal_path": ip, "notes": list(member.notes),
        "matches": [], "inside_internal_archive": {"path": box.path, "sha256": box.sha256,
                                                   "matches": box.evidence.get("matches", [])[:3]},
    }
    reasons = (f"inside {box.path}, an archive whose bytes equal {box.verdict.value} internal content",)
    return Finding(member.path, fp.size, fp.sha256, fp.mime, box.verdict, box.confidence, reasons, ev)


def archive_finding(member: Member, fp: Fingerprint, ip: str, held: list[Finding],
                    refused: int) -> Finding | None:
    """An archive inside the drop whose own bytes are not internal, judged by the files it holds:
    altered ("repackaged") when some are real, outdated or altered, fabricated when none is
    derived from internal content. None when none of its files got a verdict."""
    if not held:
        return None
    counts = {v.value: 0 for v in Verdict}
    for f in held:
        counts[f.verdict.value] += 1
    derived = [f for f in held if f.verdict is not Verdict.FABRICATED]
    fmt = next((n[len(ARCHIVE_NOTE):] for n in member.notes if n.startswith(ARCHIVE_NOTE)), "archive")
    what = f"a {fmt} archive whose own bytes match no internal file"
    listed = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    ev: dict[str, Any] = {
        "kind": "archive", "git_blob": fp.git_oid, "internal_path": ip, "notes": list(member.notes),
        "matches": [],
        "container": {"format": fmt, "files": len(held), "verdicts": counts, "skipped": refused},
    }
    decisive = derived or held
    confidence = round(sum(f.confidence for f in decisive) / len(decisive), 3)
    if derived:
        ev["change_kinds"] = ["repackaged"]
        ev["derived_share"] = round(len(derived) / len(held), 4)
        if counts["real"] + counts["outdated"] == len(held):
            reasons = (f"{what}; all {len(held)} files it holds are internal byte for byte ({listed}): a"
                       " re-packing, or an archive the index knows only by its files",)
        else:
            reasons = (f"{what}; {len(derived)} of its {len(held)} files derive from internal content"
                       f" ({listed})",)
        verdict = Verdict.ALTERED
    else:
        reasons = (f"{what}; none of its {len(held)} files derives from internal content",)
        verdict = Verdict.FABRICATED
    return Finding(member.path, fp.size, fp.sha256, fp.mime, verdict, confidence, reasons, ev)
