"""`ask "question"`: the passages that answer it, the members who know, open asks like it;
with --post, the question recorded as an open ask."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import UsageError
from copart_cli.core.model import Kind
from copart_cli.services.search import (IndexState, Person, Progress, Result, check_query, coverage, hit_entry,
                                        passages, snapshot, stem)
from copart_cli.services.lifecycle import without_obsolete
from copart_cli.services.who import rank_people

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


@dataclass
class AskResult:
    view = "search"
    question: str
    results: list[Result]
    people: list[Person]
    open_asks: list[Result]
    corrections: dict[str, str]
    answered: bool  # False: nothing answers it well
    note: str | None = None
    posted: Any = None  # the ask created by --post (a capture.WriteResult)
    index: IndexState | None = None
    terms: list[str] = field(default_factory=list)  # the question's words as searched (stemmed)
    obsolete: list[Any] = field(default_factory=list)  # lifecycle.LeftOut: obsolete entries left out


def ask(rep: Repertoire, question: str, *, limit: int = 5, post: bool = False, progress: Progress | None = None,
        author: str | None = None, obsolete: bool = False) -> AskResult:
    question = check_query(question, 'copart ask "how do we price a first workshop?"')
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    with snapshot(rep, progress) as (index, state):
        result = _ask(rep, index, question, limit, state, obsolete)
    if post:
        if not result.terms:
            raise UsageError("this question says nothing partners could answer (only question words)",
                             hint='say what it is about: copart ask "how do we price a first workshop?" --post')
        result.posted = post_ask(rep, question, result.terms, author=author)
    return result


def _ask(rep: Repertoire, index: ixs.Reading, question: str, limit: int, state: IndexState,
         obsolete: bool = False) -> AskResult:
    found = index.search(ixs.Query(question, "ask", limit=limit), pool=60)
    found.hits, left_out = without_obsolete(found.hits, rep.root, keep=obsolete)  # lifecycle.py
    terms = found.terms
    answers = [h for h in found.hits if h.kind != "member" and not (h.kind == "ask" and h.meta.get("status") == "open")]
    best = max((coverage(h, terms) for h in answers), default=0.0)
    need = 1.0 if len(terms) <= 2 else 0.5
    answered = bool(answers) and best >= need
    results: list[Result] = []
    if answered:
        floor = max(0.34, 0.6 * best)
        for h in answers:
            cov = coverage(h, terms)
            if cov >= floor:
                results.append(Result(hit_entry(h), round(h.score, 4), passages(rep.root, h.path, terms), cov))
            if len(results) == limit:
                break
    open_found = index.search(ixs.Query(question, "ask", kind="ask", status="open", limit=3))
    open_asks = [Result(hit_entry(h), round(h.score, 4), [], coverage(h, terms)) for h in open_found.hits[:3]
                 if coverage(h, terms) >= (1.0 if len(terms) == 1 else 0.5)]
    floor = max(0.34, 0.6 * best)
    relevant = [h for h in found.hits if coverage(h, terms) >= floor]
    people = rank_people(index, relevant, terms) if answered or any(h.kind == "member" for h in relevant) else []
    note = found.note
    if not answered and not note:
        note = "nothing in the repertoire answers this well"
    return AskResult(question, results, people[:3], open_asks, found.corrections, answered, note, index=state,
                     terms=terms, obsolete=left_out)


def post_ask(rep: Repertoire, question: str, terms: list[str], author: str | None = None):
    """Record the question as an open ask (one commit)."""
    from copart_cli.services.capture import Changes, new_entry  # capture sits above search: no circle

    one_line = " ".join(question.split())
    title = one_line if len(one_line) <= 120 else one_line[:117].rsplit(" ", 1)[0] + "…"
    topics = [t for t in rep.config.topics if any(stem(w) in terms for w in re.findall(r"\w+", t.lower()))]
    changes = Changes(body=question.strip() + "\n", topics=topics[:5])
    return new_entry(rep, Kind.ask, title, changes, author=author)
