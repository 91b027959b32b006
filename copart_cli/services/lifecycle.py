"""An entry's and a community's end of life: `status: obsolete` entries (with `superseded_by`),
which `ask` leaves out unless asked, and `copart archive` (see docs/community.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from copart_cli.adapters.files import read_text
from copart_cli.core import frontmatter
from copart_cli.core.errors import InvalidEntry
from copart_cli.core.model import as_text

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
