"""Shared fixtures: small git histories built in a temp dir with fixed dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
       "-c", "init.defaultBranch=main"]


def git(repo: Path, *args: str, date: int = 1_700_000_000) -> str:
    env = dict(os.environ, GIT_AUTHOR_DATE=f"{date} +0000", GIT_COMMITTER_DATE=f"{date} +0000")
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


class Repo:
    """A throwaway git repository; ``commit({path: text or bytes or None})`` writes, deletes, commits."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q")
        self.t = 1_700_000_000

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        for rel, content in files.items():
            p = self.path / rel
            if content is None:
                p.unlink()
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content.encode() if isinstance(content, str) else content)
        self.t += 86400
        git(self.path, "add", "-A", date=self.t)
        git(self.path, "commit", "-q", "-m", message, date=self.t)
        return git(self.path, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        self.t += 3600
        return git(self.path, *args, date=self.t)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "internal")


def code_file(name: str, n: int = 40, salt: str = "") -> str:
    """A plausible Python module with specific lines (distinct per name and salt)."""
    lines = ['"""Module %s: internal service logic."""' % name, "import os", "import json", ""]
    for i in range(n):
        lines.append(f"def {name}_step_{i}(value_{i}, config):")
        lines.append(f"    result = value_{i} * {i + 3} + len(config.get('{name}_{i}{salt}', ''))")
        lines.append(f"    return json.dumps({{'{name}': result, 'step': {i}}})")
        lines.append("")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the whole session (see tests/pg_server.py).

    Skipped, with the reason, only when the server binaries are missing and cannot be installed
    here (not root, or no apt-get); TRIAGE_REQUIRE_PG=1 makes that a failure instead.
    """
    from tests.pg_server import TempServer, find_bindir, install_hint, try_install

    bindir = find_bindir()
    if bindir is None and try_install():
        bindir = find_bindir()
    if bindir is None:
        if os.environ.get("TRIAGE_REQUIRE_PG") == "1":
            pytest.fail(install_hint())
        pytest.skip(install_hint())
    server = TempServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a fresh, empty schema on the session's server (one index per test)."""
    return pg_server.new_schema()
