"""Reading the repertoire: `show` one entry with what links to it, `list` many."""

from __future__ import annotations

from dataclasses import dataclass, field

from copart_cli.core.links import alias_map, outgoing_links
from copart_cli.core.model import EPOCH as _EPOCH, Entry, Kind, parse_since
from copart_cli.services.repertoire import Repertoire


@dataclass
class ShownEntry:
    view = "entries"
    entry: Entry
    backlinks: list[Entry] = field(default_factory=list)
    answers: list[Entry] = field(default_factory=list)  # for an ask


@dataclass
class EntryList:
    view = "entries"
    entries: list[Entry]
    filters: dict[str, str] = field(default_factory=dict)


def show_entry(rep: Repertoire, entry_id: str) -> ShownEntry:
    entry = rep.find(entry_id)  # an id, or an alias
    known = {rel.rsplit("/", 1)[-1].removesuffix(".md") for rel in rep.entry_paths()}
    backlinks, answers = [], []
    others = list(rep.entries())
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
    return ShownEntry(entry, backlinks, answers)


def list_entries(
    rep: Repertoire,
    *,
    kind: Kind | None = None,
    tag: str | None = None,
    topic: str | None = None,
    author: str | None = None,
    since: str | None = None,
) -> EntryList:
    """Entries matching every filter given, newest first."""
    after = parse_since(since) if since else None
    picked: list[Entry] = []
    for entry in rep.entries():
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
    picked.sort(key=lambda e: (e.created or _EPOCH, e.id), reverse=True)
    filters = {k: v for k, v in {"kind": kind.value if kind else None, "tag": tag, "topic": topic,
                                  "author": author, "since": since}.items() if v}
    return EntryList(picked, filters)
