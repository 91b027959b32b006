"""Contributions as merge requests: how they are stored, read, and written by the write door.

Under `review: coordinators` (copart.yaml) every entry write lands on a contribution
branch `refs/heads/contrib/<member>/<id>/v<N>` instead of main, written with plumbing
(a temporary index, commit-tree, update-ref): the user never switches branches and HEAD,
the index and main stay as they were. The work tree keeps the written file, so the
partner goes on seeing (and editing) their pending entry; `Repertoire.load` marks it
`pending` because its path is in `pending_paths()`.

Review events (comments and decisions) are one commit each, with an empty tree, on
`refs/copart/reviews/<member>/<id>`. Two people who added events offline have diverged
refs; `sync_refs` joins them with a merge commit (empty trees never conflict), git-bug
style. A contribution's state is computed from its events and its versions.

Contract with sync (services/sync.py, which imports set_aside, sync_refs and push_options from
review.py; the last two live in review_events.py):
- `pending_paths(rep)`: work-tree paths sync must not commit to main.
- `set_aside(rep)`: before integrating main, sync may call this to take pending files that
  are safely stored on their contribution branch out of the work tree (git refuses to
  fast-forward over them); `sync_refs` puts them back.
- `sync_refs(rep, remote)`: after sync fetched (`+refs/copart/*:refs/copart-remote/<remote>/*`,
  `+refs/heads/*:refs/remotes/<remote>/*`) and integrated main: integrate fetched review
  events and the user's own contribution branches; return the refspecs to push.
- `push_options(rep, remote, refspecs)`: `-o` options for a forge (GitLab opens merge
  requests for new contribution branches).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.core import ids
from copart_cli.core.errors import CopartError, InvalidEntry, NotFound, UsageError
from copart_cli.core.model import EPOCH, as_datetime
from copart_cli.services.signing import allowed_signers_file, main_rev, roster_at, signer

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

CONTRIB_PREFIX = "refs/heads/contrib/"
REVIEWS_PREFIX = "refs/copart/reviews/"
REMOTE_REVIEWS = "refs/copart-remote/{remote}/reviews/"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40
_BRANCH = re.compile(r"^contrib/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)/v([1-9][0-9]{0,5})$")
EVENT_TYPES = ("comment", "request_changes", "accept", "reject", "withdraw", "revise", "merge")
DECISIONS = ("request_changes", "accept", "reject", "withdraw")
COORDINATOR_EVENTS = ("request_changes", "accept", "reject")
STATES = ("pending", "changes_requested", "accepted", "rejected", "withdrawn")


# -- values -------------------------------------------------------------------------


@dataclass
class Version:
    n: int
    ref: str  # where its tip was found (local branch preferred)
    tip: str


@dataclass
class Event:
    commit: str
    type: str
    by: str
    at: dt.datetime | None
    version: int | None = None
    text: str = ""
    target: str | None = None  # the contribution commit a decision was about
    merge: str | None = None  # the merge commit on main (accept)
    doubt: str = ""  # why the roster on main does not back it: such an event counts for nothing


@dataclass
class Contribution:
    member: str
    id: str
    versions: list[Version] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    state: str = "pending"
    paths: list[str] = field(default_factory=list)
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    merged_outside: bool = False  # main holds its tip, merged by something else than `review accept` (a forge)

    @property
    def key(self) -> str:
        return f"{self.member}/{self.id}"

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def open(self) -> bool:
        return self.state in ("pending", "changes_requested")

    @property
    def entry_ids(self) -> list[str]:
        return [ids.of_path(p) for p in self.paths]


# -- who am I -------------------------------------------------------------------------


def current_member(rep: Repertoire) -> str:
    """The member id of the person at the keyboard (profile by git email, else a slug of the name)."""
    identity = rep.git.identity()
    member = rep.member_for_email(identity.email)
    if member:
        return member.id
    return ids.slugify(identity.name) or "unknown"


# -- reading contributions ------------------------------------------------------------


def parse_branch(name: str) -> tuple[str, str, int] | None:
    m = _BRANCH.match(name)
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def _branches(git, include_remote: bool = True) -> dict[tuple[str, str], dict[int, Version]]:
    """(member, id) -> {n: Version}; local branches win over remote-tracking ones unless behind."""
    found: dict[tuple[str, str], dict[int, Version]] = {}
    patterns = [CONTRIB_PREFIX] + (["refs/remotes/"] if include_remote else [])
    refs = git.ref_map(*patterns)
    for ref, sha in sorted(refs.items(), key=lambda kv: not kv[0].startswith(CONTRIB_PREFIX)):
        if ref.startswith(CONTRIB_PREFIX):
            name = ref[len("refs/heads/"):]
        else:
            rest = ref[len("refs/remotes/"):]
            if "/contrib/" not in rest:
                continue
            name = rest.split("/", 1)[1]
        parsed = parse_branch(name)
        if not parsed:
            continue
        member, cid, n = parsed
        versions = found.setdefault((member, cid), {})
        have = versions.get(n)
        if have is None:
            versions[n] = Version(n, ref, sha)
        elif have.tip != sha and git.is_ancestor(have.tip, sha):
            versions[n] = Version(n, ref, sha)  # the remote has moved on (another clone of the author)
    return found


def trailers(message: str) -> dict[str, str]:
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found = {}
    for line in paragraphs[-1].splitlines():
        k, sep, v = line.partition(":")
        if sep and k.strip():
            found[k.strip().lower()] = v.strip()
    return found


def parse_event(commit: str, message: str) -> Event | None:
    """An event from its commit message; None for anything that is not one."""
    t = trailers(message)
    kind = t.get("copart-event")
    if kind not in EVENT_TYPES:
        return None
    paragraphs = [p for p in message.strip().split("\n\n")]
    text = "\n\n".join(paragraphs[1:-1]).strip() if len(paragraphs) > 2 else ""
    version = t.get("copart-version")
    return Event(
        commit=commit,
        type=kind,
        by=t.get("copart-by", ""),
        at=as_datetime(t.get("copart-at", "")),
        version=int(version) if version and version.isdigit() else None,
        text=text,
        target=t.get("copart-commit"),
        merge=t.get("copart-merge"),
    )


def _review_refs(git, member: str, cid: str) -> list[str]:
    tail = f"reviews/{member}/{cid}"
    refs = [r for r in git.ref_map(REVIEWS_PREFIX + f"{member}/{cid}", "refs/copart-remote/")
            if r.endswith("/" + tail) and (r.startswith(REVIEWS_PREFIX) or r.startswith("refs/copart-remote/"))]
    return refs


def events_on(git, *tips: str, since: str | list[str] | None = None) -> list[Event]:
    """The review events on TIPS (those not on SINCE, one commit or several), oldest first;
    merges of event lines left out."""
    if not tips:
        return []
    events = []
    for rec in git.commit_records(*tips, since=since):
        if len(rec.parents) > 1:
            continue  # a merge of concurrent event lines
        ev = parse_event(rec.sha, rec.message)
        if ev and ev.type != "merge":
            events.append(ev)
    # git log lists a child before its parent: reversed, each line of events is in the order
    # it was written, and the stable sort keeps that order for events in the same second.
    events.reverse()
    events.sort(key=lambda e: e.at or EPOCH)
    return events




def judge(rep: Repertoire, events: list[tuple[str, Event]]) -> None:
    """Set `doubt` on each (owner, event) the roster on main does not back. Anyone can write a
    Copart-By line and only a guarded hub checks it on push, so: a decision must name a coordinator,
    a withdraw or revise the owner or a coordinator, and an event in the name of a member whose
    profile has a key must be signed with that key."""
    if not events:
        return
    git = rep.git
    roster = roster_at(git, main_rev(rep))
    keyed = [e.commit for _, e in events if roster.keys.get(e.by)]
    sigs = {}
    if keyed:
        path = allowed_signers_file(rep, roster)
        sigs = {s["commit"]: s for s in git.signatures(*keyed, allowed_signers=path, only_these=True)}
    for owner, e in events:
        if e.type in COORDINATOR_EVENTS and not roster.is_coordinator(e.by):
            e.doubt = f"{e.by or 'nobody'} is not a coordinator"
        elif e.type in ("withdraw", "revise") and e.by != owner and not roster.is_coordinator(e.by):
            e.doubt = f"only {owner} or a coordinator can {e.type}"
        elif e.commit in sigs and signer(sigs[e.commit], roster) != e.by:
            e.doubt = f"not signed with {e.by}'s key"


def _state(c: Contribution, merged: set[str] = frozenset()) -> str:
    events = [e for e in c.events if not e.doubt]
    if any(e.type == "accept" for e in events):
        return "accepted"
    if any(v.ref in merged for v in c.versions):  # a forge's Merge button, a plain git merge: a fact
        c.merged_outside = True
        return "accepted"
    if any(e.type == "withdraw" for e in events):
        return "withdrawn"
    latest = c.latest.n if c.versions else 0
    for e in reversed(events):
        if e.type in ("request_changes", "reject") and (e.version is None or e.version >= latest):
            return "changes_requested" if e.type == "request_changes" else "rejected"
    return "pending"


def contributions(rep: Repertoire, *, member: str | None = None, include_remote: bool = True, details: bool = True) -> list[Contribution]:
    git = rep.git
    main = main_rev(rep)
    main_sha = git.rev(main)
    all_review_refs = list(git.ref_map(REVIEWS_PREFIX, "refs/copart-remote/"))
    merged = git.merged_refs(main_sha, CONTRIB_PREFIX, "refs/remotes/") if main_sha else set()
    found = []
    for (m, cid), versions in sorted(_branches(git, include_remote).items()):
        if member and m != member:
            continue
        c = Contribution(member=m, id=cid, versions=[versions[n] for n in sorted(versions)])
        tail = f"/reviews/{m}/{cid}"
        refs = [r for r in all_review_refs if r.endswith(tail) and
                (r == REVIEWS_PREFIX + f"{m}/{cid}" or r.startswith("refs/copart-remote/"))]
        c.events = events_on(git, *refs)
        found.append(c)
    judge(rep, [(c.member, e) for c in found for e in c.events])
    for c in found:
        c.state = _state(c, merged)
        if details:
            c.paths = _paths(git, c, main_sha)
            updated = git.commit_times(c.latest.tip, limit=1)
            c.updated = as_datetime(updated[0]) if updated else None
            c.created = _first_time(git, c.versions[0].tip, main_sha) or c.updated
    return found


def _first_time(git, tip: str, main_sha: str | None) -> dt.datetime | None:
    recs = git.commit_times(tip, since=main_sha) if main_sha else []
    return as_datetime(recs[-1]) if recs else None


def _paths(git, c: Contribution, main_sha: str | None) -> list[str]:
    tip = c.latest.tip
    accept = next((e for e in c.events if e.type == "accept" and e.merge and not e.doubt), None)
    if accept and git.rev(accept.merge):
        first = git.rev(accept.merge + "^1")
        if first:
            return sorted(git.diff_names(first, accept.merge))
    base = git.merge_base(main_sha, tip) if main_sha else None
    if base == tip:  # merged without an event we know of: show what its commits touched
        base = None
        for sha in git.commits(tip, first_parent=True):
            if "copart-contribution" not in trailers(git.commit_message(sha)):
                base = sha
                break
    return sorted(git.diff_names(base or EMPTY_TREE, tip))


def find(rep: Repertoire, key: str, *, member: str | None = None) -> Contribution:
    """A contribution by 'member/id' or a bare id that names only one."""
    text = key.strip().strip("/")
    text = re.sub(r"/v\d+$", "", text)
    everything = contributions(rep, member=member)
    if "/" in text:
        hits = [c for c in everything if c.key == text]
    else:
        hits = [c for c in everything if c.id == text]
    if not hits:
        shown = key if len(key) <= 80 else key[:77] + "..."
        where = "copart contribute list" if member else "copart review list --all"
        raise NotFound(f"no contribution '{shown}'", hint=f"see them with: {where}")
    if len(hits) > 1:
        raise UsageError(f"'{key}' names {len(hits)} contributions: " + ", ".join(c.key for c in hits),
                         hint="give it as MEMBER/ID")
    return hits[0]


# -- the capture path ----------------------------------------------------------------


def worktree_bytes(rep: Repertoire, path: str) -> bytes | None:
    from copart_cli.adapters.files import read_bytes

    try:
        return read_bytes(rep.root / path, path)
    except (OSError, InvalidEntry):  # missing, a folder, or a link (never followed)
        return None


def _message(subject_and_body: str, c_key: str, n: int) -> str:
    return f"{subject_and_body.rstrip()}\n\nCopart-Contribution: {c_key}\nCopart-Version: {n}\n"


def _unique_id(existing: set[str], base: str) -> str:
    return ids.unique(base, lambda candidate: candidate in existing)


def commit_contribution(rep: Repertoire, paths: list[str], message: str, name: str | None = None) -> str:
    """Under review: coordinators, what the write door (Repertoire.commit) does: commit PATHS
    onto a contribution branch.

    Extends the author's open contribution that touches one of these paths (a new version
    v<N+1> when changes were requested), else starts `contrib/<member>/<entry-id>/v1`; a
    `name` always starts a new one, `contrib/<member>/<name>/v1` (one import, one contribution).
    """
    if not paths:
        raise CopartError("nothing to commit")
    git = rep.git
    me = current_member(rep)
    mine = contributions(rep, member=me)
    touched = set(paths)
    target = None if name else next((c for c in mine if c.open and touched & set(c.paths)), None)
    changes = {p: worktree_bytes(rep, p) for p in paths}
    sign = git.signing_configured()
    if target is not None and target.state == "pending":
        version = target.latest
        branch = f"{CONTRIB_PREFIX}{target.member}/{target.id}/v{version.n}"
        old = git.rev(branch)
        base = old or version.tip
        sha = git.write_commit(base, changes, _message(message, target.key, version.n), sign=sign, scratch=rep.state_dir)
        if git.tree_of(sha) == git.tree_of(base):
            return base  # nothing new for the reviewers
        git.update_ref(branch, sha, old or ZERO)
        return sha
    if target is not None:  # changes requested: the edit starts the next version
        return new_version(rep, target, changes, message, sign)
    stem = name or ids.of_path(paths[0])
    taken = {c.id for c in mine}
    cid = _unique_id(taken, ids.slugify(stem) or "contribution")
    branch = f"{CONTRIB_PREFIX}{me}/{cid}/v1"
    base = git.rev(main_rev(rep))
    sha = git.write_commit(base, changes, _message(message, f"{me}/{cid}", 1), sign=sign, scratch=rep.state_dir)
    git.update_ref(branch, sha, ZERO)
    return sha


def new_version(rep: Repertoire, c: Contribution, changes: dict[str, bytes | None], message: str, sign: bool) -> str:
    """v<N+1>: main as it is now, plus the contribution's files as in vN, plus CHANGES."""
    git = rep.git
    tip = c.latest.tip
    files = {p: git.file_at(tip, p) for p in c.paths}
    files.update(changes)
    n = c.latest.n + 1
    branch = f"{CONTRIB_PREFIX}{c.member}/{c.id}/v{n}"
    if git.rev(branch):
        raise CopartError(f"{c.key} already has a v{n}", hint="sync first")
    base = git.rev(main_rev(rep))
    text = message if message.strip() else f"revise {c.key}: v{n}"
    sha = git.write_commit(base, files, _message(text, c.key, n), sign=sign, scratch=rep.state_dir)
    git.update_ref(branch, sha, ZERO)
    return sha


