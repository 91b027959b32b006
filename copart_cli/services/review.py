"""Contributions as merge requests, and the review events that travel with them.

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

Contract with sync (copart_cli/sync.py):
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
from pathlib import Path

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import CheckFailed, CopartError, InvalidEntry, NotFound, UsageError
from copart_cli.core.model import Entry, Kind, Problem, as_datetime, iso, utcnow
from copart_cli.services.signing import MAIN, Roster, allowed_signers_file, classify, main_rev, roster_at, signer

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
        return [p.rsplit("/", 1)[-1].removesuffix(".md") for p in self.paths]


@dataclass
class ContributionList:
    view = "review"
    contributions: list[Contribution]
    checks: dict[str, str] = field(default_factory=dict)  # key -> ok | N problem(s) | conflicts
    signatures: dict[str, str] = field(default_factory=dict)  # key -> signed | unsigned | …
    mine: bool = False


@dataclass
class ContributionDetail:
    view = "review"
    contribution: Contribution
    entries: list[Entry]  # the contribution's version of each touched entry
    removed: list[str]
    diff: str
    problems: list[Problem]
    mergeable: bool
    conflicts: list[str]
    signature: str
    signature_detail: list[str] = field(default_factory=list)
    behaviour: list[str] = field(default_factory=list)  # paths that change how copart behaves (behaviour_paths)
    links: list[str] = field(default_factory=list)  # symbolic links it brings: no option accepts those
    authorship: list[str] = field(default_factory=list)  # author fields that disagree with the signer


@dataclass
class ReviewAction:
    view = "review"
    action: str  # commented | changes_requested | accepted | rejected | withdrawn | revised
    contribution: Contribution
    event: str | None = None
    commit: str | None = None  # the merge on main (accepted) or the new version's tip (revised)
    version: int | None = None


# -- who am I -------------------------------------------------------------------------


def current_member(rep) -> str:
    """The member id of the person at the keyboard (profile by git email, else a slug of the name)."""
    identity = rep.git.identity()
    member = rep.member_for_email(identity.email)
    if member:
        return member.id
    return ids.slugify(identity.name) or "unknown"


# -- reading contributions ------------------------------------------------------------


def _parse_branch(name: str) -> tuple[str, str, int] | None:
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
        parsed = _parse_branch(name)
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


def _trailers(message: str) -> dict[str, str]:
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
    t = _trailers(message)
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


def _events(git, refs: list[str]) -> list[Event]:
    if not refs:
        return []
    events = []
    for rec in git.log(*refs, fmt="%H|%P|%B"):
        sha, parents, body = (rec + ["", "", ""])[:3]
        if len(parents.split()) > 1:
            continue  # a merge of concurrent event lines
        ev = parse_event(sha.strip(), body)
        if ev and ev.type != "merge":
            events.append(ev)
    # git log lists a child before its parent: reversed, each line of events is in the order
    # it was written, and the stable sort keeps that order for events in the same second.
    events.reverse()
    events.sort(key=lambda e: e.at or _EPOCH)
    return events


from copart_cli.core.model import EPOCH as _EPOCH  # noqa: E402


def _state(c: Contribution) -> str:
    if any(e.type == "accept" for e in c.events):
        return "accepted"
    if any(e.type == "withdraw" for e in c.events):
        return "withdrawn"
    latest = c.latest.n if c.versions else 0
    for e in reversed(c.events):
        if e.type in ("request_changes", "reject") and (e.version is None or e.version >= latest):
            return "changes_requested" if e.type == "request_changes" else "rejected"
    return "pending"


def contributions(rep, *, member: str | None = None, include_remote: bool = True, details: bool = True) -> list[Contribution]:
    git = rep.git
    main = main_rev(rep)
    main_sha = git.rev(main)
    all_review_refs = list(git.ref_map(REVIEWS_PREFIX, "refs/copart-remote/"))
    found = []
    for (m, cid), versions in sorted(_branches(git, include_remote).items()):
        if member and m != member:
            continue
        c = Contribution(member=m, id=cid, versions=[versions[n] for n in sorted(versions)])
        tail = f"/reviews/{m}/{cid}"
        refs = [r for r in all_review_refs if r.endswith(tail) and
                (r == REVIEWS_PREFIX + f"{m}/{cid}" or r.startswith("refs/copart-remote/"))]
        c.events = _events(git, refs)
        c.state = _state(c)
        if details:
            c.paths = _paths(git, c, main_sha)
            updated = git.log("-1", c.latest.tip, fmt="%cI")
            c.updated = as_datetime(updated[0][0].strip()) if updated else None
            c.created = _first_time(git, c.versions[0].tip, main_sha) or c.updated
        found.append(c)
    return found


def _first_time(git, tip: str, main_sha: str | None) -> dt.datetime | None:
    recs = git.log(f"{main_sha}..{tip}", fmt="%cI") if main_sha else []
    return as_datetime(recs[-1][0].strip()) if recs else None


def _paths(git, c: Contribution, main_sha: str | None) -> list[str]:
    tip = c.latest.tip
    accept = next((e for e in c.events if e.type == "accept" and e.merge), None)
    if accept and git.rev(accept.merge):
        first = git.rev(accept.merge + "^1")
        if first:
            return sorted(git.diff_names(first, accept.merge))
    base = git.merge_base(main_sha, tip) if main_sha else None
    if base == tip:  # merged without an event we know of: show what its commits touched
        recs = git.log(tip, fmt="%H", first_parent=True)
        base = None
        for rec in recs:
            msg = git.commit_message(rec[0].strip())
            if "copart-contribution" not in _trailers(msg):
                base = rec[0].strip()
                break
    return sorted(git.diff_names(base or EMPTY_TREE, tip))


def find(rep, key: str, *, member: str | None = None) -> Contribution:
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


def _worktree_bytes(rep, path: str) -> bytes | None:
    from copart_cli.adapters.files import read_bytes

    try:
        return read_bytes(rep.root / path, path)
    except (OSError, InvalidEntry):  # missing, a folder, or a link (never followed)
        return None


def _message(subject_and_body: str, c_key: str, n: int) -> str:
    return f"{subject_and_body.rstrip()}\n\nCopart-Contribution: {c_key}\nCopart-Version: {n}\n"


def _unique_id(existing: set[str], base: str) -> str:
    return ids.unique(base, lambda candidate: candidate in existing)


def commit_contribution(rep, paths: list[str], message: str, name: str | None = None) -> str:
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
    changes = {p: _worktree_bytes(rep, p) for p in paths}
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
        return _new_version(rep, target, changes, message, sign)
    stem = name or paths[0].rsplit("/", 1)[-1].removesuffix(".md")
    taken = {c.id for c in mine}
    cid = _unique_id(taken, ids.slugify(stem) or "contribution")
    branch = f"{CONTRIB_PREFIX}{me}/{cid}/v1"
    base = git.rev(main_rev(rep))
    sha = git.write_commit(base, changes, _message(message, f"{me}/{cid}", 1), sign=sign, scratch=rep.state_dir)
    git.update_ref(branch, sha, ZERO)
    return sha


def _new_version(rep, c: Contribution, changes: dict[str, bytes | None], message: str, sign: bool) -> str:
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


def pending_paths(rep) -> set[str]:
    """Work-tree paths that belong to the user's open contributions: sync must not commit them to main."""
    git = rep.git
    if not git.ref_map(CONTRIB_PREFIX):
        return set()
    paths: set[str] = set()
    for c in contributions(rep, include_remote=False):
        if c.open:
            paths.update(c.paths)
    return paths


