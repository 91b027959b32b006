"""Views of entries: show, list, new/edit/rm, check."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out, warn
from copart_cli.ui import jsonout as j


def _date(e) -> str:
    return e.created.strftime("%Y-%m-%d") if e.created else ""


# -- show ---------------------------------------------------------------------------


def json_ShownEntry(r) -> dict[str, Any]:
    return {
        **j.entry(r.entry, meta=True),
        "body": r.entry.body,
        "backlinks": [j.entry(e) for e in r.backlinks],
        "answers": [{**j.entry(e), "accepted": bool(e.meta.get("accepted"))} for e in r.answers],
    }


def text_ShownEntry(r, out: Out) -> None:
    e = r.entry
    out.heading(e.title)
    facts = [f"{e.kind} · {e.id} · by {e.author or '?'} · {_date(e)}"]
    if e.topics:
        facts.append("topics: " + ", ".join(e.topics))
    if e.tags:
        facts.append("tags: " + ", ".join(e.tags))
    if e.kind == "ask":
        facts.append(f"status: {e.meta.get('status', 'open')}")
    for fact in facts:
        out.line(fact, style="dim")
    if e.pending:
        out.line("pending review", style="yellow")
    out.line()
    out.markdown(e.body.strip() or "_(no text yet)_")
    if r.answers:
        out.line()
        out.heading(f"Answers ({len(r.answers)})")
        for a in r.answers:
            mark = "✓ accepted · " if a.meta.get("accepted") else ""
            out.line(f"{mark}{a.id} by {a.author} · {_date(a)}", style="bold" if mark else None)
            out.markdown(a.body.strip())
    if r.backlinks:
        out.line()
        out.heading("Linked from")
        out.table(["id", "kind", "title"], [[b.id, b.kind, b.title] for b in r.backlinks])


# -- list ---------------------------------------------------------------------------


def json_EntryList(r) -> list[dict[str, Any]]:
    return [j.entry(e) for e in r.entries]


def text_EntryList(r, out: Out) -> None:
    rows = [[e.id, e.kind, e.title + (" (pending review)" if e.pending else ""), e.author, _date(e),
             ", ".join(e.topics)] for e in r.entries]
    if not rows:
        out.line("no entries" + (" match " + ", ".join(f"{k}={v}" for k, v in r.filters.items()) if r.filters else ""))
        return
    out.table(["id", "kind", "title", "author", "created", "topics"], rows)
    if r.total > len(r.entries) and out.rich:
        out.line(f"… {r.total - len(r.entries)} more (raise --limit to see them)", style="dim")


# -- tags ---------------------------------------------------------------------------


def json_TagList(r) -> dict[str, Any]:
    return {"tags": [{"name": t.name, "count": t.count} for t in r.tags],
            "topics": [{"name": t.name, "count": t.count, "declared": t.declared} for t in r.topics]}


def text_TagList(r, out: Out) -> None:
    """Piped: one `tag NAME COUNT` / `topic NAME COUNT` row each, for cut and awk."""
    if not out.rich:
        out.table([], [["topic", t.name, str(t.count)] for t in r.topics] + [["tag", t.name, str(t.count)]
                                                                           for t in r.tags])
        return
    out.table(["topic", "entries"], [[t.name, str(t.count)] for t in r.topics], title="Topics")
    out.line()
    out.table(["tag", "entries"], [[t.name, str(t.count)] for t in r.tags], title="Tags")


# -- new / edit / rm ------------------------------------------------------------------


def json_WriteResult(r) -> dict[str, Any]:
    return {
        "action": r.action,
        "entry": j.entry(r.entry),
        "commit": r.commit,
        "pending": r.pending,
        "warnings": [j.problem(p) for p in r.warnings],
    }


def text_WriteResult(r, out: Out) -> None:
    for p in r.warnings[:10]:
        warn(str(p))
    if len(r.warnings) > 10:
        warn(f"… and {len(r.warnings) - 10} more: see copart check")
    verb = {"created": "created", "edited": "edited", "removed": "removed", "unchanged": "no changes to"}[r.action]
    commit = f" (commit {r.commit[:10]})" if r.commit else ""
    out.line(f"{verb} {r.entry.id}  {r.entry.path}{commit}")
    if r.pending and r.commit:
        out.line("  a contribution: on main once a coordinator accepts it (copart contribute list; copart sync sends it)")


# -- check --------------------------------------------------------------------------


def json_CheckResult(r) -> dict[str, Any]:
    return {"ok": r.ok, "checked": r.checked, "problems": [j.problem(p) for p in r.problems]}


def text_CheckResult(r, out: Out) -> None:
    for p in r.problems:
        out.line(str(p))
    if r.ok:
        out.line(f"ok: {plural(r.checked, 'entry', 'entries')} checked, no problems")
