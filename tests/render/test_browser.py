"""report.html in a real headless Chromium (Debian package ``chromium``).

Two runs: ``--dump-dom`` with Chromium's own log on stderr (the issue's recipe), and a Chrome
DevTools Protocol session over ``--remote-debugging-pipe`` that records every network request,
console message, log entry (CSP violations land there) and uncaught exception. A tampered copy
of the page checks that the CSP really blocks an unpinned script and a remote image, so the
clean page's silence means something.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from triage.render import html as render_html

from .conftest import VERDICT, make_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BASH = shutil.which("bash")
# Seconds to wait for one DevTools reply: a hang guard, not a speed check (a busy shared machine
# may start Chromium slowly; a reply that comes returns at once).
REPLY_TIMEOUT_S = 60.0
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars"]
BAD_LOG = ("Refused to", "Uncaught", "Content Security Policy", "Content-Security-Policy", "violates")


@pytest.fixture
def page(tmp_path: Path) -> Path:
    p = tmp_path / "report.html"
    p.write_text(render_html.render(make_report()), encoding="utf-8")
    return p


def test_dump_dom_runs_script_under_csp_without_errors(page: Path, tmp_path: Path):
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
                           "--v=0", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60)
    dom = proc.stdout
    assert "<html" in dom, proc.stderr[-2000:]
    assert VERDICT[0] in dom
    assert "leak/&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "\\u202e" in dom
    # the pinned script ran: it un-hid the filters and counted the rows
    assert '<div id="file-controls" class="controls">' in dom
    assert "7 of 7 files shown" in dom
    for needle in BAD_LOG:
        assert needle not in proc.stderr, [line for line in proc.stderr.splitlines() if needle in line]


class Browser:
    """A minimal CDP client over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out,
    NUL-separated JSON)."""

    def __init__(self, profile: Path):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # bash (not dash) moves them to fds 3 and 4; numbers >= 10 first, so the moves cannot collide
        to_chrome_r, from_chrome_w = (_high(fd) for fd in (to_chrome_r, from_chrome_w))
        self.proc = subprocess.Popen(
            [BASH, "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', CHROMIUM, *FLAGS,
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = REPLY_TIMEOUT_S) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = REPLY_TIMEOUT_S) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass

    def open(self, url: str) -> tuple[str, list[dict]]:
        """A new tab with network, console and log events on; returns (session, events) after load."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        self.drain(0.3)
        return session, [e for e in self.events if e.get("sessionId") == session]

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=3)
        except (TimeoutError, EOFError, RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


def _high(fd: int) -> int:
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


def _complaints(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            out.append(f"console.{p.get('type')}: {json.dumps(p.get('args'))[:300]}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            out.append(f"log: {p['entry'].get('text', '')[:1000]}")
    return out


@pytest.mark.skipif(BASH is None, reason="needs bash to hand Chromium its DevTools pipe")
def test_devtools_no_requests_no_errors_and_csp_enforced(page: Path, tmp_path: Path):
    tampered = tmp_path / "tampered.html"
    doc = page.read_text(encoding="utf-8")
    tampered.write_text(doc.replace("</main>", '<img src="https://example.invalid/x.png" alt="">'
                                    "<script>document.title = 'pwned';</script></main>"), encoding="utf-8")
    browser = Browser(tmp_path / "profile")
    try:
        session, events = browser.open(page.as_uri())
        requests = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
        assert requests == [page.as_uri()]  # the page itself, nothing else
        assert _complaints(events) == []
        probe = ("JSON.stringify({title: document.title, controls: document.getElementById('file-controls').hidden,"
                 " count: document.getElementById('f-count').textContent,"
                 " verdict: document.getElementById('verdict').innerText,"
                 " hostile: document.querySelector('#files-table tbody tr:nth-child(3) td.path').innerText,"
                 " scripts: document.scripts.length})")
        state = json.loads(browser.send("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                                        session=session)["result"]["value"])
        assert state["controls"] is False and state["count"] == "7 of 7 files shown"
        assert VERDICT[0] in state["verdict"]
        assert state["hostile"] == "leak/<script>alert(1)</script>\\u202e.txt"  # shown as text, escapes visible
        assert state["scripts"] == 1
        # sorting by verdict works (altered first)
        order = ("document.querySelector('th[data-key=verdict] button').click();"
                 "Array.from(document.querySelectorAll('#files-table tbody tr')).map(r => r.dataset.verdict).join()")
        verdicts = browser.send("Runtime.evaluate", {"expression": order, "returnByValue": True},
                                session=session)["result"]["value"].split(",")
        assert verdicts[0] == "altered" and verdicts[-1] == "real"
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        assert base64.b64decode(shot)[:8] == b"\x89PNG\r\n\x1a\n"

        session, events = browser.open(tampered.as_uri())
        complaints = _complaints(events)
        # Chromium's wording changes ("Refused to ..." before, "... violates the following
        # Content Security Policy directive" now): look for what was blocked and why
        assert any("Content Security Policy" in c and "example.invalid/x.png" in c for c in complaints), complaints
        assert any("Content Security Policy" in c and ("inline script" in c.lower() or "script-src" in c)
                   for c in complaints if "x.png" not in c), complaints
        title = browser.send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                             session=session)["result"]["value"]
        assert title != "pwned"
        # the remote image was announced, then blocked by the CSP before any byte left the machine
        remote = {e["params"]["requestId"] for e in events if e.get("method") == "Network.requestWillBeSent"
                  and e["params"]["request"]["url"].startswith("https:")}
        blocked = {e["params"]["requestId"] for e in events if e.get("method") == "Network.loadingFailed"
                   and e["params"].get("blockedReason") == "csp"}
        answered = {e["params"]["requestId"] for e in events if e.get("method") == "Network.responseReceived"}
        assert remote and remote <= blocked and not remote & answered
    finally:
        browser.close()
