"""GitRepo's remotes, history and merging (what sync needs): fetch, push, bundles, clone, merges."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from copart_cli.adapters.gitrepo.process import _first_line, clean_message, check_address, disk_full, run_git, run_network
from copart_cli.adapters.gitrepo.values import _SIMPLE_REF, TreeMerge
from copart_cli.core.errors import CopartError, DiskFull, GitError, RemoteRefused


NO_PUSH_OPTIONS = "copartPushOptions"  # remote.NAME.copartPushOptions=false: this server takes none


# the remote has work we lack: fetch, integrate, push again. "failed to update ref" / "cannot lock
# ref": another push moved the ref while the hub's hook judged ours (git checks the old value last)
_RACED = ("fetch first", "non-fast-forward", "stale info", "failed to update ref", "cannot lock ref")
# a copart hub refuses a push to main that another push overtook before judging it (hooks/pre_receive.py)
_RACED_AT_HUB = "copart hub: refused refs/heads/main: main-moved:"


class Remotes:
    """Mixed into GitRepo (needs its `root` and `git`)."""

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

    def add_remote(self, name: str, url: str, *, track: str | None = None) -> None:
        """`git remote add NAME URL`, fetched; the local branch TRACK (refs/heads/X) then follows NAME/X."""
        self.git("remote", "add", "--", name, url)
        self.fetch(name, [f"+refs/heads/*:refs/remotes/{name}/*"])
        branch = (track or "").removeprefix("refs/heads/")
        if branch and self.rev(f"refs/heads/{branch}") and self.rev(f"refs/remotes/{name}/{branch}"):
            self.git("branch", "-q", f"--set-upstream-to={name}/{branch}", branch)

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

        `options` become push options (`-o`), e.g. GitLab's merge_request.create; a server that
        does not advertise push options gets the push without them (and
        remote.NAME.copartPushOptions=false remembers it). A ref the
        remote refused for another reason (its hooks, its rules) is RemoteRefused with every
        `remote:` line the hub gave as its reason.
        """
        opts = [f"--push-option={o}" for o in options or []]
        proc = run_network(["push", "--porcelain", *opts, "--end-of-options", remote, *refspecs], self.root)
        if opts and proc.returncode != 0 and "does not support push options" in proc.stderr:
            # the server does not advertise them (git sent nothing): push without, and remember
            if remote in self.remotes():
                self.set_config(f"remote.{remote}.{NO_PUSH_OPTIONS}", "false")
            proc = run_network(["push", "--porcelain", "--end-of-options", remote, *refspecs], self.root)
        rejected, refused = [], []
        for line in proc.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[0] == "!":
                branch = parts[1].split(":")[-1].removeprefix("refs/heads/")
                if any(m in parts[2] for m in _RACED):
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
            if said and all(r.startswith(_RACED_AT_HUB) for r in said):  # lost the race: all of it is refused
                return [line.split("\t")[1].split(":")[-1] for line in proc.stdout.splitlines() if line.startswith("!\t")]
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
        """A commit of TREE (sync's merges), signed when the user signs commits (commit.gpgsign):
        `git commit-tree` does not read that setting, and a guarded hub refuses an unsigned merge."""
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        signs = run_git(["config", "--type=bool", "--get", "commit.gpgsign"], self.root, check=False)
        if signs.stdout.strip() == "true":
            args.append("-S")
        return self.git(*args, input=clean_message(message)).strip()

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

    @classmethod
    def clone(cls, url: str, dest: Path, *, branch: str | None = None) -> Self:
        args = ["clone", "-q", "--origin", "origin"]
        check_address(url)
        if branch:
            args += ["--branch", branch]
        proc = run_network([*args, "--", url, str(dest)], None)
        if proc.returncode != 0:
            from copart_cli.adapters.gitnet import failure

            raise disk_full("clone", proc.stderr) or failure("clone", proc.stderr, url)
        return cls(dest)
