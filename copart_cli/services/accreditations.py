"""Accreditations: a coordinator's signed record that a member has walked a pathway.

One small file per accreditation, `accreditations/<pathway>/<member>.md`, written by
`copart accredit` (services/pathways.py) in one commit:

    ---
    member: mokafor
    pathway: pricing-your-work
    pathway_version: 3f2c…      # the last commit of pathways/pricing-your-work.md when granted
    granted_by: jfawcett
    granted: 2026-11-20T10:00:00Z
    ---

Who and which pathway are read from the file's *path*, never from its text. A record is
proven when the newest commit on main that touched its file was validly signed by the
member named in `granted_by`, and that member was a coordinator in the roster of the
commit's first parent (signing.py): so a member who writes or edits a record for
themselves, or a coordinator's record edited afterwards, is caught by `check` and `verify`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from copart_cli.adapters.files import list_dir, read_text
from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import InvalidEntry, LinkRefused
from copart_cli.core.model import Problem, as_datetime, as_text

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire
    from copart_cli.services.signing import VerifyResult

FOLDER = "accreditations"
PROVEN = "proven"


@dataclass
class Accreditation:
    member: str
    pathway: str
    path: str
    granted_by: str = ""
    granted: dt.datetime | None = None
    pathway_version: str = ""
    status: str = ""  # "proven", else what is wrong (set by prove)


def record_path(pathway: str, member: str) -> str:
    return f"{FOLDER}/{pathway}/{member}.md"


def load_all(rep: Repertoire, problems: list[Problem] | None = None) -> list[Accreditation]:
    """Every record in the work tree (unreadable ones become problems)."""
    found = []
    try:
        pathways = [p for p in list_dir(rep.root / FOLDER, FOLDER) if ids.is_valid(p)]
    except LinkRefused as exc:
        _note(problems, exc.rel, exc.REASON)
        return []
    for pathway in pathways:
        folder = f"{FOLDER}/{pathway}"
        try:
            names = list_dir(rep.root / folder, folder)
        except (LinkRefused, NotADirectoryError) as exc:
            _note(problems, folder, getattr(exc, "REASON", "not a folder"))
            continue
        for name in names:
            member = name.removesuffix(".md")
            if not name.endswith(".md") or not ids.is_valid(member):
                continue
            rel = f"{folder}/{name}"
            try:
                found.append(_parse(rel, read_text(rep.root / rel, rel), pathway, member))
            except InvalidEntry as exc:
                _note(problems, rel, exc.message)
    return found


def _note(problems: list[Problem] | None, rel: str, message: str) -> None:
    if problems is not None:
        problems.append(Problem(rel, 1, message))


def _parse(rel: str, text: str, pathway: str, member: str) -> Accreditation:
    meta = frontmatter.load(frontmatter.split(text, rel).frontmatter, rel, first_line=2)
    return Accreditation(member, pathway, rel, as_text(meta.get("granted_by")), as_datetime(meta.get("granted")),
                         as_text(meta.get("pathway_version")))


def held_by(rep: Repertoire, member: str) -> list[Accreditation]:
    """MEMBER's accreditations, each with its proof status."""
    mine = [a for a in load_all(rep) if a.member == member]
    return prove(rep, mine)


def prove(rep: Repertoire, records: list[Accreditation]) -> list[Accreditation]:
    """Set each record's status: proven, or why not (see the module docstring)."""
    from copart_cli.services.signing import allowed_signers_file, main_rev, roster_at

    if not records:
        return records
    main = main_rev(rep)
    roster = roster_at(rep.git, main)
    return prove_at(rep.git, main, records, roster, allowed_signers_file(rep, roster))


