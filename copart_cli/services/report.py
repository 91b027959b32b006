"""`copart stats --report`: what the community is worth, for a coordinator to hand to management.

Questions asked and answered, the median time to a first answer, answers reused (an ask or
answer that a later entry links to), active members against the `critical_mass` key of
copart.yaml, the topics of copart.yaml no active member lists as expertise, knowledge at
risk, and the trend over the last quarters. The figures come from `stats` (stats.py) and
one more read of the entries, with their text, for the links.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from copart_cli.core.errors import UsageError
from copart_cli.core.links import outgoing_links
from copart_cli.core.model import Entry, Kind, Problem, utcnow
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.snapshot import Snapshot
from copart_cli.services.stats import Stats, stats

FORMATS = ("md", "html", "json")
QUARTERS = 4
MAX_CRITICAL_MASS = 1_000_000


@dataclass
class Quarter:
    label: str  # 2026-Q3
    asks: int = 0
    answers: int = 0
    contributions: int = 0  # new entries of every kind
    active_members: int = 0


@dataclass
class Reused:
    entry: Entry
    linked_from: int  # later entries linking to it


@dataclass
class Report:
    view = "report"
    format: str
    stats: Stats
    asks_answered: int
    reused: list[Reused]
    critical_mass: int | None
    critical_mass_note: str | None
    topics_no_expert: list[str]
    quarters: list[Quarter] = field(default_factory=list)
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)

    @property
    def answers_reused(self) -> int:
        return len(self.reused)


def _quarter(t: dt.datetime) -> tuple[int, int]:
    return t.year, (t.month - 1) // 3 + 1


def _last_quarters(now: dt.datetime, n: int) -> list[tuple[int, int]]:
    y, q = _quarter(now)
    out = []
    for _ in range(n):
        out.append((y, q))
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return out[::-1]


def critical_mass(raw: dict[str, Any]) -> tuple[int | None, str | None]:
    """copart.yaml's `critical_mass` (a whole number of active members), or why it cannot be read."""
    value = raw.get("critical_mass")
    if value is None:
        return None, "no critical_mass in copart.yaml (the number of active members the community needs)"
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CRITICAL_MASS:
        return None, f"critical_mass in copart.yaml should be a whole number from 1 to {MAX_CRITICAL_MASS}"
    return value, None


def report(rep: Repertoire, fmt: str = "md", now: dt.datetime | None = None) -> Report:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'", hint="use --format md, --format html or --format json")
    now = now or utcnow()
    base = stats(rep, 12, now)
    snap = Snapshot(rep)
    mass, note = critical_mass(rep.config.raw)
    experts = {x.strip().lower() for m in snap.members.values() if m.status != "alumni" for x in m.expertise}
    no_expert = [t for t in rep.config.topics if t.strip().lower() not in experts]
    answered = sum(1 for a in snap.of_kind(Kind.ask.value) if snap.answers.get(a.id))
    return Report(fmt, base, answered, _reused(snap), mass, note, no_expert, _quarters(snap, now),
                  snap.unreadable)


def _reused(snap: Snapshot) -> list[Reused]:
    """Asks and answers a later entry links to: knowledge asked once and used again."""
    known = set(snap.by_id)
    count: dict[str, int] = defaultdict(int)
    for e in snap.entries:
        for target in set(outgoing_links(e, known)):
            t = snap.by_id.get(target)
            if t is None or t.kind not in (Kind.ask.value, Kind.answer.value) or t.id == e.id:
                continue
            if t.created and e.created and e.created > t.created:
                count[target] += 1
    found = [Reused(snap.by_id[i], n) for i, n in count.items()]
    found.sort(key=lambda r: (-r.linked_from, r.entry.id))
    return found


def _quarters(snap: Snapshot, now: dt.datetime) -> list[Quarter]:
    wanted = _last_quarters(now, QUARTERS)
    rows = {yq: Quarter(f"{yq[0]}-Q{yq[1]}") for yq in wanted}
    active: dict[tuple[int, int], set[str]] = defaultdict(set)
    for e in snap.entries:
        if e.created is None or e.created > now or _quarter(e.created) not in rows:
            continue
        row = rows[_quarter(e.created)]
        row.contributions += 1
        row.asks += e.kind == Kind.ask.value
        row.answers += e.kind == Kind.answer.value
        if author := snap.author_of(e):
            active[_quarter(e.created)].add(author)
    for ed in snap.edits():
        if ed.when <= now and _quarter(ed.when) in rows:
            active[_quarter(ed.when)].add(ed.member)
    for yq, row in rows.items():
        row.active_members = len(active.get(yq, ()))
    return [rows[yq] for yq in wanted]
