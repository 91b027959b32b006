"""The view of `copart archive` (JSON shape in docs/json.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.ui import Out
from copart_cli.ui import jsonout as j


def json_ArchiveResult(r) -> dict[str, Any]:
    return {"community": r.community, "archived_by": r.archived_by, "commit": r.commit,
            "closing_story": {"entry": j.entry(r.story.entry), "commit": r.story.commit}}


def text_ArchiveResult(r, out: Out) -> None:
    out.line(f"archived {r.community}: closing story {r.story.entry.id} (commit {(r.story.commit or '')[:10]}), "
             f"copart.yaml marked archived (commit {r.commit[:10]})")
    out.line("it is read-only now; search, ask, who and site still work")
