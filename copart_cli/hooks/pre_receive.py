"""The hub's pre-receive hook: every push is judged against the members on the hub's main.

git runs it in the bare hub with the pushed objects quarantined and the ref updates on
stdin ("<old> <new> <ref>" per line). Exit 0 lets the whole push in; anything else refuses
all of it (git updates no ref), so a bug or a crash here fails closed. Each ref update is
judged by what the ref would hold, not only by the objects new to the hub: pointing a ref
at commits the hub already has is judged like pushing them. Every refusal names the rule:

  malformed-input        stdin is not what git sends
  main-moved             another push moved main while this one was on its way (sync fetches
                         and pushes again: it is a lost race, checked before the roster is read)
  unknown-ref            only main, contrib/<member>/<id>/v<N> and copart review refs are allowed
  deletion               main never; contrib/<m>/… by m or a coordinator, review refs by a
                         coordinator, each only in a signed push (git push --signed)
  non-fast-forward       history is never rewritten
  not-a-commit           a ref must point at a commit
  unsigned               every commit a ref gains is signed
  bad-signature          a signature that does not match its commit (tampered)
  non-member             signed by a key that is in no member profile on main
  duplicate-key          a key in two profiles signs for nobody; main may not list one twice
  namespace              contrib/<m>/… holds only commits signed by m (withdraw/revise events likewise)
  wrong-contribution     each commit of contrib/<m>/<id>/v<N> was made for it (its Copart- trailers)
  main-needs-coordinator every first-parent commit main gains is signed by a coordinator
  not-an-event           review refs hold copart review events only (empty trees)
  impersonation          an event's Copart-By must be its signer
  partner-decision       accept, reject and request-changes are coordinators' events
  unproven-accreditation every commit a push brings that changes accreditations/ is signed by
                         a coordinator (any line of history, any date), and each record main
                         gains or changes is proven (accreditations.py)
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_LINE = re.compile(r"^([0-9a-f]{40}) ([0-9a-f]{40}) (refs/[\x21-\x7e]{1,250})$")
_CONTRIB = re.compile(r"^refs/heads/contrib/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)/v([1-9][0-9]{0,5})$")
_REVIEW = re.compile(r"^refs/copart/reviews/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)$")
MAIN = "refs/heads/main"
MAX_INPUT = 1_000_000
_RULES = {"unknown-key": "non-member"}  # signing.classify's names, as the hub's rules


class Refusal(Exception):
    def __init__(self, ref: str, rule: str, detail: str):
        super().__init__(f"{ref}: {rule}: {detail}")
        self.ref, self.rule, self.detail = ref, rule, detail


@dataclass
class Push:
    """What every update of one push is judged with."""

    git: object
    roster: object  # signing.Roster on the hub's main
    signers: Path  # its allowed_signers file
    main_after: str | None  # main as it will be if this push goes in
    pusher: str | None  # the member who signed the push certificate, if one did
    certified: set[str]  # the "<old> <new> <ref>" lines that certificate covers


def parse_updates(data: bytes) -> list[tuple[str, str, str]]:
    if len(data) > MAX_INPUT:
        raise Refusal("-", "malformed-input", "more input than any push sends")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise Refusal("-", "malformed-input", "stdin is not ref updates (not ASCII)") from None
    updates = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if not m:
            raise Refusal("-", "malformed-input", f"line {n} is not '<old> <new> <ref>'")
        updates.append((m.group(1), m.group(2), m.group(3)))
    return updates


def _signed_by_member(push: Push, ref: str, sigs: list[dict]) -> None:
    from copart_cli.services.signing import classify

    for s in sigs:
        problem = classify(s, push.roster)
        if problem:
            raise Refusal(ref, _RULES.get(problem[0], problem[0]), f"commit {s['commit'][:10]}: {problem[1]}")


def check_update(push: Push, old: str, new: str, ref: str) -> None:
    """Raise Refusal if this one ref update breaks the policy."""
    git = push.git
    contrib, review = _CONTRIB.match(ref), _REVIEW.match(ref)
    if ref != MAIN and not contrib and not review:
        raise Refusal(ref, "unknown-ref", "the hub takes main, contrib/<member>/<id>/v<N> and review refs only")
    if new == ZERO:
        return _check_deletion(push, old, ref, contrib, review)
    if git.object_type(new) != "commit":
        raise Refusal(ref, "not-a-commit", f"{new[:10]} is not a commit")
    if old != ZERO and not git.is_ancestor(old, new):
        raise Refusal(ref, "non-fast-forward", "this would rewrite history the hub already has")
    # each rule below judges every commit the ref gains, new to the hub or not
    if ref == MAIN:
        return _check_main(push, old, new)
    if contrib:
        return _check_contribution(push, new, ref, contrib.group(1), contrib.group(2), contrib.group(3))
    return _check_events(push, old, new, ref, review.group(1), review.group(2))


def _check_main(push: Push, old: str, new: str) -> None:
    from copart_cli.services.signing import first_parent_line, roster_at, signer

    git, ref = push.git, MAIN
    sigs = git.signatures(new, since=None if old == ZERO else old, allowed_signers=push.signers)
    _signed_by_member(push, ref, sigs)
    by_commit = {s["commit"]: s for s in sigs}
    line, _ = first_parent_line(new, by_commit)
    for s in sigs:
        who = signer(s, push.roster)
        if s["commit"] in line and who not in push.roster.coordinators:
            raise Refusal(ref, "main-needs-coordinator",
                          f"commit {s['commit'][:10]} on main is signed by {who or 'nobody'}, not a coordinator")
    shared = roster_at(git, new).duplicate_problems()
    if shared:
        raise Refusal(ref, "duplicate-key", f"{shared[0]}: a key belongs to one member")
    _check_accreditations(push, old, new, by_commit)


def _check_accreditations(push: Push, old: str, new: str, sigs: dict[str, dict]) -> None:
    """SIGS: the signature of every commit main gains (read once by _check_main)."""
    from copart_cli.services.accreditations import FOLDER, PROVEN, prove_at, records_at
    from copart_cli.services.signing import signer

    git = push.git
    changed = [p for p in git.diff_names(EMPTY_TREE if old == ZERO else old, new) if p.startswith(FOLDER + "/")]
    if not changed:
        return
    # every commit that wrote records in this push is a coordinator's, on whatever line of
    # history and whatever date it claims (a date decides which change looks "last")
    for sha in git.commits_changing(new, FOLDER, since=None if old == ZERO else old):
        s = sigs.get(sha)
        if s is None:  # git could not say: refuse, never wave through
            raise Refusal(MAIN, "unproven-accreditation", f"commit {sha[:10]}: its signature could not be read")
        who = signer(s, push.roster)
        if not push.roster.is_coordinator(who):
            raise Refusal(MAIN, "unproven-accreditation",
                          f"commit {s['commit'][:10]} changes an accreditation and is signed by {who or 'nobody'}, "
                          "not a coordinator")
    present = set(git.paths_at(new, FOLDER))  # a record taken away (a revocation) needs no proof
    records, unreadable = records_at(git, new, [p for p in changed if p in present])
    if unreadable:
        raise Refusal(MAIN, "unproven-accreditation", unreadable[0])
    for r in prove_at(git, new, records, push.roster, push.signers):
        if r.status != PROVEN:
            raise Refusal(MAIN, "unproven-accreditation", f"{r.path}: {r.status}")


def _check_contribution(push: Push, new: str, ref: str, owner: str, cid: str, version: str) -> None:
    """Every commit the contribution holds beyond main is its member's and was made for it."""
    from copart_cli.services.contributions import trailers
    from copart_cli.services.signing import signer

    git = push.git
    since, limit = push.main_after, None
    if not git.commits(new, since=since, limit=1):
        since, limit = None, 1  # a contribution main already holds (accepted): its tip is judged
    sigs = git.signatures(new, since=since, limit=limit, allowed_signers=push.signers)
    _signed_by_member(push, ref, sigs)
    if owner not in push.roster.members:
        raise Refusal(ref, "namespace", f"'{owner}' is not a member")
    for s in sigs:
        who = signer(s, push.roster)
        if who != owner:
            raise Refusal(ref, "namespace", f"commit {s['commit'][:10]} is signed by {who}, but contrib/{owner}/ is {owner}'s")
    for rec in git.commit_records(new, since=since, limit=limit):
        sha, message = rec.sha, rec.message
        t = trailers(message)
        made_for = (t.get("copart-contribution"), t.get("copart-version"))
        if made_for != (f"{owner}/{cid}", version):
            shown = f"{made_for[0]} v{made_for[1]}" if made_for[0] else "no contribution"
            raise Refusal(ref, "wrong-contribution", f"commit {sha[:10]} was made for {shown}, not {owner}/{cid} v{version}")


