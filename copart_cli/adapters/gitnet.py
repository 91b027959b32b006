"""git over the network, for gitrepo.py: bounded transports, failures named, no secrets shown.

- **Never hang.** One bound, `COPART_NET_TIMEOUT` seconds (default 20), read once: ssh gets
  `ConnectTimeout`, `ServerAliveInterval`/`CountMax` and `BatchMode` (appended to the user's
  own ssh command, which is kept), http gets git's low-speed limits, and `watch` stops any
  git network process whose output, I/O counters and CPU time all stand still that long
  (a `git://` server that accepts and never answers, a hook that hangs).
- **Failures named for what they are.** `failure` reads git's stderr: unreachable or stalled
  (RemoteUnreachable, exit 3: work kept, try later), or an answer that waiting will not change
  — credentials refused, no such repository, an unknown or changed ssh host key, the hub's
  rules (RemoteRefused, exit 1) — or a URL git cannot use (BadRemoteUrl, exit 2). Every
  explaining line of git's stderr is kept; ssh's chatter is dropped.
- **Secrets stay secret.** `mask_url` turns `https://user:pass@host` into `https://user:***@host`
  in every URL and message copart shows.

This module runs no git itself (gitrepo.py does); it only reads what git said.
"""

from __future__ import annotations

import functools
import os
import re
import selectors
import shlex
import signal
import subprocess
import time
from pathlib import Path

from copart_cli.core.errors import BadRemoteUrl, CopartError, RemoteRefused, RemoteUnreachable

TIMEOUT_ENV = "COPART_NET_TIMEOUT"
DEFAULT_TIMEOUT = 20.0
# Without /proc the watchdog sees only git's output, which is silent (-q) while a pack
# flows: judge silence over a longer span then.
_NO_PROC_FACTOR = 15


@functools.cache
def timeout() -> float:
    """The network bound in seconds (COPART_NET_TIMEOUT; default 20, at least 1)."""
    try:
        return max(1.0, float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


# -- secrets in URLs -------------------------------------------------------------------

_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'\"]*):[^@\s/'\"]*@")


