"""Links between entries: [[wiki links]] in a body, `links:` in frontmatter, an answer's ask.

A link names an entry by its id or by a title that slugifies to it ([[Pricing a workshop]]).
Pure functions: the site, `check`, `show` and pathways all resolve links the same way."""

from __future__ import annotations

import re

from copart_cli.core import ids
from copart_cli.core.model import Entry, Kind, as_text

# [[target#anchor|label]]: group 1 the target, 2 the anchor (with its '#'), 3 the label
WIKI_LINK = re.compile(r"\[\[([^\]\|#\n]+)(#[^\]\|\n]*)?(?:\|([^\]\n]*))?\]\]")


def wiki_links(body: str) -> list[tuple[str, int]]:
    """[[target]] links in a body, with their 0-based line offsets within it."""
    found = []
    for m in WIKI_LINK.finditer(body):
        found.append((m.group(1).strip(), body.count("\n", 0, m.start())))
    return found


def resolve_link(target: str, known: set[str]) -> str | None:
    """A link target as an entry id: the id itself, or the slug of a title-style link."""
    if target in known:
        return target
    slug = ids.slugify(target)
    return slug if slug in known else None


def outgoing_links(entry: Entry, known: set[str]) -> set[str]:
    targets = set()
    for link in entry.links:
        resolved = resolve_link(link, known)
        if resolved:
            targets.add(resolved)
    for target, _ in wiki_links(entry.body):
        resolved = resolve_link(target, known)
        if resolved:
            targets.add(resolved)
    ask = as_text(entry.meta.get("answers")) if entry.kind == Kind.answer.value else ""
    if ask in known:  # an ask that is not there (or a mapping in its place) is no link
        targets.add(ask)
    return targets
