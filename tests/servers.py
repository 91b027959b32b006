"""Real servers on 127.0.0.1 for the network-failure tests, started and stopped by fixtures.

- `sshd`: Debian's OpenSSH server on a free port, with its own config, host key and
  authorized_keys (made here), key authentication only. `ssh_client(partner)` gives a
  partner a key and an ssh config (`core.sshCommand = ssh -F …`, since ssh reads ~/.ssh
  from the passwd entry, not from $HOME); `sshd.authorize(partner)` lets that key in;
  `sshd.trust(partner)` puts the host key in the partner's known_hosts.
- `gitolite`: Debian's gitolite3 behind that sshd, run as the current user with a HOME of
  its own (no system account needed); `configure(conf, keys)` pushes gitolite-admin,
  `allows(repo, user, perm, ref)` asks gitolite itself, `url(repo)`.
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
        self.extra_config = ""  # more sshd_config lines (gitolite: SetEnv HOME=…)
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
            "LogLevel ERROR\nPrintMotd no\nAcceptEnv no\n" + self.extra_config
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


GITOLITE = shutil.which("gitolite") or "/usr/bin/gitolite"


class Gitolite:
    """Debian's gitolite3 behind `sshd`, run as the current user with a HOME of its own (gitolite
    keeps its rc, conf, repositories and authorized_keys in $HOME). sshd reads gitolite's
    authorized_keys and starts gitolite-shell with that HOME (sshd_config SetEnv), as it would
    for a `gitolite3` account. The admin edits the conf by pushing gitolite-admin over ssh."""

    def __init__(self, base: Path, sshd: SshServer):
        self.home, self.sshd = base / "gitolite-home", sshd
        self.home.mkdir(parents=True)
        self.admin_key = base / "admin"  # the key file name is the gitolite user: admin
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", str(self.admin_key)],
                       check=True, capture_output=True)
        setup = self.run("setup", "-pk", f"{self.admin_key}.pub")
        if setup.returncode != 0:
            raise RuntimeError(f"gitolite setup failed: {setup.stderr[-300:]}")
        self.repositories = self.home / "repositories"
        sshd.stop()
        sshd.authorized = self.home / ".ssh" / "authorized_keys"
        sshd.extra_config = f"SetEnv HOME={self.home}\n"
        sshd.start()
        self.admin_env = {**self.env, "GIT_SSH_COMMAND": f"ssh -i {self.admin_key} -o IdentitiesOnly=yes "
                          "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"}

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))}
        return {**env, "HOME": str(self.home), "GIT_CONFIG_NOSYSTEM": "1"}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([GITOLITE, *args], env=self.env, capture_output=True, text=True)

    def url(self, repo: str) -> str:
        return f"ssh://{self.sshd.user}@127.0.0.1:{self.sshd.port}/{repo}"

    def configure(self, conf: str, keys: dict[str, Path]) -> None:
        """What an admin does: clone gitolite-admin, write the conf and the members' keys, push."""
        work = self.home.parent / "gitolite-admin"
        git = lambda *a: subprocess.run(["git", *a], env=self.admin_env, check=True, capture_output=True)  # noqa: E731
        if not work.exists():
            git("clone", "-q", self.url("gitolite-admin"), str(work))
        (work / "conf" / "gitolite.conf").write_text(conf)
        for user, pub in keys.items():
            (work / "keydir" / f"{user}.pub").write_text(pub.read_text())
        git("-C", str(work), "add", "-A")
        git("-C", str(work), "-c", "user.name=Admin", "-c", "user.email=admin@example.org", "commit", "-qm", "conf")
        git("-C", str(work), "push", "-q", "origin", "HEAD:master")

    def allows(self, repo: str, user: str, perm: str, ref: str) -> bool:
        """gitolite's own verdict (`gitolite access`), before any hook."""
        out = self.run("access", "-q", repo, user, perm, ref)
        return out.returncode == 0


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
def gitolite(sshd, tmp_path: Path):
    if not os.path.exists(GITOLITE):
        pytest.skip("no gitolite (Debian's gitolite3)")
    return Gitolite(tmp_path / "gitolite", sshd)


@pytest.fixture
def silent():
    server = SilentServer()
    try:
        yield server
    finally:
        server.stop()
