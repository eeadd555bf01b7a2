"""scan(drop, inventory) -> Report: the only orchestration in triage.

drop -> members -> fingerprints -> exact matches -> candidates and comparisons -> findings ->
snapshot -> one Report. Members are processed in batches so that memory holds one batch of
bytes at a time, whatever the size of the drop.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from triage import __version__, docscan, pointers
from triage import weights as wscan
from triage.align import LCS_CELLS
from triage.classify import Decision, decide_fuzzy, evidence_strength
from triage.compare import added_lines, change_kinds, diff_hunks
from triage.containers import (
    archive_finding,
    containers_of,
    dependency_folder,
    held_by,
    inherited_finding,
    without_echoes,
)
from triage.dating import FileAt, History, drop_roots, internal_path, snapshot
from triage.fingerprint import FUZZY_MAX_BYTES, Fingerprint, fingerprint
from triage.fingerprint.binary import tlsh_distance
from triage.fingerprint.docprint import DocPrint, TablePrint, describe
from triage.fingerprint.filetype import decode
from triage.fingerprint.minhash import from_bytes, jaccard
from triage.inventory import open_store
from triage.inventory.indexer import iso
from triage.inventory.store import Store
from triage.matcher import ViewCache, match
from triage.model import Finding, Member, Report, Skipped, Verdict
from triage.narrative import summarize
from triage.read import ARCHIVE_NOTE, EmbeddedRepo, describe_drop, read_drop, reasons
from triage.read.limits import Limits
from triage.rules import RuleSet

SCHEMA = "triage-report/1"
# Members fingerprinted and looked up together (bounds memory: one batch of bytes at a time).
BATCH = 256
# ... and flushed sooner when their bytes reach this (256 files of 40 MB would be 10 GB).
BATCH_BYTES = 64 * 1024 * 1024
# Bytes of dropped files kept in memory while they wait for the fuzzy stage (which needs the
# exact matches of the whole drop first); the rest wait in the scan's work folder.
RETAIN_BYTES = 256 * 1024 * 1024
# Internal paths listed per matched content in the evidence.
MAX_MATCH_PATHS = 10
# Exact matches of contents smaller than this are weak evidence (an empty __init__.py is in
# every project): confidence scales down below it.
SMALL_FILE_BYTES = 64

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScanOptions:
    limits: Limits = field(default_factory=Limits)
    workdir: Path | None = None
    as_of: int | None = None  # Unix time: judge "current" against the default tips at that date
    signatures: tuple[Path, ...] = ()  # rule folders added to the built-in signatures
    builtin_signatures: bool = True


@dataclass
class _Pending:
    """A member read and fingerprinted, waiting for its verdict."""

    member: Member
    fp: Fingerprint
    index: int  # position in the drop, so the report keeps the drop's order
    exact: list[int] = field(default_factory=list)
    pointer: pointers.Pointer | None = None  # matched through this LFS or DVC pointer
    spill: Path | None = None  # its bytes, waiting in the scan's work folder for the fuzzy stage

    def park(self, folder: Path) -> None:
        """Wait for the fuzzy stage in ``folder`` (the scan's own work folder), not in memory."""
        self.spill = folder / f"waiting-{self.index}.bin"
        self.spill.write_bytes(self.member.data)
        self.member = replace(self.member, data=b"")

    def restore(self) -> None:
        """Bytes back in memory for the fuzzy stage (from the work folder if they waited there)."""
        if self.spill is not None:
            self.member = replace(self.member, data=self.spill.read_bytes())

    def release(self) -> None:
        """Judged: its bytes are no longer needed."""
        self.member = replace(self.member, data=b"")
        if self.spill is not None:
            self.spill.unlink(missing_ok=True)
            self.spill = None


def _noop(stage: str, done: int, total: int) -> None:
    pass


def scan(drop: Path, db: Path | str, options: ScanOptions | None = None, progress: Progress = _noop) -> Report:
    """Scan ``drop`` against the index ``db`` (an SQLite file, or a ``postgresql://`` URL)."""
    options = options or ScanOptions()
    from triage.rules import load_rules

    ruleset = load_rules(options.signatures, include_builtin=options.builtin_signatures)
    store = open_store(db, writable=False)
    try:
        drop_info = describe_drop(Path(drop))
        own_tmp = options.workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="triage-")) if own_tmp else Path(options.workdir)  # type: ignore[arg-type]
        try:
            return _scan(store, Path(drop), drop_info, options, ruleset, workdir, progress)
        finally:
            if own_tmp:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        store.close()


