"""Offline-first sync between partners: `join`, `sync`, `status`, bundles.

One sync round, under the repertoire write lock:
1. commit the edits made outside copart (each entry checked first; an invalid one is
   reported and left uncommitted, so it is never pushed);
2. fetch `+refs/heads/*` and `+refs/copart/*` from the remote (or a bundle file);
3. integrate: a fast-forward, or a merge computed entirely in the object store
   (`git merge-tree`, then copart's key-by-key frontmatter merge for files both sides
   changed, conflict copies for what cannot be merged). The work tree only ever moves
   by a fast-forward to a finished commit: no rebase or merge is ever left half-done and
   no conflict marker is ever written;
4. push, and when a partner pushed first, fetch, integrate and push again;
5. bring the search index up to date, and report what came in and what went out.
A network failure at any step keeps every local commit; they go out next time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from copart_cli.services import conflicts
from copart_cli.core.errors import (BadRemoteUrl, CopartError, DiskFull, GitError, InvalidEntry, RemoteRefused,
                               RemoteUnreachable, SyncError, UsageError)
from copart_cli.adapters.files import guard, list_dir
from copart_cli.core.model import FOLDER_KINDS, Problem
from copart_cli.services.repertoire import CONFIG_FILE, Repertoire, problem_from

PUSH_ATTEMPTS = 5
BUNDLE_REMOTE = "bundle"


@dataclass
class Change:
    """One file that came in or went out."""

    path: str
    change: str  # added | changed | removed
    by: list[str] = field(default_factory=list)  # member ids (or git names) who touched it

    @property
    def id(self) -> str | None:
        if self.path.endswith(".md") and self.path.split("/", 1)[0] in FOLDER_KINDS and "/" in self.path:
            return self.path.rsplit("/", 1)[-1].removesuffix(".md")
        return None


@dataclass
class SyncResult:
    view = "sync"
    mode: str  # remote | bundle-out | bundle-in
    remote: str | None
    branch: str
    head: str | None = None
    committed: str | None = None  # the commit of outside edits, if any
    committed_paths: list[str] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)  # left uncommitted
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # untracked files outside the repertoire's folders
    incoming: list[Change] = field(default_factory=list)
    incoming_commits: int = 0
    incoming_by: list[str] = field(default_factory=list)
    outgoing: list[Change] = field(default_factory=list)
    outgoing_commits: int = 0
    pushed: bool = False
    extra_refs: list[str] = field(default_factory=list)  # contribution/review refs pushed too
    merged: list[str] = field(default_factory=list)  # files both sides changed, merged cleanly
    kept: list[str] = field(default_factory=list)  # edited on one side, removed on the other: kept
    renamed: list[tuple[str, str]] = field(default_factory=list)  # same new id on both sides
    new_conflicts: list[conflicts.ConflictCopy] = field(default_factory=list)
    waiting: list[conflicts.ConflictCopy] = field(default_factory=list)  # all conflict copies now present
    offline: bool = False
    offline_reason: str = ""
    local_commits: int = 0  # commits not yet on the remote (after the run)
    bundle: str | None = None
    index: str = "unchanged"  # updated | unchanged | unavailable

    @property
    def exit_code(self) -> int:
        return 3 if (self.offline or self.new_conflicts) else 0


# -- helpers --------------------------------------------------------------------------


def _member_of(rep: Repertoire, email: str, name: str) -> str:
    from copart_cli.core import ids

    try:
        member = rep.member_for_email(email)
    except CopartError:
        member = None
    return member.id if member else (ids.slugify(name) or "someone")


def _preflight(rep: Repertoire) -> str:
    """The branch to sync; clear errors for states copart will not touch."""
    git = rep.git
    doing = git.operation_in_progress()
    if doing:
        raise SyncError(
            f"a {doing} is in progress in this repository (left by another tool); copart will not sync over it",
            hint=f"finish it with: git {doing} --continue, or cancel it with: git {doing} --abort",
        )
    branch = git.current_branch()
    if branch is None:
        if git.head() is None:
            raise CopartError("this repository has no commits yet", hint="copart init creates the first one")
        raise CopartError("HEAD is detached (not on a branch); copart syncs a branch",
                          hint="go back to your branch first, e.g.: git switch main")
    if branch.startswith("-") or not git.valid_ref_name(branch):
        raise CopartError(f"the current branch name '{branch}' is not one copart can sync",
                          hint="rename it, e.g.: git branch -m -- main")
    git.identity()
    return branch


def _pick_remote(rep: Repertoire, given: str | None) -> str:
    git = rep.git
    remotes = git.remotes()
    if given is not None:
        if given.startswith("-") or not git.valid_ref_name(given):
            raise UsageError(f"'{given}' is not a remote name")
        if given not in remotes:
            known = ", ".join(remotes) or "none"
            raise CopartError(f"there is no remote named '{given}' (known: {known})",
                              hint=f"add it with: git remote add {given} URL")
        return given
    try:
        default = rep.config.default_remote
    except CopartError:
        default = "origin"
    if default in remotes:
        return default
    if len(remotes) == 1:
        return remotes[0]
    if not remotes:
        raise CopartError("this repertoire has no remote to sync with",
                          hint="add one with: git remote add origin URL (or use --bundle FILE to sync by file)")
    raise CopartError(f"several remotes and none is '{default}': {', '.join(remotes)}",
                      hint="choose one with --remote NAME, or set default_remote in copart.yaml")


def _set_aside(rep: Repertoire) -> None:
    """Under review: take pending files already on their contribution branch out of the way of main."""
    if rep.reviewed:
        from copart_cli.services.review import set_aside

        set_aside(rep)


def _review_refs(rep: Repertoire, remote: str) -> list[str]:
    """Under review: the contribution and review refs this sync pushes."""
    if not rep.reviewed:
        return []
    from copart_cli.services.review import sync_refs

    return list(sync_refs(rep, remote))


# -- 1. edits made outside copart --------------------------------------------------------


UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}  # git status codes of a conflict git left in the index


def commit_outside_edits(rep: Repertoire, exclude: set[str], result: SyncResult) -> None:
    """Commit what was changed by hand (after checking it); invalid entries stay uncommitted."""
    git = rep.git
    todo: list[str] = []
    entries = git.status_entries(refresh=True)
    unmerged = [path for code, path in entries if code in UNMERGED]
    if unmerged:  # e.g. a `git stash pop` that conflicted: the files hold git's conflict markers
        more = f" and {len(unmerged) - 1} more" if len(unmerged) > 1 else ""
        raise SyncError(f"{unmerged[0]}{more} has a conflict left by another git command; copart will not commit it",
                        hint=f"edit out the <<<<<<< >>>>>>> lines, then: git add -- {unmerged[0]} (or undo it: "
                             f"git checkout -m -- {unmerged[0]})")
    for code, path in entries:
        if path in exclude:
            continue
        untracked = code == "??"
        top = path.split("/", 1)[0]
        in_repertoire = top in FOLDER_KINDS or path == CONFIG_FILE or top == ".copart" or path == ".gitignore"
        if untracked and not in_repertoire:
            result.skipped.append(path)
            continue
        full = rep.root / path
        if not os.path.lexists(full):
            todo.append(path)  # a deletion
            continue
        try:
            guard(full, path.rstrip("/"))  # a link is never committed: on partners' machines it would point anywhere
        except InvalidEntry as exc:
            result.invalid.append(problem_from(exc, path))
            continue
        name = path.rsplit("/", 1)[-1]
        if top in FOLDER_KINDS and path.count("/") == 1 and name.endswith(".md") and not conflicts.is_copy(path):
            from copart_cli.services.validate import structural_problems

            try:
                entry = rep.load(path)
            except InvalidEntry as exc:
                result.invalid.append(problem_from(exc, path))
                continue
            found = structural_problems(entry)
            if found:
                result.invalid.extend(found)
                continue
        elif path == CONFIG_FILE:
            from copart_cli.services.repertoire import Config

            try:
                Config.load(full)
            except InvalidEntry as exc:
                result.invalid.append(problem_from(exc, path))
                continue
        todo.append(path)
    if not todo:
        return
    shown = "\n".join(f"- {p}" for p in todo[:50]) + (f"\n- … and {len(todo) - 50} more" if len(todo) > 50 else "")
    message = f"copart sync: commit {len(todo)} edit(s) made outside copart\n\n{shown}"
    result.committed = rep.commit(todo, message)  # the write door: under review, a contribution
    result.committed_paths = todo


# -- 3. integrating ---------------------------------------------------------------------


def integrate(rep: Repertoire, theirs_ref: str, label: str, result: SyncResult,
              ours: str | None = None) -> tuple[str | None, str | None]:
    """Bring `theirs_ref` into the current branch: fast-forward, or a merge commit made off to the side.

    Returns (the branch's commit now, theirs).
    """
    git = rep.git
    ours = ours or git.head()
    theirs = git.rev(theirs_ref)
    if theirs is None or ours is None or theirs == ours or git.is_ancestor(theirs, ours):
        return ours, theirs
    if git.is_ancestor(ours, theirs):
        _move_to(rep, theirs)
        return theirs, theirs
    base = git.merge_base(ours, theirs)
    if base is None:
        raise CopartError(f"{label} has unrelated history: it is not a copy of this repertoire; nothing was changed",
                          hint="check the remote's URL with: git remote -v")
    merge = git.merge_trees(ours, theirs)
    both = {p for s, p in git.name_status(base, ours)} & {p for s, p in git.name_status(base, theirs)}
    both |= set(merge.conflicts)
    taken = set(git.tree_paths(merge.tree)) if both else set()
    identity = git.identity()
    who = _member_of(rep, identity.email, identity.name)
    when = conflicts.stamp()
    changes: dict[str, tuple[str, str] | None] = {}
    notes: list[str] = []
    for path in sorted(both):
        b, o, t = git.file_at(base, path), git.file_at(ours, path), git.file_at(theirs, path)
        mode = "100644"
        for stage in (3, 2, 1):
            if stage in merge.conflicts.get(path, {}):
                mode = merge.conflicts[path][stage][0]
                break
        if mode not in ("100644", "100755"):
            continue  # symlinks, submodules: git's own result stands
        new_id = _renamed_id(path, b, o, t, taken)
        if new_id:
            new_path = f"{path.rsplit('/', 1)[0]}/{new_id}.md"
            changes[path] = (mode, git.hash_blob(t))
            changes[new_path] = (mode, git.hash_blob(_with_id(o, new_id)))
            taken.add(new_path)
            result.renamed.append((path, new_path))
            notes.append(f"renamed our new {path} to {new_path} (the same id was taken on {label})")
            continue
        fm = conflicts.merge_file(path, b, o, t, git.merge_text)
        changes[path] = None if fm.content is None else (mode, git.hash_blob(fm.content))
        if fm.note == "merged":
            result.merged.append(path)
        elif fm.note == "kept-edit":
            result.kept.append(path)
            notes.append(f"kept {path}: changed on one side, removed on the other")
        if fm.copy is not None:
            copy = conflicts.copy_path(path, who, when)
            changes[copy] = (mode, git.hash_blob(fm.copy))
            taken.add(copy)
            c = conflicts.parse_copy(copy)
            assert c is not None
            result.new_conflicts.append(c)
            notes.append(f"conflict on {path}: {label}'s version kept, ours saved as {copy}")
    tree = git.tree_with(merge.tree, changes) if changes else merge.tree
    message = f"copart sync: merge {label}\n" + ("\n" + "\n".join(f"- {n}" for n in notes) + "\n" if notes else "")
    commit = git.commit_tree(tree, [ours, theirs], message)
    _move_to(rep, commit)
    return commit, theirs


def _move_to(rep: Repertoire, commit: str) -> None:
    try:
        rep.fast_forward(commit)
    except DiskFull:
        raise  # the work tree is put back as it was; exit 1, not a conflict nor offline
    except GitError as exc:
        raise SyncError(exc.message + "; nothing was changed",
                        hint="commit or fix those files (copart check), then sync again") from None


def _renamed_id(path: str, b: bytes | None, o: bytes | None, t: bytes | None, taken: set[str]) -> str | None:
    """Two different new entries with the same id: a fresh id for ours."""
    from copart_cli.core import ids

    folder, _, name = path.rpartition("/")
    if b is not None or o is None or t is None or o == t or folder not in FOLDER_KINDS or not name.endswith(".md"):
        return None
    if conflicts.is_copy(path):
        return None
    stem = name.removesuffix(".md")
    taken_ids = {p.rsplit("/", 1)[-1].removesuffix(".md") for p in taken if p.split("/", 1)[0] in FOLDER_KINDS}
    return ids.unique(stem, lambda c: c in taken_ids)


def _with_id(data: bytes, new_id: str) -> bytes:
    from copart_cli.core import frontmatter

    text = data.decode("utf-8", "replace")
    try:
        parts = frontmatter.split(text)
        meta = frontmatter.load(parts.frontmatter)
    except InvalidEntry:
        return data
    if "id" not in meta:
        return data
    return (parts.head + frontmatter.update(parts.frontmatter, {"id": new_id}) + parts.tail).encode("utf-8")


# -- reporting --------------------------------------------------------------------------


def _describe(rep: Repertoire, old: str | None, new: str | None) -> tuple[list[Change], int, list[str]]:
    """The files that changed from old to new, who changed them, and how many commits."""
    if not new or old == new:
        return [], 0, []
    git = rep.git
    rng = f"{old}..{new}" if old else new
    commits = git.history(rev=rng)
    by_path: dict[str, list[str]] = {}
    people: list[str] = []
    cache: dict[tuple[str, str], str] = {}
    for c in commits:
        key = (c.author_email, c.author_name)
        if key not in cache:
            cache[key] = _member_of(rep, c.author_email, c.author_name)
        who = cache[key]
        if who not in people:
            people.append(who)
        for _, path in c.changes:
            names = by_path.setdefault(path, [])
            if who not in names:
                names.append(who)
    if old:
        status = git.name_status(old, new)
    else:
        status = [("A", p) for p in git.tree_paths(new)]
    kinds = {"A": "added", "D": "removed"}
    changes = [Change(p, kinds.get(s, "changed"), by_path.get(p, [])) for s, p in status if not p.endswith(".gitkeep")]
    return changes, len(commits), people


def _links_brought(rep: Repertoire, head: str, incoming: list[Change]) -> list[Problem]:
    """A partner's commit that brings a symbolic link: copart never follows it, and says so."""
    brought = {c.path for c in incoming if c.change != "removed"}
    links = rep.git.links_at(head) if brought else []
    return [Problem(p, 1, "is a symbolic link (brought by a partner's commit); copart does not follow links")
            for p in links if p in brought]


def _refresh_index(rep: Repertoire) -> str:
    """Bring the search index up to date (incremental: it follows the change, not the repertoire)."""
    from copart_cli.services import search

    rep.git.refresh_index()  # files were just checked out: later queries' `git status` stays fast
    try:
        state = search.ensure_index(rep)
    except CopartError as exc:
        from copart_cli.ui import warn

        warn(f"the search index could not be updated: {exc.message} (it catches up at the next search)")
        return "unavailable"
    return "unchanged" if state.action == "current" else state.action


def _local_commits(rep: Repertoire, tracking: str | None) -> int:
    git = rep.git
    if tracking and git.rev(tracking):
        return git.ahead_behind("HEAD", tracking)[0]
    return git.count_commits("HEAD")


# -- the round --------------------------------------------------------------------------


def sync(rep: Repertoire, *, remote: str | None = None, push: bool = True,
         bundle_out: Path | None = None, bundle_in: Path | None = None) -> SyncResult:
    branch = _preflight(rep)
    git = rep.git
    if bundle_out is not None and bundle_in is not None:
        raise UsageError("give --bundle or --from-bundle, not both")
    if bundle_out is not None:
        mode, name = "bundle-out", None
    elif bundle_in is not None:
        mode, name = "bundle-in", BUNDLE_REMOTE
        if not bundle_in.is_file():
            raise CopartError(f"no bundle at {bundle_in}")
    else:
        name = _pick_remote(rep, remote)
        bundle_in = git.bundle_remote(name)  # joined from a bundle: refresh from it, never push into it
        mode = "remote" if bundle_in is None else "bundle-in"
        if bundle_in is not None and not bundle_in.is_file():
            raise CopartError(f"{name} is the bundle {bundle_in}, which is not there now",
                              hint="plug in the disk that holds it, take a newer one in with: copart sync "
                                   "--from-bundle FILE, or write yours for partners with: copart sync --bundle FILE")
        if bundle_in is None:
            from copart_cli.adapters.gitrepo import check_address  # git refuses other transports; this says so

            check_address(git.remote_url(name) or "")
    result = SyncResult(mode=mode, remote=name, branch=branch)
    with rep.write_lock(wait_for_git=True):
        commit_outside_edits(rep, rep.pending_paths(), result)
        if bundle_out is not None:
            _write_bundle(rep, bundle_out, result)
        elif bundle_in is not None:
            _take_bundle(rep, bundle_in, branch, result, name or BUNDLE_REMOTE)
        else:
            _round(rep, name, branch, push, result)
    result.head = result.head or git.head()
    result.waiting = conflicts.find(rep.root)
    return result


def _refspecs(name: str) -> list[str]:
    return [f"+refs/heads/*:refs/remotes/{name}/*", f"+refs/copart/*:refs/copart-remote/{name}/*"]


def _round(rep: Repertoire, name: str, branch: str, push: bool, result: SyncResult) -> None:
    git = rep.git
    tracking = f"refs/remotes/{name}/{branch}"
    start = head = git.head()  # not result.committed: under review that is a contribution, not main
    remote_head: str | None = None
    for attempt in range(PUSH_ATTEMPTS):
        try:
            git.fetch(name, _refspecs(name))
        except RemoteUnreachable as exc:
            _offline(rep, tracking, exc, result)
            break
        except (RemoteRefused, BadRemoteUrl) as exc:
            raise _refused(rep, start, tracking, result, exc) from None
        _record_fetch(rep, name)
        _set_aside(rep)
        extra: list[str] = []
        try:
            head, remote_head = integrate(rep, tracking, f"{name}/{branch}", result, ours=head)
        finally:
            extra = _review_refs(rep, name)
        if not push:
            break
        refspecs = [f"refs/heads/{branch}:refs/heads/{branch}"] if head != remote_head else []
        refspecs += extra
        if not refspecs:
            break
        options: list[str] = []
        if extra:  # a forge (GitLab) may open a merge request for a new contribution branch
            from copart_cli.services.review import push_options

            options = push_options(rep, name, extra)
        try:
            rejected = git.push(name, refspecs, options=options)
        except RemoteUnreachable as exc:
            _offline(rep, tracking, exc, result)
            break
        except (RemoteRefused, BadRemoteUrl) as exc:
            raise _refused(rep, start, tracking, result, exc) from None
        if not rejected:
            outgoing, count, _ = _describe(rep, remote_head, head)
            result.outgoing.extend(outgoing)
            result.outgoing_commits += count
            result.pushed = head != remote_head
            result.extra_refs = extra
            # the remote-tracking ref now matches what we pushed
            if head != remote_head:
                git.git("update-ref", tracking, head)
                remote_head = head
            break
        if attempt == PUSH_ATTEMPTS - 1:
            raise SyncError(f"{name} kept changing while we pushed ({PUSH_ATTEMPTS} tries); your commits are kept",
                            hint="run copart sync again in a moment")
    _finish(rep, start, tracking, result, head, remote_head)


def _finish(rep: Repertoire, start: str | None, tracking: str | None, result: SyncResult,
            head: str | None = None, remote_head: str | None = None) -> None:
    git = rep.git
    head = head or git.head()
    result.head = head
    if head != start:
        # start..head holds only partners' commits: ours are all behind start
        result.incoming, result.incoming_commits, result.incoming_by = _describe(rep, start, head)
        result.warnings.extend(_links_brought(rep, head, result.incoming))
        result.index = _refresh_index(rep)
    elif result.committed:
        result.index = _refresh_index(rep)
    if tracking and head and head == remote_head:
        result.local_commits = 0
    else:
        result.local_commits = _local_commits(rep, tracking) if tracking else 0


def _refused(rep: Repertoire, start: str | None, tracking: str, result: SyncResult, exc: CopartError) -> CopartError:
    """The remote said no (waiting will not help): finish what came in, and say the work is kept."""
    _finish(rep, start, tracking, result)
    n = result.local_commits
    kept = f"your {n} local commit{'s are' if n != 1 else ' is'} kept" if n else "your work is kept"
    exc.hint = f"{exc.hint}; {kept}" if exc.hint else kept
    return exc


def _offline(rep: Repertoire, tracking: str, exc: RemoteUnreachable, result: SyncResult) -> None:
    result.offline = True
    result.offline_reason = exc.message


def _record_fetch(rep: Repertoire, name: str) -> None:
    from copart_cli.core.model import iso, utcnow

    try:
        (rep.state_dir / f"last-fetch-{name.replace('/', '_')}").write_text(iso(utcnow()) or "", encoding="utf-8")
    except OSError:
        pass


def _write_bundle(rep: Repertoire, path: Path, result: SyncResult) -> None:
    git = rep.git
    path = path.expanduser()
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name for the bundle, e.g. {path}/4xp.bundle")
    revs = [f"refs/heads/{result.branch}", *git.refs("refs/copart/"),
            *[r for r in git.refs("refs/heads/") if r != f"refs/heads/{result.branch}"]]
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        git.bundle_create(tmp.resolve(), revs)
        os.replace(tmp, path)
    except OSError as exc:
        raise CopartError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    result.bundle = str(path)
    result.outgoing_commits = git.count_commits("HEAD")


def _take_bundle(rep: Repertoire, path: Path, branch: str, result: SyncResult, name: str = BUNDLE_REMOTE) -> None:
    """Fetch a bundle into refs/remotes/NAME/* and integrate it (`--from-bundle`, or a remote that is a bundle)."""
    git = rep.git
    heads = git.bundle_heads(path.resolve())
    if f"refs/heads/{branch}" not in heads:
        raise CopartError(f"{path} does not carry the branch '{branch}' (it has: {', '.join(heads) or 'nothing'})")
    start = git.head()
    git.fetch(str(path.resolve()), _refspecs(name))
    result.bundle = str(path)
    _set_aside(rep)
    tracking = f"refs/remotes/{name}/{branch}"
    try:
        integrate(rep, tracking, f"the bundle {path.name}", result)
    finally:
        _review_refs(rep, name)
    _finish(rep, start, tracking, result)


# -- join -------------------------------------------------------------------------------


@dataclass
class JoinResult:
    view = "sync"
    path: Path
    url: str
    name: str
    entries: int
    head: str | None
    member: str | None  # the member profile matching your git email
    email: str | None
    index: str


def join(url: str, dest: Path | None, branch: str | None = None) -> JoinResult:
    from copart_cli.adapters.gitnet import is_bundle, mask_url
    from copart_cli.adapters.gitrepo import GitRepo

    if not url or url.startswith("-"):
        raise UsageError(f"'{url}' is not a repository URL")
    if branch is not None and (branch.startswith("-") or not GitRepo.valid_ref_name(branch)):
        raise UsageError(f"'{branch}' is not a branch name")
    local = Path(url).expanduser()
    if local.exists():
        url = str(local.resolve())
    if dest is None:
        stem = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git").removesuffix(".bundle")
        dest = Path(stem or "repertoire")
    dest = dest.expanduser()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CopartError(f"{dest} already exists and is not empty; nothing was changed",
                          hint="give another folder: copart join URL DIR")
    created = not dest.exists()
    shown = mask_url(url)
    try:
        try:
            GitRepo.clone(url, dest, branch=branch)
        except BadRemoteUrl as exc:
            exc.hint = f"{exc.hint}; nothing was created"
            raise
        except RemoteUnreachable as exc:
            raise RemoteUnreachable(f"cannot clone {shown}: {exc.message}",
                                    hint="check the URL and your network; nothing was created") from None
        except RemoteRefused as exc:
            raise RemoteRefused(f"cannot clone {shown}: {exc.message}",
                                hint=f"{exc.hint}; nothing was created") from None
        if not (dest / CONFIG_FILE).is_file():
            raise CopartError(f"{shown} is not a repertoire (no {CONFIG_FILE} at its top); nothing was kept",
                              hint="ask your partners for the repertoire's URL")
        rep = Repertoire(dest.resolve())
        if is_bundle(url):  # so that sync knows, even while the disk that holds it is away
            rep.git.set_config("remote.origin.copartBundle", "true")
        try:
            name = rep.config.name
        except CopartError as exc:
            raise CopartError(f"{shown} has a {CONFIG_FILE} copart cannot read: {exc.message}") from None
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in list(dest.iterdir()):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        raise
    index = _refresh_index(rep)
    member = email = None
    try:
        ident = rep.git.identity()
        email = ident.email
        m = rep.member_for_email(ident.email)
        member = m.id if m else None
    except CopartError:
        pass
    return JoinResult(path=rep.root, url=shown, name=name, entries=sum(1 for _ in rep.entry_paths()),
                      head=rep.git.head(), member=member, email=email, index=index)


# -- status -------------------------------------------------------------------------------


@dataclass
class RemoteState:
    name: str
    url: str | None
    ahead: int | None  # local commits not on the remote (as of the last fetch); None: never fetched
    behind: int | None
    last_fetch: str | None


@dataclass
class StatusResult:
    view = "sync"
    path: Path
    branch: str | None
    head: str | None
    operation: str | None  # a rebase/merge another tool left in progress
    changes: list[tuple[str, str]]  # (added|modified|removed|untracked, path)
    invalid: list[Problem]
    remotes: list[RemoteState]
    conflicts: list[conflicts.ConflictCopy]
    index: dict
    open_asks: int
    review: str


def status(rep: Repertoire) -> StatusResult:
    from copart_cli.adapters.gitnet import mask_url
    from copart_cli.services.validate import structural_problems

    git = rep.git
    branch = git.current_branch()
    head = git.head()
    changes: list[tuple[str, str]] = []
    invalid: list[Problem] = []
    pending = rep.pending_paths()
    for code, path in git.status_entries():
        state = ("pending" if path in pending else "untracked" if code == "??" else "removed" if "D" in code
                 else "added" if "A" in code else "modified")
        changes.append((state, path))
        top = path.split("/", 1)[0]
        if (state != "removed" and top in FOLDER_KINDS and path.count("/") == 1 and path.endswith(".md")
                and not conflicts.is_copy(path)):
            try:
                found = structural_problems(rep.load(path))
            except InvalidEntry as exc:
                found = [problem_from(exc, path)]
            invalid.extend(found)
    remotes = []
    for name in git.remotes():
        tracking = f"refs/remotes/{name}/{branch}" if branch else None
        ahead = behind = None
        if tracking and head and git.rev(tracking):
            ahead, behind = git.ahead_behind("HEAD", tracking)
        elif head and branch:
            ahead = None
        stamp_file = rep.state_dir / f"last-fetch-{name.replace('/', '_')}"
        last = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.is_file() else None
        url = git.remote_url(name)
        remotes.append(RemoteState(name, url and mask_url(url), ahead, behind, last))
    open_asks = 0
    with contextlib.suppress(InvalidEntry):  # a linked asks/ is never read
        for name in list_dir(rep.root / "asks", "asks"):
            if name.endswith(".md") and not conflicts.is_copy(name):
                try:
                    if str(rep.load(f"asks/{name}").meta.get("status", "open")) == "open":
                        open_asks += 1
                except InvalidEntry:
                    continue
    try:
        review = rep.config.review
    except CopartError:
        review = "open"
    return StatusResult(path=rep.root, branch=branch, head=head, operation=git.operation_in_progress(),
                        changes=changes, invalid=invalid, remotes=remotes, conflicts=conflicts.find(rep.root),
                        index=_index_state(rep, head), open_asks=open_asks, review=review)


def _index_state(rep: Repertoire, head: str | None) -> dict:
    """{"fresh": bool|None, "commit": str|None}: whether the search index reflects HEAD (None: not built)."""
    from copart_cli.services import search

    try:
        stamp = search.store_for(rep).stamp()
    except (CopartError, OSError):
        return {"fresh": None, "commit": None}
    if not stamp:
        return {"fresh": None, "commit": None}
    return {"fresh": stamp.get("commit") == head, "commit": stamp.get("commit")}


# -- resolve -----------------------------------------------------------------------------


def resolve(rep: Repertoire, target: str, keep: str, copy: str | None = None, editor=None) -> conflicts.ResolveResult:
    """Settle a conflict: keep the entry as it is, take the copy, or combine both; clear the copies."""
    from copart_cli.adapters.files import atomic_write, read_text
    from copart_cli.services.validate import structural_problems

    if keep not in ("entry", "copy", "both"):
        raise UsageError(f"--keep must be entry, copy or both, not '{keep}'")
    path, copies = conflicts.copies_for(rep.root, target)
    if not copies:
        raise CopartError(f"no conflict waiting for '{target}'", hint="see the conflicts with: copart status")
    rep.git.identity()
    chosen = copies
    if copy is not None:
        chosen = [c for c in copies if c.copy == copy or c.copy.rsplit("/", 1)[-1] == copy]
        if not chosen:
            raise UsageError(f"'{copy}' is not a conflict copy of {path}",
                             hint="copies: " + ", ".join(c.copy for c in copies))
    if keep == "copy" and len(chosen) > 1:
        raise UsageError(f"{path} has {len(chosen)} conflict copies; say which with --copy NAME",
                         hint="copies: " + ", ".join(c.copy for c in chosen))
    full = rep.root / path
    current = read_text(full, path) if full.exists() else None
    if keep == "entry":
        text = current
    elif keep == "copy":
        text = read_text(rep.root / chosen[0].copy, chosen[0].copy)
    else:
        text = current or ""
        for c in chosen:
            text = conflicts.combine(text, read_text(rep.root / c.copy, c.copy)) if text else read_text(rep.root / c.copy, c.copy)
    before = current
    if text is not None and text != current:
        atomic_write(full, text, path)
    if editor is not None and text is not None:
        editor(full)
        text = read_text(full, path)
    if text is not None and conflicts.has_markers(text.encode("utf-8")):
        raise CopartError(f"{path} still has conflict markers (<<<<<<< or >>>>>>>)", hint=f"edit them out, then run: copart resolve {target} --keep entry")
    if text is not None and path.endswith(".md") and path.split("/", 1)[0] in FOLDER_KINDS:
        try:
            found = structural_problems(rep.load(path))
        except InvalidEntry as exc:
            found = [problem_from(exc, path)]
        if found:
            if before is not None and text != before:
                atomic_write(full, before, path)
            raise InvalidEntry(f"the result would not be a valid entry: {found[0]}; nothing was changed",
                               hint="choose another --keep, or fix the copy first")
    cleared = [c.copy for c in chosen]
    for c in chosen:
        (rep.root / c.copy).unlink(missing_ok=True)
    paths = cleared + ([path] if text is not None else [])
    message = f"copart resolve: {path} (kept {keep})\n\n" + "\n".join(f"- cleared {c}" for c in cleared)
    commit = rep.commit(paths, message)
    return conflicts.ResolveResult(path=path, kept=keep, cleared=cleared, commit=commit)
