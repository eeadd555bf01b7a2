"""Command line: parse, call one library function, map errors to exit codes. Nothing else.

Exit codes (also in the README and ``triage --help``):
  0  done, nothing needs attention (every file real or outdated, nothing skipped)
  1  done, findings need attention (altered or fabricated files, or members not triaged)
  2  usage error (bad options)
  3  input error (missing, unreadable, corrupt or unsupported drop or source)
  4  inventory error (missing, unreadable, empty, interrupted or mismatched index)
  5  internal error (a bug: please report it with the command line)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from triage import __version__
from triage.errors import TriageError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_INVENTORY, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5

EPILOG = """\b
Exit codes: 0 nothing needs attention; 1 findings need attention (altered, fabricated or
skipped members); 2 usage error; 3 input error; 4 inventory error; 5 internal error."""


class _Progress:
    """Progress bars on stderr (rich), one per stage: members read, exact matches, fuzzy
    comparisons, commits indexed. Silent with --quiet or when stderr is not a terminal."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.bars = None
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bars is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bars = Progress(TextColumn("{task.description:>18}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.bars.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(stage, total=total or None)
        self.bars.update(self.tasks[stage], completed=done, total=total or None)

    def done(self) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None


def _db_option(ctx: click.Context, param: click.Parameter, value: str) -> Path | str:
    """--db: a postgresql:// (or postgres://) URL stays a string, anything else is a file path."""
    from triage.inventory import is_url

    return value if is_url(value) else Path(value)


def _fail(exc: BaseException) -> None:
    if isinstance(exc, TriageError):
        click.echo(f"triage: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"triage: internal error: {type(exc).__name__}: {exc} (please report this)", err=True)
    sys.exit(EXIT_INTERNAL)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def main() -> None:
    """Validate a claimed leak: label every dropped file real, outdated, altered or fabricated."""


@main.command(epilog=EPILOG)
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, callback=_db_option, metavar="FILE|URL",
              help="Index file (SQLite), created if missing; or a postgresql:// URL of a shared index.")
@click.option("--name", help="Source name in the index (default: the folder or archive name).")
@click.option("--kind", type=click.Choice(["git", "directory", "archive"]),
              help="What SOURCE is (default: detected; 'git' refuses a folder that is not a repository).")
@click.option("--default-branch", help="Branch whose tip is 'current' (default: HEAD, else main/master).")
@click.option("--version", "version_", help="Version label for a directory or release archive.")
@click.option("--date", help="Date of a directory or release archive version (ISO 8601).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def index(source: Path, db: Path | str, name: str | None, kind: str | None, default_branch: str | None, version_: str | None,
          date: str | None, quiet: bool) -> None:
    """Index SOURCE into the inventory: a git repository (every commit of every branch and tag),
    a directory, or a release archive (one version each). Re-running adds only what is new.
    Documents (PDF, office, OpenDocument, HTML, Markdown, notebooks, e-mail) are indexed by their
    text and metadata too, and dumps (CSV, SQL, JSON lines) by their rows.
    On a PostgreSQL index, several 'triage index' runs of one repository (on one machine or
    several) share the work: each takes batches of commits until none is left."""
    from triage.inventory import open_store
    from triage.inventory.indexer import index_source

    progress = _Progress(quiet)
    created = isinstance(db, Path) and not db.exists()
    try:
        store = open_store(db, writable=True)
        try:
            stats = index_source(store, source, name=name, kind=kind, default_branch=default_branch, version=version_,
                                 date=date, progress=progress)
        finally:
            store.close()
    except KeyboardInterrupt:
        progress.done()
        click.echo("triage: interrupted: the index keeps the batches already written; re-run to complete it", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - mapped to one line and an exit code
        progress.done()
        if created:  # a failed first index leaves no empty index file behind
            from triage.inventory.store import SQLiteStore

            SQLiteStore.remove_if_unused(db)  # type: ignore[arg-type]
        _fail(exc)
    progress.done()
    click.echo(
        f"indexed {stats.source} ({stats.kind}): {stats.commits_new} new commits/versions,"
        f" {stats.contents_new} new contents, {stats.bytes_fingerprinted} bytes in {stats.seconds:.1f}s"
        + (f"; current = {stats.default_ref}" if stats.default_ref else "")
        + _documents_line(stats),
        err=True,
    )
    for note in stats.notes:
        click.echo("note: " + "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in note), err=True)


def _documents_line(stats) -> str:
    """"; 12 documents (1 unreadable), 3 tables" when the source held any."""
    parts = []
    if stats.documents or stats.documents_unreadable:
        parts.append(f"{stats.documents} documents"
                     + (f" ({stats.documents_unreadable} unreadable)" if stats.documents_unreadable else ""))
    if stats.tables:
        parts.append(f"{stats.tables} tables")
    return "; " + ", ".join(parts) if parts else ""


@main.command(epilog=EPILOG)
@click.argument("drop", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, callback=_db_option, metavar="FILE|URL",
              help="Inventory index built by 'triage index' (a file, or a postgresql:// URL).")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Evidence folder for report.json and report.md (default: report.json on stdout).")
@click.option("--force", is_flag=True, help="Overwrite reports already in --out.")
@click.option("--sign-key", type=click.Path(path_type=Path), help="Ed25519 private key (PEM) to sign manifest.json.")
@click.option("--signatures", "signature_dirs", multiple=True, type=click.Path(path_type=Path),
              help="Folder of YAML rules added to the built-in signatures (repeatable).")
@click.option("--as-of", "as_of", help="Judge 'current' against the default branch as it was at this date "
              "(ISO 8601, e.g. the day the leak was announced).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option("--max-member-bytes", type=int, help="Largest member read (bytes).")
@click.option("--max-total-bytes", type=int, help="Most bytes expanded from the drop in all.")
@click.option("--max-members", type=int, help="Most members read from the drop.")
@click.option("--max-depth", type=int, help="Deepest archive nesting opened.")
@click.option("--max-ratio", type=float, help="Highest compression ratio accepted.")
@click.option("--max-seconds", type=float, help="Longest time spent reading the drop.")
def scan(drop: Path, db: Path | str, out: Path | None, force: bool, sign_key: Path | None,
         signature_dirs: tuple[Path, ...], as_of: str | None, quiet: bool, **limits: int | float | None) -> None:
    """Scan DROP (an archive, a directory, or one file such as an e-mail attachment) against the
    inventory and write the validation report:
    report.json, report.md, report.html, report.csv, report.dfxml and manifest.json in --out."""
    from triage.evidence import utc_now, write_manifest
    from triage.inventory.indexer import parse_date
    from triage.pipeline import ScanOptions
    from triage.pipeline import scan as run_scan
    from triage.read.limits import Limits
    from triage.render import json as rjson

    progress = _Progress(quiet)
    made: list[Path] = []  # folders created for --out: removed again if the run fails
    try:
        names = {"max_member_bytes": "member_bytes", "max_total_bytes": "total_bytes", "max_members": "members",
                 "max_depth": "depth", "max_ratio": "ratio", "max_seconds": "seconds"}
        chosen = {names[k]: v for k, v in limits.items() if v is not None}
        if any(v is not None and v <= 0 for v in chosen.values()):
            raise UsageError("limits must be positive")
        made = _check_out(drop, out, force)
        if sign_key is not None and not sign_key.is_file():
            raise UsageError(f"--sign-key {sign_key} is not a file")
        when = parse_date(as_of, "--as-of") if as_of else None
        started = utc_now()
        for d in signature_dirs:
            if not d.is_dir():
                raise UsageError(f"--signatures {d} is not a folder")
        report = run_scan(drop, db, ScanOptions(limits=Limits(**chosen), as_of=when, signatures=signature_dirs),
                          progress=progress)
        progress.done()
        if out is None:
            click.echo(rjson.render(report), nl=False)
        else:
            try:
                out.mkdir(parents=True, exist_ok=True)
                for fmt in FORMATS:
                    _write(out / f"report.{fmt}", render_as(report, fmt))
                write_manifest(out, report, drop, sys.argv, started, utc_now(), key=sign_key)
            except OSError as exc:  # a full disk, a folder removed meanwhile
                raise UsageError(f"cannot write the reports to --out {out}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        progress.done()
        _unmake(made)
        click.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001
        progress.done()
        _unmake(made)
        _fail(exc)
    s = report.summary
    rotate = sum(1 for h in report.signatures if h.get("action") == "rotate")
    click.echo(
        f"{s['real']} real, {s['outdated']} outdated, {s['altered']} altered, {s['fabricated']} fabricated,"
        f" {s['skipped']} skipped" + (f"; {rotate} credentials to rotate" if rotate else "")
        + (f"; reports in {out}" if out else ""),
        err=True,
    )
    attention = s["altered"] or s["fabricated"] or s["skipped"] or report.signatures
    sys.exit(EXIT_FINDINGS if attention else EXIT_OK)


FORMATS = ("json", "md", "html", "csv", "dfxml")


def render_as(report, fmt: str) -> str:
    """Any output format, as a function of the Report alone."""
    from importlib import import_module

    module = {"md": "markdown"}.get(fmt, fmt)
    return import_module(f"triage.render.{module}").render(report)


def _write(path: Path, text: str) -> None:
    # newline="" keeps the CSV's CRLF rows as the csv module wrote them
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


@main.command(epilog=EPILOG)
@click.argument("report_json", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
def render(report_json: Path, fmt: str, output: Path | None) -> None:
    """Rebuild any output from a saved report.json alone (no drop, no index needed)."""
    import json

    from triage.errors import InputError
    from triage.render.json import from_dict

    try:
        try:
            doc = json.loads(report_json.read_text(encoding="utf-8"))
            report = from_dict(doc)
        except FileNotFoundError:
            raise InputError(f"{report_json} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{report_json} is not a triage report.json ({type(exc).__name__}: {exc})") from None
        text = render_as(report, fmt)
        if output is None:
            click.echo(text, nl=False)
        else:
            _write(output, text)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@main.command(epilog=EPILOG)
@click.argument("evidence_dir", type=click.Path(path_type=Path))
@click.option("--public-key", type=click.Path(path_type=Path), help="Ed25519 public key (PEM) to check manifest.sig.")
@click.option("--drop", type=click.Path(path_type=Path), help="Also re-hash the drop and compare it with the manifest.")
def verify(evidence_dir: Path, public_key: Path | None, drop: Path | None) -> None:
    """Re-check every hash in EVIDENCE_DIR/manifest.json (and its signature); say what changed.
    Exit 0 when everything matches, 1 when anything changed or is missing."""
    from triage.evidence import verify as run_verify

    try:
        result = run_verify(evidence_dir, public_key=public_key, drop=drop)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    for line in result.lines():
        click.echo(line)
    sys.exit(EXIT_OK if result.ok else EXIT_FINDINGS)


@main.command(epilog=EPILOG)
@click.argument("private_key", type=click.Path(path_type=Path))
@click.argument("public_key", type=click.Path(path_type=Path))
def keygen(private_key: Path, public_key: Path) -> None:
    """Create an Ed25519 key pair (PEM) for signing evidence manifests (never overwrites)."""
    from triage.evidence import generate_keypair

    try:
        fp = generate_keypair(private_key, public_key)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    click.echo(f"key pair written: {private_key} (keep secret), {public_key}; fingerprint {fp}", err=True)


@main.group(epilog=EPILOG)
def signatures() -> None:
    """Check signature rules: `lint` their form, `test` them against their own examples."""


@signatures.command("lint", epilog=EPILOG)
@click.argument("dirs", nargs=-1, type=click.Path(path_type=Path))
def signatures_lint(dirs: tuple[Path, ...]) -> None:
    """Check rule files (schema, duplicate ids, examples present, regexes) in DIRS (default: built-in)."""
    from triage.rules import BUILTIN_DIR, lint

    try:
        problems = lint(list(dirs) or [BUILTIN_DIR])
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    for p in problems:
        click.echo(p)
    click.echo(f"{len(problems)} problem(s)", err=True)
    sys.exit(EXIT_FINDINGS if problems else EXIT_OK)


@signatures.command("test", epilog=EPILOG)
@click.argument("dirs", nargs=-1, type=click.Path(path_type=Path))
def signatures_test(dirs: tuple[Path, ...]) -> None:
    """Run every rule (built-in plus DIRS) against its positive and negative examples."""
    from triage.rules import load_rules, selftest

    try:
        ruleset = load_rules(list(dirs))
        failures = selftest(ruleset)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    for f in failures:
        click.echo(f)
    click.echo(f"{len(ruleset.rules)} rules, {len(failures)} failure(s); ruleset {ruleset.id}", err=True)
    sys.exit(EXIT_FINDINGS if failures else EXIT_OK)


def _check_out(drop: Path, out: Path | None, force: bool) -> list[Path]:
    """Refuse an --out that would write into the drop (evidence), overwrite earlier reports, or
    cannot be written to; create it, and return the folders created (removed if the run fails)."""
    if out is None:
        return []
    d, o = Path(os.path.abspath(drop)), Path(os.path.abspath(out))
    if d.is_dir() and (o == d or d in o.parents):
        raise UsageError(f"--out {out} is inside the drop {drop}: the drop is evidence and is never written to")
    if o.exists() and not o.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if not force and (o / "report.json").exists():
        raise UsageError(f"--out {out} already holds a report.json (use --force to overwrite)")
    made = [p for p in (o, *o.parents) if not p.exists()]  # the folders this run will create
    try:  # now, not after a long scan: a folder that cannot be made or written to fails at once
        o.mkdir(parents=True, exist_ok=True)
        probe = o / ".triage-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        _unmake(made)
        raise UsageError(f"--out {out} cannot be written to: {exc.strerror or exc}") from None
    return made


def _unmake(made: list[Path]) -> None:
    """Remove the folders a failed run created for --out (innermost first), if still empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            return


if __name__ == "__main__":  # pragma: no cover
    main()