def _scan(store: Store, drop: Path, drop_info: dict, options: ScanOptions, ruleset: RuleSet,
          workdir: Path, progress: Progress) -> Report:
    limits = options.limits
    hits: list[dict] = []
    started = datetime.now(timezone.utc)
    skipped: list[Skipped] = []
    exact: list[_Pending] = []
    fuzzy: list[_Pending] = []
    weighted: list[_Pending] = []  # model weights with tensor records, no exact match
    batch: list[_Pending] = []
    n = 0

    retained = 0  # bytes of files waiting in memory for the fuzzy stage
    batch_bytes = 0

    def flush() -> None:
        nonlocal retained
        shas = store.contents_by("sha256", [p.fp.sha256 for p in batch])
        named = pointers.pointers_to(store, [
            pointers.Dropped(p.fp.sha256, hashlib.md5(p.member.data, usedforsecurity=False).hexdigest()
                             if p.member.data else None, p.fp.size)
            for p in batch if p.fp.sha256 not in shas])
        for p in batch:
            p.exact = shas.get(p.fp.sha256, [])
            if not p.exact and p.fp.sha256 in named:  # kept outside git: matched through its pointer
                p.exact = sorted({ptr.content_id for ptr in named[p.fp.sha256]})
                p.pointer = named[p.fp.sha256][0]
            if p.exact:
                exact.append(p)
                p.release()  # judged by its hashes: the bytes can go
            elif p.fp.weights is not None and p.fp.weights.ok:
                weighted.append(p)
            else:
                fuzzy.append(p)
                size = len(p.member.data)
                if size and retained + size > RETAIN_BYTES:  # wait on disk, not in memory
                    p.park(workdir)
                else:
                    retained += size
        batch.clear()

    repos: list[EmbeddedRepo] = []
    archives: set[str] = set()  # members the reader opened as archives (their files follow)
    opened: set[str] = set()  # ... out of which at least one file came: judged by their files
    for item in read_drop(drop, limits, workdir):
        if isinstance(item, Member):
            opened.update(containers_of(item.path, archives))
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        if isinstance(item, EmbeddedRepo):
            repos.append(item)
            continue
        n += 1
        if any(note.startswith(ARCHIVE_NOTE) for note in item.notes):
            archives.add(item.path)
        progress("members read", n, 0)
        pending = _Pending(item, fingerprint(item.content), n)
        if item.spilled is not None and item.spilled.temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(item.spilled.path)  # fingerprinted: the scratch copy is no longer needed
        if pending.fp.weights is not None and pending.fp.weights.ok:
            pending.member = replace(item, data=b"")  # judged by its tensor records: the bytes can go
        if pending.fp.kind == "text":
            decoded = decode(item.data)
            if decoded is not None:
                hits.extend(ruleset.scan_text(item.path, decoded[0], pending.fp.mime, pending.fp.size))
        batch.append(pending)
        batch_bytes += len(pending.member.data)
        if len(batch) >= BATCH or batch_bytes >= BATCH_BYTES:
            flush()
            batch_bytes = 0
    if batch:
        flush()

    # Exact matches settle real and outdated; they also tell how drop paths map onto internal ones.
    exact_ids = sorted({cid for p in exact for cid in p.exact})
    occ = store.occurrences(exact_ids)
    roots = drop_roots([(p.member.path, [o[0] for cid in p.exact for o in occ.get(cid, [])]) for p in exact])
    want_paths = {internal_path(p.member.path, roots) for p in exact}
    for p in exact:
        for cid in p.exact:
            want_paths.update(o[0] for o in occ.get(cid, [])[:MAX_MATCH_PATHS])
    path_ids = store.path_ids_readonly(want_paths)
    findings: dict[str, Finding] = {}

    # Fuzzy matches first: the versions altered files were cut from tell, with the exact
    # matches, which histories dating needs.
    placed_fuzzy: list[FileAt] = []
    cache = ViewCache()
    texts = docscan.TextCache()
    internal_boxes = {p.member.path for p in exact if p.member.path in archives}
    inherited: list[tuple[_Pending, str]] = []  # files of an internal archive: internal as it is
    for i, p in enumerate(fuzzy):
        progress("fuzzy comparisons", i + 1, len(fuzzy))
        box = next(reversed(list(containers_of(p.member.path, internal_boxes))), None)
        if box is not None:
            inherited.append((p, box))
            p.release()
            continue
        if p.member.path in opened:
            continue  # an archive whose bytes are not internal: judged by its files (below)
        if p.fp.weights is None and (p.fp.size > FUZZY_MAX_BYTES or p.member.spilled is not None):
            skipped.append(Skipped(p.member.path, reasons.TOO_LARGE,
                                   f"{p.fp.size} bytes, over the {FUZZY_MAX_BYTES}-byte limit of comparison by content:"
                                   f" no internal file has its bytes (sha256 {p.fp.sha256}); not compared further"))
            p.release()
            continue
        p.restore()
        try:
            ip = internal_path(p.member.path, roots)
            outcome = _document_stage(store, p, ip, texts)
            if outcome.skipped is not None:
                skipped.append(outcome.skipped)
                continue
            if outcome.finding is not None:
                finding, source = outcome.finding, outcome.source
                if outcome.second_opinion:
                    text_finding, text_source = _fuzzy_finding(store, p, ip, cache, ruleset)
                    if text_finding.verdict is Verdict.ALTERED:
                        text_finding.evidence["document"] = finding.evidence["document"]
                        finding, source = text_finding, text_source
            else:
                finding, source = _fuzzy_finding(store, p, ip, cache, ruleset)
                finding.evidence.update(outcome.evidence)
            findings[p.member.path] = finding
            hits.extend(finding.evidence.get("suspicious_insertions", []))
            if source is not None:
                pid = store.path_ids_readonly([ip]).get(ip)
                if pid is not None and source in store.contents_at_paths([ip]).get(ip, set()):
                    placed_fuzzy.append(FileAt(p.member.path, pid, source, via="source"))
        finally:
            p.release()

    dated = set(exact_ids) | {f.content_id for f in placed_fuzzy}
    every_source = options.as_of is not None or bool(weighted)  # tips at a date; checkpoints anywhere
    history = History(store, None if every_source else store.sources_of_contents(dated))
    as_of_commits: list[dict] = []
    if options.as_of is None:
        current = store.current_contents(exact_ids)
    else:
        current, as_of_commits = _current_as_of(store, history, options.as_of)

    placed: list[FileAt] = []
    states = history.states(sorted(set(path_ids.values())))

    def life(path: str, cid: int) -> dict:
        pid = path_ids.get(path)
        if pid is None or pid not in states.col:
            return history.span(np.zeros(0, dtype=bool)) if states.col else {}
        return history.moment_span(states, states.holding(pid, cid))

    described = docscan.exact_evidence(store, exact_ids)
    for i, p in enumerate(exact):
        progress("exact matches", i + 1, len(exact))
        finding = _exact_finding(p, occ, current, roots, life)
        finding.evidence.update(next((described[c] for c in p.exact if c in described), {}))
        findings[p.member.path] = finding
        if not finding.evidence["moved"]:  # dated at its path, or at its pointer's
            at = (finding.evidence.get("pointer") or {}).get("path") or finding.evidence["internal_path"]
            if path_ids.get(at) is not None:
                placed.append(FileAt(p.member.path, path_ids[at], p.exact[0]))
    placed.extend(placed_fuzzy)

    for i, p in enumerate(weighted):
        progress("weights comparisons", i + 1, len(weighted))
        findings[p.member.path] = _weights_finding(store, history, p, internal_path(p.member.path, roots))

    for p, box in inherited:
        ip = internal_path(p.member.path, roots)
        findings[p.member.path] = inherited_finding(p.member, p.fp, findings[box], ip)
    held, refused = held_by(findings, skipped, opened)
    for p in fuzzy:
        if p.member.path in opened and p.member.path not in findings:
            ip = internal_path(p.member.path, roots)
            path = p.member.path
            finding = archive_finding(p.member, p.fp, ip, held.get(path, []), refused.get(path, 0))
            if finding is None:
                p.restore()
                finding = _fuzzy_finding(store, p, ip, cache, ruleset)[0]
            p.release()
            findings[p.member.path] = finding

    # Keep the drop's own order in the report.
    pending = sorted(exact + fuzzy + weighted, key=lambda p: p.index)
    files = tuple(findings[p.member.path] for p in pending if p.member.path in findings)
    summary = {v.value: sum(1 for f in files if f.verdict is v) for v in Verdict}
    summary["skipped"] = len(skipped)
    snap = snapshot(history, placed)
    snap["moved"] = sorted(f.path for f in files if f.evidence.get("moved"))
    if options.as_of is not None:
        snap["as_of"] = iso(options.as_of)
    sources = store.sources()
    primary = sources[0]["current"] if sources else None
    inventory = {
        "db": str(store.path),
        "digest": store.digest(),
        "schema_version": int(store.meta("schema_version") or 0),
        "sources": [{k: (iso(v) if k == "date" else v) for k, v in s.items() if k != "id"} | (
            {"current": {"commit": s["current"]["commit"], "date": iso(s["current"]["date"])}} if s["current"] else {})
            for s in sources],
        "current": {"commit": primary["commit"], "date": iso(primary["date"])} if primary else None,
    }
    if options.as_of is not None:
        inventory["as_of"] = {"date": iso(options.as_of), "tips": as_of_commits}
        inventory["current"] = as_of_commits[0] if as_of_commits else None
    return Report(
        schema=SCHEMA,
        tool={"name": "triage", "version": __version__},
        drop=drop_info,
        inventory=inventory,
        files=files,
        skipped=tuple(skipped),
        snapshot=snap,
        summary=summary,
        generated_at=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        verdict_text=summarize(files, skipped, snap, hits),
        signatures=tuple(sorted(without_echoes(hits, opened),
                                key=lambda h: (h["path"], h.get("line") or 0, h["rule"]))),
        ruleset=ruleset.describe(),
        embedded_repos=tuple(_embedded(store, r) for r in repos),
    )


