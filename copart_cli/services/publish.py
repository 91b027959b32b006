"""Publishing what a community knows: `digest` (what is new), `stats` (community health)
and `stale` (entries nobody has reviewed for a long time).

Entries are read once into a `Snapshot`; git history is read once (one `git log`) and only
where a figure needs it: edits, who edited, when an answer was accepted, when an entry was
last touched. Dates of entries come from their `created` frontmatter (clones reset file
times, and imports keep the original dates there), never from file times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from copart_cli.core import ids
from copart_cli.core.errors import UsageError
from copart_cli.adapters.files import open_read, read_cache, write_cache
from copart_cli.core.model import KIND_FOLDERS, Entry, Kind, Member, as_datetime, iso, parse_since, utcnow
from copart_cli.services.repertoire import Repertoire

KIND_ORDER = ("story", "practice", "ask", "answer", "member")
STALE_KINDS = ("practice", "member")  # how-tos and profiles age; stories are history
YEAR = dt.timedelta(days=365)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# -- reading the repertoire once ----------------------------------------------------------


@dataclass
class Edit:
    """One commit's change to one entry file."""

    path: str
    status: str  # A M D
    when: dt.datetime
    member: str  # member id (or a slug of the git name when no profile lists the email)


class Snapshot:
    """Every entry, member and answer of a repertoire, plus its history on demand."""

    def __init__(self, rep: Repertoire, *, bodies: bool = True):
        self.rep = rep
        self.entries: list[Entry] = list(rep.entries()) if bodies else list(_headers(rep))
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self.by_path: dict[str, Entry] = {e.path: e for e in self.entries}
        self.members: dict[str, Member] = {
            e.id: Member.from_entry(e) for e in self.entries if e.kind == Kind.member.value
        }
        self._emails = {mail: m.id for m in self.members.values() for mail in m.emails}
        self.answers: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.kind == Kind.answer.value and e.meta.get("answers"):
                self.answers[str(e.meta["answers"])].append(e)
        for answers in self.answers.values():
            answers.sort(key=lambda a: (a.created or _EPOCH, a.id))
        self._edits: list[Edit] | None = None
        self._kinds: dict[str, list[Entry]] | None = None
        self._credits = None  # attribution.Credits, read with the history
        self._added_by: dict[str, str | None] = {}  # path -> signer of the newest commit adding it

    def of_kind(self, kind: str) -> list[Entry]:
        if self._kinds is None:
            self._kinds = defaultdict(list)
            for e in self.entries:
                self._kinds[e.kind].append(e)
        return self._kinds.get(kind, [])

    def member_name(self, member_id: str) -> str:
        m = self.members.get(member_id)
        return m.name if m else member_id

    def member_of(self, name: str, email: str) -> str:
        return self._emails.get(email.lower()) or ids.slugify(name) or email.lower()

    def edits(self, since: dt.datetime | None = None) -> list[Edit]:
        """Every change to an entry file, newest first, from ONE `git log`."""
        if self._edits is None:
            from copart_cli.services import attribution

            found: list[Edit] = []
            folders = [f + "/" for f in KIND_FOLDERS.values()]
            commits = self.rep.git.history(*KIND_FOLDERS.values())
            self._credits = attribution.credits(self.rep, commits)
            for commit in commits:
                when = as_datetime(commit.authored) or _EPOCH
                signer = self._credits.by_commit.get(commit.sha)
                member = signer or self.member_of(commit.author_name, commit.author_email)
                for status, path in commit.changes:
                    if path.endswith(".md") and path.startswith(tuple(folders)):
                        found.append(Edit(path, status, when, member))
                        if status == "A":
                            self._added_by.setdefault(path, signer)
            self._edits = found
        if since is None:
            return self._edits
        return [e for e in self._edits if e.when >= since]

    def author_of(self, e: Entry) -> str:
        """Who is credited with an entry: the member who signed the commit that added it (attribution.py)."""
        self.edits()
        return self._credits.author(e.author, self._added_by.get(e.path))

    def credited(self, e: Entry) -> Entry:
        """The entry as shown: its `author` is the member credited with it."""
        who = self.author_of(e)
        return e if who == e.author else dataclasses.replace(e, meta={**e.meta, "author": who})

    def last_touched(self) -> dict[str, dt.datetime]:
        """For each entry path, the newest commit that modified it (adding it does not count)."""
        last: dict[str, dt.datetime] = {}
        for edit in self.edits():
            if edit.status == "M" and (edit.path not in last or edit.when > last[edit.path]):
                last[edit.path] = edit.when
        return last


HEADER_CACHE = "frontmatter-cache.json"  # in .git/copart/: local, derived, never committed
_HEADER_CACHE_VERSION = "1"