def _check_events(push: Push, old: str, new: str, ref: str, owner: str, cid: str) -> None:
    """Every commit the review ref gains is an empty-tree event about this contribution, signed by its author."""
    from copart_cli.services.contributions import COORDINATOR_EVENTS, parse_event, trailers
    from copart_cli.services.signing import signer

    git, roster = push.git, push.roster
    events = {}
    for rec in git.commit_records(new, since=None if old == ZERO else old):  # what the commits are first: no signature checked yet
        sha, tree, parents, message = rec.sha, rec.tree, list(rec.parents), rec.message
        if tree != EMPTY_TREE:
            raise Refusal(ref, "not-an-event", f"commit {sha[:10]} carries files; review events have empty trees")
        ev = parse_event(sha, message)
        if len(parents) > 1:
            if ev is None or ev.type != "merge":
                raise Refusal(ref, "not-an-event", f"merge {sha[:10]} is not a copart merge of review events")
            continue  # joins two lines of events: signed by a member (below), nothing more to say
        if ev is None or ev.type == "merge":
            raise Refusal(ref, "not-an-event", f"commit {sha[:10]} is not a copart review event")
        contribution = trailers(message).get("copart-contribution")
        if contribution != f"{owner}/{cid}":
            raise Refusal(ref, "not-an-event", f"commit {sha[:10]} is an event of {contribution}, not {owner}/{cid}")
        events[sha] = ev
    sigs = git.signatures(new, since=None if old == ZERO else old, allowed_signers=push.signers)
    _signed_by_member(push, ref, sigs)
    for s in sigs:
        sha, ev = s["commit"], events.get(s["commit"])
        if ev is None:
            continue
        who = signer(s, roster)
        if ev.by != who:
            raise Refusal(ref, "impersonation", f"event {sha[:10]} says it is by {ev.by!r} but {who} signed it")
        if ev.type in COORDINATOR_EVENTS and who not in roster.coordinators:
            raise Refusal(ref, "partner-decision", f"{ev.type.replace('_', ' ')} by {who}, who is not a coordinator")
        if ev.type in ("withdraw", "revise") and who != owner and who not in roster.coordinators:
            raise Refusal(ref, "namespace", f"only {owner} can {ev.type} {owner}/{cid}")


