"""`copart digest`: what is new and changed, who contributed, open asks and accepted answers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from copart_cli.core.errors import UsageError
from copart_cli.core.model import Entry, Kind, Problem, as_datetime, iso, parse_since, utcnow
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.snapshot import KIND_ORDER, Snapshot, ask_status, sort_time, summary


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
    needs: list[Any] = field(default_factory=list)  # match.NeedMatch: needs someone here could meet
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


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
    inside = _Window(start, end)
    new = sorted((snap.credited(e) for e in snap.entries if inside(e.created)), key=lambda e: (sort_time(e), e.id),
                 reverse=True)
    people = _People(snap)
    for e in new:
        if e.author:
            c = people[e.author]
            if e.kind == Kind.answer.value:
                c.answers += 1
            else:
                c.new += 1
    changed, touched_answers = _changed(snap, inside, {e.id for e in new}, people)
    result = Digest(
        community=rep.config.name,
        since=start,
        until=end,
        since_label=label,
        new=new,
        changed=sorted(changed.values(), key=lambda c: (c.when, c.entry.id), reverse=True),
        contributors=sorted(people.values(), key=lambda c: (-c.total, c.id)),
        open_asks=_open_asks(snap, end),
        accepted=_accepted(snap, inside, touched_answers),
        format=fmt,
        needs=_needs_met(rep),
        unreadable=snap.unreadable,
    )
    if fmt != "json":
        result.text = render_digest(rep, result, fmt, base_url, snap)
    return result


@dataclass
class _Window:
    """The digest's time span: `inside(t)`."""

    start: dt.datetime
    end: dt.datetime

    def __call__(self, t: dt.datetime | None) -> bool:
        return t is not None and self.start <= t <= self.end


class _People(dict):
    """Contributors by member id, made on first mention (in the order they are first met)."""

    def __init__(self, snap: Snapshot):
        super().__init__()
        self.snap = snap

    def __missing__(self, member_id: str) -> Contributor:
        self[member_id] = Contributor(member_id, self.snap.member_name(member_id))
        return self[member_id]


def _changed(snap: Snapshot, inside: _Window, new_ids: set[str],
             people: _People) -> tuple[dict[str, Changed], set[str]]:
    """Entries edited in the window (not new in it), crediting each editor; and every entry touched."""
    changed: dict[str, Changed] = {}
    touched: set[str] = set()
    for ed in snap.edits(inside.start):
        if ed.when > inside.end:
            continue
        entry = snap.by_path.get(ed.path)
        if entry is None:
            continue
        touched.add(entry.id)
        if ed.status != "M" or entry.id in new_ids:
            continue
        people[ed.member].edits += 1
        item = changed.setdefault(entry.id, Changed(entry, ed.when, []))
        item.when = max(item.when, ed.when)
        if ed.member not in item.by:
            item.by.append(ed.member)
    return changed, touched


def _needs_met(rep: Repertoire) -> list[Any]:
    """Each need in the profiles that someone here could meet, with its best two providers (match.py)."""
    from copart_cli.services.match import match

    return match(rep, providers=2).met


def _open_asks(snap: Snapshot, end: dt.datetime) -> list[OpenAsk]:
    found = []
    for ask in snap.of_kind(Kind.ask.value):
        if ask_status(ask) == "open" and (ask.created is None or ask.created <= end):
            age = (end - ask.created).days if ask.created else 0
            found.append(OpenAsk(ask, len(snap.answers.get(ask.id, [])), age))
    found.sort(key=lambda o: (o.answers > 0, -o.age_days, o.entry.id))
    return found


def _accepted(snap: Snapshot, inside: _Window, touched: set[str]) -> list[Accepted]:
    """Answers accepted in the window (by `accepted_at`, else by when the answer was made or touched)."""
    found = []
    for ans in snap.of_kind(Kind.answer.value):
        if not ans.meta.get("accepted"):
            continue
        at = as_datetime(ans.meta.get("accepted_at"))
        if (at is not None and inside(at)) or (at is None and (inside(ans.created) or ans.id in touched)):
            found.append(Accepted(ans, snap.by_id.get(str(ans.meta.get("answers")))))
    found.sort(key=lambda a: (sort_time(a.answer), a.answer.id), reverse=True)
    return found


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
        "needs": [{"member": n.member, "member_name": n.member_name, "need": n.need,
                   "providers": [{"id": p.id, "name": p.name, "why": p.evidence[0] if p.evidence else ""}
                                 for p in n.providers]} for n in d.needs],
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