# Foreign commits listed per embedded repository (the count is always given).
MAX_FOREIGN_LISTED = 200


def _embedded(store: Store, repo: EmbeddedRepo) -> dict:
    """A .git folder or bundle found in the drop: which of its commits exist internally, and which
    are foreign (added by whoever prepared the copy), with their authors and dates."""
    oids = [c["oid"] for c in repo.commits]
    prereq = list(repo.prerequisites)
    known = store.known_commit_oids(oids + prereq)
    foreign = [c for c in repo.commits if c["oid"] not in known]
    return {
        "path": repo.path,
        "kind": repo.kind,
        "commits": len(oids),
        "internal": len(oids) - len(foreign),
        "internal_commits": sorted(o for o in oids if o in known)[:MAX_FOREIGN_LISTED],
        "foreign": len(foreign),
        "foreign_commits": [
            {k: c.get(k) for k in ("oid", "author", "author_date", "committer", "committer_date", "subject")}
            for c in foreign[:MAX_FOREIGN_LISTED]
        ],
        "refs": [{"oid": o, "ref": r, "internal": o in known} for o, r in repo.refs],
        "prerequisites": [{"oid": p, "internal": p in known} for p in prereq],
        "notes": list(repo.notes),
    }


def _matches(cids: list[int], occ: dict[int, list[tuple]], life: Callable[[str, int], dict] | None,
             rows: dict[int, dict] | None = None, prefer: str | None = None) -> list[dict]:
    out = []
    for cid in cids:
        by_path: dict[str, list[tuple]] = {}
        for o in occ.get(cid, []):
            by_path.setdefault(o[0], []).append(o)
        paths = sorted(by_path, key=lambda p: (p != prefer, p))[:MAX_MATCH_PATHS]
        for path in paths:
            intro = by_path[path]
            rec: dict[str, Any] = {
                "path": path,
                "source": intro[0][1],
                "blob": None,
                "commits": [o[2] for o in intro],
                "first_seen": iso(min(o[3] for o in intro)),
                "last_seen": None,
            }
            if life is not None:
                span = life(path, cid)
                if span:
                    rec["first_seen"] = span.get("first_seen") or rec["first_seen"]
                    rec["last_seen"] = span.get("last_seen")
                    rec["current"] = span.get("current", False)
            out.append(rec)
    return out