def set_aside(rep) -> list[str]:
    """Take pending files whose exact content is on their contribution branch out of the work
    tree (back to HEAD's version), so main can be fast-forwarded under them. Files with edits
    not yet on the branch are left alone. `sync_refs` puts them back."""
    git = rep.git
    moved = []
    for c in contributions(rep, include_remote=False):
        if c.state == "withdrawn":
            continue
        for path in c.paths:  # open ones, and accepted ones whose merge main is about to bring
            here = _worktree_bytes(rep, path)
            if here == git.file_at(c.latest.tip, path) and here != git.file_at("HEAD", path):
                moved.append(path)
    if moved:
        git.restore_from_head(moved)
    return moved


def _tidy_worktree(rep, me: str | None) -> None:
    """Open contributions' files back in the work tree; closed ones (rejected, withdrawn) out of it."""
    from copart_cli.adapters.files import atomic_write, remove

    if not me:
        return
    git = rep.git
    for c in contributions(rep, member=me, include_remote=False):
        tip = c.latest.tip
        for path in c.paths:
            here = _worktree_bytes(rep, path)
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


def _merge_event_ref(git, local: str, incoming: str, sign: bool) -> None:
    have = git.rev(local)
    if have is None:
        git.update_ref(local, incoming, ZERO)
    elif have == incoming or git.is_ancestor(incoming, have):
        return
    elif git.is_ancestor(have, incoming):
        git.update_ref(local, incoming, have)
    else:
        merge = git.make_commit(EMPTY_TREE, [have, incoming], "merge review events\n\nCopart-Event: merge\n", sign=sign)
        git.update_ref(local, merge, have)


