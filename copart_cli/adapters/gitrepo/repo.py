"""GitRepo: a git work tree, the repertoire's storage and history (reading, writing, the
search index's fast paths); remotes and plumbing are its mixins."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from copart_cli.adapters.gitrepo.process import _first_line, clean_message, _git_env, _git_missing, disk_full, run_git
from copart_cli.adapters.gitrepo.values import _STATUS, Identity, LoggedCommit, _status_paths
from copart_cli.core.errors import CopartError, GitError
from copart_cli.adapters.gitrepo.locks import clear_stale_locks
from copart_cli.adapters.gitrepo.plumbing import Plumbing
from copart_cli.adapters.gitrepo.remotes import Remotes


class GitRepo(Remotes, Plumbing):
    """A git work tree: the repertoire's storage and history."""

    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str, input: str | bytes | None = None, check: bool = True, env=None) -> str:
        proc = run_git(list(args), self.root, input=input, check=check, env=env)
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
        return _status_paths(self.git(*_STATUS, "--", *pathspec))

    def dirty_paths_soon(self, *pathspec: str) -> Callable[[], list[str]]:
        """`dirty_paths`, started now; call the result to wait for it. On the query path git
        reads the work tree on the other core while Python loads the index."""
        args = [*_STATUS, "--", *pathspec]
        try:
            proc = subprocess.Popen(["git", *args], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=_git_env())
        except FileNotFoundError:
            raise _git_missing() from None

        def result() -> list[str]:
            out, err = proc.communicate()
            if proc.returncode != 0:
                raise disk_full("status", err) or GitError(f"git status failed: {_first_line(err)}")
            return _status_paths(out.decode("utf-8", errors="replace"))

        return result

    def history(self, *pathspec: str, since: str | None = None, rev: str = "HEAD",
                added: bool = False) -> list[LoggedCommit]:
        """Every commit reachable from `rev` touching `pathspec` (only adding files: `added`), newest
        first, in ONE `git log` call."""
        if self.head() is None:
            return []
        args = ["log", rev, "--no-renames", "--no-merges", "--name-status", "-z",
                "--format=%x1e%H%x1f%aI%x1f%cI%x1f%an%x1f%ae"]
        if since:
            args.append(f"--since={since}")
        if added:
            args.append("--diff-filter=A")
        proc = run_git([*args, "--", *pathspec], self.root, check=False)
        if proc.returncode != 0:
            return []
        commits: list[LoggedCommit] = []
        for chunk in proc.stdout.split("\x1e")[1:]:
            header, _, rest = chunk.partition("\0")
            fields = header.split("\x1f")
            if len(fields) != 5:
                continue
            items = rest.lstrip("\n").split("\0")
            changes = []
            for i in range(0, len(items) - 1, 2):
                status, path = items[i].strip(), items[i + 1]
                if status and path:
                    changes.append((status[0], path))
            commits.append(LoggedCommit(fields[0], fields[1], fields[2], fields[3], fields[4], tuple(changes)))
        return commits

    # -- writing ------------------------------------------------------------------

    def commit_paths(self, paths: list[str], message: str) -> str:
        """Commit exactly these paths (added, changed or deleted) and nothing else staged."""
        if not paths:
            raise CopartError("nothing to commit")
        self.git("add", "-A", "--", *paths)
        self.git("commit", "-q", "--no-edit", "-m", clean_message(message), "--", *paths)
        sha = self.head()
        assert sha
        return sha

    def commit_all(self, message: str, identity: Identity | None = None) -> str:
        """Commit everything in the work tree, as `identity` when given (else the user's git identity)."""
        env = None
        if identity is not None:
            env = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                   for what, value in (("NAME", identity.name), ("EMAIL", identity.email))}
        self.git("add", "-A")
        self.git("commit", "-q", "--no-edit", "-m", clean_message(message), env=env)
        sha = self.head()
        assert sha
        return sha

    def restore_index(self, paths: list[str]) -> None:
        """Undo a `git add` of these paths after a failed commit (the files stay on disk); any number of paths."""
        if paths:
            run_git(["reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul"], self.root, check=False,
                    input="\0".join(paths) + "\0")

    def clear_stale_locks(self, grace: float = 2.0, wait: bool = True) -> list[str]:
        """Remove git lock files left by a killed git (see locks.clear_stale_locks); returns what was removed."""
        return clear_stale_locks(self.root, self.git_dir, grace=grace, wait=wait)

    # -- for the search index and import (issue 3) --------------------------------

    def head_fast(self) -> str | None:
        """HEAD's commit read straight from .git (no subprocess); None if unborn or unreadable.

        Used on the query path, where a fork of git costs more than the whole search.
        Falls back to `git rev-parse` for anything unusual (detached worktrees, odd refs).
        """
        git_dir = self.git_dir
        try:
            if git_dir.is_file():
                return self.head()
            head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
            if not head.startswith("ref: "):
                return head if len(head) in (40, 64) else self.head()
            ref = head[5:].strip()
            loose = git_dir / ref
            if loose.is_file():
                sha = loose.read_text(encoding="utf-8").strip()
                return sha or None
            packed = git_dir / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    if line.endswith(" " + ref) and not line.startswith(("#", "^")):
                        return line.split(" ", 1)[0]
            return None  # unborn branch
        except OSError:
            return self.head()

    def changed_between(self, old: str, new: str, *pathspec: str) -> list[str] | None:
        """Paths changed from commit `old` to `new` (both sides of a rename); None if `old` is unknown."""
        proc = run_git(["diff", "--name-only", "-z", "--no-renames", old, new, "--", *pathspec], self.root, check=False)
        if proc.returncode != 0:
            return None
        return [p for p in proc.stdout.split("\0") if p]

    def commit_many(self, paths: list[str], message: str) -> str:
        """Like commit_paths, for thousands of paths (passed on stdin, not the command line)."""
        if not paths:
            raise CopartError("nothing to commit")
        spec = "\0".join(paths) + "\0"
        self.git("add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul", input=spec)
        self.git("commit", "-q", "--no-edit", "-m", clean_message(message), "--pathspec-from-file=-", "--pathspec-file-nul", input=spec)
        sha = self.head()
        assert sha
        return sha
