"""The hub's pre-receive hook: every push is judged against the members on the hub's main.

git runs it in the bare hub with the pushed objects quarantined and the ref updates on
stdin ("<old> <new> <ref>" per line). Exit 0 lets the whole push in; anything else refuses
all of it (git updates no ref), so a bug or a crash here fails closed. Every refusal names
the rule that fired:

  malformed-input        stdin is not what git sends
  unknown-ref            only main, contrib/<member>/<id>/v<N> and copart review refs are allowed
  deletion               refs are never deleted
  non-fast-forward       history is never rewritten
  not-a-commit           a ref must point at a commit
  unsigned               every new commit is signed
  bad-signature          a signature that does not match its commit (tampered)
  non-member             signed by a key that is in no member profile on main
  namespace              contrib/<member>/… is written only by that member (withdraw likewise)
  main-needs-coordinator every new first-parent commit on main is signed by a coordinator
  not-an-event           review refs hold copart review events only
  impersonation          an event's Copart-By must be its signer
  partner-decision       accept, reject and request-changes are coordinators' events
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

ZERO = "0" * 40
_LINE = re.compile(r"^([0-9a-f]{40}) ([0-9a-f]{40}) (refs/[\x21-\x7e]{1,250})$")
_CONTRIB = re.compile(r"^refs/heads/contrib/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)/v[1-9][0-9]{0,5}$")
_REVIEW = re.compile(r"^refs/copart/reviews/([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)$")
MAIN = "refs/heads/main"
MAX_INPUT = 1_000_000


class Refusal(Exception):
    def __init__(self, ref: str, rule: str, detail: str):
        super().__init__(f"{ref}: {rule}: {detail}")
        self.ref, self.rule, self.detail = ref, rule, detail


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


def check_update(git, roster, signers: Path, old: str, new: str, ref: str) -> None:
    """Raise Refusal if this one ref update breaks the policy."""
    from copart_cli.review import COORDINATOR_EVENTS, parse_event
    from copart_cli.signing import classify

    contrib = _CONTRIB.match(ref)
    review = _REVIEW.match(ref)
    if ref != MAIN and not contrib and not review:
        raise Refusal(ref, "unknown-ref", "the hub takes main, contrib/<member>/<id>/v<N> and review refs only")
    if new == ZERO:
        raise Refusal(ref, "deletion", "refs are never deleted on the hub")
    if git.git("cat-file", "-t", new, check=False).strip() != "commit":
        raise Refusal(ref, "not-a-commit", f"{new[:10]} is not a commit")
    if old != ZERO and not git.is_ancestor(old, new):
        raise Refusal(ref, "non-fast-forward", "this would rewrite history the hub already has")
    sigs = git.signatures(new, "--not", "--all", allowed_signers=signers)
    for s in sigs:
        problem = classify(s, roster)
        if problem:
            rule = {"unknown-key": "non-member"}.get(problem[0], problem[0])
            raise Refusal(ref, rule, f"commit {s['commit'][:10]}: {problem[1]}")
    if ref == MAIN:
        if old == ZERO:
            line = git.signatures(new, "--not", "--all", allowed_signers=signers, first_parent=True)
        else:
            line = git.signatures(f"{old}..{new}", allowed_signers=signers, first_parent=True)
        for s in line:
            if s["signer"] not in roster.coordinators:
                raise Refusal(ref, "main-needs-coordinator",
                              f"commit {s['commit'][:10]} on main is signed by {s['signer'] or 'nobody'}, not a coordinator")
        return
    if contrib:
        owner = contrib.group(1)
        if owner not in roster.members:
            raise Refusal(ref, "namespace", f"'{owner}' is not a member")
        for s in sigs:
            if s["signer"] != owner:
                raise Refusal(ref, "namespace", f"commit {s['commit'][:10]} is signed by {s['signer']}, "
                                                f"but contrib/{owner}/ is {owner}'s")
        return
    owner, cid = review.group(1), review.group(2)
    # every commit the ref gains must be an event, even ones the hub already holds elsewhere
    gained = git.signatures(new if old == ZERO else f"{old}..{new}", allowed_signers=signers)
    for s in gained:
        problem = classify(s, roster)
        if problem:
            rule = {"unknown-key": "non-member"}.get(problem[0], problem[0])
            raise Refusal(ref, rule, f"commit {s['commit'][:10]}: {problem[1]}")
    for s in gained:
        if len(s["parents"]) > 1:
            continue  # a merge joining two lines of events; already checked as signed by a member
        ev = parse_event(s["commit"], git.commit_message(s["commit"]))
        if ev is None or ev.type == "merge":
            raise Refusal(ref, "not-an-event", f"commit {s['commit'][:10]} is not a copart review event")
        contribution = _contribution_trailer(git.commit_message(s["commit"]))
        if contribution != f"{owner}/{cid}":
            raise Refusal(ref, "not-an-event", f"commit {s['commit'][:10]} is an event of {contribution}, not {owner}/{cid}")
        if ev.by != s["signer"]:
            raise Refusal(ref, "impersonation", f"event {s['commit'][:10]} says it is by {ev.by!r} but {s['signer']} signed it")
        if ev.type in COORDINATOR_EVENTS and s["signer"] not in roster.coordinators:
            raise Refusal(ref, "partner-decision",
                          f"{ev.type.replace('_', ' ')} by {s['signer']}, who is not a coordinator")
        if ev.type in ("withdraw", "revise") and s["signer"] != owner and s["signer"] not in roster.coordinators:
            raise Refusal(ref, "namespace", f"only {owner} can {ev.type} {owner}/{cid}")


def _contribution_trailer(message: str) -> str | None:
    from copart_cli.review import _trailers

    return _trailers(message).get("copart-contribution")


def judge(repo: Path, data: bytes) -> list[Refusal]:
    """Every refusal for this push (empty: let it in)."""
    from copart_cli.errors import CopartError
    from copart_cli.gitrepo import GitRepo
    from copart_cli.signing import MAIN as MAIN_REF, roster_at

    try:
        updates = parse_updates(data)
    except Refusal as exc:
        return [exc]
    git = GitRepo(repo)
    roster = roster_at(git, MAIN_REF)
    refusals = []
    with tempfile.TemporaryDirectory(prefix="copart-hook-") as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_text(roster.allowed_signers(), encoding="utf-8")
        for old, new, ref in updates:
            try:
                check_update(git, roster, signers, old, new, ref)
            except Refusal as exc:
                refusals.append(exc)
            except CopartError as exc:
                refusals.append(Refusal(ref, "error", exc.message))
    return refusals


def main() -> int:
    try:
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
        refusals = judge(Path(os.getcwd()), data)
    except Exception as exc:  # never let a bad ref through because of a bug: refuse
        sys.stderr.write(f"copart hub: refused: internal-error: {type(exc).__name__}: {exc}\n")
        return 1
    for r in refusals:
        sys.stderr.write(f"copart hub: refused {r.ref}: {r.rule}: {r.detail}\n")
    return 1 if refusals else 0


if __name__ == "__main__":
    sys.exit(main())