def sync_refs(rep, remote: str) -> list[str]:
    """After sync fetched and integrated main: join fetched review events into the local ones,
    fast-forward the user's own contribution branches, tidy the work tree, and return the
    refspecs sync should push (never a force: diverged refs are left out)."""
    git = rep.git
    sign = git.signing_configured()
    remote_reviews = REMOTE_REVIEWS.format(remote=remote)
    for ref, sha in git.ref_map(remote_reviews).items():
        name = ref[len(remote_reviews):]
        if name.count("/") == 1:
            _merge_event_ref(git, REVIEWS_PREFIX + name, sha, sign)
    try:
        me = current_member(rep)
    except CopartError:
        me = None
    remote_contrib = f"refs/remotes/{remote}/contrib/"
    for ref, sha in git.ref_map(remote_contrib).items():
        name = "contrib/" + ref[len(remote_contrib):]
        parsed = _parse_branch(name)
        if not parsed or parsed[0] != me:
            continue
        local = "refs/heads/" + name
        have = git.rev(local)
        if have is None:
            git.update_ref(local, sha, ZERO)
        elif have != sha and git.is_ancestor(have, sha):
            git.update_ref(local, sha, have)
    _tidy_worktree(rep, me)
    allowed_signers_file(rep)  # main may have brought new members or keys
    remote_refs = git.ref_map(f"refs/remotes/{remote}/", f"refs/copart-remote/{remote}/")
    specs = []
    for ref, sha in sorted(git.ref_map(CONTRIB_PREFIX).items()):
        name = ref[len("refs/heads/"):]
        parsed = _parse_branch(name)
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


def push_options(rep, remote: str, refspecs: list[str]) -> list[str]:
    """Push options for a forge: GitLab opens a merge request for a new contribution branch."""
    url = rep.git.remote_url(remote) or ""
    forge = str(rep.config.raw.get("forge") or "")
    if forge != "gitlab" and "gitlab" not in url:
        return []
    if not any(s.startswith(CONTRIB_PREFIX) for s in refspecs):
        return []
    return ["merge_request.create", "merge_request.target=main"]


# -- events ---------------------------------------------------------------------------


