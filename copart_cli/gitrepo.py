"""The only module that talks to git.

It runs the git binary directly: the plumbing copart needs (commit a path, read a
tree, merge-tree, bundles) is one subprocess each, and importing GitPython would
cost more start-up time than all of them together on the capture path.
git failures leave here as GitError with git's own first line.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from copart_cli.errors import CopartError, GitError

_BASE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never hang on a credential prompt
    "LC_ALL": "C",  # stable messages to parse
}


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
    timeout: float | None = None,
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
            timeout=timeout,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH", hint="install git, then try again") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s and was stopped") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
    return proc


def _first_line(stderr: str | bytes) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("hint:"):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "unknown error"


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


class GitRepo:
    """A git work tree: the repertoire's storage and history."""

    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str, input: str | bytes | None = None, check: bool = True, env=None, timeout=None) -> str:
        proc = run_git(list(args), self.root, input=input, check=check, env=env, timeout=timeout)
        return proc.stdout

    @property
    def git_dir(self) -> Path:
        return self.root / ".git"

    # -- creating -----------------------------------------------------------------

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> "GitRepo":
        path.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", "-b", branch, str(path)], None)
        return cls(path)

    @staticmethod
    def toplevel(path: Path) -> Path | None:
        proc = run_git(["rev-parse", "--show-toplevel"], path, check=False)
        return Path(proc.stdout.strip()) if proc.returncode == 0 else None

    # -- identity -----------------------------------------------------------------

    def identity(self) -> Identity:
        """The git identity commits will carry; an error with a hint when there is none."""
        name = os.environ.get("GIT_AUTHOR_NAME") or self.config("user.name")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or self.config("user.email")
        if not name or not email:
            raise GitError(
                "no git identity: copart records who wrote what",
                hint='git config --global user.name "Your Name" && git config --global user.email you@example.org',
            )
        return Identity(name=name, email=email)

    def config(self, key: str) -> str | None:
        proc = run_git(["config", "--get", key], self.root, check=False)
        value = proc.stdout.strip()
        return value or None

    # -- reading ------------------------------------------------------------------

    def head(self) -> str | None:
        proc = run_git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], self.root, check=False)
        return proc.stdout.strip() or None

    def current_branch(self) -> str | None:
        proc = run_git(["symbolic-ref", "-q", "--short", "HEAD"], self.root, check=False)
        return proc.stdout.strip() or None

    def is_tracked(self, rel: str) -> bool:
        proc = run_git(["ls-files", "--error-unmatch", "--", rel], self.root, check=False)
        return proc.returncode == 0

    def dirty_paths(self, *pathspec: str) -> list[str]:
        """Paths with uncommitted changes (modified, added, deleted, untracked), optionally limited."""
        out = self.git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspec)
        paths: list[str] = []
        items = out.split("\0")
        i = 0
        while i < len(items):
            item = items[i]
            if len(item) > 3:
                paths.append(item[3:])
                if item[0] in "RC":  # renames carry the old path next
                    i += 1
            i += 1
        return paths

    # -- writing ------------------------------------------------------------------

    def commit_paths(self, paths: list[str], message: str) -> str:
        """Commit exactly these paths (added, changed or deleted) and nothing else staged."""
        if not paths:
            raise CopartError("nothing to commit")
        self.git("add", "-A", "--", *paths)
        self.git("commit", "-q", "--no-edit", "-m", message, "--", *paths)
        sha = self.head()
        assert sha
        return sha

    def commit_all(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-edit", "-m", message)
        sha = self.head()
        assert sha
        return sha

    def restore_index(self, paths: list[str]) -> None:
        """Undo a `git add` of these paths after a failed commit (the files stay on disk)."""
        run_git(["reset", "-q", "--", *paths], self.root, check=False)
