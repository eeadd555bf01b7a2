"""A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a temporary folder.

The binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/<major>/bin``;
``make system-deps`` installs it). The server listens on a unix socket inside its folder only
(no TCP), with durability off (fsync, synchronous commit): it lives for one test session.
initdb refuses to run as root, so as root the server runs as ``nobody`` (folder chowned to it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

# Seconds pg_ctl waits for the server to accept connections.
START_TIMEOUT = 60
SERVER_USER = "nobody"  # runs the server when the tests run as root
DATABASE = "triage"
SUPERUSER = "triage"


def find_bindir() -> Path | None:
    """The newest installed server's bin folder, or None."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None

    def major(path: str) -> float:
        try:
            return float(Path(path).parts[-3])
        except ValueError:
            return 0.0

    return Path(max(found, key=major)).parent


def install_hint() -> str:
    return ("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): install Debian's"
            " postgresql package (make system-deps, or apt-get install postgresql)")


def try_install() -> bool:
    """As root with apt-get: install the postgresql package (what ``make system-deps`` does)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None or os.environ.get("TRIAGE_PG_INSTALL") == "0":
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ok = subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True).returncode == 0
    ok = ok and subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], env=env,
                               capture_output=True).returncode == 0
    return ok and find_bindir() is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempServer:
    """``start()`` returns a URL of an empty database; ``stop()`` removes everything."""

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None):
        """``settings``: extra server settings (a benchmark gives shared_buffers, for example)."""
        self.bindir = bindir
        self.settings = settings or {}
        # As root the server runs as nobody, who must reach the folder: /tmp, whatever TMPDIR says.
        root_tmp = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
        self.dir = Path(tempfile.mkdtemp(prefix="triage-pg-", dir=root_tmp))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, args: list[str]) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd] if shutil.which("runuser") else [
                "setpriv", f"--reuid={SERVER_USER}", f"--regid={pwd.getpwnam(SERVER_USER).pw_gid}",
                "--clear-groups", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if res.returncode != 0:
            log = (self.dir / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {res.stderr.strip()}\n{tail}")
        return res

    def start(self) -> str:
        if self.as_root:
            pw = pwd.getpwnam(SERVER_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self._run(["initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                " -c full_page_writes=off -c max_connections=50"
                + "".join(f" -c {k}={v}" for k, v in self.settings.items()))
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t",
                   str(START_TIMEOUT), "-o", opts, "start"])
        self.started = True
        self._run(["createdb", "-h", str(self.dir), "-p", str(self.port), "-U", SUPERUSER, DATABASE])
        return self.url(DATABASE)

    def url(self, database: str = DATABASE, schema: str | None = None) -> str:
        url = f"postgresql://{SUPERUSER}@/{database}?host={self.dir}&port={self.port}"
        return url + (f"&options=-csearch_path%3D{schema}" if schema else "")

    def new_schema(self) -> str:
        """A URL of a fresh empty schema (one index per test, one server per session)."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return self.url(schema=name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            self.started = False
            shutil.rmtree(self.dir, ignore_errors=True)


def server_for(url: str | None, settings: dict[str, str]) -> tuple[str, TempServer | None]:
    """``url`` as given, or the URL of a throwaway server started with ``settings`` (returned too:
    the caller stops it). Exits with the install hint when the server binaries are missing."""
    if url is not None:
        return url, None
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit(install_hint())
    server = TempServer(bindir, settings)
    return server.start(), server
