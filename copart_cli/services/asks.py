"""Asks and answers: `answer ASK_ID`, `asks`, `accept ANSWER_ID`.

An answer is its own file (`answers/<id>.md`, `answers: <ask id>`, `accepted: false`) so two
partners answering at once never touch the same file. Accepting an answer sets
`accepted: true` on it and `status: answered` on the ask (which leaves the open list), in
one commit; only the asker or a coordinator may do it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.core.errors import CopartError, UsageError
from copart_cli.core.model import EPOCH as _EPOCH, Entry, Kind, Problem

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


@dataclass
class AskItem:
    ask: Entry
    answers: int
    accepted: str | None  # the accepted answer's id


@dataclass
class AsksList:
    view = "search"
    asks: list[AskItem]
    status: str  # open | answered | closed | all
    unreadable: list[Problem] = field(default_factory=list)  # entries that could not be read (named on stderr)


@dataclass
class AcceptResult:
    view = "search"
    answer: Entry
    ask: Entry
    commit: str | None
    action: str  # accepted | unchanged


def get_ask(rep: Repertoire, ask_id: str) -> Entry:
    return rep.load(rep.find(ask_id, Kind.ask, hint="see the open asks with: copart asks"))


def answer_ask(rep: Repertoire, ask_id: str, changes, *, author: str | None = None, editor=None):
    """Add an answer to an ask, as its own file, in one commit."""
    from copart_cli.services.capture import new_entry

    ask = get_ask(rep, ask_id)
    if changes.body is not None and not changes.body.strip():
        raise UsageError("the answer's text is empty", hint=f'copart answer {ask.id} --body "…" (or --body-file F)')
    changes.fields["answers"] = ask.id
    changes.fields.setdefault("accepted", False)
    if not changes.topics:
        changes.topics = list(ask.topics)
    title = f"Re: {ask.title}"
    if len(title) > 300:
        title = title[:297] + "..."
    result = new_entry(rep, Kind.answer, title, changes, author=author, editor=editor,
                       template_vars={"answers": ask.id})
    if ask.meta.get("status") == "closed":
        result.warnings.append(Problem(ask.path, 1, "this ask is closed; your answer was added anyway"))
    return result


def list_asks(rep: Repertoire, status: str = "open", author: str | None = None) -> AsksList:
    if status not in ("open", "answered", "closed", "all"):
        raise UsageError(f"unknown status '{status}'", hint="one of open, answered, closed, all")
    asks: list[Entry] = []
    answers: dict[str, list[Entry]] = {}
    unreadable: list[Problem] = []
    for entry in rep.entries(unreadable):
        if entry.kind == Kind.ask.value:
            asks.append(entry)
        elif entry.kind == Kind.answer.value and entry.meta.get("answers"):
            answers.setdefault(str(entry.meta["answers"]), []).append(entry)
    items = []
    for a in asks:
        st = str(a.meta.get("status") or "open")
        if status != "all" and st != status:
            continue
        if author and a.author != author:
            continue
        replies = answers.get(a.id, [])
        accepted = next((r.id for r in replies if r.meta.get("accepted") is True), None)
        items.append(AskItem(a, len(replies), accepted))
    items.sort(key=lambda i: (i.ask.created or _EPOCH, i.ask.id), reverse=True)
    return AsksList(items, status, unreadable)


def accept_answer(rep: Repertoire, answer_id: str, *, as_member: str | None = None) -> AcceptResult:
    """Mark an answer accepted and its ask answered; the asker or a coordinator only."""
    from copart_cli.services.capture import Changes, apply_changes
    from copart_cli.adapters.files import atomic_write, read_text

    answer = rep.load(rep.find(answer_id, Kind.answer, hint="the answers to an ask are listed by: copart show ASK_ID"))
    ask_id = str(answer.meta.get("answers") or "")
    ask = get_ask(rep, ask_id)
    identity = rep.git.identity()
    me = rep.members().get(as_member) if as_member else rep.member_for_email(identity.email)
    if me is None:
        raise CopartError("only the asker or a coordinator can accept an answer, and you have no member profile",
                          hint="add yours with: copart new member \"Your Name\" --field email=you@example.org")
    if me.id != ask.author and not me.is_coordinator:
        raise CopartError(f"only the asker ({ask.author}) or a coordinator can accept an answer to '{ask.id}'")
    if answer.meta.get("accepted") is True and ask.meta.get("status") == "answered":
        return AcceptResult(answer, ask, None, "unchanged")
    before = {}
    try:
        for entry, fields in ((answer, {"accepted": True}), (ask, {"status": "answered"})):
            text = read_text(rep.root / entry.path, entry.path)
            before[entry.path] = text
            atomic_write(rep.root / entry.path, apply_changes(text, Changes(fields=fields), entry.path), entry.path)
        sha = rep.commit([answer.path, ask.path], f"answer: accept {answer.id}\n\nfor ask {ask.id}, by {me.id}")
    except BaseException:
        for path, text in before.items():
            atomic_write(rep.root / path, text, path)
        raise
    return AcceptResult(rep.load(answer.path), rep.load(ask.path), sha, "accepted")
