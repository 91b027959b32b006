"""The only module that talks to git.

It runs the git binary directly: the plumbing copart needs (commit a path, read a
tree, merge-tree, bundles) is one subprocess each, and importing GitPython would
cost more start-up time than all of them together on the capture path.
git failures leave here as GitError with git's own first line; a fetch, push or clone that
fails is named by gitnet.failure (unreachable, refused, bad URL), with all of git's reasons.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from copart_cli.core.errors import CopartError, DiskFull, GitError, LinkRefused, RemoteRefused, UsageError
from copart_cli.adapters.files import remove

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


_STATUS = ("status", "--porcelain=v1", "-z", "--untracked-files=all")


def _status_paths(out: str) -> list[str]:
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


_SIMPLE_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.S)


def parse_tree(raw: bytes) -> list[tuple[str, str, str]]:
    """(mode, name, object id) of each entry of a raw tree object (`<mode> <name>\\0<20-byte id>`)."""
    return [(m.decode("ascii"), n.decode("utf-8", "surrogateescape"), oid.hex())
            for m, n, oid in _TREE_ENTRY.findall(raw)]


def _first_line(stderr: str | bytes) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("hint:"):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "unknown error"


@dataclass
class TreeMerge:
    """The result of merge_trees: a tree, and for each conflicted path its stages {1: base, 2: ours, 3: theirs}."""

    tree: str
    conflicts: dict[str, dict[int, tuple[str, str]]]


@dataclass(frozen=True)
class CommitRecord:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class LoggedCommit:
    """One commit of `GitRepo.history`: who, when, and which files it touched."""

    sha: str
    authored: str  # ISO-8601 with offset, as git prints it (%aI)
    committed: str  # %cI
    author_name: str
    author_email: str
    changes: tuple[tuple[str, str], ...]  # (status letter A/M/D/T, path)


class GitRepo:
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

    # -- remotes, history and merging (sync, issue 4) -------------------------------

    def rev(self, ref: str) -> str | None:
        """The commit a ref names, or None."""
        proc = run_git(["rev-parse", "-q", "--verify", "--end-of-options", f"{ref}^{{commit}}"], self.root, check=False)
        return proc.stdout.strip() or None

    def operation_in_progress(self) -> str | None:
        """A rebase, merge, cherry-pick or revert another tool left half-done, or None."""
        git_dir = self.git_dir if self.git_dir.is_dir() else Path(self.git("rev-parse", "--absolute-git-dir").strip())
        for name, what in (("rebase-merge", "rebase"), ("rebase-apply", "rebase"), ("MERGE_HEAD", "merge"),
                           ("CHERRY_PICK_HEAD", "cherry-pick"), ("REVERT_HEAD", "revert")):
            if (git_dir / name).exists():
                return what
        return None

    def remotes(self) -> list[str]:
        return [r for r in self.git("remote").splitlines() if r.strip()]

    def remote_url(self, name: str) -> str | None:
        proc = run_git(["remote", "get-url", "--", name], self.root, check=False)
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def bundle_remote(self, name: str) -> Path | None:
        """The bundle file a remote stands for (joined from one, or a URL naming one), else None."""
        from copart_cli.adapters.gitnet import is_bundle

        pattern = "^remote\\." + name.replace(".", "[.]") + "\\.(url|copartbundle)$"
        found = dict(line.split(" ", 1) for line in run_git(["config", "--get-regexp", pattern], self.root,
                                                              check=False).stdout.splitlines() if " " in line)
        url = found.get(f"remote.{name}.url", "").removeprefix("file://")
        if not url or "://" in url:
            return None
        path = (self.root / url).resolve() if not os.path.isabs(url) else Path(url)
        marked = found.get(f"remote.{name}.copartbundle") == "true"
        return path if marked or is_bundle(path) else None

    @staticmethod
    def valid_ref_name(name: str) -> bool:
        if not name or name.startswith("-"):
            return False
        if (_SIMPLE_REF.fullmatch(name) and ".." not in name and not name.endswith(".")
                and not any(part.endswith(".lock") for part in name.split("/"))):
            return True  # the common case, without a subprocess
        proc = run_git(["check-ref-format", "--allow-onelevel", name], None, check=False)
        return proc.returncode == 0

    def is_ancestor(self, a: str, b: str) -> bool:
        return run_git(["merge-base", "--is-ancestor", a, b], self.root, check=False).returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        proc = run_git(["merge-base", a, b], self.root, check=False)
        return proc.stdout.strip() or None

    def ahead_behind(self, local: str, other: str) -> tuple[int, int]:
        """(commits in local not in other, commits in other not in local)."""
        out = self.git("rev-list", "--left-right", "--count", f"{local}...{other}")
        left, right = out.split()
        return int(left), int(right)

    def fetch(self, source: str, refspecs: list[str]) -> None:
        """Fetch refspecs from a remote name, URL or bundle file; RemoteUnreachable if it cannot be
        reached, RemoteRefused/BadRemoteUrl when it answered no (see gitnet.failure)."""
        proc = run_network(["fetch", "-q", "--prune", "--no-tags", "--no-write-fetch-head", "--end-of-options",
                            source, *refspecs], self.root)
        if proc.returncode != 0:
            raise disk_full("fetch", proc.stderr) or self._failure("fetch", proc.stderr, source)

    def push(self, remote: str, refspecs: list[str], *, options: list[str] | None = None) -> list[str]:
        """Push; returns the refs the remote rejected because it has work we lack (fetch first).

        `options` become push options (`-o`), e.g. GitLab's merge_request.create. A ref the
        remote refused for another reason (its hooks, its rules) is RemoteRefused with every
        `remote:` line the hub gave as its reason.
        """
        opts = [f"--push-option={o}" for o in options or []]
        proc = run_network(["push", "--porcelain", *opts, "--end-of-options", remote, *refspecs], self.root)
        rejected, refused = [], []
        for line in proc.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[0] == "!":
                branch = parts[1].split(":")[-1].removeprefix("refs/heads/")
                if "fetch first" in parts[2] or "non-fast-forward" in parts[2] or "stale info" in parts[2]:
                    rejected.append(parts[1].split(":")[-1])
                elif "checked out" in parts[2]:  # a partner's work tree, not a hub
                    raise GitError(f"{remote} is a partner's working copy with {branch} checked out, "
                                   "so it cannot take pushes; your commits are kept",
                                   hint="share through a bare hub (copart hub init PATH), or sync with --no-push "
                                        "and let that partner sync from you")
                else:
                    refused.append((branch, parts[2]))
        if refused:
            from copart_cli.adapters.gitnet import reasons

            said = [r.removeprefix("remote: ") for r in reasons(proc.stderr) if r.startswith("remote:")]
            why = "; ".join(said + [f"({', '.join(dict.fromkeys(w for _, w in refused))})"])
            raise RemoteRefused(f"{remote} refused {', '.join(b for b, _ in refused)}: {why}",
                                hint="the hub's rules decide what it takes; ask its coordinators if this seems wrong")
        if proc.returncode != 0 and not rejected:
            raise disk_full("push", proc.stderr) or self._failure("push", proc.stderr, remote)
        return rejected

    def _failure(self, what: str, stderr: str, source: str) -> CopartError:
        from copart_cli.adapters.gitnet import failure

        url = self.remote_url(source) if source in self.remotes() else None
        return failure(what, stderr, url or source, remote=source if url else None)

    def merge_trees(self, ours: str, theirs: str) -> "TreeMerge":
        """A three-way merge done in the object store only: work tree and index untouched."""
        proc = run_git(["merge-tree", "--write-tree", "-z", "--no-messages", ours, theirs], self.root, check=False)
        if proc.returncode not in (0, 1):
            raise GitError(f"git merge-tree failed: {_first_line(proc.stderr)}")
        fields = proc.stdout.split("\0")
        tree = fields[0]
        stages: dict[str, dict[int, tuple[str, str]]] = {}
        for item in fields[1:]:
            if not item:
                break
            info, _, path = item.partition("\t")
            mode, oid, stage = info.split(" ")
            stages.setdefault(path, {})[int(stage)] = (mode, oid)
        return TreeMerge(tree=tree, conflicts=stages)

    def blob(self, oid: str) -> bytes:
        return run_git(["cat-file", "blob", oid], self.root, input=b"").stdout

    def file_at(self, rev: str, path: str) -> bytes | None:
        proc = run_git(["cat-file", "blob", f"{rev}:{path}"], self.root, input=b"", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def hash_blob(self, data: bytes) -> str:
        return run_git(["hash-object", "-w", "--stdin"], self.root, input=data).stdout.decode().strip()

    def tree_paths(self, tree: str) -> list[str]:
        return [p for p in self.git("ls-tree", "-r", "-z", "--name-only", tree).split("\0") if p]

    def tree_with(self, tree: str, changes: dict[str, tuple[str, str] | None]) -> str:
        """A new tree: `tree` with paths set to (mode, blob) or removed (None), via a private index."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="copart-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.git("read-tree", tree, env=env)
            lines = []
            for path, value in changes.items():
                if value is None:
                    lines.append(f"0 {'0' * 40}\t{path}")
                else:
                    lines.append(f"{value[0]} {value[1]}\t{path}")
            if lines:
                self.git("update-index", "-z", "--index-info", input="\0".join(lines) + "\0", env=env)
            return self.git("write-tree", env=env).strip()

    def commit_tree(self, tree: str, parents: list[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.git(*args, input=message).strip()

    def fast_forward(self, commit: str) -> None:
        """Move the current branch and work tree forward to `commit`; refuses (GitError) rather than overwrite.

        Use Repertoire.fast_forward, which puts the work tree back when git could not write it all."""
        proc = run_git(["merge", "--ff-only", "-q", "--no-stat", "--no-verify", commit], self.root, check=False)
        if proc.returncode != 0:
            # a checkout that ran out of space says only "unable to write file X", once per file
            if "unable to write file" in proc.stderr or disk_full("merge", proc.stderr):
                raise DiskFull("the disk is full: the incoming files could not all be written, so none were taken in",
                               hint="free some space, then sync again; your work is kept")
            files = [ln.strip() for ln in proc.stderr.splitlines() if ln.startswith(("\t", "    "))]
            raise GitError("your uncommitted files would be overwritten by incoming changes: " + ", ".join(files)
                           if files else f"git merge failed: {_first_line(proc.stderr)}")

    def raw_diff(self, old: str, new: str) -> list[tuple[str, str, str]]:
        """(path, blob in old, blob in new) for every file that differs; ZERO for a side that lacks it."""
        out = self.git("diff", "--raw", "-z", "--no-renames", "--no-abbrev", old, new)
        items = out.split("\0")
        found = []
        for i in range(0, len(items) - 1, 2):
            fields = items[i].split()
            if len(fields) >= 4:
                found.append((items[i + 1], fields[2], fields[3]))
        return found

    def blobs(self, oids: set[str]) -> dict[str, bytes]:
        """The content of many blobs, in one `git cat-file --batch`."""
        if not oids:
            return {}
        order = sorted(oids)
        out = run_git(["cat-file", "--batch"], self.root, input=("\n".join(order) + "\n").encode()).stdout
        found: dict[str, bytes] = {}
        pos = 0
        for oid in order:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                found[oid] = out[pos:pos + size]
                pos += size + 1
        return found

    def checkout_paths(self, rev: str, paths: list[str]) -> None:
        """Put these paths back as `rev` has them, in the work tree and the index."""
        if paths:
            self.git("checkout", "-q", rev, "--pathspec-from-file=-", "--pathspec-file-nul",
                     input="\0".join(paths) + "\0")

    def name_status(self, old: str, new: str) -> list[tuple[str, str]]:
        """(A|M|D, path) for every file that differs between two commits."""
        out = self.git("diff", "--name-status", "-z", "--no-renames", old, new)
        items = out.split("\0")
        return [(items[i][0], items[i + 1]) for i in range(0, len(items) - 1, 2) if items[i]]

    def count_commits(self, rng: str) -> int:
        return int(self.git("rev-list", "--count", rng).strip() or 0)

    def merge_text(self, ours: str, base: str, theirs: str) -> tuple[str, bool]:
        """A line-based three-way merge of texts (git merge-file); (text, clean)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="copart-merge-") as tmp:
            names = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                p = Path(tmp) / name
                p.write_text(text, encoding="utf-8", newline="")
                names.append(str(p))
            proc = run_git(["merge-file", "-p", "-q", *names], None, check=False)
        if proc.returncode < 0 or proc.returncode > 127:
            raise GitError(f"git merge-file failed: {_first_line(proc.stderr)}")
        return proc.stdout, proc.returncode == 0

    def bundle_create(self, path: Path, revs: list[str]) -> None:
        proc = run_git(["bundle", "create", "-q", str(path), *revs], self.root, check=False)
        if proc.returncode != 0:
            raise GitError(f"cannot write the bundle: {_first_line(proc.stderr)}")

    def bundle_heads(self, path: Path) -> list[str]:
        """The refs a bundle carries; GitError if it is not a bundle this repository can take."""
        proc = run_git(["bundle", "verify", "-q", str(path)], self.root, check=False)
        if proc.returncode != 0:
            raise GitError(f"{path} is not a bundle this repertoire can take: {_first_line(proc.stderr)}")
        out = self.git("bundle", "list-heads", str(path))
        return [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]

    def refs(self, pattern: str) -> list[str]:
        return [r for r in self.git("for-each-ref", "--format=%(refname)", pattern).splitlines() if r]

    def status_entries(self, refresh: bool = False) -> list[tuple[str, str]]:
        """(two-letter git status code, path) for every uncommitted change, untracked files included.

        refresh=True (only under copart's write lock) lets git write back the stat data it
        refreshed; see refresh_index for why that matters.
        """
        # GIT_OPTIONAL_LOCKS=0: a read must not take index.lock from a concurrent `copart new`
        out = self.git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                       env={"GIT_OPTIONAL_LOCKS": "1" if refresh else "0"})
        return [(item[:2], item[3:]) for item in out.split("\0") if len(item) > 3]

    def refresh_index(self) -> None:
        """Record fresh stat data in git's index (call under copart's write lock).

        Files checked out in the same instant the index was written are "racily clean":
        until the index is rewritten, every `git status` re-reads them whole (0.3 s on
        18,000 notes instead of 0.04 s), and copart's queries never rewrite it themselves.
        """
        self.git("update-index", "-q", "--refresh", check=False)

    @staticmethod
    def clone(url: str, dest: Path, *, branch: str | None = None) -> "GitRepo":
        args = ["clone", "-q", "--origin", "origin"]
        check_address(url)
        if branch:
            args += ["--branch", branch]
        proc = run_network([*args, "--", url, str(dest)], None)
        if proc.returncode != 0:
            from copart_cli.adapters.gitnet import failure

            raise disk_full("clone", proc.stderr) or failure("clone", proc.stderr, url)
        return GitRepo(dest)

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
        """Undo a `git add` of these paths after a failed commit (the files stay on disk); any number of paths."""
        if paths:
            run_git(["reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul"], self.root, check=False,
                    input="\0".join(paths) + "\0")

    def clear_stale_locks(self, grace: float = 2.0, wait: bool = True) -> list[str]:
        """Remove git lock files (index.lock, HEAD.lock, refs/…/x.lock) left by a killed git.

        Called only while holding copart's write lock, so no copart-started git is
        running. A lock is a leftover when no git that could hold it works in this
        repository (Linux /proc). A partner's own `git commit PATH` waiting for its editor,
        or a git that outlived a killed copart, is waited for (up to COPART_GIT_WAIT
        seconds, default 10), then reported, never broken; wait=False leaves its locks
        alone at once (for callers that need no git lock yet). When /proc cannot tell
        (absent, or another user's process), a lock nobody touched for `grace` seconds
        counts as a leftover. Returns what was removed.
        """
        import time

        locks = self._lock_files()
        if not locks:
            return []
        deadline = time.monotonic() + (_git_wait() if wait else 0.0)
        while True:
            scanned = time.time()
            running = _git_processes_in(self.root)
            locks = [p for p in locks if p.exists()]
            if not locks or not running or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if running:
            if not wait:
                return []
            pid, command = running[0]
            raise GitError(f"git is busy in this repository (pid {pid}: {command}); its lock was left alone",
                           hint="let it finish (or close its editor), then run the command again")
        if running is None:  # /proc cannot tell: wait until each lock has been untouched for `grace`
            until = time.monotonic() + grace
            while locks and time.monotonic() < until and any(time.time() - _mtime(p) < grace for p in locks):
                time.sleep(0.05)
            scanned = time.time()
        removed = []
        for lock in locks:
            # a lock made after the scan showed no git is a new git's, not a leftover
            if _mtime(lock) < scanned:
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                    removed.append(str(lock.relative_to(self.git_dir)))
        return removed

    def _lock_files(self) -> list[Path]:
        gd = self.git_dir
        locks = [p for p in (gd / "index.lock", gd / "HEAD.lock", gd / "packed-refs.lock", gd / "ORIG_HEAD.lock")
                 if p.exists()]
        locks.extend(gd.glob("next-index-*.lock"))  # the temporary index of a killed `git commit -- PATHS`
        refs = gd / "refs"
        if refs.is_dir():
            locks.extend(refs.rglob("*.lock"))
        return locks

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
        self.git("commit", "-q", "--no-edit", "-m", message, "--pathspec-from-file=-", "--pathspec-file-nul", input=spec)
        sha = self.head()
        assert sha
        return sha

    # -- plumbing for contributions, review events and signing (issue 5) ------------

    EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    ZERO = "0" * 40

    def ref_map(self, *patterns: str) -> dict[str, str]:
        """{ref name: commit} for refs matching these for-each-ref patterns."""
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", *patterns)
        found = {}
        for line in out.splitlines():
            name, _, sha = line.rpartition(" ")
            if name:
                found[name] = sha
        return found

    def update_ref(self, ref: str, new: str, old: str | None = None, reason: str = "copart") -> None:
        """Move (or create, with old=ZERO) a ref atomically; fails if it moved meanwhile."""
        args = ["update-ref", "-m", reason, ref, new]
        if old is not None:
            args.append(old)
        self.git(*args)

    def tree_of(self, rev: str) -> str:
        return self.git("rev-parse", f"{rev}^{{tree}}").strip()

    def paths_at(self, rev: str, *folders: str) -> list[str]:
        """Every file path in a commit or tree (optionally under some folders)."""
        proc = run_git(["ls-tree", "-r", "-z", "--name-only", rev, "--", *folders], self.root, check=False)
        return [p for p in proc.stdout.split("\0") if p] if proc.returncode == 0 else []

    def modes_at(self, rev: str, paths: list[str]) -> dict[str, str]:
        """The git file mode of each of these paths in a commit or tree (absent paths left out)."""
        if not paths:
            return {}
        out: dict[str, str] = {}
        for item in self.git("ls-tree", "-r", "-z", rev, "--", *paths).split("\0"):
            meta, _, path = item.partition("\t")
            if path:
                out[path] = meta.split(" ", 1)[0]
        return out

    def links_at(self, rev: str) -> list[str]:
        """The paths that are symbolic links (mode 120000) in a commit or tree."""
        out = self.git("ls-tree", "-r", "-z", "--full-tree", rev)
        return [item.partition("\t")[2] for item in out.split("\0") if item.startswith("120000 ")]

    def diff_names(self, old: str, new: str) -> list[str]:
        out = self.git("diff", "--name-only", "-z", "--no-renames", old, new)
        return [p for p in out.split("\0") if p]

    def diff_text(self, old: str, new: str) -> str:
        return self.git("diff", "--no-color", "--no-renames", old, new)

    def commit_message(self, rev: str) -> str:
        return self.git("log", "-1", "--format=%B", rev)

    def _log(self, *revs: str, fmt: str, first_parent: bool = False, limit: int | None = None,
             fields: int = -1) -> list[list[str]]:
        """One record per commit, fields split at US (at most FIELDS splits): `git log --format=FMT REVS`; [] if git fails."""
        args = ["log", "-z", f"--format={fmt.replace('|', '%x1f')}"]
        if first_parent:
            args.append("--first-parent")
        if limit is not None:
            args.append(f"--max-count={limit}")
        proc = run_git([*args, *revs, "--"], self.root, check=False)
        if proc.returncode != 0:
            return []
        return [rec.split("\x1f", fields) for rec in proc.stdout.split("\0") if rec]

    def commits(self, tip: str, *, since: str | None = None, first_parent: bool = False,
                limit: int | None = None) -> list[str]:
        """The commits reachable from TIP and not from SINCE, newest first."""
        return [r[0].strip() for r in self._log(_range(since, tip), fmt="%H", first_parent=first_parent, limit=limit)]

    def commit_records(self, *tips: str, since: str | None = None, limit: int | None = None) -> list[CommitRecord]:
        """Sha, tree, parents and message of each commit reachable from TIPS and not from SINCE, newest first."""
        revs = [*tips, "--not", since] if since else list(tips)
        return [CommitRecord(r[0].strip(), r[1], tuple(r[2].split()), r[3])
                for r in self._log(*revs, fmt="%H|%T|%P|%B", fields=3, limit=limit)]

    def commit_times(self, tip: str, *, since: str | None = None, limit: int | None = None) -> list[str]:
        """When each commit (TIP back to SINCE, newest first) was committed, ISO-8601 as git prints it."""
        return [r[0].strip() for r in self._log(_range(since, tip), fmt="%cI", limit=limit)]

    def first_parent_matching(self, rev: str, regex: str) -> str | None:
        """The newest commit on REV's first-parent line whose message has a line matching REGEX."""
        recs = self._log(f"--grep={regex}", rev, fmt="%H", first_parent=True, limit=1)
        return recs[0][0].strip() if recs else None

    def object_type(self, oid: str) -> str:
        """commit, tree, blob or tag; "" when there is no such object."""
        return self.git("cat-file", "-t", oid, check=False).strip()

    def absolute_git_dir(self) -> Path:
        """The repository's own folder (the repository itself when bare)."""
        return Path(self.git("rev-parse", "--absolute-git-dir").strip())

    def object_ids(self, specs: list[str]) -> list[str | None]:
        """The object each spec (`rev`, `rev:path`) names, None where there is none: ONE `cat-file --batch-check`."""
        if not specs:
            return []
        if any("\n" in s for s in specs):
            raise GitError("an object name holds a line break")
        out = run_git(["cat-file", "--batch-check=%(objectname)"], self.root,
                      input=("\n".join(specs) + "\n").encode()).stdout.decode("ascii", "replace").splitlines()
        return [None if line.endswith(" missing") or line.endswith(" ambiguous") else line for line in out]

    def read_objects(self, oids: list[str]) -> dict[str, bytes]:
        """The raw content of each object (tree, blob, commit), ONE `cat-file --batch` for all of them."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        data = run_git(["cat-file", "--batch"], self.root, input=("\n".join(wanted) + "\n").encode()).stdout
        found: dict[str, bytes] = {}
        pos = 0
        while pos < len(data):
            end = data.index(b"\n", pos)
            header = data[pos:end].decode("ascii", "replace").split()
            pos = end + 1
            if len(header) != 3:  # "<oid> missing"
                continue
            size = int(header[2])
            found[header[0]] = data[pos:pos + size]
            pos += size + 1
        return found

    def signatures(self, *revs: str, allowed_signers: Path, first_parent: bool = False, since: str | None = None,
                   limit: int | None = None, only_these: bool = False) -> list[dict[str, str]]:
        """Each commit in REVS (not reachable from SINCE; ONLY_THESE: just the commits named, no history)
        with its signature: status (G/U/N/B/E…), signer principal, key, parents, author, email, subject."""
        walk = (["--first-parent"] if first_parent else []) + ([f"--max-count={limit}"] if limit is not None else []) \
            + (["--no-walk=unsorted"] if only_these else [])
        proc = run_git(
            ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers}", "-c", "gpg.format=ssh", "log", "-z",
             "--format=%H%x1f%G?%x1f%GS%x1f%GK%x1f%P%x1f%an%x1f%ae%x1f%s", *walk,
             *revs, *(["--not", since] if since else []), "--"],
            self.root,
            check=False,
        )
        if proc.returncode != 0:
            raise GitError(f"cannot read the history: {_first_line(proc.stderr)}")
        found = []
        for rec in proc.stdout.split("\0"):
            rec = rec.strip("\n")
            if not rec:
                continue
            sha, status, signer, key, parents, author, email, subject = (rec.split("\x1f", 7) + [""] * 8)[:8]
            found.append({"commit": sha, "status": status, "signer": signer, "key": key,
                          "parents": parents.split(), "author": author, "email": email, "subject": subject})
        return found

    def signing_configured(self) -> bool:
        return self.config("gpg.format") == "ssh" and bool(self.config("user.signingkey"))

    def set_config(self, key: str, value: str) -> None:
        self.git("config", "--local", key, value)

    def write_commit(
        self,
        base: str | None,
        changes: dict[str, bytes | None],
        message: str,
        *,
        parents: list[str] | None = None,
        sign: bool = False,
        scratch: Path | None = None,
    ) -> str:
        """A commit whose tree is BASE's tree with CHANGES applied (None deletes), built in a
        temporary index: HEAD, the index and the work tree are never touched. Returns its id."""
        import tempfile

        scratch_dir = scratch or self.git_dir
        fd, index = tempfile.mkstemp(prefix="copart-index.", dir=scratch_dir)
        os.close(fd)
        os.unlink(index)  # git wants to create it itself
        env = {"GIT_INDEX_FILE": index}
        try:
            if base:
                run_git(["read-tree", base], self.root, env=env)
            else:
                run_git(["read-tree", "--empty"], self.root, env=env)
            lines = []
            for path, data in changes.items():
                if data is None:
                    lines.append(f"0 {self.ZERO}\t{path}")
                else:
                    sha = run_git(["hash-object", "-w", "--stdin"], self.root, input=data).stdout.decode().strip()
                    lines.append(f"100644 {sha}\t{path}")
            if lines:
                run_git(["update-index", "-z", "--index-info"], self.root, env=env,
                        input=("\0".join(lines) + "\0").encode("utf-8"))
            tree = run_git(["write-tree"], self.root, env=env).stdout.strip()
        finally:
            try:
                os.unlink(index)
            except FileNotFoundError:
                pass
        return self.make_commit(tree, parents if parents is not None else ([base] if base else []), message, sign=sign)

    def make_commit(self, tree: str, parents: list[str], message: str, *, sign: bool = False) -> str:
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        if sign:
            args.append("-S")
        proc = run_git(args, self.root, input=message, check=False)
        if proc.returncode != 0:
            what = "sign the commit" if sign else "write the commit"
            raise GitError(f"git could not {what}: {_first_line(proc.stderr)}",
                           hint="check your key with: copart setup-signing" if sign else None)
        return proc.stdout.strip()

    def restore_from_head(self, paths: list[str]) -> None:
        """Put these work-tree paths back to HEAD's version (removing those HEAD lacks)."""
        for path in paths:
            if self.file_at("HEAD", path) is None:
                try:
                    remove(self.root / path, path)
                except (FileNotFoundError, LinkRefused):  # never through a linked folder
                    pass
                run_git(["rm", "-q", "--cached", "--ignore-unmatch", "--", path], self.root, check=False)
            else:
                run_git(["checkout", "-q", "HEAD", "--", path], self.root, check=False)

    @staticmethod
    def init_bare(path: Path, branch: str = "main") -> "GitRepo":
        path.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", "--bare", "-b", branch, str(path)], None)
        return GitRepo(path)

    def push_to(self, url: str, refspecs: list[str]) -> None:
        self.git("push", "-q", url, *refspecs)


def _range(since: str | None, tip: str) -> str:
    return f"{since}..{tip}" if since else tip


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("-inf")  # gone: as old as can be (unlinking it is a no-op)


def _git_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("COPART_GIT_WAIT", "10")))
    except ValueError:
        return 10.0


# git commands that never take index.lock or a ref lock (an editor's or IDE's long-lived
# `git cat-file --batch` must not make copart wait).
_READ_ONLY_GIT = frozenset(
    "cat-file log show diff rev-parse ls-files ls-tree for-each-ref blame grep rev-list show-ref name-rev "
    "describe check-ignore check-attr config daemon http-backend upload-pack credential shortlog var help "
    "version hash-object fsmonitor--daemon".split()
)


def _git_subcommand(argv: list[str]) -> str:
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-C", "-c", "--git-dir", "--work-tree", "--namespace"):
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg
    return ""


def _ancestors() -> set[int]:
    """This process and its parents (copart run from a git alias must not wait for that git)."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def _git_processes_in(root: Path) -> list[tuple[int, str]] | None:
    """(pid, command) of gits working in `root` that could hold a lock; None if /proc cannot tell."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    top = str(root.resolve())
    mine = _ancestors()
    found = []
    for pid in pids:
        if pid in mine:
            continue
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                if fh.read().strip() != "git":
                    continue
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().decode("utf-8", "replace").split("\0")
        except FileNotFoundError:  # gone
            continue
        except PermissionError:  # another user's git: it might be working here
            return None
        except OSError:
            continue
        if cwd != top and not cwd.startswith(top + "/"):
            continue
        if _git_subcommand(argv) in _READ_ONLY_GIT:
            continue
        found.append((pid, " ".join(a for a in argv if a)[:60]))
    return found