def add_event(rep, c: Contribution, kind: str, text: str = "", *, target: str | None = None,
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


def _require_text(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise UsageError(f"{what} needs some text", hint="say what should change, in a sentence")
    if len(text) > 20_000:
        raise UsageError(f"{what} is {len(text)} characters; keep it under 20000")
    return text


def _require_coordinator(rep, roster: Roster, me: str, what: str) -> None:
    if me not in roster.coordinators:
        raise CopartError(f"only a coordinator can {what}; you are '{me}'",
                          hint="coordinators are members with 'coordinator' in their roles on main")


def _decidable(c: Contribution, what: str) -> None:
    if not c.open:
        raise CopartError(f"{c.key} is {c.state.replace('_', ' ')}; it cannot be {what}")


# -- checks, signatures, merging ----------------------------------------------------------


def _entry_from(data: bytes, rel: str) -> Entry:
    text = data.decode("utf-8")
    parts = frontmatter.split(text, rel)
    meta = frontmatter.load(parts.frontmatter, rel, first_line=2)
    return Entry(path=rel, meta=meta, body=parts.body, raw_frontmatter=parts.frontmatter, pending=True)


def behaviour_paths(paths: list[str]) -> list[str]:
    """The paths that change how copart behaves on every partner's machine, not what the
    repertoire says: copart.yaml, .copart/ (template overrides are code) and git attributes.
    Accepting them takes --allow-config, never just --ignore-checks (which is about entries)."""
    from copart_cli.services.repertoire import CONFIG_FILE

    return [p for p in paths if p == CONFIG_FILE or p.split("/", 1)[0] == ".copart"
            or p.rsplit("/", 1)[-1] == ".gitattributes"]


def check_tree(git, tree: str, paths: list[str]) -> list[Problem]:
    """`copart check` on the touched paths as they would be in TREE (main with the contribution):
    every one must be a plain file, each entry a valid entry, copart.yaml a valid config."""
    from copart_cli.core.model import KIND_FOLDERS
    from copart_cli.services.repertoire import CONFIG_FILE, kind_of_folder
    from copart_cli.services.validate import reference_problems, shared_key_problems, structural_problems

    all_paths = git.paths_at(tree, *KIND_FOLDERS.values())
    stems = lambda folder: {p.rsplit("/", 1)[-1].removesuffix(".md") for p in all_paths  # noqa: E731
                            if p.startswith(folder + "/") and p.endswith(".md")}
    known = {p.rsplit("/", 1)[-1].removesuffix(".md") for p in all_paths if p.endswith(".md")}
    members, asks = stems(KIND_FOLDERS[Kind.member]), stems(KIND_FOLDERS[Kind.ask])
    problems: list[Problem] = []
    modes = git.modes_at(tree, paths)
    roster = roster_at(git, tree) if any(p.startswith(KIND_FOLDERS[Kind.member] + "/") for p in paths) else None
    for rel in paths:
        mode = modes.get(rel, "100644")
        if mode == "120000":  # never followed: on a partner's machine it would point anywhere
            problems.append(Problem(rel, 1, "is a symbolic link, not a plain file; copart does not follow links"))
            continue
        if mode not in ("100644", "100755"):
            problems.append(Problem(rel, 1, "not a plain file (a submodule)"))
            continue
        data = git.file_at(tree, rel)
        if data is None:
            continue
        if rel == CONFIG_FILE:
            problems.extend(_config_problems(data))
            continue
        if kind_of_folder(rel) is None or rel.count("/") != 1 or not rel.endswith(".md"):
            continue  # not an entry (a pathway, a template…): only that it is a plain file
        try:
            entry = _entry_from(data, rel)
        except UnicodeDecodeError:
            problems.append(Problem(rel, 1, "not valid UTF-8 text"))
            continue
        except InvalidEntry as exc:
            from copart_cli.services.repertoire import problem_from

            problems.append(problem_from(exc, rel))
            continue
        problems.extend(structural_problems(entry))
        problems.extend(reference_problems(entry, known, members, asks))
        if roster is not None and entry.kind == Kind.member.value:
            problems.extend(shared_key_problems(entry, roster.owners))
    return problems


def _config_problems(data: bytes) -> list[Problem]:
    from copart_cli.services.repertoire import CONFIG_FILE, Config

    try:
        Config.parse(data.decode("utf-8"), "")
    except UnicodeDecodeError:
        return [Problem(CONFIG_FILE, 1, "not valid UTF-8 text")]
    except InvalidEntry as exc:
        return [Problem(CONFIG_FILE, 1, exc.message.split(": ", 1)[-1])]
    return []


def _contribution_signatures(rep, c: Contribution, signers: Path) -> list[dict]:
    main_sha = rep.git.rev(main_rev(rep))
    return rep.git.signatures(f"{main_sha}..{c.latest.tip}" if main_sha else c.latest.tip, allowed_signers=signers)


def signature_status(rep, c: Contribution, roster: Roster, signers: Path,
                     sigs: list[dict] | None = None) -> tuple[str, list[str]]:
    """signed | unsigned | unknown-key | duplicate-key | bad-signature | wrong-member | no-key, with details."""
    if c.member not in roster.keys:
        return "no-key", [f"{c.member} has no ssh_keys on main"]
    sigs = _contribution_signatures(rep, c, signers) if sigs is None else sigs
    worst, details = "signed", []
    order = ["signed", "wrong-member", "unknown-key", "duplicate-key", "unsigned", "bad-signature"]
    for s in sigs:
        problem = classify(s, roster)
        if problem is None and signer(s, roster) != c.member:
            problem = ("wrong-member", f"signed by {signer(s, roster)}, not {c.member}")
        if problem:
            details.append(f"{s['commit'][:10]} {problem[0]}: {problem[1]}")
            if order.index(problem[0]) > order.index(worst):
                worst = problem[0]
    return worst, details


def detail(rep, key: str, *, member: str | None = None) -> ContributionDetail:
    git = rep.git
    c = find(rep, key, member=member)
    main_sha = git.rev(main_rev(rep))
    tip = c.latest.tip
    base = git.merge_base(main_sha, tip) if main_sha else None
    diff = git.diff_text(base or EMPTY_TREE, tip) if base != tip else ""
    if main_sha and base != tip:
        merged = git.merge_trees(main_sha, tip)
        mergeable, conflicts, tree = not merged.conflicts, sorted(merged.conflicts), merged.tree
    else:
        mergeable, conflicts, tree = True, [], tip
    problems = check_tree(git, tree if mergeable else tip, c.paths)
    entries, removed = [], []
    for rel in c.paths:
        data = git.file_at(tip, rel)
        if data is None:
            removed.append(rel)
            continue
        try:
            entries.append(_entry_from(data, rel))
        except (InvalidEntry, UnicodeDecodeError):
            entries.append(Entry(path=rel, meta={"id": rel.rsplit("/", 1)[-1].removesuffix(".md")},
                                 body=data.decode("utf-8", "replace"), pending=True))
    roster = roster_at(git, main_rev(rep))
    signers = allowed_signers_file(rep, roster)
    links = [p for p, mode in git.modes_at(tip, c.paths).items() if mode == "120000"]
    sigs = _contribution_signatures(rep, c, signers)
    sig, sig_detail = signature_status(rep, c, roster, signers, sigs)
    added = [e for e in entries if base is None or git.file_at(base, e.path) is None]
    return ContributionDetail(c, entries, removed, diff, problems, mergeable, conflicts, sig, sig_detail,
                              behaviour_paths(c.paths), links, authorship(roster, sigs, added))


def authorship(roster: Roster, sigs: list[dict], added: list[Entry]) -> list[str]:
    """Where the author field (a commit's author email, a new entry's `author:`) names another member than
    the one whose key signed: anybody can type any author, so copart credits the signer."""
    by_email = {mail: m.id for m in roster.members.values() for mail in m.emails}
    notes = []
    signers = set()
    for s in sigs:
        who = signer(s, roster)
        claimed = by_email.get(s["email"].lower())
        if who:
            signers.add(who)
        if who and claimed and claimed != who:
            notes.append(f"{s['commit'][:10]}: author email {s['email']} is {claimed}'s, but {who} signed it")
    only = signers.pop() if len(signers) == 1 else None
    if only is None or only in roster.coordinators:  # coordinators may record work on someone's behalf
        return notes
    for e in added:
        if e.author and e.kind != Kind.member.value and e.author != only:
            notes.append(f"{e.path} says author: {e.author}, but {only} signed it; it will be credited to {only}")
    return notes


# -- commands: contribute -------------------------------------------------------------------


def list_mine(rep, state: str | None = None) -> ContributionList:
    me = current_member(rep)
    found = contributions(rep, member=me)
    if state:
        found = [c for c in found if c.state == state]
    return ContributionList(found, mine=True)


def show_mine(rep, key: str) -> ContributionDetail:
    return detail(rep, key, member=current_member(rep))


def withdraw(rep, key: str, reason: str = "") -> ReviewAction:
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key, member=me)
        _decidable(c, "withdrawn")
        sha = add_event(rep, c, "withdraw", reason or "", target=c.latest.tip, by=me)
        c.events.append(Event(sha, "withdraw", me, utcnow(), c.latest.n, reason or ""))
        c.state = "withdrawn"
        _tidy_worktree(rep, me)
    return ReviewAction("withdrawn", c, event=sha)


def revise(rep, key: str, message: str = "") -> ReviewAction:
    """v<N+1> from main as it is now, carrying the contribution's files as they are in the work tree."""
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key, member=me)
        if c.state in ("accepted", "withdrawn"):
            raise CopartError(f"{c.key} is {c.state}; start a new contribution by editing the entry")
        changes = {}
        for path in c.paths:
            here = _worktree_bytes(rep, path)
            if here is not None or not (rep.root / path).exists():
                changes[path] = here if here is not None else git_file(rep, c.latest.tip, path)
        sha = _new_version(rep, c, changes, message, rep.git.signing_configured())
        rep.forget_pending()
        add_event(rep, c, "revise", message or "", target=sha, by=me)
    c = find(rep, key, member=me)
    return ReviewAction("revised", c, commit=sha, version=c.latest.n)


