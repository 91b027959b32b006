"""The contributor's and the coordinator's actions on contributions: list, show, withdraw,
revise, comment, request changes, reject, accept (a signed merge into main).

How contributions are stored and read is in contributions.py, review events in
review_events.py, the checks shown before a decision in review_checks.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.core.errors import CheckFailed, CopartError, InvalidEntry, UsageError
from copart_cli.core.model import Entry, Problem, plural, utcnow
from copart_cli.core import ids
from copart_cli.services.contributions import (
    EMPTY_TREE, Contribution, Event, contributions, current_member, find, new_version, set_aside,
    tidy_worktree, worktree_bytes,
)
from copart_cli.services.review_checks import (
    authorship, behaviour_paths, check_tree, contribution_signatures, entry_from, signature_status,
)
from copart_cli.services.review_events import add_event
from copart_cli.services.signing import MAIN, Roster, allowed_signers_file, main_rev, roster_at

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


@dataclass
class ContributionList:
    view = "review"
    contributions: list[Contribution]
    checks: dict[str, str] = field(default_factory=dict)  # key -> ok | N problems | conflicts
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




def _require_text(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise UsageError(f"{what} needs some text", hint="say what should change, in a sentence")
    if len(text) > 20_000:
        raise UsageError(f"{what} is {len(text)} characters; keep it under 20000")
    return text


def _require_coordinator(rep: Repertoire, roster: Roster, me: str, what: str) -> None:
    if me not in roster.coordinators:
        raise CopartError(f"only a coordinator can {what}; you are '{me}'",
                          hint="coordinators are members with 'coordinator' in their roles on main")


def _decidable(c: Contribution, what: str) -> None:
    if not c.open:
        raise CopartError(f"{c.key} is {c.state.replace('_', ' ')}; it cannot be {what}")


# -- checks, signatures, merging ----------------------------------------------------------



def detail(rep: Repertoire, key: str, *, member: str | None = None) -> ContributionDetail:
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
            entries.append(entry_from(data, rel))
        except (InvalidEntry, UnicodeDecodeError):
            entries.append(Entry(path=rel, meta={"id": ids.of_path(rel)},
                                 body=data.decode("utf-8", "replace"), pending=True))
    roster = roster_at(git, main_rev(rep))
    signers = allowed_signers_file(rep, roster)
    links = [p for p, mode in git.modes_at(tip, c.paths).items() if mode == "120000"]
    sigs = contribution_signatures(rep, c, signers)
    sig, sig_detail = signature_status(rep, c, roster, signers, sigs)
    added = [e for e in entries if base is None or git.file_at(base, e.path) is None]
    return ContributionDetail(c, entries, removed, diff, problems, mergeable, conflicts, sig, sig_detail,
                              behaviour_paths(c.paths), links, authorship(roster, sigs, added))





def list_mine(rep: Repertoire, state: str | None = None) -> ContributionList:
    me = current_member(rep)
    found = contributions(rep, member=me)
    if state:
        found = [c for c in found if c.state == state]
    return ContributionList(found, mine=True)


def show_mine(rep: Repertoire, key: str) -> ContributionDetail:
    return detail(rep, key, member=current_member(rep))


def withdraw(rep: Repertoire, key: str, reason: str = "") -> ReviewAction:
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key, member=me)
        _decidable(c, "withdrawn")
        sha = add_event(rep, c, "withdraw", reason or "", target=c.latest.tip, by=me)
        c.events.append(Event(sha, "withdraw", me, utcnow(), c.latest.n, reason or ""))
        c.state = "withdrawn"
        tidy_worktree(rep, me)
    return ReviewAction("withdrawn", c, event=sha)


def revise(rep: Repertoire, key: str, message: str = "") -> ReviewAction:
    """v<N+1> from main as it is now, carrying the contribution's files as they are in the work tree."""
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key, member=me)
        if c.state in ("accepted", "withdrawn"):
            raise CopartError(f"{c.key} is {c.state}; start a new contribution by editing the entry")
        changes = {}
        for path in c.paths:
            here = worktree_bytes(rep, path)
            if here is not None or not (rep.root / path).exists():
                changes[path] = here if here is not None else git_file(rep, c.latest.tip, path)
        sha = new_version(rep, c, changes, message, rep.git.signing_configured())
        rep.forget_pending()
        add_event(rep, c, "revise", message or "", target=sha, by=me)
    c = find(rep, key, member=me)
    return ReviewAction("revised", c, commit=sha, version=c.latest.n)


def git_file(rep: Repertoire, rev: str, path: str) -> bytes | None:
    return rep.git.file_at(rev, path)


# -- commands: review -------------------------------------------------------------------------


def review_list(rep: Repertoire, everything: bool = False) -> ContributionList:
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
        checks[c.key] = note or ("ok" if not problems else plural(len(problems), "problem"))
        sigs[c.key] = signature_status(rep, c, roster, signers)[0]
    return ContributionList(found, checks, sigs)


