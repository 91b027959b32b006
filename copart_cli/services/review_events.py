"""Review events: one empty-tree commit each on refs/copart/reviews/<member>/<id>, and what
sync does with them (join fetched event lines, fast-forward the user's own contribution
branches, the refspecs and forge options to push). See contributions.py for the contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from copart_cli.core.errors import CopartError
from copart_cli.core.model import iso, utcnow
from copart_cli.services.contributions import (
    CONTRIB_PREFIX, EMPTY_TREE, REMOTE_REVIEWS, REVIEWS_PREFIX, ZERO, Contribution, current_member, events_on,
    judge, parse_branch, tidy_worktree,
)
from copart_cli.services.signing import allowed_signers_file

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

def _backed(rep: Repertoire, owner: str, incoming: str, have: str | None) -> bool:
    """Whether every event INCOMING brings is one the roster backs: a forged line stays on the
    remote-tracking ref it came on (read, and shown as ignored), never joined into ours, which
    would carry it to a guarded hub that then refuses our pushes."""
    events = events_on(rep.git, incoming, since=have)
    judge(rep, [(owner, ev) for ev in events])
    return not any(ev.doubt for ev in events)


def _merge_event_ref(rep: Repertoire, name: str, incoming: str, sign: bool) -> None:
    git, local = rep.git, REVIEWS_PREFIX + name
    have = git.rev(local)
    if have != incoming and not (have and git.is_ancestor(incoming, have)) \
            and not _backed(rep, name.split("/", 1)[0], incoming, have):
        return
    if have is None:
        git.update_ref(local, incoming, ZERO)
    elif have == incoming or git.is_ancestor(incoming, have):
        return
    elif git.is_ancestor(have, incoming):
        git.update_ref(local, incoming, have)
    else:
        merge = git.make_commit(EMPTY_TREE, [have, incoming], "merge review events\n\nCopart-Event: merge\n", sign=sign)
        git.update_ref(local, merge, have)


def sync_refs(rep: Repertoire, remote: str) -> list[str]:
    """After sync fetched and integrated main: join fetched review events into the local ones,
    fast-forward the user's own contribution branches, tidy the work tree, and return the
    refspecs sync should push (never a force: diverged refs are left out)."""
    git = rep.git
    sign = git.signing_configured()
    remote_reviews = REMOTE_REVIEWS.format(remote=remote)
    for ref, sha in git.ref_map(remote_reviews).items():
        name = ref[len(remote_reviews):]
        if name.count("/") == 1:
            _merge_event_ref(rep, name, sha, sign)
    try:
        me = current_member(rep)
    except CopartError:
        me = None
    remote_contrib = f"refs/remotes/{remote}/contrib/"
    for ref, sha in git.ref_map(remote_contrib).items():
        name = "contrib/" + ref[len(remote_contrib):]
        parsed = parse_branch(name)
        if not parsed or parsed[0] != me:
            continue
        local = "refs/heads/" + name
        have = git.rev(local)
        if have is None:
            git.update_ref(local, sha, ZERO)
        elif have != sha and git.is_ancestor(have, sha):
            git.update_ref(local, sha, have)
    tidy_worktree(rep, me)
    allowed_signers_file(rep)  # main may have brought new members or keys
    remote_refs = git.ref_map(f"refs/remotes/{remote}/", f"refs/copart-remote/{remote}/")
    specs = []
    for ref, sha in sorted(git.ref_map(CONTRIB_PREFIX).items()):
        name = ref[len("refs/heads/"):]
        parsed = parse_branch(name)
        if not parsed or (me and parsed[0] != me):
            continue
        there = remote_refs.get(f"refs/remotes/{remote}/{name}")
        if there == sha or (there and not git.is_ancestor(there, sha)):
            continue
        specs.append(f"{ref}:{ref}")
    for ref, sha in sorted(git.ref_map(REVIEWS_PREFIX).items()):
        name = ref[len(REVIEWS_PREFIX):]
        there = remote_refs.get(remote_reviews + name)
        if there == sha or (there and not git.is_ancestor(there, sha)):
            continue
        specs.append(f"{ref}:{ref}")
    return specs


def push_options(rep: Repertoire, remote: str, refspecs: list[str]) -> list[str]:
    """Push options for a forge: GitLab opens a merge request for a new contribution branch. Sent
    only to a GitLab (by URL or `forge: gitlab`), and dropped for good where the server turns out
    not to advertise them."""
    url = rep.git.remote_url(remote) or ""
    forge = str(rep.config.raw.get("forge") or "")
    if forge != "gitlab" and "gitlab" not in url:
        return []
    if rep.git.config(f"remote.{remote}.copartPushOptions") == "false":
        return []  # this server said it takes none (GitRepo.push found out and remembered)
    if not any(s.startswith(CONTRIB_PREFIX) for s in refspecs):
        return []
    return ["merge_request.create", "merge_request.target=main"]


# -- events ---------------------------------------------------------------------------


def add_event(rep: Repertoire, c: Contribution, kind: str, text: str = "", *, target: str | None = None,
              merge: str | None = None, by: str | None = None) -> str:
    git = rep.git
    who = by or current_member(rep)
    ref = REVIEWS_PREFIX + c.key
    old = git.rev(ref)
    subject = f"{kind.replace('_', ' ')} {c.key}" + (f": {_one_line(text)}" if text else "")
    trailers = [f"Copart-Event: {kind}", f"Copart-Contribution: {c.key}", f"Copart-Version: {c.latest.n}",
                f"Copart-By: {who}", f"Copart-At: {iso(utcnow())}"]
    if target:
        trailers.append(f"Copart-Commit: {target}")
    if merge:
        trailers.append(f"Copart-Merge: {merge}")
    body = f"{subject}\n\n" + (f"{text.strip()}\n\n" if text.strip() else "") + "\n".join(trailers) + "\n"
    sha = git.make_commit(EMPTY_TREE, [old] if old else [], body, sign=git.signing_configured())
    git.update_ref(ref, sha, old or ZERO)
    return sha


def _one_line(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"

