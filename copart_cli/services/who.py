"""`who TOPIC` and `who @member`: the know-who, ranked by evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import InvalidEntry, NotFound
from copart_cli.core.model import Kind, as_list
from copart_cli.core import ids
from copart_cli.services.search import IndexState, Person, Progress, check_query, snapshot, stem

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
# How much an entry says its author knows the topic, times its score relative to the best hit:
# answering counts most (an accepted answer more), asking least (the asker did not know).
CREDIT = {"accepted": 1.5, "answer": 1.0, "story": 1.0, "practice": 1.0, "ask": 0.25}
PROFILE, EXPERTISE = 1.5, 0.5  # a matching profile; and an `expertise` item that matches
PEOPLE_CUT = 1 / 3  # people scoring under this share of the leader are left out
EVIDENCE_STRENGTH = 0.3  # who: a hit counts as evidence at this share of a full match (see ask)


def rank_people(index: ixs.Reading, hits: list[ixs.Hit], terms: list[str], limit: int = 10) -> list[Person]:
    """Members ranked by evidence: their profile, what they answered and wrote, what they asked.

    Imported entries credit nobody (the importer is not their author); people under PEOPLE_CUT
    of the leader are dropped; members not available (alumni, `available: false`) rank below
    those who are."""
    if not hits:
        return []
    members = index.members()
    top = max(h.score for h in hits) or 1.0
    scores: dict[str, float] = {}
    evidence: dict[str, list[tuple[float, str]]] = {}

    def add(person: str, weight: float, why: str) -> None:
        scores[person] = scores.get(person, 0.0) + weight
        evidence.setdefault(person, []).append((weight, why))

    for h in hits:
        rel = h.score / top
        if h.kind == "member":
            matching = _matching_expertise(members.get(h.id, {}).get("expertise", []), set(terms))
            why = "profile expertise: " + ", ".join(matching) if matching else "profile mentions: " + ", ".join(
                sorted(h.matched & set(terms))[:4])
            add(h.id, PROFILE * rel + (EXPERTISE if matching else 0.0), why)
        elif h.author and not h.meta.get("source") and (not members or h.author in members):
            add(h.author, *_credit(h, rel))
    people = []
    for pid, score in scores.items():
        ev = [why for _, why in sorted(evidence[pid], key=lambda x: -x[0])][:4]
        m = members.get(pid)
        people.append(Person(pid, (m or {}).get("name") or pid, round(score, 3), ev, member=m is not None,
                             available=(m or {}).get("available", True)))
    lead = max((p.score for p in people), default=0.0)
    people = [p for p in people if p.score >= PEOPLE_CUT * lead]
    people.sort(key=lambda p: (not p.available, -p.score, p.id))
    return people[:limit]


def _matching_expertise(expertise: list[str], tset: set[str]) -> list[str]:
    return [x for x in expertise if any(stem(w) in tset for w in re.findall(r"\w+", x.lower()))]


def _names_all(expertise: list[str], terms: set[str]) -> bool:
    return bool(terms) and terms <= {stem(w) for x in expertise for w in re.findall(r"\w+", x.lower())}


def _credit(h: ixs.Hit, rel: float) -> tuple[float, str]:
    """What one entry (not imported) is worth to its author, and the evidence line."""
    if h.kind == "answer" and h.meta.get("accepted"):
        return CREDIT["accepted"] * rel, f"accepted answer: {h.title} ({h.id})"
    if h.kind == "ask":
        return CREDIT["ask"] * rel, f"asked '{h.title}' ({h.id})"
    return CREDIT.get(h.kind, 1.0) * rel, f"wrote the {_KIND_WORD.get(h.kind, h.kind or 'entry')} '{h.title}' ({h.id})"


def who(rep: Repertoire, topic: str, *, limit: int = 5, progress: Progress | None = None) -> WhoResult:
    topic = check_query(topic, "copart who pricing (or copart who @member-id)")
    if topic.startswith("@"):
        return who_member(rep, topic[1:].strip(), progress)
    with snapshot(rep, progress) as (index, state):
        return who_in(rep, index, topic, limit, state)


def who_in(rep: Repertoire, index: ixs.Reading, topic: str, limit: int, state: IndexState | None) -> WhoResult:
    """`who TOPIC` on one open snapshot (the constellation passes its own, constellation.py)."""
    found = index.search(ixs.Query(topic, "ask", limit=100), pool=200)
    expertise = {m: info.get("expertise", []) for m, info in index.members().items()}
    # a profile whose expertise names the whole topic is evidence, however short it is (a
    # one-line list scores low against a full match, most of all in a young repertoire)
    hits = [h for h in found.hits if h.strength >= EVIDENCE_STRENGTH
            or (h.kind == "member" and _names_all(expertise.get(h.id, []), set(found.terms)))]
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
    member = rep.find(member, Kind.member, hint="see the members with: copart list --kind member")
    member = ids.of_path(member)
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