def _headers(rep: Repertoire) -> list[Entry]:
    """Entries with their frontmatter only (stats never need bodies).

    Parsing YAML is most of the cost on a large repertoire, so parsed frontmatter is cached
    in .git/copart/, keyed by each file's size and modification time: only new or changed
    files are parsed again.
    """
    from copart_cli.core import frontmatter
    from copart_cli.core.errors import InvalidEntry
    from copart_cli.ui.jsonout import jsonable

    cache_path = rep.state_dir / HEADER_CACHE
    cached = read_cache(cache_path, _HEADER_CACHE_VERSION)
    fresh: dict[str, list] = {}
    found: list[Entry] = []
    root = str(rep.root)
    changed = False
    for rel in rep.entry_paths():
        path = os.path.join(root, rel)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        hit = cached.get(rel)
        if isinstance(hit, list) and len(hit) == 3 and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            meta = hit[2]
        else:
            changed = True
            try:
                with open_read(path, rel) as fh:
                    raw = fh.read(16384)
                    if b"\n---" not in raw[3:] and b"\n..." not in raw[3:]:
                        raw += fh.read(frontmatter.MAX_FRONTMATTER)
                parts = frontmatter.split(raw.decode("utf-8", errors="replace"), rel)
                meta = jsonable(frontmatter.load(parts.frontmatter, rel))
            except (OSError, InvalidEntry):
                continue
        if not isinstance(meta, dict):
            continue
        fresh[rel] = [st.st_mtime_ns, st.st_size, meta]
        found.append(Entry(path=rel, meta=meta, body=""))
    if changed or len(fresh) != len(cached):
        write_cache(cache_path, _HEADER_CACHE_VERSION, fresh)
    return found


_HIDDEN = re.compile(r"<(script|style|iframe|svg|object)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def summary(entry: Entry, limit: int = 200) -> str:
    """The first paragraph of prose of an entry, as one line (headings and lists skipped)."""
    body = _MARKUP.sub("", _HIDDEN.sub("", entry.body))
    for block in body.split("\n\n"):
        block = _MD_LINK.sub(r"\1", block).replace("**", "").replace("__", "")
        lines = [ln.strip() for ln in block.strip().splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("#", "|", "```", "<", "---", "- ", "* ", ">"))]
        text = " ".join(lines).strip()
        if len(text) >= 20:
            return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ""


def _when(e: Entry) -> dt.datetime:
    return e.created or _EPOCH


def _ask_status(e: Entry) -> str:
    return str(e.meta.get("status") or "open")


# -- digest -------------------------------------------------------------------------------


@dataclass
class Contributor:
    id: str
    name: str
    new: int = 0
    answers: int = 0
    edits: int = 0

    @property
    def total(self) -> int:
        return self.new + self.answers + self.edits


@dataclass
class Changed:
    entry: Entry
    when: dt.datetime
    by: list[str]


@dataclass
class OpenAsk:
    entry: Entry
    answers: int
    age_days: int


@dataclass
class Accepted:
    answer: Entry
    ask: Entry | None


@dataclass
class Digest:
    view = "publish"
    community: str
    since: dt.datetime
    until: dt.datetime
    since_label: str
    new: list[Entry]
    changed: list[Changed]
    contributors: list[Contributor]
    open_asks: list[OpenAsk]
    accepted: list[Accepted]
    format: str = "md"
    text: str = ""  # the rendered digest (md or html), empty under --json


def since_time(rep: Repertoire, text: str, now: dt.datetime) -> tuple[dt.datetime, str]:
    """--since as a time: '7d', a date, or 'last sync' (the last fetch from the default remote)."""
    if text.strip().lower().replace("-", " ").replace("_", " ") in ("last sync", "lastsync", "sync"):
        when = last_sync(rep)
        if when is None:
            raise UsageError("no sync recorded in this clone yet", hint="use e.g. --since 7d or --since 2026-01-01")
        return when, f"the last sync ({iso(when)})"
    return parse_since(text, now), text


def last_sync(rep: Repertoire) -> dt.datetime | None:
    """When this clone last fetched: FETCH_HEAD's time, or the newest update of a remote-tracking ref."""
    times: list[float] = []
    git_dir = rep.state_dir.parent
    for candidate in [git_dir / "FETCH_HEAD", *sorted((git_dir / "logs" / "refs" / "remotes").rglob("*"))]:
        try:
            if candidate.is_file():
                times.append(candidate.stat().st_mtime)
        except OSError:
            continue
    sync_state = rep.state_dir / "last-sync"
    if sync_state.is_file():  # written by `copart sync` if it records one
        parsed = as_datetime(sync_state.read_text(encoding="utf-8").strip())
        if parsed:
            times.append(parsed.timestamp())
    if not times:
        return None
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc).replace(microsecond=0)


