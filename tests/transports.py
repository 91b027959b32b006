"""Real network transports for sync tests, on 127.0.0.1 only.

- `git_daemon` fixture: `git daemon` serving a folder of bare repositories (push enabled),
  on a free port, started and stopped by the fixture;
- `git_http` fixture: git's smart HTTP (`git http-backend`, a CGI program) behind a small
  threaded HTTP server in the test process. `server.down = True` makes it drop every
  request (a network that went away); `server.refuse_push = True` drops only pushes
  (the remote disappearing between the fetch and the push of one sync);
  `server.users = {"name": "password"}` asks for HTTP Basic auth (401 without it, or with
  a wrong password), as a hub behind a web server does; `server.trickle = S` sends every
  answer in small pieces over S seconds (a slow line that keeps moving).

Use them by importing the fixtures into a test module:
    from tests.transports import git_daemon, git_http  # noqa: F401
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def make_bare(base: Path, name: str) -> Path:
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "config", "http.receivepack", "true"], check=True)
    return path


class GitDaemon:
    """`git daemon` on 127.0.0.1 serving `base`; `url(name)` is git://127.0.0.1:PORT/name."""

    def __init__(self, base: Path, informative: bool = True):
        self.base = base
        self.port = 0
        self.informative = informative  # False: a missing repository is "access denied or not exported"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
             *(["--informative-errors"] if self.informative else []),
             f"--base-path={self.base}", "--listen=127.0.0.1", f"--port={self.port}", str(self.base)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def bare(self, name: str = "hub.git") -> Path:
        return make_bare(self.base, name)

    def url(self, name: str = "hub.git") -> str:
        return f"git://127.0.0.1:{self.port}/{name}"


class _Handler(BaseHTTPRequestHandler):
    server: "GitHttpServer"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _cgi(self) -> None:
        owner = self.server.owner
        path, _, query = self.path.partition("?")
        if owner.down or (owner.refuse_push and ("git-receive-pack" in path or "git-receive-pack" in query)):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        user = owner.authorised(self.headers.get("Authorization", ""))
        if user is None:
            if self.command == "POST":
                self._body()  # read what was sent before answering
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="hub"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if owner.before_push and "git-receive-pack" in path + query:
            hook, owner.before_push = owner.before_push, None
            hook()
        body = self._body() if self.command == "POST" else b""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_PROJECT_ROOT=str(owner.base), GIT_HTTP_EXPORT_ALL="1", REQUEST_METHOD=self.command,
            PATH_INFO=path, QUERY_STRING=query, CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)), REMOTE_USER=user, REMOTE_ADDR="127.0.0.1",
            GATEWAY_INTERFACE="CGI/1.1", SERVER_PROTOCOL="HTTP/1.1",
        )
        for key, value in self.headers.items():
            env["HTTP_" + key.upper().replace("-", "_")] = value
        proc = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _ and b"\n\n" in proc.stdout:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not owner.trickle:
            self.wfile.write(payload)
            return
        step = max(1, len(payload) // 20)  # a slow line that keeps moving: 20 pieces over `trickle` s
        for start in range(0, len(payload), step):
            self.wfile.write(payload[start:start + step])
            self.wfile.flush()
            time.sleep(owner.trickle / 20)


class GitHttpServer:
    """Smart HTTP on 127.0.0.1: `url(name)` is http://127.0.0.1:PORT/name."""

    def __init__(self, base: Path):
        self.base = base
        self.down = False
        self.refuse_push = False
        self.before_push = None  # called once, before the first push is served (a partner pushing first)
        self.users: dict[str, str] | None = None  # Basic auth: {user: password}; None lets everyone in
        self.trickle = 0.0  # > 0: every answer takes this many seconds, sent in small pieces
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def authorised(self, header: str) -> str | None:
        """The user a request's Authorization header proves, or None (always "tester" without auth)."""
        if self.users is None:
            return "tester"
        import base64
        import binascii

        scheme, _, token = header.partition(" ")
        try:
            user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if scheme.lower() == "basic" and self.users.get(user) == password else None

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def bare(self, name: str = "hub.git") -> Path:
        return make_bare(self.base, name)

    def url(self, name: str = "hub.git") -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def git_daemon(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    daemon = GitDaemon(tmp_path / "served")
    daemon.base.mkdir()
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def git_http(tmp_path: Path):
    base = tmp_path / "served-http"
    base.mkdir()
    server = GitHttpServer(base)
    try:
        yield server
    finally:
        server.stop()
