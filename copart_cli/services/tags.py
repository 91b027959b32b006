"""`copart tags`: the tags and topics in use, with how many entries carry each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.core.model import Problem

if TYPE_CHECKING:
    from copart_cli.services.repertoire import Repertoire


@dataclass
class Label:
    name: str
    count: int
    declared: bool = False  # a topic listed in copart.yaml


@dataclass
class TagList:
    view = "entries"
    tags: list[Label]
    topics: list[Label]
    unreadable: list[Problem] = field(default_factory=list)


def _ranked(counts: Counter, declared: Iterable[str] = ()) -> list[Label]:
    declared = set(declared)
    names = set(counts) | declared
    labels = [Label(n, counts.get(n, 0), n in declared) for n in names]
    return sorted(labels, key=lambda label: (-label.count, label.name))


def tag_counts(rep: Repertoire) -> TagList:
    """Every tag and topic with its entry count, most used first; copart.yaml's topics even when unused."""
    tags: Counter = Counter()
    topics: Counter = Counter()
    unreadable: list[Problem] = []
    for entry in rep.entries(unreadable):
        tags.update(set(entry.tags))
        topics.update(set(entry.topics))
    return TagList(_ranked(tags), _ranked(topics, rep.config.topics), unreadable)