def _check_deletion(push: Push, old: str, ref: str, contrib, review) -> None:
    """Deleting needs to know who asks: a push certificate (git push --signed) signed by a member."""
    if ref == MAIN:
        raise Refusal(ref, "deletion", "main is never deleted")
    who = push.pusher if f"{old} {ZERO} {ref}" in push.certified else None
    if who is None:
        raise Refusal(ref, "deletion", "deleting needs a push signed by its member or a coordinator (git push --signed)")
    if who in push.roster.coordinators or (contrib and contrib.group(1) == who):
        return
    whose = f"{contrib.group(1)}'s contribution" if contrib else "review events"
    raise Refusal(ref, "deletion", f"{who} may not delete {whose}; its member or a coordinator may")


def pusher(git, roster, env) -> tuple[str | None, set[str]]:
    """The member who signed this push's certificate (checked by git, fresh nonce), and the lines it covers."""
    cert = env.get("GIT_PUSH_CERT", "")
    if not cert or env.get("GIT_PUSH_CERT_NONCE_STATUS") != "OK" or env.get("GIT_PUSH_CERT_STATUS") not in ("G", "U"):
        return None, set()
    owners = roster.owners(env.get("GIT_PUSH_CERT_KEY", ""))
    if len(owners) != 1:
        return None, set()
    text = git.blob(cert).decode("utf-8", "replace")
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    return owners[0], {line.strip() for line in body.splitlines() if _LINE.match(line.strip())}


