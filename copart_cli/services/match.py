"""`copart match [MEMBER]`: offers meet needs, "building upon what we have within the partnership".

Each need a profile lists (`needs:`) is asked of the repertoire the way `ask` and `who` ask
a question (the same index, scoring and signed-commit credit), and the members it ranks are
joined by the ones whose `offers:` share the need's words. A provider's score is who's
evidence score plus 2 x the share of the need's words one of their offers holds, each word
weighted by its rarity among the profiles' offers and expertise (an idf: "partner", in half
the offers, counts for little; "payroll", in one, for much); the person
with the need is never their own provider, nor is a member whose status is alumni.

Needs and offers come from partners' profiles, so they are data: each need is cut to
MAX_NEED_CHARS and a profile is read for at most MAX_NEEDS of them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import InvalidEntry, NotFound
from copart_cli.core.model import as_list, as_text
from copart_cli.services.search import IndexState, Progress, coverage, snapshot, stem
from copart_cli.services.who import credit_hits, rank_people

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

MAX_NEEDS = 50
MAX_NEED_CHARS = 200
PROVIDERS = 3
OFFER_WEIGHT = 2.0


@dataclass
class Provider:
    id: str
    name: str
    score: float
    evidence: list[str]


@dataclass
class NeedMatch:
    member: str
    member_name: str
    need: str
    providers: list[Provider]


@dataclass
class MatchResult:
    view = "match"
    member: str | None  # the member asked about, or None for everybody
    needs: list[NeedMatch] = field(default_factory=list)
    index: IndexState | None = None

    @property
    def met(self) -> list[NeedMatch]:
        return [n for n in self.needs if n.providers]


@dataclass
class _Profile:
    id: str
    name: str
    needs: list[str]
    offers: list[str]
    active: bool


def _profiles(rep: Repertoire, index: ixs.Reading) -> dict[str, _Profile]:
    out = {}
    for mid, info in index.members().items():
        try:
            meta = rep.load(info["path"]).meta
        except (InvalidEntry, OSError):
            continue  # check reports it; a broken profile meets and has no needs
        needs = [" ".join(n.split())[:MAX_NEED_CHARS] for n in as_list(meta.get("needs"))[:MAX_NEEDS]]
        out[mid] = _Profile(mid, str(info.get("name") or mid), [n for n in needs if n],
                            [" ".join(o.split()) for o in as_list(meta.get("offers")) if o.strip()],
                            as_text(meta.get("status")) != "alumni")
    return out


def match(rep: Repertoire, member: str | None = None, *, providers: int = PROVIDERS,
          progress: Progress | None = None) -> MatchResult:
    """Every need (of MEMBER, or of everybody) with the members who could meet it."""
    with snapshot(rep, progress) as (index, state):
        profiles = _profiles(rep, index)
        if member is not None:
            if member not in profiles:
                shown = member if len(member) <= 60 else member[:57] + "..."
                raise NotFound(f"no member with id '{shown}'", hint="see the members with: copart list --kind member")
            if not profiles[member].needs:
                raise NotFound(f"{member} lists no needs in their profile",
                               hint=f"add some: copart edit {member} --field 'needs=[a co-facilitator, ...]'")
        askers = [profiles[member]] if member else sorted(profiles.values(), key=lambda p: p.id)
        credit = None
        idf = _Rarity(profiles.values())
        result = MatchResult(member, index=state)
        for person in askers:
            for need in person.needs:
                if credit is None:
                    credit = credit_hits(rep)
                found = _providers(index, credit, profiles, person, need, idf)
                result.needs.append(NeedMatch(person.id, person.name, need, found[:providers]))
    return result


def _providers(index: ixs.Reading, credit, profiles: dict[str, _Profile], person: _Profile,
               need: str, idf: _Rarity) -> list[Provider]:
    found = index.search(ixs.Query(need, "ask", limit=30), pool=100)
    terms = found.terms
    if not terms:
        return []
    hits = credit([h for h in found.hits if coverage(h, terms) >= (1.0 if len(terms) == 1 else 0.4)])
    ranked = {p.id: p for p in rank_people(index, hits, terms, limit=20) if p.member}
    out: list[Provider] = []
    for pid, prof in profiles.items():
        if pid == person.id or not prof.active:
            continue
        score, evidence = 0.0, []
        offer, share = idf.best_offer(prof.offers, terms)
        if offer:
            score += OFFER_WEIGHT * share
            evidence.append(f"offers: {offer}")
        if pid in ranked:
            score += ranked[pid].score
            evidence.extend(ranked[pid].evidence)
        if score > 0:
            out.append(Provider(pid, prof.name, round(score, 3), evidence[:4]))
    out.sort(key=lambda p: (-p.score, p.id))
    return out


def _words(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"\w+", text.lower()[:MAX_NEED_CHARS * 2])}


class _Rarity:
    """An idf over the profiles' offers and expertise: log((1 + profiles) / (1 + holding the word))."""

    def __init__(self, profiles):
        self.df: dict[str, int] = {}
        self.n = 0
        for p in profiles:
            self.n += 1
            for w in set().union(*(_words(x) for x in p.offers)) if p.offers else ():
                self.df[w] = self.df.get(w, 0) + 1

    def weight(self, word: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(word, 0))) + 0.1

    def best_offer(self, offers: list[str], terms: list[str]) -> tuple[str, float]:
        """The offer holding the largest (rarity-weighted) share of the need's stemmed words."""
        want = set(terms)
        total = sum(self.weight(t) for t in want)
        best, share = "", 0.0
        for offer in offers:
            got = sum(self.weight(t) for t in _words(offer) & want) / total
            if got > share:
                best, share = offer, got
        return best, share