def _exact_finding(p: _Pending, occ: dict, current: set[int], roots: dict[str, str],
                   life: Callable[[str, int], dict]) -> Finding:
    fp = p.fp
    is_current = any(cid in current for cid in p.exact)
    verdict = Verdict.REAL if is_current else Verdict.OUTDATED
    ip = internal_path(p.member.path, roots)
    matches = _matches(p.exact, occ, life, prefer=ip)
    for m in matches:
        m["blob"] = p.pointer.blob if p.pointer else fp.git_oid
    internal_paths = sorted({m["path"] for m in matches})
    reasons = [
        "bytes equal the current internal content" if is_current else
        "bytes equal an older internal version and no current one"
    ]
    if p.pointer:
        what = ("Git LFS pointer", "SHA-256") if p.pointer.kind == "lfs" else ("DVC file", "MD5")
        reasons.append(f"matched through its {what[0]} (blob {p.pointer.blob[:12]}):"
                       f" it names this {what[1]} and size")
    moved = not any(_holds(path, ip, p.pointer is not None) for path in internal_paths)
    if moved:
        reasons.append(f"moved: internally at {', '.join(internal_paths[:3])}")
    conf = 1.0
    if fp.size < SMALL_FILE_BYTES:
        conf = round(0.5 + 0.5 * fp.size / SMALL_FILE_BYTES, 3)
        reasons.append(f"small file ({fp.size} bytes): an exact match of so little is weak evidence")
    ev = {"matches": matches, "moved": moved, "internal_path": ip,
          "git_blob": fp.git_oid or None, "kind": fp.kind, "notes": list(p.member.notes)}
    if p.pointer:
        at = next((m["path"] for m in matches if _pointed_path(m["path"]) == ip),
                  internal_paths[0] if internal_paths else None)
        ev["pointer"] = {"kind": p.pointer.kind, "blob": p.pointer.blob, "path": at}
    if fp.weights is not None:
        ev["weights"] = wscan.exact_evidence(fp.weights)
        if fp.weights.format == "torch":
            reasons.append(wscan.PICKLE_REASON)
    return Finding(p.member.path, fp.size, fp.sha256, fp.mime, verdict, conf, tuple(reasons), ev)


