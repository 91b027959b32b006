"""An entry's and a community's end of life: `status: obsolete` entries (with `superseded_by`),
which `ask` leaves out unless asked, and `copart archive` (see docs/community.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copart_cli.adapters.files import atomic_write, read_text
from copart_cli.core import frontmatter
from copart_cli.core.errors import AlreadyExists, CopartError, InvalidEntry, UsageError
from copart_cli.core.model import Kind, as_text, iso, utcnow

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

OBSOLETE = "obsolete"


@dataclass
class LeftOut:
    """An obsolete entry a query left out, and what replaces it (an entry id, or "")."""

    id: str
    title: str
    superseded_by: str = ""


def without_obsolete(hits: list, root: Path, keep: bool = False) -> tuple[list, list[LeftOut]]:
    """The hits that are not `status: obsolete` (all of them with KEEP), and those left out."""
    if keep:
        return hits, []
    kept, gone = [], []
    for h in hits:
        if h.meta.get("status") == OBSOLETE and h.kind != "ask":
            gone.append(LeftOut(h.id, h.title, _superseded_by(root, h.path)))
        else:
            kept.append(h)
    return kept, gone


def _superseded_by(root: Path, rel: str) -> str:
    try:
        meta = frontmatter.load(frontmatter.split(read_text(root / rel, rel), rel).frontmatter, rel)
    except (InvalidEntry, OSError):
        return ""
    return as_text(meta.get("superseded_by"))[:200]


# -- archive -------------------------------------------------------------------------------------


@dataclass
class ArchiveResult:
    view = "lifecycle"
    community: str
    story: Any  # capture.WriteResult of the closing story
    commit: str  # the commit marking copart.yaml archived
    archived_by: str


def archive(rep: Repertoire, body: str, title: str | None = None, now: dt.datetime | None = None) -> ArchiveResult:
    """A coordinator closes the community: a closing story, then copart.yaml marked `archived`
    (two commits); every later write through copart is refused, reading and search go on."""
    from copart_cli.services.capture import Changes, new_entry
    from copart_cli.services.contributions import current_member
    from copart_cli.services.repertoire import CONFIG_FILE, require_identity
    from copart_cli.services.signing import main_rev, roster_at

    if rep.config.raw.get("archived"):
        raise AlreadyExists(f"{rep.config.name} is already archived; nothing was changed")
    if not body or not body.strip():
        raise UsageError("a closing story is needed: what the community achieved and where its knowledge lives on",
                         hint='copart archive --body "We set out to … ; what we learned is here, still searchable."')
    require_identity(rep)
    me = current_member(rep)
    if me not in roster_at(rep.git, main_rev(rep)).coordinators:
        raise CopartError(f"only a coordinator can archive the community; you are '{me}'",
                          hint="coordinators are members with 'coordinator' in their roles on main")
    when = iso(now or utcnow())
    story = new_entry(rep, Kind.story, title or f"Closing the {rep.config.name} community",
                      Changes(body=body.strip() + "\n", tags=["closing-story"]), author=me)
    text = read_text(rep.root / CONFIG_FILE, CONFIG_FILE)
    text = re.sub(r"(?m)^(archived|archived_by|closing_story):.*\n?", "", text)
    text = text.rstrip("\n") + f"\narchived: {when}\narchived_by: {me}\nclosing_story: {story.entry.id}\n"
    atomic_write(rep.root / CONFIG_FILE, text, CONFIG_FILE)
    commit = rep.commit([CONFIG_FILE], f"archive: {rep.config.name} is closed\n\nClosing story: {story.entry.id}.",
                        archiving=True)
    return ArchiveResult(rep.config.name, story, commit, me)