def prove_at(git, rev: str, records: list[Accreditation], roster, signers: Path) -> list[Accreditation]:
    """`prove` with the history of REV, the members of ROSTER and their SIGNERS file (the hub's hook
    proves what a push would leave on main with it)."""
    from copart_cli.services.signing import rosters_at, signer

    last: dict[str, str] = {}
    for c in git.history(FOLDER, rev=rev):  # newest first: the newest touch of a file is what counts
        for _, path in c.changes:
            last.setdefault(path, c.sha)
    shas = sorted({last[r.path] for r in records if r.path in last})
    sigs = {s["commit"]: s for s in git.signatures(*shas, only_these=True, allowed_signers=signers)} if shas else {}
    parents = sorted({s["parents"][0] for s in sigs.values() if s["parents"]})
    rosters = dict(zip(parents, rosters_at(git, parents))) if parents else {}
    for r in records:
        sig = sigs.get(last.get(r.path, ""))
        if sig is None:
            r.status = "not on main yet (uncommitted, or waiting for review)"
        elif not roster.keys:  # nobody signs: the author email is all there is (anybody can type one)
            granter = roster.members.get(r.granted_by)
            if not roster.is_coordinator(r.granted_by):
                r.status = f"'{r.granted_by}' is not a coordinator"
            elif granter is None or sig["email"].lower() not in granter.emails:
                r.status = f"its last change was made by {sig['email'][:80]}, not by {r.granted_by}"
            else:
                r.status = "unsigned (nobody in this community signs, so it cannot be proven)"
        else:
            at = rosters.get(sig["parents"][0]) if sig["parents"] else None
            who = signer(sig, at) if at is not None else None
            if who is None:
                r.status = "its last change is not validly signed by a member"
            elif not at.is_coordinator(who):
                r.status = f"its last change was signed by {who}, not a coordinator"
            elif who != r.granted_by:
                r.status = f"it names {r.granted_by or 'nobody'} as granting it, but {who} signed it"
            else:
                r.status = PROVEN
    return records


def check(rep: Repertoire) -> list[Problem]:
    """`check`: records that are unreadable, name no member or pathway, or were not granted by a coordinator."""
    problems: list[Problem] = []
    records = load_all(rep, problems)
    members = set(rep.members())
    for r in records:
        if r.member not in members:
            problems.append(Problem(r.path, 1, f"accreditation of '{r.member}', who has no member profile"))
        if not os.path.lexists(rep.root / f"pathways/{r.pathway}.md"):
            problems.append(Problem(r.path, 1, f"accreditation in '{r.pathway}', which is no pathway"))
    for r in prove(rep, records):
        if r.status != PROVEN and not r.status.startswith(("not on main yet", "unsigned")):
            problems.append(Problem(r.path, 1, f"not proven to be granted by a coordinator: {r.status}"))
    return problems


def holders(rep: Repertoire) -> dict[str, int]:
    """pathway -> how many members hold it (proven, or in a community that does not sign)."""
    counts: dict[str, int] = {}
    for r in prove(rep, load_all(rep)):
        if r.status == PROVEN or r.status.startswith("unsigned"):
            counts[r.pathway] = counts.get(r.pathway, 0) + 1
    return dict(sorted(counts.items()))


def records_at(git, rev: str, paths: list[str]) -> tuple[list[Accreditation], list[str]]:
    """The records among PATHS as commit REV holds them (not as a work tree has them), and the
    problems of those that cannot be read; paths that are no record's are left out."""
    records, unreadable = [], []
    for rel in paths:
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] != FOLDER or not ids.is_valid(parts[1]) \
                or not parts[2].endswith(".md") or not ids.is_valid(parts[2].removesuffix(".md")):
            continue
        try:
            text = (git.file_at(rev, rel) or b"").decode("utf-8", "replace")
            records.append(_parse(rel, text, parts[1], parts[2].removesuffix(".md")))
        except InvalidEntry as exc:
            unreadable.append(exc.message)
    return records, unreadable


def verify(rep: Repertoire, since: str | None = None) -> VerifyResult:
    """`copart verify`: every commit on main (signing.verify), then every accreditation on main."""
    from copart_cli.services.signing import SignatureProblem, main_rev
    from copart_cli.services.signing import verify as verify_commits

    result = verify_commits(rep, since)
    main = main_rev(rep)
    records, unreadable = records_at(rep.git, main, rep.git.paths_at(main, FOLDER) if rep.git.rev(main) else [])
    result.problems.extend(SignatureProblem("", "", "accreditation", message) for message in unreadable)
    for r in prove(rep, records):
        if r.status != PROVEN:
            result.problems.append(SignatureProblem("", "", "accreditation", f"{r.path}: {r.status}"))
    return result
