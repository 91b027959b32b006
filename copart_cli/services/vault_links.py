"""How `import` keeps a vault's links meaning what they meant: [[Name]], [[folder/Name#Heading|label]],
![[chart.png]], [text](../other/note.md#part) and ![alt](img/chart.png) are rewritten to the entry
ids (and attachment paths) the imported files get; every link that names nothing imported is
reported (`Unmapped`), never guessed.

A [[Name]] is resolved as Obsidian does: a path (from the linking file's folder, then from the
vault's root), else the file name; of several files with that name, the one in the linking
file's folder, else the one with the shortest path. Code (fenced blocks, `spans`) is left alone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from copart_cli.core import ids
from copart_cli.core.links import MARKDOWN_LINK, WIKI_LINK, relative_target
from copart_cli.core.model import CODE_SPAN, prose_lines

ATTACHMENTS_DIR = "attachments"  # where imported attachments go, under their path in the vault
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


@dataclass
class Unmapped:
    path: str  # the linking file, relative to the imported folder
    line: int  # 1-based, in the file as it was
    link: str  # the link as written


def _stem(rel: str) -> str:
    for suffix in MARKDOWN_SUFFIXES:
        if rel.lower().endswith(suffix):
            return rel[: -len(suffix)]
    return rel


def _pick(candidates: list[str], here: str) -> str | None:
    """Of the vault paths with one name: the one beside the linking file, else the shortest."""
    if not candidates:
        return None
    folder = posixpath.dirname(here)
    beside = [c for c in candidates if posixpath.dirname(c) == folder]
    return min(beside or candidates, key=lambda c: (c.count("/"), len(c), c))


@dataclass
class Linker:
    """The vault's files: notes (vault path -> the id it gets) and the other files beside them."""

    notes: dict[str, str]
    others: set[str]
    aliases: set[str] = field(default_factory=set)  # slugs of frontmatter aliases: those resolve as they are
    used: set[str] = field(default_factory=set)  # attachments some note links to (import copies them)

    def __post_init__(self):
        self._note_paths = {_stem(p).lower(): p for p in self.notes}
        self._note_names: dict[str, list[str]] = {}
        for p in self.notes:
            self._note_names.setdefault(_stem(p).rsplit("/", 1)[-1].lower(), []).append(p)
        self._files = {p.lower(): p for p in self.others}
        self._file_names: dict[str, list[str]] = {}
        for p in self.others:
            self._file_names.setdefault(p.rsplit("/", 1)[-1].lower(), []).append(p)

    def note(self, target: str, here: str) -> str | None:
        key = _stem(target.strip()).lower().strip("/")
        if not key:
            return None
        if "/" in key:
            for candidate in (posixpath.normpath(posixpath.join(posixpath.dirname(here), key)), key):
                if candidate in self._note_paths:
                    return self.notes[self._note_paths[candidate]]
        found = _pick(self._note_names.get(key.rsplit("/", 1)[-1], []), here)
        return self.notes[found] if found else None

    def attachment(self, target: str, here: str) -> str | None:
        key = target.strip().lower().strip("/")
        if not key:
            return None
        for candidate in (posixpath.normpath(posixpath.join(posixpath.dirname(here), key)), key):
            if candidate in self._files:
                return self._files[candidate]
        return _pick(self._file_names.get(key.rsplit("/", 1)[-1], []), here)

    def rewrite(self, body: str, here: str, first_line: int) -> tuple[str, list[Unmapped]]:
        """The body with its links rewritten, and those that could not be mapped (`first_line`:
        the body's first line in the original file)."""
        unmapped: list[Unmapped] = []
        lines = body.splitlines(keepends=True)
        for n, line in prose_lines(lines):
            if "[[" not in line and "](" not in line:
                continue
            missed = lambda link: unmapped.append(Unmapped(here, first_line + n, link))  # noqa: E731
            lines[n] = _outside_spans(line, lambda text: self._line(text, here, missed))
        return "".join(lines), unmapped

    def _line(self, text: str, here: str, missed: Callable[[str], None]) -> str:
        text = WIKI_LINK.sub(lambda m: self._wiki(m, here, missed), text)
        return MARKDOWN_LINK.sub(lambda m: self._markdown(m, here, missed), text)

    def _wiki(self, m: re.Match, here: str, missed) -> str:
        target, anchor, label = m.group(1).strip(), m.group(2) or "", m.group(3)
        entry_id = self.note(target, here)
        if entry_id is not None:
            if entry_id == target and label is None:
                return m.group(0)
            return f"[[{entry_id}{anchor}|{label if label is not None else target + anchor}]]"
        found = self.attachment(target, here)
        if found is not None:
            self.used.add(found)
            return f"[[{ATTACHMENTS_DIR}/{found}" + (f"|{label}" if label is not None else "") + "]]"
        if ids.slugify(target) not in self.aliases:
            missed(("!" if m.start() and m.string[m.start() - 1] == "!" else "") + m.group(0))
        return m.group(0)

    def _markdown(self, m: re.Match, here: str, missed) -> str:
        bang, label, url = m.group(1), m.group(2), m.group(3)
        to = relative_target(url, posixpath.dirname(here)) or self._rooted(url)
        if to is None:
            if not url.startswith("#") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url.strip("<>")):
                missed(m.group(0))  # rooted, or climbing out of the vault
            return m.group(0)
        path, anchor = to
        entry_id = self.note(path, "") if path.lower().endswith(MARKDOWN_SUFFIXES) else None
        if entry_id is not None:
            return f"[[{entry_id}" + (f"#{unquote(anchor)}" if anchor else "") + f"|{label or entry_id}]]"
        found = self._files.get(path.lower())
        if found is not None:
            self.used.add(found)
            return f"{bang}[{label}](<../{ATTACHMENTS_DIR}/{found}>)"  # entries sit one folder deep
        missed(m.group(0))
        return m.group(0)


    def _rooted(self, url: str) -> tuple[str, str] | None:
        """A /rooted/path.md of a wiki export names the site or repository above the vault: the
        longest tail of it that is a note or a file of the vault."""
        if not url.startswith("/") or url.startswith("//"):
            return None
        to = relative_target(url.lstrip("/"), "")
        if to is None:
            return None
        parts = to[0].split("/")
        for i in range(len(parts)):
            tail = "/".join(parts[i:])
            if _stem(tail).lower() in self._note_paths or tail.lower() in self._files:
                return tail, to[1]
        return None


def _outside_spans(line: str, change: Callable[[str], str]) -> str:
    """`change` applied to a line's text outside `code spans`."""
    out, last = [], 0
    for m in CODE_SPAN.finditer(line):
        out.append(change(line[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(change(line[last:]))
    return "".join(out)