def _holds(internal: str, ip: str, pointer: bool) -> bool:
    """Whether a match at internal path ``internal`` is a match at ``ip``: the same path, or
    for a pointer file the path of the file it stands for (a folder, for a ``dvc.lock``)."""
    if not pointer:
        return internal == ip
    pointed = _pointed_path(internal)
    return pointed == ip or ((pointed == "" or pointed.endswith("/")) and ip.startswith(pointed))


def _pointed_path(pointer_path: str) -> str:
    """Where the file a pointer stands for lies: ``a/x.dvc`` -> ``a/x``, ``a/dvc.lock`` -> ``a/``
    and a root ``dvc.lock`` -> ``""`` (its outputs are below it), an LFS pointer where it is."""
    if pointer_path.endswith(".dvc"):
        return pointer_path[:-4]
    if pointer_path == "dvc.lock" or pointer_path.endswith("/dvc.lock"):
        return pointer_path[: -len("dvc.lock")]
    return pointer_path


def _document_stage(store: Store, p: _Pending, ip: str, texts: docscan.TextCache) -> docscan.Outcome:
    """Documents by their extracted text, dumps by their rows (``triage.docscan``)."""
    described = describe(p.member.data, p.member.path, p.fp.mime)
    if isinstance(described, DocPrint):
        return docscan.document_outcome(store, p.member, p.fp, described, ip, texts)
    if isinstance(described, TablePrint):
        return docscan.table_outcome(store, p.member, p.fp, described, ip)
    return docscan.Outcome()


