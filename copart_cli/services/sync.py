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

import os
from collections.abc import Callable
from pathlib import Path

from copart_cli.services import conflicts
from copart_cli.core.errors import BadRemoteUrl, CopartError, RemoteRefused, RemoteUnreachable, SyncError, UsageError
from copart_cli.core.model import Problem, plural
from copart_cli.services.merging import Change, SyncResult, commit_outside_edits, describe, integrate
from copart_cli.services.repertoire import Repertoire

PUSH_ATTEMPTS = 7
BUNDLE_REMOTE = "bundle"


# -- helpers --------------------------------------------------------------------------


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
        from copart_cli.services.contributions import set_aside

        set_aside(rep)


def _review_refs(rep: Repertoire, remote: str) -> list[str]:
    """Under review: the contribution and review refs this sync pushes."""
    if not rep.reviewed:
        return []
    from copart_cli.services.review_events import sync_refs

    return list(sync_refs(rep, remote))


def _links_brought(rep: Repertoire, head: str, incoming: list[Change]) -> list[Problem]:
    """A partner's commit that brings a symbolic link: copart never follows it, and says so."""
    brought = {c.path for c in incoming if c.change != "removed"}
    links = rep.git.links_at(head) if brought else []
    return [Problem(p, 1, "is a symbolic link (brought by a partner's commit); copart does not follow links")
            for p in links if p in brought]


Warn = Callable[[str], None]  # the command passes ui.warn: a service reports, it never prints


def quiet(message: str) -> None:
    """No one listening: the warning is dropped."""


def refresh_index(rep: Repertoire, warn: Warn = quiet) -> str:
    """Bring the search index up to date (incremental: it follows the change, not the repertoire)."""
    from copart_cli.services import search

    rep.git.refresh_index()  # files were just checked out: later queries' `git status` stays fast
    try:
        state = search.ensure_index(rep)
    except CopartError as exc:
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
         bundle_out: Path | None = None, bundle_in: Path | None = None, warn: Warn = quiet) -> SyncResult:
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
        try:
            name = _pick_remote(rep, remote)
        except CopartError as exc:
            if remote is None and not git.remotes():
                _commit_only(rep, branch, exc)
            raise
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
        before = _news_before(rep, name) if bundle_out is None else None
        if bundle_out is not None:
            _write_bundle(rep, bundle_out, result)
        elif bundle_in is not None:
            _take_bundle(rep, bundle_in, branch, result, name or BUNDLE_REMOTE, warn)
        else:
            _round(rep, name, branch, push, result, warn)
        if before is not None:
            from copart_cli.services.review_news import arrived

            result.for_you = arrived(rep, name or BUNDLE_REMOTE, before)
    result.head = result.head or git.head()
    result.waiting = conflicts.find(rep.root)
    return result


def _commit_only(rep: Repertoire, branch: str, no_remote: CopartError) -> None:
    """No remote yet (a repertoire just made with init): the hand edits are committed all the
    same, since that half of sync needs no network; then NO_REMOTE, saying so."""
    result = SyncResult(mode="remote", remote=None, branch=branch)
    with rep.write_lock(wait_for_git=True):
        commit_outside_edits(rep, rep.pending_paths(), result)
    done = len(result.committed_paths)
    kept = f"; {plural(len(result.invalid), 'invalid entry', 'invalid entries')} left uncommitted (copart check names them)" \
        if result.invalid else ""
    raise CopartError(no_remote.message, hint=f"{plural(done, 'edit')} made outside copart committed here{kept}; "
                                              f"{no_remote.hint}")


def _news_before(rep: Repertoire, name: str | None) -> dict[str, str] | None:
    """Under review: the remote's contribution and review refs before the round (what is new for you after it)."""
    if not rep.reviewed:
        return None
    from copart_cli.services.review_news import snapshot

    return snapshot(rep, name or BUNDLE_REMOTE)


def _refspecs(name: str) -> list[str]:
    return [f"+refs/heads/*:refs/remotes/{name}/*", f"+refs/copart/*:refs/copart-remote/{name}/*"]


def _round(rep: Repertoire, name: str, branch: str, push: bool, result: SyncResult, warn: Warn) -> None:
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
            raise _refused(rep, start, tracking, result, exc, warn) from None
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
            from copart_cli.services.review_events import push_options

            options = push_options(rep, name, extra)
        try:
            rejected = git.push(name, refspecs, options=options)
        except RemoteUnreachable as exc:
            _offline(rep, tracking, exc, result)
            break
        except (RemoteRefused, BadRemoteUrl) as exc:
            raise _refused(rep, start, tracking, result, exc, warn) from None
        if not rejected:
            outgoing, count, _ = describe(rep, remote_head, head)
            result.outgoing.extend(outgoing)
            result.outgoing_commits += count
            result.pushed = head != remote_head
            result.extra_refs = extra
            # the remote-tracking ref now matches what we pushed
            if head != remote_head:
                git.update_ref(tracking, head, reason="copart sync: pushed")
                remote_head = head
            break
        if attempt < PUSH_ATTEMPTS - 1:
            _back_off(attempt)
        else:
            raise SyncError(f"{name} kept changing while we pushed ({PUSH_ATTEMPTS} tries); your commits are kept",
                            hint="run copart sync again in a moment")
    _finish(rep, start, tracking, result, warn, head, remote_head)


def _back_off(attempt: int) -> None:
    """After losing a push race: wait a random while (longer each time) so that partners who
    all synced at once do not keep colliding at the hub."""
    import random
    import time

    time.sleep(random.uniform(0, min(6.0, 0.25 * 2 ** attempt)))


def _finish(rep: Repertoire, start: str | None, tracking: str | None, result: SyncResult, warn: Warn,
            head: str | None = None, remote_head: str | None = None) -> None:
    git = rep.git
    head = head or git.head()
    result.head = head
    if head != start:
        # start..head holds only partners' commits: ours are all behind start
        result.incoming, result.incoming_commits, result.incoming_by = describe(rep, start, head)
        result.warnings.extend(_links_brought(rep, head, result.incoming))
        result.index = refresh_index(rep, warn)
    elif result.committed:
        result.index = refresh_index(rep, warn)
    if tracking and head and head == remote_head:
        result.local_commits = 0
    else:
        result.local_commits = _local_commits(rep, tracking) if tracking else 0


def _refused(rep: Repertoire, start: str | None, tracking: str, result: SyncResult, exc: CopartError,
             warn: Warn) -> CopartError:
    """The remote said no (waiting will not help): finish what came in, and say the work is kept."""
    _finish(rep, start, tracking, result, warn)
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


def _take_bundle(rep: Repertoire, path: Path, branch: str, result: SyncResult, name: str, warn: Warn) -> None:
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
    _finish(rep, start, tracking, result, warn)