def comment(rep: Repertoire, key: str, text: str) -> ReviewAction:
    text = _require_text(text, "a comment")
    me = current_member(rep)
    with rep.write_lock():
        c = find(rep, key)
        sha = add_event(rep, c, "comment", text, target=c.latest.tip, by=me)
    return ReviewAction("commented", c, event=sha)


def _decide(rep: Repertoire, key: str, kind: str, text: str, what: str) -> ReviewAction:
    me = current_member(rep)
    roster = roster_at(rep.git, main_rev(rep))
    _require_coordinator(rep, roster, me, what)
    with rep.write_lock():
        c = find(rep, key)
        _decidable(c, {"request_changes": "sent back", "reject": "rejected"}[kind])
        sha = add_event(rep, c, kind, text, target=c.latest.tip, by=me)
    c.state = "changes_requested" if kind == "request_changes" else "rejected"
    return ReviewAction("changes_requested" if kind == "request_changes" else "rejected", c, event=sha)


def request_changes(rep: Repertoire, key: str, text: str) -> ReviewAction:
    return _decide(rep, key, "request_changes", _require_text(text, "a request for changes"), "request changes")


def reject(rep: Repertoire, key: str, reason: str) -> ReviewAction:
    return _decide(rep, key, "reject", _require_text(reason, "a rejection (--reason)"), "reject a contribution")


def _refuse_unless_acceptable(d: ContributionDetail, me: str, roster: Roster, *, ignore_checks: bool,
                              allow_config: bool, allow_unsigned: bool) -> None:
    """Every reason a coordinator may not accept this contribution as it is (some lifted by an option)."""
    c = d.contribution
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
                          hint="request changes, or accept anyway with --ignore-checks")
    if d.behaviour and not allow_config:
        more = f" and {len(d.behaviour) - 3} more" if len(d.behaviour) > 3 else ""
        raise CheckFailed(f"{c.key} changes how copart behaves ({', '.join(d.behaviour[:3])}{more}): "
                          "the configuration and template overrides run on every partner's machine",
                          hint=f"read the diff with: copart review show {c.key}; then accept with --allow-config")
    if d.signature != "signed" and not allow_unsigned:
        why = d.signature_detail[0] if d.signature_detail else d.signature
        raise CheckFailed(f"{c.key} is not properly signed ({d.signature}): {why}",
                          hint="the author runs copart setup-signing and revises; or --allow-unsigned")


def _accept_message(d: ContributionDetail, roster: Roster, me: str, email: str, message: str,
                    resolved: str | None) -> str:
    """The merge commit's message: what it brings, and trailers naming the contribution and its reviewer."""
    c, tip = d.contribution, d.contribution.latest.tip
    reviewer = roster.members.get(me)
    titles = [e.title for e in d.entries] + [f"remove {p}" for p in d.removed]
    lines = [f"Accept contribution {c.key} v{c.latest.n}", ""]
    if message.strip():
        lines += [message.strip(), ""]
    lines += [f"- {t}" for t in titles] + [""]
    lines += [f"Contribution: {c.key}", f"Contribution-Version: {c.latest.n}", f"Contribution-Commit: {tip}",
              f"Reviewed-by: {reviewer.name if reviewer else me} <{email}>"]
    if resolved:
        lines.append(f"Conflicts-Resolved: {resolved}")
    return "\n".join(lines) + "\n"


def accept(rep: Repertoire, key: str, *, ignore_checks: bool = False, prefer: str | None = None,
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
        if not c.merged_outside:  # on main without its event: an accept killed half-way, finished below
            _decidable(c, "accepted")
        _refuse_unless_acceptable(d, me, roster, ignore_checks=ignore_checks, allow_config=allow_config,
                                  allow_unsigned=allow_unsigned)
        main_ref = MAIN if git.rev(MAIN) else main_rev(rep)
        main_sha = git.rev(main_ref)
        tip = c.latest.tip
        if main_sha is None or git.is_ancestor(tip, main_sha):
            merge = git.first_parent_matching(main_sha, f"^Contribution-Commit: {tip}$") if main_sha else None
            if not merge:
                raise CopartError(f"{c.key} has nothing to merge into main")
            # an accept killed between its merge and its event: record the decision now
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
        text = _accept_message(d, roster, me, git.identity().email, message, prefer if merged.conflicts else None)
        merge = git.make_commit(tree, [main_sha, tip], text, sign=True)
        if git.current_branch() == main_ref.removeprefix("refs/heads/") or (main_ref == "HEAD"):
            set_aside(rep)  # the coordinator's own pending files, safe on their branches
            try:
                rep.fast_forward(merge)
            finally:
                tidy_worktree(rep, me)
        else:
            git.update_ref(main_ref, merge, main_sha)
        event = add_event(rep, c, "accept", message, target=tip, merge=merge, by=me)
    c.state = "accepted"
    return ReviewAction("accepted", c, event=event, commit=merge, version=c.latest.n)
