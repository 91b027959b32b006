"""Headless chromium for the tests that open a generated site as a person would.

Debian's chromium is driven through the DevTools protocol over `--remote-debugging-pipe`
(JSON messages on fds 3/4: no websocket library, no port). Tests that use it take the
`browser` fixture (import it from here) and are skipped, with the reason, only where
chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


# -- a tiny DevTools client -------------------------------------------------------------------


class Browser:
    """Headless chromium driven over the DevTools pipe: navigate, evaluate, type, screenshot."""

    def __init__(self, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_pipes():  # in the child: chromium reads commands on fd 3, writes replies on fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            for fd in (3, 4):  # dup2 onto itself (a pipe that got fd 3) keeps close-on-exec
                os.set_inheritable(fd, True)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=1200,1400", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes, close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next = 0
        self._replies: dict[int, dict] = {}
        self.events: list[dict] = []
        self._inbox: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Runtime.enable"):
            self.call(domain, session=True)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                self._inbox.put(json.loads(raw))

    def _pump(self, deadline: float) -> None:
        msg = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        if msg is None:
            raise RuntimeError("chromium went away")
        if "id" in msg:
            self._replies[msg["id"]] = msg
        else:
            self.events.append(msg)

    def call(self, method: str, params: dict | None = None, session: bool = False, timeout: float = 30) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while self._next not in self._replies:
            self._pump(deadline)
        reply = self._replies.pop(self._next)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, since: int, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events[since:]:
                if ev.get("method") == method:
                    return ev
            self._pump(deadline)

    def goto(self, url: str) -> None:
        mark = len(self.events)
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired", mark)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Click an element and wait for the page it leads to."""
        mark = len(self.events)
        assert self.js(f"!!document.querySelector({json.dumps(selector)})"), f"nothing matches {selector}"
        self.js(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_event("Page.loadEventFired", mark)

    def type(self, selector: str, text: str) -> None:
        """Focus an input and type into it key by key, as a person would."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        for ch in text:
            self.call("Input.dispatchKeyEvent", {"type": "keyDown", "text": ch, "key": ch}, session=True)
            self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch}, session=True)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def dialogs(self) -> list[dict]:
        return [e for e in self.events if e.get("method") == "Page.javascriptDialogOpening"]

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - it may already be gone
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def browser(tmp_path: Path):
    b = Browser(tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()
