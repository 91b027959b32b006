"""GitRepo's plumbing for contributions, review events and signing: refs, trees, commits
written without touching the work tree, history records and signatures by name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from copart_cli.adapters.files import remove
from copart_cli.adapters.gitrepo.process import _first_line, clean_message, run_git
from copart_cli.adapters.gitrepo.values import CommitRecord
from copart_cli.core.errors import GitError, LinkRefused


class Plumbing:
    """Mixed into GitRepo (needs its `root` and `git`)."""

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

    def merged_refs(self, rev: str, *patterns: str) -> set[str]:
        """The refs (matching these for-each-ref patterns) whose tips REV already holds: one call."""
        out = self.git("for-each-ref", f"--merged={rev}", "--format=%(refname)", *patterns)
        return {line for line in out.splitlines() if line}

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

    def commits_changing(self, tip: str, folder: str, *, since: str | None = None) -> list[str]:
        """Every commit reachable from TIP and not from SINCE that changes something under FOLDER
        against its parent, on any line of history (--full-history: merges only where they
        differ from every parent); no date decides anything. Raises GitError if git fails."""
        out = self.git("log", "--format=%H", "--full-history", "--no-renames", _range(since, tip), "--", folder)
        return out.split()

    def commit_records(self, *tips: str, since: str | list[str] | None = None,
                       limit: int | None = None) -> list[CommitRecord]:
        """Sha, tree, parents and message of each commit reachable from TIPS and not from SINCE
        (one commit or several), newest first."""
        nots = [since] if isinstance(since, str) else list(since or [])
        revs = [*tips, "--not", *nots] if nots else list(tips)
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
        proc = run_git(args, self.root, input=clean_message(message), check=False)
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

    @classmethod
    def init_bare(cls, path: Path, branch: str = "main") -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", "--bare", "-b", branch, str(path)], None)
        return cls(path)

    def push_to(self, url: str, refspecs: list[str]) -> None:
        self.git("push", "-q", url, *refspecs)


def _range(since: str | None, tip: str) -> str:
    return f"{since}..{tip}" if since else tip