# -- the sync contract ---------------------------------------------------------------


def pending_paths(rep: Repertoire) -> set[str]:
    """Work-tree paths that belong to the user's open contributions: sync must not commit them to main."""
    git = rep.git
    if not git.ref_map(CONTRIB_PREFIX):
        return set()
    paths: set[str] = set()
    for c in contributions(rep, include_remote=False):
        if c.open:
            paths.update(c.paths)
    return paths


def set_aside(rep: Repertoire) -> list[str]:
    """Take pending files whose exact content is on their contribution branch out of the work
    tree (back to HEAD's version), so main can be fast-forwarded under them. Files with edits
    not yet on the branch are left alone. `sync_refs` puts them back."""
    git = rep.git
    moved = []
    for c in contributions(rep, include_remote=False):
        if c.state == "withdrawn":
            continue
        for path in c.paths:  # open ones, and accepted ones whose merge main is about to bring
            here = worktree_bytes(rep, path)
            if here == git.file_at(c.latest.tip, path) and here != git.file_at("HEAD", path):
                moved.append(path)
    if moved:
        git.restore_from_head(moved)
    return moved


def tidy_worktree(rep: Repertoire, me: str | None) -> None:
    """Open contributions' files back in the work tree; closed ones (rejected, withdrawn) out of it."""
    from copart_cli.adapters.files import atomic_write, remove

    if not me:
        return
    git = rep.git
    for c in contributions(rep, member=me, include_remote=False):
        tip = c.latest.tip
        for path in c.paths:
            here = worktree_bytes(rep, path)
            head = git.file_at("HEAD", path)
            theirs = git.file_at(tip, path)
            if c.open:
                if here == head and theirs != head:  # set aside, or a fresh clone: show the pending version
                    with contextlib.suppress(FileNotFoundError, InvalidEntry):  # never through a link
                        if theirs is None:
                            remove(rep.root / path, path)
                        else:
                            atomic_write(rep.root / path, theirs.decode("utf-8", "replace"), path)
            elif c.state in ("rejected", "withdrawn") and here == theirs and here != head:
                git.restore_from_head([path])  # safe: the text stays on the contribution branch
    rep.forget_pending()  # contributions moved or were decided (sync_refs, withdraw, accept)