def _similarity(fp: Fingerprint, row: dict, cmp) -> dict:
    sim = {
        "containment_drop": round(cmp.containment_drop, 4),
        "containment_source": round(cmp.containment_source, 4),
        "token_containment": None if cmp.token_containment is None else round(cmp.token_containment, 4),
        "shape_ratio": None if cmp.shape_ratio is None else round(cmp.shape_ratio, 4),
        "code_drop": round(cmp.code_drop, 4),
        "code_source": round(cmp.code_source, 4),
        "matched_code": round(cmp.matched_code, 2),
        "matched_lines": cmp.matched_lines,
        "drop_lines": cmp.drop_lines,
        "source_lines": cmp.source_lines,
        "run_past_prologue": round(cmp.run_past_prologue, 2),
    }
    if fp.sig_tokens is not None and row.get("sig_tokens"):
        sim["jaccard_tokens"] = round(jaccard(fp.sig_tokens, from_bytes(row["sig_tokens"])), 4)
    dist = tlsh_distance(fp.tlsh, row.get("tlsh"))
    if dist is not None:
        sim["tlsh_distance"] = dist
    return sim


def _fuzzy_finding(store: Store, p: _Pending, ip: str, cache: ViewCache,
                   ruleset: RuleSet) -> tuple[Finding, int | None]:
    """The verdict on a file with no exact match, and the content id of its internal source when
    it is altered from exactly one source version that no other version explains as well."""
    fp = p.fp
    comparable = fp.kind in ("text", "binary") and p.member.spilled is None  # spilled: too large to diff
    m = match(store, fp, p.member.data, ip, cache) if comparable else None
    informative = int(fp.informative.sum()) if len(fp.informative) else 0
    if m is None:
        decision = Decision(Verdict.FABRICATED, round(evidence_strength(informative), 3),
                            ("no internal content matches it exactly, and it has no text or bytes to compare",), ())
    else:
        decision = decide_fuzzy(m.scored, fp.kind == "text", informative if fp.kind == "text" else len(fp.lines))
    ev: dict[str, Any] = {"kind": fp.kind, "git_blob": fp.git_oid, "internal_path": ip,
                          "notes": list(p.member.notes), "matches": []}
    existing = store.contents_at_paths([ip]).get(ip) if ip else None
    if decision.verdict is Verdict.ALTERED and m is not None:
        sources = []
        for s in decision.sources:
            row = m.rows[s.key]
            match_recs = _matches([s.key], m.occurrences, None)
            for rec in match_recs:
                rec["blob"] = row["git_oid"]
            kinds = change_kinds(m.drop_view, m.views[s.key], s.cmp)
            if m.views[s.key].hashes_only:
                ev["notes"].append(f"internal source {row['git_oid'] or row['sha256'][:12]} is larger than the index"
                                   " keeps bytes for: compared by its line hashes, no diff shown")
            sources.append({
                "sha256": row["sha256"], "blob": row["git_oid"], "occurrences": match_recs,
                "similarity": _similarity(fp, row, s.cmp),
                "changes": {"kinds": kinds, "inserted": s.cmp.inserted, "deleted": s.cmp.deleted,
                            "hunks": diff_hunks(m.drop_view, m.views[s.key])},
            })
            ev["matches"].extend(match_recs)
        ev["derived_from"] = sources
        if len(decision.sources) == 1:
            added = added_lines(m.drop_view, m.views[decision.sources[0].key])
            inserted = ruleset.scan_added(p.member.path, added)
            if inserted:
                ev["trojanized"] = True
                ev["suspicious_insertions"] = inserted
        ev["change_kinds"] = sorted({k for s in sources for k in s["changes"]["kinds"]}) if len(sources) == 1 else ["concatenation"]
        if len(sources) > 1:
            ev["derived_share"] = round(decision.union_share, 4)
        else:
            ev["derived_share"] = sources[0]["similarity"]["containment_drop"]
    elif m is not None and decision.sources:
        s = decision.sources[0]
        row = m.rows[s.key]
        recs = _matches([s.key], m.occurrences, None)
        ev["closest"] = {"sha256": row["sha256"], "blob": row["git_oid"],
                         "path": recs[0]["path"] if recs else None, "similarity": _similarity(fp, row, s.cmp)}
    if decision.verdict is Verdict.FABRICATED and existing:
        ev["impersonates"] = ip
    if decision.verdict is Verdict.FABRICATED:
        # By where it maps internally, not by where it lies in the drop: a forgery of internal
        # code tucked into vendor/extras.zip maps to aurora/..., outside any dependency folder.
        folder = dependency_folder(ip or p.member.path)
        if folder:
            ev["dependency_folder"] = folder  # third-party code, which the inventory may not hold
    ev["evidence_strength"] = round(evidence_strength(informative), 3)
    if fp.weights is not None:  # a weights file whose tensors could not be read
        ev["weights"] = wscan.unread_evidence(fp.weights)
        ev["notes"].append(f"weights: {fp.weights.error}")
    finding = Finding(p.member.path, fp.size, fp.sha256, fp.mime, decision.verdict, decision.confidence,
                      decision.reasons, ev)
    source = None
    if decision.verdict is Verdict.ALTERED and len(decision.sources) == 1 and m is not None:
        source = closest_version(m, decision.sources[0])
        if source is not None:
            ev["dated_by_source"] = True
            if source != decision.sources[0].key:
                ev["dated_by_blob"] = m.rows[source]["git_oid"]
    return finding, source


