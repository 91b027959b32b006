"""`who TOPIC` and `who @member`: the know-who, ranked by evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import InvalidEntry, NotFound
from copart_cli.core.model import Kind, as_list
from copart_cli.services.search import IndexState, Person, Progress, check_query, coverage, snapshot, stem

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


@dataclass
class WhoResult:
    view = "search"
    topic: str
    people: list[Person]
    corrections: dict[str, str] = field(default_factory=dict)
    member: str | None = None  # set when asked about one member
    index: IndexState | None = None
    offers: list[str] = field(default_factory=list)  # with one member: what their profile offers
    accreditations: list[Any] = field(default_factory=list)  # with one member: accreditations.Accreditation


_KIND_WORD = {"story": "story", "practice": "practice note", "ask": "ask", "answer": "answer"}


def rank_people(index: ixs.Reading, hits: list[ixs.Hit], terms: list[str], limit: int = 10) -> list[Person]:
    """Members ranked by evidence: their profile, what they wrote, their accepted answers."""
    if not hits:
        return []
    members = index.members()
    top = max(h.score for h in hits) or 1.0
    scores: dict[str, float] = {}
    evidence: dict[str, list[tuple[float, str]]] = {}
    tset = set(terms)

    def add(person: str, weight: float, why: str) -> None:
        scores[person] = scores.get(person, 0.0) + weight
        evidence.setdefault(person, []).append((weight, why))

    for h in hits:
        rel = h.score / top
        if h.kind == "member":
            matching = [x for x in members.get(h.id, {}).get("expertise", [])
                        if any(stem(w) in tset for w in re.findall(r"\w+", x.lower()))]
            why = "profile expertise: " + ", ".join(matching) if matching else "profile mentions: " + ", ".join(
                sorted(h.matched & tset)[:4])
            add(h.id, 1.5 * rel + (0.5 if matching else 0.0), why)
            continue
        if not h.author or (members and h.author not in members):
            continue
        if h.kind == "answer" and h.meta.get("accepted"):
            add(h.author, 1.2 * rel, f"accepted answer: {h.title} ({h.id})")
        else:
            add(h.author, rel, f"wrote the {_KIND_WORD.get(h.kind, h.kind or 'entry')} '{h.title}' ({h.id})")
    people = []
    for pid, score in scores.items():
        ev = [why for _, why in sorted(evidence[pid], key=lambda x: -x[0])][:4]
        m = members.get(pid)
        people.append(Person(pid, (m or {}).get("name") or pid, round(score, 3), ev, member=m is not None))
    people.sort(key=lambda p: (-p.score, p.id))
    return people[:limit]


def who(rep: Repertoire, topic: str, *, limit: int = 5, progress: Progress | None = None) -> WhoResult:
    topic = check_query(topic, "copart who pricing (or copart who @member-id)")
    if topic.startswith("@"):
        return who_member(rep, topic[1:].strip(), progress)
    with snapshot(rep, progress) as (index, state):
        return who_in(rep, index, topic, limit, state)


def who_in(rep: Repertoire, index: ixs.Reading, topic: str, limit: int, state: IndexState | None) -> WhoResult:
    """`who TOPIC` on one open snapshot (the constellation passes its own, constellation.py)."""
    found = index.search(ixs.Query(topic, "ask", limit=100), pool=200)
    hits = [h for h in found.hits if coverage(h, found.terms) >= (1.0 if len(found.terms) <= 2 else 0.5)]
    hits = credit_hits(rep)(hits)
    people = rank_people(index, hits, found.terms, limit)
    return WhoResult(topic, people[:limit], found.corrections, index=state)


def credit_hits(rep: Repertoire) -> Callable[[list[ixs.Hit]], list[ixs.Hit]]:
    """A function crediting each hit (but a profile) to the member whose signed commit added it."""
    credit = _Credit(rep)
    return lambda hits: [h if h.kind == "member" else replace(h, author=credit(h)) for h in hits]


class _Credit:
    """Who is credited with a hit: the member who signed the commit that added it (attribution.py)."""

    def __init__(self, rep: Repertoire):
        from copart_cli.services import attribution

        self.added, self.credits = attribution.added_by(rep)

    def __call__(self, h: ixs.Hit) -> str:
        return self.credits.author(h.author, self.added.get(h.path))

    def written_by(self, index: ixs.Reading, member: str) -> list[ixs.Hit]:
        """What MEMBER is credited with, newest first: what names them and is not someone else's
        signed work, and what names someone else but was added by a commit they signed."""
        written = [h for h in index.by_author(member) if self(h) == member]
        have = {h.path for h in written}
        signed = [p for p, who in self.added.items() if who == member and p not in have]
        others = [h for h in index.by_paths(signed) if self(h) == member]
        return sorted(written + others, key=lambda h: -h.created) if others else written


def who_member(rep: Repertoire, member: str, progress: Progress | None = None) -> WhoResult:
    from copart_cli.services import accreditations

    with snapshot(rep, progress) as (index, state):
        result = _who_member(index, member, state, _Credit(rep))
    try:
        result.offers = as_list(rep.load(rep.rel_path(Kind.member, member)).meta.get("offers"))
    except (InvalidEntry, OSError):
        pass
    result.accreditations = accreditations.held_by(rep, member)
    return result


def _who_member(index: ixs.Reading, member: str, state, credit: _Credit) -> WhoResult:
    members = index.members()
    if member not in members:
        shown = member if len(member) <= 60 else member[:57] + "..."
        raise NotFound(f"no member with id '{shown}'", hint="see the members with: copart list --kind member")
    info = members[member]
    evidence = []
    if info.get("expertise"):
        evidence.append("profile expertise: " + ", ".join(info["expertise"]))
    written = credit.written_by(index, member)
    accepted = [h for h in written if h.kind == "answer" and h.meta.get("accepted")]
    for h in accepted[:5]:
        evidence.append(f"accepted answer: {h.title} ({h.id})")
    for h in [h for h in written if h.kind in ("story", "practice")][:8]:
        evidence.append(f"wrote the {_KIND_WORD[h.kind]} '{h.title}' ({h.id})")
    score = round(len(info.get("expertise", [])) * 0.5 + len(written) + len(accepted), 3)
    person = Person(member, info.get("name") or member, score, evidence)
    return WhoResult("@" + member, [person], member=member, index=state)
