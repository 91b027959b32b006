"""Stable JSON shapes shared by every view (documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import Entry, Problem, iso, jsonable  # jsonable: re-exported for the views


def entry(e: Entry, *, meta: bool = False) -> dict[str, Any]:
    """The minimum every script may rely on, plus `pending` and (optionally) all frontmatter."""
    data: dict[str, Any] = {
        "id": e.id,
        "kind": e.kind,
        "title": e.title,
        "path": e.path,
        "author": e.author,
        "created": iso(e.created),
        "topics": e.topics,
        "tags": e.tags,
    }
    if e.source:
        data["source"] = e.source
    if e.pending:
        data["pending"] = True
    if meta:
        data["meta"] = jsonable(e.meta)
    return data


def problem(p: Problem) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "message": p.message}
