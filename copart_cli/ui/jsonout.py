"""Stable JSON shapes shared by every view (documented in docs/json.md)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from copart_cli.core.model import Entry, Problem, iso


def jsonable(value: Any) -> Any:
    """Frontmatter values as JSON: dates as ISO-8601 UTC, everything else as is or as text."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # YAML's .inf and .nan have no JSON spelling
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


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