def judge(repo: Path, data: bytes, env=None) -> list[Refusal]:
    """Every refusal for this push (empty: let it in)."""
    from copart_cli.core.errors import CopartError
    from copart_cli.adapters.gitrepo import GitRepo
    from copart_cli.services.signing import MAIN as MAIN_REF, roster_at

    try:
        updates = parse_updates(data)
    except Refusal as exc:
        return [exc]
    git = GitRepo(repo)
    roster = roster_at(git, MAIN_REF)
    main_after = next((new for _, new, ref in updates if ref == MAIN and new != ZERO), None) or git.rev(MAIN_REF)
    who, certified = pusher(git, roster, os.environ if env is None else env)
    refusals = []
    with tempfile.TemporaryDirectory(prefix="copart-hook-") as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_text(roster.allowed_signers(), encoding="utf-8")
        push = Push(git, roster, signers, main_after, who, certified)
        for old, new, ref in updates:
            try:
                check_update(push, old, new, ref)
            except Refusal as exc:
                refusals.append(exc)
            except CopartError as exc:
                refusals.append(Refusal(ref, "error", exc.message))
    return refusals


def _dependencies() -> str | None:
    """Import everything a judgement needs now, so a missing piece refuses with its name, not mid-push."""
    try:
        import copart_cli.adapters.gitrepo  # noqa: F401
        import copart_cli.core.yamlio  # noqa: F401  (profiles are YAML: PyYAML must be there)
        import copart_cli.services.accreditations  # noqa: F401
        import copart_cli.services.contributions  # noqa: F401
        import copart_cli.services.signing  # noqa: F401
    except Exception as exc:  # an ImportError, or a copart too new for this Python (SyntaxError)
        return f"{type(exc).__name__}: {exc}"
    return None


def probe() -> int:
    """`pre-receive --check` (git never passes arguments): which copart and Python would judge pushes."""
    import copart_cli

    missing = _dependencies()
    if missing:
        sys.stderr.write(f"copart hub: refused: hook-cannot-run: copart's dependencies do not import "
                         f"with {sys.executable} for this user ({missing})\n")
        return 1
    where = Path(copart_cli.__file__).resolve().parent
    sys.stdout.write(f"copart {copart_cli.__version__} from {where}, Python {sys.version.split()[0]} "
                     f"({sys.executable})\n")
    return 0


def main_moved(repo: Path, data: bytes) -> list[Refusal]:
    """A push to main whose old value is no longer main's: git would refuse it after the
    judging anyway. Checked before the roster is read, so that partners who all push at once
    do not each pay a whole judgement for a race they already lost."""
    from copart_cli.adapters.gitrepo import GitRepo

    try:
        olds = [old for old, _, ref in parse_updates(data) if ref == MAIN]
    except Refusal:
        return []  # judge() names what is malformed
    now = GitRepo(repo).rev(MAIN) if olds else None
    if now is None or now == olds[0]:  # None: no main, or one git cannot read: judge() says which
        return []
    return [Refusal(MAIN, "main-moved", "another push moved main while this one was on its way; fetch and push again")]


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--check"]:
        return probe()
    try:
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
        missing = _dependencies()
        if missing:
            sys.stderr.write(f"copart hub: refused: hook-cannot-run: copart's dependencies do not import with "
                             f"{sys.executable} for this user ({missing}); copart hub check HUB says more\n")
            return 1
        refusals = main_moved(Path(os.getcwd()), data) or judge(Path(os.getcwd()), data)
    except Exception as exc:  # never let a bad ref through because of a bug: refuse
        sys.stderr.write(f"copart hub: refused: internal-error: {type(exc).__name__}: {exc}\n")
        return 1
    for r in refusals:
        sys.stderr.write(f"copart hub: refused {r.ref}: {r.rule}: {r.detail}\n")
    return 1 if refusals else 0


if __name__ == "__main__":
    sys.exit(main())