def digest(
    rep: Repertoire,
    since: str = "7d",
    until: str | None = None,
    fmt: str = "md",
    base_url: str | None = None,
    now: dt.datetime | None = None,
) -> Digest:
    """What is new and changed between `since` and `until`, who contributed, what waits for an answer."""
    if fmt not in ("md", "html", "json"):
        raise UsageError(f"unknown format '{fmt}'", hint="use --format md, --format html or --json")
    now = now or utcnow()
    start, label = since_time(rep, since, now)
    end = parse_since(until, now) if until else now
    if end < start:
        raise UsageError(f"--until ({iso(end)}) is before --since ({iso(start)})")
    snap = Snapshot(rep)

    def inside(t: dt.datetime | None) -> bool:
        return t is not None and start <= t <= end

    new = sorted((snap.credited(e) for e in snap.entries if inside(e.created)), key=lambda e: (_when(e), e.id),
                 reverse=True)
    new_ids = {e.id for e in new}
    people: dict[str, Contributor] = {}

    def person(member_id: str) -> Contributor:
        if member_id not in people:
            people[member_id] = Contributor(member_id, snap.member_name(member_id))
        return people[member_id]

    for e in new:
        if e.author:
            c = person(e.author)
            if e.kind == Kind.answer.value:
                c.answers += 1
            else:
                c.new += 1

    edits = [ed for ed in snap.edits(start) if ed.when <= end]
    changed: dict[str, Changed] = {}
    touched_answers: set[str] = set()
    for ed in edits:
        entry = snap.by_path.get(ed.path)
        if entry is None:
            continue
        touched_answers.add(entry.id)
        if ed.status != "M" or entry.id in new_ids:
            continue
        person(ed.member).edits += 1
        item = changed.setdefault(entry.id, Changed(entry, ed.when, []))
        item.when = max(item.when, ed.when)
        if ed.member not in item.by:
            item.by.append(ed.member)

    open_asks = []
    for ask in snap.of_kind(Kind.ask.value):
        if _ask_status(ask) == "open" and (ask.created is None or ask.created <= end):
            age = (end - ask.created).days if ask.created else 0
            open_asks.append(OpenAsk(ask, len(snap.answers.get(ask.id, [])), age))
    open_asks.sort(key=lambda o: (o.answers > 0, -o.age_days, o.entry.id))

    accepted = []
    for ans in snap.of_kind(Kind.answer.value):
        if not ans.meta.get("accepted"):
            continue
        at = as_datetime(ans.meta.get("accepted_at"))
        if (at is not None and inside(at)) or (at is None and (inside(ans.created) or ans.id in touched_answers)):
            accepted.append(Accepted(ans, snap.by_id.get(str(ans.meta.get("answers")))))
    accepted.sort(key=lambda a: (_when(a.answer), a.answer.id), reverse=True)

    contributors = sorted(people.values(), key=lambda c: (-c.total, c.id))
    result = Digest(
        community=rep.config.name,
        since=start,
        until=end,
        since_label=label,
        new=new,
        changed=sorted(changed.values(), key=lambda c: (c.when, c.entry.id), reverse=True),
        contributors=contributors,
        open_asks=open_asks,
        accepted=accepted,
        format=fmt,
    )
    if fmt != "json":
        result.text = render_digest(rep, result, fmt, base_url, snap)
    return result


