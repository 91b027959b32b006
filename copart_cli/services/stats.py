"""Community health: `copart stats` (participation, gaps, answers, freshness, knowledge at risk)
and `copart stale` (entries nobody has reviewed for a long time)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from copart_cli.core.errors import UsageError
from copart_cli.core.model import EPOCH, Entry, Kind, Problem, as_datetime, parse_since, utcnow
from copart_cli.services.digest import OpenAsk
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.snapshot import KIND_ORDER, Snapshot, ask_status

STALE_KINDS = ("practice", "member")  # how-tos and profiles age; stories are history
YEAR = dt.timedelta(days=365)


# -- stale --------------------------------------------------------------------------------


@dataclass
class StaleEntry:
    entry: Entry
    last_reviewed: dt.datetime | None
    review_by: dt.datetime | None
    reason: str


@dataclass
class StaleList:
    view = "publish"
    as_of: dt.datetime
    older_than: str
    entries: list[StaleEntry]
    checked: int
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


def _stale(snap: Snapshot, now: dt.datetime, cutoff: dt.datetime) -> tuple[list[StaleEntry], int]:
    touched = snap.last_touched()
    found, checked = [], 0
    for e in snap.entries:
        review_by = as_datetime(e.meta.get("review_by"))
        if e.kind not in STALE_KINDS and review_by is None:
            continue
        if e.kind == Kind.member.value and str(e.meta.get("status") or "active") == "alumni":
            continue
        checked += 1
        dates = [d for d in (e.created, as_datetime(e.meta.get("reviewed")), as_datetime(e.meta.get("updated")),
                             touched.get(e.path)) if d is not None]
        last = max(dates) if dates else None
        if review_by is not None:
            if review_by <= now:
                found.append(StaleEntry(e, last, review_by, f"review_by {review_by:%Y-%m-%d} has passed"))
            continue
        if last is None or last < cutoff:
            reason = f"not reviewed since {last:%Y-%m-%d}" if last else "no date at all"
            found.append(StaleEntry(e, last, None, reason))
    found.sort(key=lambda s: (s.review_by or s.last_reviewed or EPOCH, s.entry.id))
    return found, checked


def stale(rep: Repertoire, older_than: str = "1y", now: dt.datetime | None = None) -> StaleList:
    """Entries whose `review_by` has passed, or nobody changed or reviewed for `older_than`."""
    now = now or utcnow()
    cutoff = parse_since(older_than, now)
    snap = Snapshot(rep, bodies=False)
    found, checked = _stale(snap, now, cutoff)
    return StaleList(now, older_than, found, checked, snap.unreadable)


# -- stats --------------------------------------------------------------------------------


@dataclass
class Month:
    month: str  # YYYY-MM
    active_members: int
    members: int  # profiles that existed by the end of the month
    contributions: dict[str, int]
    edits: int


@dataclass
class Gap:
    topic: str
    asks: int
    practices: int
    stories: int


@dataclass
class AtRisk:
    member: str
    name: str
    topics: list[str]


@dataclass
class Stats:
    view = "publish"
    community: str
    as_of: dt.datetime
    members_total: int
    members_active: int  # profiles with status active
    active_recent: int  # members who contributed in the last 90 days
    months: list[Month]
    gaps: list[Gap]
    asks_open: int
    asks_total: int
    unanswered: list[OpenAsk]
    median_hours_to_first_answer: float | None
    answered_asks: int
    stale: list[StaleEntry]
    stale_checked: int
    at_risk: list[AtRisk]
    counts: dict[str, int] = field(default_factory=dict)
    accredited: dict[str, int] = field(default_factory=dict)  # pathway -> members holding it (accreditations.py)
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


def _month(t: dt.datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}"


def _month_range(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def stats(rep: Repertoire, months: int = 12, now: dt.datetime | None = None) -> Stats:
    """Community health figures: participation over time, gaps, answers, freshness, knowledge at risk."""
    if months < 1:
        raise UsageError("--months must be at least 1")
    now = now or utcnow()
    snap = Snapshot(rep, bodies=False)
    entries = snap.entries
    asks = snap.of_kind(Kind.ask.value)
    rows, recent = _participation(snap, now, months)
    unanswered, waits = _asks(snap, asks, now)
    stale_found, checked = _stale(snap, now, now - YEAR)
    statuses = Counter(m.status for m in snap.members.values())
    return Stats(
        community=rep.config.name,
        as_of=now,
        members_total=len(snap.members),
        members_active=statuses.get("active", 0),
        active_recent=len(recent),
        months=rows,
        gaps=_gaps(entries),
        asks_open=sum(1 for a in asks if ask_status(a) == "open"),
        asks_total=len(asks),
        unanswered=unanswered,
        median_hours_to_first_answer=round(statistics.median(waits), 1) if waits else None,
        answered_asks=len(waits),
        stale=stale_found,
        stale_checked=checked,
        at_risk=_at_risk(snap),
        counts={k: sum(1 for e in entries if e.kind == k) for k in KIND_ORDER},
        accredited=_accredited(rep),
        unreadable=snap.unreadable,
    )


def _accredited(rep: Repertoire) -> dict[str, int]:
    from copart_cli.services import accreditations, pathways

    held = accreditations.holders(rep)
    return {p.name: held.get(p.name, 0) for p in sorted(pathways.load_all(rep), key=lambda p: p.name)}


def _participation(snap: Snapshot, now: dt.datetime, months: int) -> tuple[list[Month], set[str]]:
    """One row per month of the last `months`, and who contributed in the last 90 days.

    New entries count by their `created` month; edits by their commit month.
    """
    active: dict[str, set[str]] = defaultdict(set)
    per_kind: dict[str, Counter] = defaultdict(Counter)
    edits_per: Counter = Counter()
    recent_cut = now - dt.timedelta(days=90)
    recent: set[str] = set()
    for e in snap.entries:
        created = e.created
        if created is None or created > now:
            continue
        mon = _month(created)
        per_kind[mon][e.kind] += 1
        author = snap.author_of(e)
        if author:
            active[mon].add(author)
            if created >= recent_cut:
                recent.add(author)
    for ed in snap.edits():
        if ed.status != "M" or ed.when > now:
            continue
        mon = _month(ed.when)
        edits_per[mon] += 1
        active[mon].add(ed.member)
        if ed.when >= recent_cut:
            recent.add(ed.member)
    y, m = now.year, now.month - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    joined = sorted(
        _month(d) for d in (
            as_datetime(e.meta.get("joined")) or e.created for e in snap.of_kind(Kind.member.value)
        ) if d is not None
    )
    # no empty months before the community's first: a repertoire made today has one row
    first = min([*per_kind, *edits_per, *joined[:1]], default=_month(now))
    rows = [Month(
        month=mon,
        active_members=len(active.get(mon, ())),
        members=sum(1 for j in joined if j <= mon),
        contributions={k: per_kind[mon].get(k, 0) for k in KIND_ORDER},
        edits=edits_per.get(mon, 0),
    ) for mon in _month_range(max(f"{y:04d}-{m:02d}", first), _month(now))]
    return rows, recent


def _gaps(entries: list[Entry]) -> list[Gap]:
    """Topics people ask about more than the practice notes cover."""
    topic_counts: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        if e.kind in ("ask", "practice", "story"):
            for t in set(e.topics):
                topic_counts[t][e.kind] += 1
    gaps = [Gap(t, c["ask"], c["practice"], c["story"]) for t, c in topic_counts.items() if c["ask"] > c["practice"]]
    gaps.sort(key=lambda g: (-(g.asks - g.practices), -g.asks, g.topic))
    return gaps


def _asks(snap: Snapshot, asks: list[Entry], now: dt.datetime) -> tuple[list[OpenAsk], list[float]]:
    """Open asks without an answer (oldest first), and the hours each answered ask waited."""
    unanswered, waits = [], []
    for ask in asks:
        answers = [a for a in snap.answers.get(ask.id, []) if a.created is not None]
        if ask.created is not None and answers:
            first_answer = min(a.created for a in answers)
            waits.append(max((first_answer - ask.created).total_seconds(), 0) / 3600)
        if ask_status(ask) == "open" and not snap.answers.get(ask.id):
            unanswered.append(OpenAsk(ask, 0, (now - ask.created).days if ask.created else 0))
    unanswered.sort(key=lambda o: (-o.age_days, o.entry.id))
    return unanswered, waits


def _at_risk(snap: Snapshot) -> list[AtRisk]:
    """Knowledge at risk: expertise held by a single active member."""
    holders: dict[str, set[str]] = defaultdict(set)
    for member in snap.members.values():
        if member.status != "alumni":
            for topic in member.expertise:
                holders[topic.strip().lower()].add(member.id)
    lonely: dict[str, list[str]] = defaultdict(list)
    for topic, who in holders.items():
        if len(who) == 1:
            lonely[next(iter(who))].append(topic)
    at_risk = [AtRisk(mid, snap.member_name(mid), sorted(ts)) for mid, ts in lonely.items()]
    at_risk.sort(key=lambda a: (-len(a.topics), a.member))
    return at_risk
