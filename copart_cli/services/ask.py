"""`ask "question"`: the passages that answer it, the members who know, open asks like it;
with --post, the question recorded as an open ask."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
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


# "Nothing answers well" (docs/search.md): an entry answers if its BM25F is at least
# ANSWER_STRENGTH of what an entry matching every word of the question fully would score, or
# ANSWER_FIT of what the best entries for each word score for it (one entry best at all of
# them); the answers listed are those within RESULT_CUT of the best. Chosen on dev questions.
ANSWER_STRENGTH = 0.23
ANSWER_FIT = 0.75
RESULT_CUT = 0.3
REASONS = {
    "nothing_to_search": "nothing to search for (only question words, stop words or symbols)",
    "no_match": "no entry has any of the question's words",
    "weak_match": "nothing in the repertoire answers this well",
}


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
    reason: str | None = None  # why it is not answered: a key of REASONS
    strength: float = 0.0  # the best entry's share of what a full match would score
    fit: float = 0.0  # the best entry's share of what the best entry for each word scores for it
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


def _is_answer(h: ixs.Hit) -> bool:
    return h.kind != "member" and not (h.kind == "ask" and h.meta.get("status") == "open")


def _answers_well(h: ixs.Hit) -> bool:
    return h.strength >= ANSWER_STRENGTH or h.fit >= ANSWER_FIT


POOL = 60  # entries scored a question, of which the best have their sections read


def ask_across(communities: list[tuple[Repertoire, ixs.Reading, IndexState]], question: str,
               limit: int) -> list[AskResult]:
    """One question of several communities' readings (federated: one idf), answered as one
    index holding all their entries would answer it: the entries read, and the sections
    scored, are the best of them all, not each community's own best."""
    q = ixs.Query(question, "ask", limit=limit)
    window = max(limit * 3, POOL)  # as many as one index reads (Reading._ask): those of all the communities
    best = sorted((s for _, reading, _ in communities for s in reading.top_scores(question, window)), reverse=True)
    floor = best[window - 1] if len(best) >= window else None
    found = [reading.search(q, pool=POOL, floor=floor) for _, reading, _ in communities]
    best = sorted(((rep.root, h) for (rep, _, _), f in zip(communities, found) for h in f.hits),
                  key=lambda x: (-x[1].strength, x[1].path))
    if best:
        ixs.add_sections(best, found[0].terms, communities[0][1].scored(question))
    for f in found:
        f.hits.sort(key=lambda h: (-h.score, h.path))
    return [_ask(rep, reading, question, limit, state, found=f, passages_now=False)
            for (rep, reading, state), f in zip(communities, found)]


def with_passages(root: Path, result: Result, terms: list[str]) -> Result:
    """An answer of ask_across given its passages, once it is one of those shown."""
    result.passages = passages(root, result.entry.path, terms, result.scored_section)
    return result


def _ask(rep: Repertoire, index: ixs.Reading, question: str, limit: int, state: IndexState,
         obsolete: bool = False, found: ixs.Found | None = None, passages_now: bool = True) -> AskResult:
    """The answer from one index; `found`: its entries scored already, and `passages_now` False:
    the passages are left for the answers finally shown (ask_across, with_passages)."""
    found = found or index.search(ixs.Query(question, "ask", limit=limit), pool=POOL, root=rep.root)
    found.hits, left_out = without_obsolete(found.hits, rep.root, keep=obsolete)  # lifecycle.py
    terms = found.terms
    answers = [h for h in found.hits if _is_answer(h)]
    strength = max((h.strength for h in answers), default=0.0)
    fit = max((h.fit for h in answers), default=0.0)
    reason = ("nothing_to_search" if not terms else "no_match" if not answers
              else None if any(_answers_well(h) for h in answers) else "weak_match")
    results: list[Result] = []
    if reason is None:
        floor = RESULT_CUT * answers[0].score
        for h in answers[:limit]:
            if h.score >= floor:
                results.append(Result(hit_entry(h), round(h.score, 4),
                                      passages(rep.root, h.path, terms, h.section) if passages_now else [],
                                      coverage(h, terms), list(h.section.headings) if h.section else [], h.section))
    open_found = index.search(ixs.Query(question, "ask", kind="ask", status="open", limit=3))
    open_asks = [Result(hit_entry(h), round(h.score, 4), [], coverage(h, terms)) for h in open_found.hits[:3]
                 if _answers_well(h)]
    relevant = [h for h in found.hits if _answers_well(h)]
    people = rank_people(index, relevant, terms) if reason is None or any(h.kind == "member" for h in relevant) else []
    return AskResult(question, results, people[:3], open_asks, found.corrections, reason is None,
                     REASONS[reason] if reason else None, index=state, terms=terms, reason=reason,
                     strength=round(strength, 3), fit=round(fit, 3), obsolete=left_out)


def post_ask(rep: Repertoire, question: str, terms: list[str], author: str | None = None):
    """Record the question as an open ask (one commit)."""
    from copart_cli.services.capture import Changes, new_entry  # capture sits above search: no circle

    one_line = " ".join(question.split())
    title = one_line if len(one_line) <= 120 else one_line[:117].rsplit(" ", 1)[0] + "…"
    topics = [t for t in rep.config.topics if any(stem(w) in terms for w in re.findall(r"\w+", t.lower()))]
    changes = Changes(body=question.strip() + "\n", topics=topics[:5])
    return new_entry(rep, Kind.ask, title, changes, author=author)