def git_file(rep, rev: str, path: str) -> bytes | None:
    return rep.git.file_at(rev, path)


# -- commands: review -------------------------------------------------------------------------


def review_list(rep, everything: bool = False) -> ContributionList:
    found = contributions(rep)
    if not everything:
        found = [c for c in found if c.open]
    git = rep.git
    roster = roster_at(git, main_rev(rep))
    signers = allowed_signers_file(rep, roster)
    main_sha = git.rev(main_rev(rep))
    checks, sigs = {}, {}
    for c in found:
        if not c.open:
            continue
        tree, note = c.latest.tip, ""
        if main_sha and git.merge_base(main_sha, c.latest.tip) != c.latest.tip:
            merged = git.merge_trees(main_sha, c.latest.tip)
            if merged.conflicts:
                note = "conflicts"
            else:
                tree = merged.tree
        problems = check_tree(git, tree, c.paths)
        checks[c.key] = note or ("ok" if not problems else f"{len(problems)} problem(s)")
        sigs[c.key] = signature_status(rep, c, roster, signers)[0]
    return ContributionList(found, checks, sigs)


def comment(rep, key: str, text: str) -> ReviewAction:
    text = _require_text(text, "a comment")
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key)
        sha = add_event(rep, c, "comment", text, target=c.latest.tip, by=me)
    return ReviewAction("commented", c, event=sha)


