"""Running the git binary: one environment for every git copart starts, failures named."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from copart_cli.core.errors import DiskFull, GitError, UsageError
from copart_cli.core.model import UNSAFE_CHARS

_BASE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never hang on a credential prompt
    "LC_ALL": "C",  # stable messages to parse
    # read-only commands (status, diff) must not take index.lock to refresh the index:
    # they would collide with a concurrent copart commit
    "GIT_OPTIONAL_LOCKS": "0",
    # the transports a repertoire travels over; none that runs a program (ext::) or reads a
    # file descriptor (fd::), whatever address a partner, a remote or a submodule names
    "GIT_ALLOW_PROTOCOL": "file:git:ssh:http:https",
}
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)(::|://)")
_URL_SCHEMES = ("file", "git", "ssh", "git+ssh", "ssh+git", "http", "https")


def clean_message(text: str) -> str:
    """A commit message as git should keep it: a comment or title a partner typed may hold
    escape sequences or bidi overrides, which `git log` would hand a terminal as they are."""
    return UNSAFE_CHARS.sub("", text.replace("\r\n", "\n"))


def check_address(url: str) -> None:
    """A UsageError unless `url` is a path, a bundle, or a file://, git://, ssh or http(s) address."""
    m = _URL.match(url)
    if m and (m.group(2) == "::" or m.group(1).lower() not in _URL_SCHEMES):
        raise UsageError(f"'{url}' uses the '{m.group(1)}' transport, which copart does not use",
                         hint="give a folder, a bundle file, or a file://, git://, ssh:// (host:path) or https:// address")


def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_BASE_ENV)
    if extra:
        env.update(extra)
    return env


def run_git(
    args: list[str],
    cwd: Path | None,
    *,
    input: str | bytes | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run `git ARGS` and return the completed process (text output unless input is bytes)."""
    text = not isinstance(input, bytes)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=text,
            encoding="utf-8" if text else None,
            errors="replace" if text else None,
            env=_git_env(env),
        )
    except FileNotFoundError:
        raise _git_missing() from None
    if check and proc.returncode != 0:
        raise disk_full(args[0], proc.stderr) or GitError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
    return proc


def run_network(args: list[str], cwd: Path | None) -> subprocess.CompletedProcess:
    """Run a git command that talks to a remote: bounded (gitnet), in a process group of its
    own so that a stalled one is stopped with its ssh or http helper. Text output."""
    from copart_cli.adapters import gitnet

    user_ssh = os.environ.get("GIT_SSH_COMMAND")
    if user_ssh is None:  # git's order: GIT_SSH_COMMAND, core.sshCommand, GIT_SSH
        # a clone reads no repository's config: ask from / (global and system config only)
        user_ssh = run_git(["config", "--get", "core.sshCommand"], cwd or Path("/"), check=False).stdout.strip() or None
        if user_ssh is None and os.environ.get("GIT_SSH"):
            user_ssh = shlex.quote(os.environ["GIT_SSH"])
    ssh = gitnet.ssh_command(user_ssh)
    command = ["git", *gitnet.config_args(), *args]
    try:
        proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_git_env({"GIT_SSH_COMMAND": ssh} if ssh else None),
                                process_group=0)
    except FileNotFoundError:
        raise _git_missing() from None
    out, err = gitnet.watch(proc, args[0])
    return subprocess.CompletedProcess(command, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def run_bare(argv: list[str], cwd: Path, timeout: float = 30.0) -> tuple[int, str, str]:
    """Run a program (a hub's hook) as an ssh server starts one: PATH and HOME only, no terminal.
    (exit code, stdout, stderr); 126 and why when it cannot be started."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/"), "LANG": "C.UTF-8"}
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
    except OSError as exc:
        return 126, "", f"cannot exec {argv[0]}: {exc.strerror or exc}"
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} did not finish within {timeout:.0f} s"
    return proc.returncode, proc.stdout, proc.stderr


_DISK_FULL = ("No space left on device", "Disk quota exceeded", "Out of diskspace")


def disk_full(what: str, stderr: str | bytes) -> DiskFull | None:
    """A clear error when git failed because the disk is full (not 'offline', not 'git failed')."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    if not any(marker in text for marker in _DISK_FULL):
        return None
    return DiskFull(f"the disk is full: git {what} could not write ({_first_line(text)})",
                    hint="free some space, then run the command again; your work is kept")


def _git_missing() -> GitError:
    return GitError("git is not installed or not on PATH", hint="install git, then try again")


def _first_line(stderr: str | bytes) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("hint:"):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "unknown error"
