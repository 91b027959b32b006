"""Links between entries: [[wiki links]] in a body, `links:` in frontmatter, an answer's ask.

A link names an entry by its id, by a title that slugifies to it ([[Pricing a workshop]]), or
by one of its `aliases`; an embed ![[chart.png]] names an attachment by path or file name.
Pure functions: the site, `check`, `show` and pathways all resolve links the same way."""

from __future__ import annotations

import re

from copart_cli.core import ids
from copart_cli.core.model import CODE_SPAN, Entry, Kind, as_text, prose_lines

# [[target#anchor|label]]: group 1 the target, 2 the anchor (with its '#'), 3 the label
WIKI_LINK = re.compile(r"\[\[([^\]\|#\n]+)(#[^\]\|\n]*)?(?:\|([^\]\n]*))?\]\]")


def wiki_links(body: str) -> list[tuple[str, int]]:
    """[[target]] links in a body outside code (fenced blocks, `spans`), with their 0-based
    line offsets within it."""
    if "[[" not in body:
        return []
    found = []
    for n, line in prose_lines(body.splitlines()):
        if "[[" not in line:
            continue
        for m in WIKI_LINK.finditer(CODE_SPAN.sub(lambda c: " " * len(c.group(0)), line)):
            found.append((m.group(1).strip(), n))
    return found


def resolve_link(target: str, known: set[str], aliases: dict[str, str] | None = None) -> str | None:
    """A link target as an entry id: the id itself, the slug of a title-style link, an alias
    (`aliases`: see alias_map), or the last part of a path-style link ([[sub/Note]])."""
    if target in known:
        return target
    slug = ids.slugify(target)
    if slug in known:
        return slug
    if aliases and slug in aliases:
        return aliases[slug]
    if "/" in target.strip("/"):
        return resolve_link(ids.of_path(target.strip("/")), known, aliases)
    return None


def alias_map(entries) -> dict[str, str]:
    """slug of an alias -> the id of the entry that has it; an id always wins over an alias, and
    of two entries with one alias the first (by path) keeps it."""
    found: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.path):
        for alias in entry.aliases:
            slug = ids.slugify(alias)
            if slug:
                found.setdefault(slug, entry.id)
    return found


def attachment_map(paths) -> dict[str, str]:
    """How an embed ![[name]] finds an attachment: by its repertoire path or, as Obsidian does,
    by its file name alone (lowercased; of two files with one name the first path keeps it)."""
    found: dict[str, str] = {}
    for rel in sorted(paths):
        found.setdefault(rel.lower(), rel)
    for rel in sorted(paths, key=lambda r: (r.count("/"), r)):
        found.setdefault(rel.rsplit("/", 1)[-1].lower(), rel)
    return found


def resolve_attachment(target: str, files: dict[str, str]) -> str | None:
    """The attachment a [[target]] names (see attachment_map), or None; only names copart found
    on disk come back, so a target like ../../etc/passwd never becomes a path."""
    key = target.strip().lower()
    return files.get(key) or files.get(key.rsplit("/", 1)[-1]) if key else None


def outgoing_links(entry: Entry, known: set[str], aliases: dict[str, str] | None = None) -> set[str]:
    targets = set()
    for link in entry.links:
        resolved = resolve_link(link, known, aliases)
        if resolved:
            targets.add(resolved)
    for target, _ in wiki_links(entry.body):
        resolved = resolve_link(target, known, aliases)
        if resolved:
            targets.add(resolved)
    ask = as_text(entry.meta.get("answers")) if entry.kind == Kind.answer.value else ""
    if ask in known:  # an ask that is not there (or a mapping in its place) is no link
        targets.add(ask)
    return targets


# [label](url "title") and ![alt](url): group 1 '!' for an image, 2 the label, 3 the url (<…> or bare)
MARKDOWN_LINK = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)"
                           r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_links(body: str) -> list[tuple[re.Match, int]]:
    """Every [label](url) and ![alt](url) outside code, with its 0-based line within the body."""
    found = []
    for n, line in prose_lines(body.splitlines()):
        if "](" not in line:
            continue
        spans = [m.span() for m in CODE_SPAN.finditer(line)]
        for m in MARKDOWN_LINK.finditer(line):
            if not any(a <= m.start() < b for a, b in spans):
                found.append((m, n))
    return found


def relative_target(url: str, base: str) -> tuple[str, str] | None:
    """A relative link's repertoire path and its #anchor, judged from the folder `base` (the
    linking file's); None for a link with a scheme, an anchor alone, a rooted path, or one that
    climbs out of the repertoire."""
    from posixpath import normpath
    from urllib.parse import unquote

    url = url.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    if not url or url.startswith(("#", "/", "\\")) or _SCHEME.match(url):
        return None
    path, _, anchor = url.partition("#")
    path = unquote(path.split("?", 1)[0]).replace("\\", "/")
    if not path:
        return None
    joined = normpath(f"{base}/{path}" if base else path)
    if joined.startswith("../") or joined in ("..", ".") or joined.startswith("/"):
        return None
    return joined, anchor


def heading_anchor(heading: str) -> str:
    """A heading's id in the site, and where a [[page#Heading]] leads: `h-` and its slug (the
    prefix keeps a partner's heading from taking a name the page's own script uses)."""
    return "h-" + (ids.slugify(heading, max_len=80) or "x")
