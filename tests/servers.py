"""Real servers on 127.0.0.1 for the network-failure tests, started and stopped by fixtures.

- `sshd`: Debian's OpenSSH server on a free port, with its own config, host key and
  authorized_keys (made here), key authentication only. `ssh_client(partner)` gives a
  partner a key and an ssh config (`core.sshCommand = ssh -F …`, since ssh reads ~/.ssh
  from the passwd entry, not from $HOME); `sshd.authorize(partner)` lets that key in;
  `sshd.trust(partner)` puts the host key in the partner's known_hosts.
- `silent`: a TCP listener that accepts every connection and never says a word (a stalled
  git:// or ssh server).

Smart HTTP with Basic auth and `git daemon` live in tests/transports.py.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.transports import free_port, make_bare, wait_for_port

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def ssh_client(partner) -> Path:
    """An ed25519 key and an ssh config for this partner, used by git through core.sshCommand."""
    ssh = partner.home / ".ssh"
    ssh.mkdir(exist_ok=True, mode=0o700)
    key = ssh / "id_ed25519"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", partner.name, "-f", str(key)],
                       check=True, capture_output=True)
    (ssh / "known_hosts").touch()
    (ssh / "config").write_text(
        "Host *\n"
        f"  IdentityFile {key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {ssh / 'known_hosts'}\n  GlobalKnownHostsFile /dev/null\n"
    )
    partner.git("config", "--global", "core.sshCommand", f"ssh -F {ssh / 'config'}", cwd=partner.home)
    return key


class SshServer:
    """sshd on 127.0.0.1:PORT; `url(path)` is ssh://USER@127.0.0.1:PORT/abs/path."""

    def __init__(self, base: Path):
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)
        self.repos = base / "repos"
        self.repos.mkdir(exist_ok=True)
        self.user = getpass.getuser()
        self.port = free_port()
        self.host_key = base / "ssh_host_ed25519_key"
        self.authorized = base / "authorized_keys"
        self.authorized.touch()
        self.proc: subprocess.Popen | None = None
        self.new_host_key()

    def new_host_key(self) -> None:
        """A fresh host key (the next start presents it: a changed host key)."""
        for p in (self.host_key, self.host_key.with_suffix(".pub")):
            p.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)],
                       check=True, capture_output=True)

    def start(self) -> None:
        try:
            Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation needs it (when root)
        except OSError:
            pass
        config = self.base / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1:{self.port}\nHostKey {self.host_key}\nPidFile {self.base / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.authorized}\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            "LogLevel ERROR\nPrintMotd no\nAcceptEnv no\n"
        )
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.base / "sshd.log", "ab"))
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

    def authorize(self, partner) -> None:
        with self.authorized.open("a") as fh:
            fh.write((partner.home / ".ssh" / "id_ed25519.pub").read_text())

    def revoke(self, partner) -> None:
        key = (partner.home / ".ssh" / "id_ed25519.pub").read_text()
        self.authorized.write_text(self.authorized.read_text().replace(key, ""))

    def trust(self, partner) -> None:
        line = " ".join(self.host_key.with_suffix(".pub").read_text().split()[:2])
        with (partner.home / ".ssh" / "known_hosts").open("a") as fh:
            fh.write(f"[127.0.0.1]:{self.port} {line}\n")

    def bare(self, name: str = "hub.git") -> Path:
        return make_bare(self.repos, name)

    def url(self, name: str = "hub.git") -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{self.repos / name}"


class SilentServer:
    """Accepts TCP connections on 127.0.0.1:PORT and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # keep it open, say nothing

    def stop(self) -> None:
        self.stopped = True
        self.sock.close()
        for conn in self.held:
            conn.close()


def _sshd_usable() -> str | None:
    if not os.path.exists(SSHD):
        return f"no sshd at {SSHD} (Debian's openssh-server)"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "no ssh client (openssh-client)"
    return None


@pytest.fixture
def sshd(tmp_path: Path):
    why = _sshd_usable()
    if why:
        pytest.skip(why)
    server = SshServer(tmp_path / "sshd")
    try:
        server.start()
    except RuntimeError:
        server.stop()
        pytest.skip("sshd did not start: " + (server.base / "sshd.log").read_text()[-300:])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def silent():
    server = SilentServer()
    try:
        yield server
    finally:
        server.stop()