def _weights_finding(store: Store, history: History, p: _Pending, ip: str) -> Finding:
    """Real/outdated by identical tensors, altered by derived ones, or fabricated (``triage.weights``)."""
    fp = p.fp
    wp = fp.weights
    assert wp is not None
    d = wscan.decide(store, wp)
    matches, checkpoint = _checkpoint(store, history, d.source, ip) if d.source is not None else ([], None)
    genuine = d.verdict in (Verdict.REAL, Verdict.OUTDATED)
    ev: dict[str, Any] = {"kind": fp.kind, "git_blob": fp.git_oid or None, "internal_path": ip,
                          "notes": list(p.member.notes), "matches": matches if genuine else []}
    fabricated = d.verdict is Verdict.FABRICATED
    ev["weights"] = wscan.evidence(wp, d, None if fabricated else checkpoint, (checkpoint or {}).get("format"))
    if fabricated:
        ev["weights"]["closest"] = checkpoint
    if genuine:
        ev["moved"] = bool(matches) and ip not in {m["path"] for m in matches}
        ev["weights"]["match"] = "tensors"
    elif d.verdict is Verdict.ALTERED:
        ev["change_kinds"] = sorted(ev["weights"]["kinds"]) or ["tensors replaced"]
        ev["derived_share"] = ev["weights"]["derived_share"]
    reasons = list(d.reasons)
    if wp.format == "torch":
        reasons.append(wscan.PICKLE_REASON)
    return Finding(p.member.path, fp.size, fp.sha256, fp.mime, d.verdict, d.confidence, tuple(reasons), ev)