def render_digest(rep: Repertoire, d: Digest, fmt: str, base_url: str | None, snap: Snapshot) -> str:
    from copart_cli.adapters import templating

    base = base_url.rstrip("/") + "/" if base_url else None

    def view(e: Entry) -> dict[str, Any]:
        return {
            "id": e.id,
            "kind": e.kind,
            "title": e.title,
            "author": e.author,
            "author_name": snap.member_name(e.author) if e.author else "",
            "created": e.created.strftime("%Y-%m-%d") if e.created else "",
            "topics": e.topics,
            "tags": e.tags,
            "summary": summary(e),
            "url": f"{base}{e.path[:-3]}.html" if base else "",
        }

    groups = []
    for kind in KIND_ORDER:
        items = [view(e) for e in d.new if e.kind == kind]
        if items:
            groups.append({"kind": kind, "heading": _HEADINGS[kind], "entries": items})
    context = {
        "community": d.community,
        "domain": rep.config.domain,
        "since": d.since.strftime("%Y-%m-%d"),
        "until": d.until.strftime("%Y-%m-%d"),
        "since_label": d.since_label,
        "groups": groups,
        "new_count": len(d.new),
        "changed": [{**view(c.entry), "when": c.when.strftime("%Y-%m-%d"),
                     "by": [snap.member_name(b) for b in c.by]} for c in d.changed],
        "contributors": [{"id": c.id, "name": c.name, "new": c.new, "answers": c.answers, "edits": c.edits}
                         for c in d.contributors],
        "open_asks": [{**view(o.entry), "answers": o.answers, "age_days": o.age_days} for o in d.open_asks],
        "accepted": [{**view(a.answer), "ask": view(a.ask) if a.ask else None} for a in d.accepted],
    }
    name = "digest/digest.html" if fmt == "html" else "digest/digest.md"
    text = templating.render(name, context, rep.root, autoescape=(fmt == "html"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


_HEADINGS = {
    "story": "New stories",
    "practice": "New practice notes",
    "ask": "New asks",
    "answer": "New answers",
    "member": "Welcome to new members",
}


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
    found.sort(key=lambda s: (s.review_by or s.last_reviewed or _EPOCH, s.entry.id))
    return found, checked


def stale(rep: Repertoire, older_than: str = "1y", now: dt.datetime | None = None) -> StaleList:
    """Entries whose `review_by` has passed, or nobody changed or reviewed for `older_than`."""
    now = now or utcnow()
    cutoff = parse_since(older_than, now)
    snap = Snapshot(rep, bodies=False)
    found, checked = _stale(snap, now, cutoff)
    return StaleList(now, older_than, found, checked)


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

    # participation: new entries by their `created` month; edits by their commit month
    active: dict[str, set[str]] = defaultdict(set)
    per_kind: dict[str, Counter] = defaultdict(Counter)
    edits_per: Counter = Counter()
    recent_cut = now - dt.timedelta(days=90)
    recent: set[str] = set()
    for e in entries:
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

    last = _month(now)
    y, m = now.year, now.month - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    first = f"{y:04d}-{m:02d}"
    joined = sorted(
        _month(d) for d in (
            as_datetime(e.meta.get("joined")) or e.created for e in snap.of_kind(Kind.member.value)
        ) if d is not None
    )
    rows = []
    for mon in _month_range(first, last):
        rows.append(Month(
            month=mon,
            active_members=len(active.get(mon, ())),
            members=sum(1 for j in joined if j <= mon),
            contributions={k: per_kind[mon].get(k, 0) for k in KIND_ORDER},
            edits=edits_per.get(mon, 0),
        ))

    # gaps: topics people ask about more than the practice notes cover
    topic_counts: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        if e.kind in ("ask", "practice", "story"):
            for t in set(e.topics):
                topic_counts[t][e.kind] += 1
    gaps = [Gap(t, c["ask"], c["practice"], c["story"]) for t, c in topic_counts.items() if c["ask"] > c["practice"]]
    gaps.sort(key=lambda g: (-(g.asks - g.practices), -g.asks, g.topic))

    # asks and answers
    asks = snap.of_kind(Kind.ask.value)
    unanswered, waits = [], []
    for ask in asks:
        answers = [a for a in snap.answers.get(ask.id, []) if a.created is not None]
        if ask.created is not None and answers:
            first_answer = min(a.created for a in answers)
            waits.append(max((first_answer - ask.created).total_seconds(), 0) / 3600)
        if _ask_status(ask) == "open" and not snap.answers.get(ask.id):
            unanswered.append(OpenAsk(ask, 0, (now - ask.created).days if ask.created else 0))
    unanswered.sort(key=lambda o: (-o.age_days, o.entry.id))
    median = round(statistics.median(waits), 1) if waits else None

    stale_found, checked = _stale(snap, now, now - YEAR)

    # knowledge at risk: expertise held by a single active member
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

    statuses = Counter(m.status for m in snap.members.values())
    return Stats(
        community=rep.config.name,
        as_of=now,
        members_total=len(snap.members),
        members_active=statuses.get("active", 0),
        active_recent=len(recent),
        months=rows,
        gaps=gaps,
        asks_open=sum(1 for a in asks if _ask_status(a) == "open"),
        asks_total=len(asks),
        unanswered=unanswered,
        median_hours_to_first_answer=median,
        answered_asks=len(waits),
        stale=stale_found,
        stale_checked=checked,
        at_risk=at_risk,
        counts={k: sum(1 for e in entries if e.kind == k) for k in KIND_ORDER},
    )


def env_now() -> dt.datetime | None:
    """COPART_NOW (an ISO time) pins "now" for reproducible digests and stats (tests, reports)."""
    text = os.environ.get("COPART_NOW")
    return as_datetime(text) if text else None


