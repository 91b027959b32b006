"""Reading the repertoire: `show` one entry with what links to it, `list` many."""

from __future__ import annotations

from dataclasses import dataclass, field

from copart_cli.core.errors import UsageError
from copart_cli.core.links import alias_map, outgoing_links
from copart_cli.core.model import EPOCH as _EPOCH, Entry, Kind, Problem, parse_since
from copart_cli.core import ids
from copart_cli.services.repertoire import Repertoire


@dataclass
class ShownEntry:
    view = "entries"
    entry: Entry
    backlinks: list[Entry] = field(default_factory=list)
    answers: list[Entry] = field(default_factory=list)  # for an ask
    unreadable: list[Problem] = field(default_factory=list)  # entries that could not be read (named on stderr)


@dataclass
class EntryList:
    view = "entries"
    entries: list[Entry]
    filters: dict[str, str] = field(default_factory=dict)
    total: int = 0  # how many matched, before --limit
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


# `list --sort`: created is newest first, the others A to Z
SORTS = {
    "created": (lambda e: (e.created or _EPOCH, e.id), True),
    "title": (lambda e: (e.title.casefold(), e.id), False),
    "id": (lambda e: e.id, False),
    "kind": (lambda e: (e.kind, e.id), False),
    "author": (lambda e: (e.author.casefold(), e.id), False),
}


def show_entry(rep: Repertoire, entry_id: str) -> ShownEntry:
    entry = rep.get(entry_id)  # an id, an alias, the start of an id or a title
    known = {ids.of_path(rel) for rel in rep.entry_paths()}
    backlinks, answers, unreadable = [], [], []
    others = list(rep.entries(unreadable))
    aliases = alias_map(others)  # [[WP]] links here too when WP is one of its aliases
    for other in others:
        if other.id == entry.id:
            continue
        if other.kind == Kind.answer.value and str(other.meta.get("answers")) == entry.id:
            answers.append(other)
        elif entry.id in outgoing_links(other, known, aliases):
            backlinks.append(other)
    backlinks.sort(key=lambda e: e.id)
    answers.sort(key=lambda e: (not e.meta.get("accepted"), e.created or _EPOCH))
    return ShownEntry(entry, backlinks, answers, unreadable)


def list_entries(
    rep: Repertoire,
    *,
    kind: Kind | None = None,
    tag: str | None = None,
    topic: str | None = None,
    author: str | None = None,
    since: str | None = None,
    sort: str = "created",
    limit: int | None = None,
) -> EntryList:
    """Entries matching every filter given, newest first (or by `sort`), at most `limit` of them."""
    if sort not in SORTS:
        raise UsageError(f"unknown sort '{sort}'", hint=f"one of {', '.join(SORTS)}")
    after = parse_since(since) if since else None
    picked: list[Entry] = []
    unreadable: list[Problem] = []
    for entry in rep.entries(unreadable):
        if kind and entry.kind != kind.value:
            continue
        if tag and tag not in entry.tags:
            continue
        if topic and topic not in entry.topics:
            continue
        if author and entry.author != author:
            continue
        if after and (entry.created is None or entry.created < after):
            continue
        picked.append(entry)
    key, newest_first = SORTS[sort]
    picked.sort(key=key, reverse=newest_first)
    filters = {k: v for k, v in {"kind": kind.value if kind else None, "tag": tag, "topic": topic,
                                  "author": author, "since": since}.items() if v}
    return EntryList(picked[:limit] if limit else picked, filters, total=len(picked), unreadable=unreadable)