def mask_url(text: str) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host`, anywhere in `text`."""
    return _CREDENTIALS.sub(lambda m: f"{m.group('head')}:***@", text)


# -- bounded transports ------------------------------------------------------------------


def config_args() -> list[str]:
    """`-c` options bounding http: give up when under 1 byte/s flows for the bound."""
    return ["-c", "http.lowSpeedLimit=1", "-c", f"http.lowSpeedTime={int(timeout())}"]


def ssh_command(user_command: str | None) -> str | None:
    """The user's ssh command (or plain ssh) with copart's bounds appended, or None to leave
    a command that is not OpenSSH's (plink, a wrapper script) as it is."""
    command = (user_command or "ssh").strip()
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return None
    if os.path.basename(program) not in ("ssh", "ssh.exe"):
        return None
    bound = int(timeout())
    interval = max(1, bound // 3)
    # options given first win in ssh, so the user's own -o settings stay in force
    return (f"{command} -o ConnectTimeout={bound} -o ServerAliveInterval={interval} "
            f"-o ServerAliveCountMax=3 -o BatchMode=yes")


# -- the stall watchdog --------------------------------------------------------------------


def _group_activity(pgid: int) -> tuple | None:
    """What the processes of one group have done so far, ssh left out (its keep-alives move
    while the git behind it is stuck); None when /proc cannot tell. Bytes read and written
    (/proc/PID/io) miss recv() on sockets, so CPU time and wake-ups count too (schedstat, in
    ns: a process blocked on a silent server does not wake)."""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    seen = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
                name, _, rest = fh.read().rpartition(")")
            fields = rest.split()
            if int(fields[2]) != pgid or name.rsplit("(", 1)[-1] == "ssh":
                continue
            with open(f"/proc/{pid}/io", encoding="ascii") as fh:
                io = tuple(line.split()[1] for line in fh if line.startswith(("rchar", "wchar")))
            try:
                with open(f"/proc/{pid}/schedstat", encoding="ascii") as fh:
                    cpu = fh.read().split()
            except OSError:
                cpu = fields[11:13]  # utime, stime in clock ticks: coarser, but there
        except (OSError, ValueError, IndexError):
            continue
        seen.append((pid, io, cpu[0], cpu[-1]))
    return tuple(sorted(seen)) if seen else None


def watch(proc: subprocess.Popen, what: str) -> tuple[bytes, bytes]:
    """Collect a git network process's output; stop its whole process group (it was started
    in a group of its own) when nothing moves for the bound. RemoteUnreachable then."""
    bound = timeout()
    out: dict[int, list[bytes]] = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}  # type: ignore[union-attr]
    sel = selectors.DefaultSelector()
    for fd in out:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    last_move = time.monotonic()
    activity = None
    try:
        while sel.get_map():
            for key, _ in sel.select(timeout=0.5):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    out[key.fd].append(chunk)
                    last_move = time.monotonic()
                else:
                    sel.unregister(key.fd)
            now = time.monotonic()
            if now - last_move < 1.0:
                continue
            seen = _group_activity(proc.pid)
            if seen != activity and seen is not None:
                activity, last_move = seen, now
            limit = bound if seen is not None else bound * _NO_PROC_FACTOR
            if now - last_move >= limit:
                _stop(proc)
                raise RemoteUnreachable(f"no answer for {bound:.0f} s during git {what}, so it was stopped; "
                                        f"a slow line may need a longer {TIMEOUT_ENV}")
        proc.wait()
    except BaseException:
        _stop(proc)
        raise
    finally:
        sel.close()
    return b"".join(out[proc.stdout.fileno()]), b"".join(out[proc.stderr.fileno()])  # type: ignore[union-attr]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            continue


# -- what went wrong -------------------------------------------------------------------------

_NOISE = (
    "Warning: Permanently added", "Please make sure you have the correct access rights",
    "and the repository exists.", "hint:", "The most similar command", "See 'git --help'",
    "failed to push some refs", "To ", "Everything up-to-date",
)
_PROGRESS = re.compile(r"^remote:\s*(Enumerating|Counting|Compressing|Total|Resolving|Writing|Receiving|"
                       r"Processing|Delta)\b|^remote:\s*$")


def reasons(stderr: str | bytes) -> list[str]:
    """Every line of git's stderr that explains a failure, in order, secrets masked."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    found: list[str] = []
    for raw in stderr.replace("\r", "\n").splitlines():
        line = raw.strip()
        if not line or line.startswith(_NOISE) or _PROGRESS.match(line) or set(line) <= {"@", " "}:
            continue
        line = mask_url(line.removeprefix("fatal: ").removeprefix("error: "))
        if line not in found:
            found.append(line)
    return found


def transport(url: str) -> str:
    """ssh | http | git | local | an unknown scheme's name."""
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if m:
        scheme = m.group(1).lower()
        return {"https": "http", "ssh": "ssh", "git+ssh": "ssh", "ssh+git": "ssh", "file": "local"}.get(scheme, scheme)
    if re.match(r"[^/\\]+:", url) and not re.match(r"[A-Za-z]:[\\/]", url) and "::" not in url:
        return "ssh"  # scp-like user@host:path
    return "other" if "::" in url else "local"


def _host_port(url: str) -> tuple[str, str | None]:
    m = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?(\[[^\]]+\]|[^/:]+)(?::(\d+))?", url)
    if m:
        return m.group(1).strip("[]"), m.group(2)
    m = re.match(r"(?:[^@]*@)?([^:]+):", url)
    return (m.group(1) if m else url), None


_BAD_URL = ("unable to find remote helper", "is not supported", "not allowed", "Unsupported protocol",
            "bad/illegal format", "is not a git command", "Bad port", "Port number ended", "invalid port")
_HOST_KEY = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "host key is known for",
             "has changed and you have requested strict checking")
_AUTH = ("Permission denied", "Authentication failed", "could not read Username", "could not read Password",
         "returned error: 401", "returned error: 403", "Access denied", "Invalid username or password",
         "Too many authentication failures", "HTTP Basic", "invalid credentials")
_NOT_FOUND = ("does not appear to be a git repository", "' not found", "Repository not found", "returned error: 404",
              "no such repository", "access denied or repository not exported", "not a git repository",
              "could not be found")
_RULES = ("DENIED", "hook declined", "copart hub: refused")


def failure(what: str, stderr: str | bytes, url: str, remote: str | None = None) -> CopartError:
    """The error for a failed git fetch/push/clone of `url` (the remote called `remote`, if any)."""
    lines = reasons(stderr)
    if len(lines) > 1:  # git's own afterword, when ssh or the server said more
        lines = [line for line in lines if line != "Could not read from remote repository."]
    text = "\n".join(lines)
    shown_url = mask_url(url)
    label = remote or "the server"
    why = "; ".join(lines[:8]) or f"git {what} failed"
    kind = transport(url)
    host, port = _host_port(url)
    fix = f"git remote set-url {remote} URL" if remote else "copart join URL"
    if kind not in ("ssh", "http", "git", "local") or any(m in text for m in _BAD_URL):
        scheme = url.split("::", 1)[0] + "::" if kind == "other" else url.split("://", 1)[0] + "://"
        if kind not in ("ssh", "http", "git", "local"):
            why = f"git has no '{scheme}' transport"
        return BadRemoteUrl(f"{shown_url} is not a URL copart can use: {why}",
                            hint=f"check its spelling: a hub is a folder or a bundle, or starts with https://, "
                                 f"http://, ssh:// (or is user@host:path) or git://; then: {fix}")
    if any(m in text for m in _HOST_KEY):
        return _host_key_error(text, host, port)
    if any(m in text for m in _RULES):
        return RemoteRefused(f"{label} refused this by its rules: {why}",
                             hint="ask the hub's coordinators if the rule seems wrong")
    if kind != "local" and any(m in text for m in _AUTH):
        return RemoteRefused(f"{label} refused your credentials: {why}", hint=_auth_hint(kind, text, host))
    if kind != "local" and any(m in text for m in _NOT_FOUND):
        return RemoteRefused(f"{label} has no repository {f'at {shown_url}' if remote else 'there'}: {why}",
                             hint=f"ask your partners for the hub's exact URL, then: {fix}")
    return RemoteUnreachable(why)


def _host_key_error(text: str, host: str, port: str | None) -> RemoteRefused:
    where = f"[{host}]:{port}" if port else host
    p = f"-p {port} " if port else ""
    if "CHANGED" in text or "has changed" in text:
        m = re.search(r"(SHA256:\S+?)\.?$", text, re.M)
        shown = f" (it now shows {m.group(1)})" if m else ""
        return RemoteRefused(
            f"the ssh host key of {where} has changed since you last connected{shown}: a new server, "
            "or someone in between; git did not go on",
            hint=f"ask the hub's admin for its fingerprint; only if it matches: ssh-keygen -R '{where}' && "
                 f"ssh-keyscan -H {p}{host} >> ~/.ssh/known_hosts")
    return RemoteRefused(
        f"the ssh host key of {where} is not known yet (Host key verification failed), so git did not go on",
        hint=f"compare its fingerprint (ssh-keyscan {p}{host} | ssh-keygen -lf -) with the one the hub's admin "
             f"gives you, then accept it: ssh-keyscan -H {p}{host} >> ~/.ssh/known_hosts")


def _auth_hint(kind: str, text: str, host: str) -> str:
    if kind == "ssh":
        return (f"{host} does not accept your ssh key: send your public key (~/.ssh/id_ed25519.pub) to the hub's "
                "admin, or point git at the right key (core.sshCommand); a key with a passphrase needs ssh-agent")
    if "could not read" in text:
        return (f"{host} wants a user name and password (or token): run git fetch once in a terminal to give them, "
                "with a credential helper (git config --global credential.helper store) to remember them")
    return (f"check the user name and password (or token) for {host}: one in the URL, or one a credential helper "
            "remembers, may be out of date")


def is_bundle(path: str | Path) -> bool:
    """Whether a file is a git bundle (by its first line)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16).startswith((b"# v2 git bundle", b"# v3 git bundle"))
    except OSError:
        return False