def _decide(rep, key: str, kind: str, text: str, what: str) -> ReviewAction:
    me = current_member(rep)
    roster = roster_at(rep.git, main_rev(rep))
    _require_coordinator(rep, roster, me, what)
    with rep.write_lock():
        c = find(rep, key)
        _decidable(c, {"request_changes": "sent back", "reject": "rejected"}[kind])
        sha = add_event(rep, c, kind, text, target=c.latest.tip, by=me)
    c.state = "changes_requested" if kind == "request_changes" else "rejected"
    return ReviewAction("changes_requested" if kind == "request_changes" else "rejected", c, event=sha)


def request_changes(rep, key: str, text: str) -> ReviewAction:
    return _decide(rep, key, "request_changes", _require_text(text, "a request for changes"), "request changes")


def reject(rep, key: str, reason: str) -> ReviewAction:
    return _decide(rep, key, "reject", _require_text(reason, "a rejection (--reason)"), "reject a contribution")


def accept(rep, key: str, *, ignore_checks: bool = False, prefer: str | None = None,
           allow_unsigned: bool = False, allow_config: bool = False, message: str = "") -> ReviewAction:
    """A signed --no-ff merge of the contribution into main, plus an accept event."""
    git = rep.git
    if prefer not in (None, "contribution", "main"):
        raise UsageError(f"--prefer must be 'contribution' or 'main', not '{prefer}'")
    me = current_member(rep)
    roster = roster_at(git, main_rev(rep))
    _require_coordinator(rep, roster, me, "accept a contribution")
    if not git.signing_configured():
        raise CopartError("accepting merges into main with a signed commit, and signing is not set up",
                          hint="run: copart setup-signing")
    with rep.write_lock():
        d = detail(rep, key)
        c = d.contribution
        _decidable(c, "accepted")
        if c.member == me and len(roster.coordinators - {me}) > 0:
            raise CheckFailed(f"{c.key} is your own contribution; another coordinator must accept it",
                              hint="ask " + ", ".join(sorted(roster.coordinators - {me})))
        if d.links:  # not even --ignore-checks: a link on main would reach every partner's work tree
            raise CheckFailed(f"{c.key} brings a symbolic link ({', '.join(d.links[:3])}); copart never follows "
                              "links, and no option accepts one",
                              hint="request changes: the author puts the file itself in place of the link")
        if d.problems and not ignore_checks:
            raise CheckFailed(f"{c.key} fails checks: {d.problems[0]}"
                              + (f" (and {len(d.problems) - 1} more)" if len(d.problems) > 1 else ""),
                              hint=f"request changes, or accept anyway with --ignore-checks")
        if d.behaviour and not allow_config:
            more = f" and {len(d.behaviour) - 3} more" if len(d.behaviour) > 3 else ""
            raise CheckFailed(f"{c.key} changes how copart behaves ({', '.join(d.behaviour[:3])}{more}): "
                              "the configuration and template overrides run on every partner's machine",
                              hint=f"read the diff with: copart review show {c.key}; then accept with --allow-config")
        if d.signature != "signed" and not allow_unsigned:
            why = d.signature_detail[0] if d.signature_detail else d.signature
            raise CheckFailed(f"{c.key} is not properly signed ({d.signature}): {why}",
                              hint="the author runs copart setup-signing and revises; or --allow-unsigned")
        main_ref = MAIN if git.rev(MAIN) else main_rev(rep)
        main_sha = git.rev(main_ref)
        tip = c.latest.tip
        if main_sha is None or git.is_ancestor(tip, main_sha):
            done = git.log(f"--grep=^Contribution-Commit: {tip}$", "-1", main_sha, fmt="%H",
                           first_parent=True) if main_sha else []
            if not done:
                raise CopartError(f"{c.key} has nothing to merge into main")
            # an accept killed between its merge and its event: record the decision now
            merge = done[0][0].strip()
            event = add_event(rep, c, "accept", message, target=tip, merge=merge, by=me)
            c.state = "accepted"
            return ReviewAction("accepted", c, event=event, commit=merge, version=c.latest.n)
        merged = git.merge_trees(main_sha, tip)
        tree = merged.tree
        if merged.conflicts:
            if prefer is None:
                raise CheckFailed(f"{c.key} does not merge cleanly into main: " + ", ".join(sorted(merged.conflicts)),
                                  hint="request changes so the author revises it, or accept with --prefer contribution|main")
            side = tip if prefer == "contribution" else main_sha
            fix = {}
            for path in merged.conflicts:
                data = git.file_at(side, path)
                fix[path] = None if data is None else ("100644", git.hash_blob(data))
            tree = git.tree_with(tree, fix)
        reviewer = roster.members.get(me)
        identity = git.identity()
        titles = [e.title for e in d.entries] + [f"remove {p}" for p in d.removed]
        lines = [f"Accept contribution {c.key} v{c.latest.n}", ""]
        if message.strip():
            lines += [message.strip(), ""]
        lines += [f"- {t}" for t in titles] + [""]
        lines += [f"Contribution: {c.key}", f"Contribution-Version: {c.latest.n}", f"Contribution-Commit: {tip}",
                  f"Reviewed-by: {reviewer.name if reviewer else me} <{identity.email}>"]
        if prefer and merged.conflicts:
            lines.append(f"Conflicts-Resolved: {prefer}")
        merge = git.make_commit(tree, [main_sha, tip], "\n".join(lines) + "\n", sign=True)
        if git.current_branch() == main_ref.removeprefix("refs/heads/") or (main_ref == "HEAD"):
            set_aside(rep)  # the coordinator's own pending files, safe on their branches
            try:
                rep.fast_forward(merge)
            finally:
                _tidy_worktree(rep, me)
        else:
            git.update_ref(main_ref, merge, main_sha)
        event = add_event(rep, c, "accept", message, target=tip, merge=merge, by=me)
    c.state = "accepted"
    return ReviewAction("accepted", c, event=event, commit=merge, version=c.latest.n)