def _checkpoint(store: Store, history: History, cid: int, ip: str) -> tuple[list[dict], dict | None]:
    """Where an internal checkpoint is held (matches, as for exact files) and its summary."""
    occ = store.occurrences([cid])
    pids = store.path_ids_readonly({o[0] for o in occ.get(cid, [])})
    states = history.states(sorted(pids.values()))

    def life(path: str, content: int) -> dict:
        pid = pids.get(path)
        return history.moment_span(states, states.holding(pid, content)) if pid is not None else {}

    row = store.content_rows([cid])[cid]
    matches = _matches([cid], occ, life, prefer=ip)
    for m in matches:
        m["blob"] = row["git_oid"] or None
    if not matches:
        return [], None
    m = matches[0]
    info = store.weights_info([cid]).get(cid, {})
    # Refs (versions, branches, tags) of the holding source whose state has it at that path.
    sid = next((x["id"] for x in store.sources() if x["name"] == m["source"]), None)
    # Per commit row: the path holds the checkpoint (its moment's state does).
    held = states.holding(pids[m["path"]], cid)[states.moment] if m["path"] in pids else None
    versions = sorted(name for source_id, name, commit_id, _d in store.refs() if source_id == sid and held is not None
                      and commit_id in history.row_of and held[history.row_of[commit_id]])
    return matches, {
        "path": m["path"], "source": m["source"], "sha256": row["sha256"], "format": info.get("format"),
        "tensors": info.get("tensors"), "versions": versions[:10],
        "first_seen": m["first_seen"], "last_seen": m["last_seen"], "current": m.get("current", False),
        "commits": m["commits"][:10],
    }


def closest_version(m, best) -> int | None:
    """The internal content an altered file was cut from, for dating: the candidate of the same
    lineage fewest line edits away (whitespace-free lines, then raw lines to tell formatting
    apart). None when two versions are equally close: dating through either would be a guess."""
    from rapidfuzz.distance import Indel

    same = [s for s in m.scored if s.lineage == best.lineage] or [best]

    def distance(s) -> tuple[int, int]:
        a, b = m.views[s.key].raw_lines, m.drop_view.raw_lines
        small = len(same) > 1 and len(a) * len(b) <= LCS_CELLS  # bit-parallel: len(a) * len(b) / 64 steps
        raw = Indel.distance(a, b) if m.drop_view.is_text and small else 0
        return (s.cmp.inserted + s.cmp.deleted, raw)

    ranked = sorted(same, key=distance)
    if len(ranked) > 1 and distance(ranked[0]) == distance(ranked[1]):
        return None
    return ranked[0].key


def _current_as_of(store: Store, history: History, ts: int) -> tuple[set[int], list[dict]]:
    """Contents at the default tips in force at a date (``scan --as-of``)."""
    current: set[int] = set()
    tips = []
    for source_id in sorted(history.tips):
        row = history.tip_at(source_id, ts)
        if row is None:
            continue
        current.update(store.state_at(int(history.ids[row])).values())
        tips.append({"commit": history.oid(row), "date": iso(int(history.date[row]))})
    return current, tips
