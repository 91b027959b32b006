"""Views of a community as a whole: init, demo."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out
from copart_cli.ui import jsonout as j


def json_InitResult(r) -> dict[str, Any]:
    return {"path": str(r.path), "name": r.name, "commit": r.commit, "entries": r.entries}


def text_InitResult(r, out: Out) -> None:
    out.line(f"created the {r.name} repertoire in {r.path} ({plural(r.entries, 'entry', 'entries')}, commit {r.commit[:10]})")
    out.line(f"next: cd {r.path} && copart new story \"What happened today\"")


def json_Overview(r) -> dict[str, Any]:
    return {
        "path": str(r.path),
        "name": r.name,
        "domain": r.domain,
        "counts": r.counts,
        "recent": [j.entry(e) for e in r.recent],
        "members": [{"id": m.id, "name": m.name, "roles": m.roles, "expertise": m.expertise} for m in r.members],
        "open_asks": [j.entry(e) for e in r.open_asks],
        "answer": _demo_answer_json(r),
        "removed": [str(p) for p in r.removed],
    }


def _demo_answer_json(r):
    if r.answer is None:
        return None
    from copart_cli.ui.search import json_AskResult

    return json_AskResult(r.answer)


def text_Overview(r, out: Out) -> None:
    out.heading(f"{r.name} — what this community knows")
    if r.domain:
        out.line(r.domain, style="italic")
    plural = {"story": "stories"}
    out.line(", ".join(f"{n} {k if n == 1 else plural.get(k, k + 's')}" for k, n in r.counts.items()))
    out.line()
    out.table(["recent", "kind", "by", "topics"], [[e.title, e.kind, e.author, ", ".join(e.topics)] for e in r.recent],
              title="Latest stories and practice notes")
    out.line()
    away = r.counts.get("member", 0) - len(r.members)  # alumni and others not active are not listed
    out.table(["member", "roles", "expertise"], [[m.name, ", ".join(m.roles), ", ".join(m.expertise)] for m in r.members],
              title="Who knows what" + (f" (active members; {away} more no longer active)" if away > 0 else ""))
    if r.open_asks:
        out.line()
        out.table(["open ask", "by"], [[e.title, e.author] for e in r.open_asks], title="Waiting for an answer")
    out.line()
    if r.answer is not None:
        from copart_cli.ui.search import text_AskResult

        out.line()
        out.heading(f'copart ask "{r.answer.question}"')
        text_AskResult(r.answer, out)
        out.line()
    if r.removed:
        n = len(r.removed)
        out.line(f"removed {n} older demo cop{'y' if n == 1 else 'ies'} from {r.removed[0].parent}")
    out.line(f"This is a throwaway copy in {r.path} (the next copart demo removes it). Try:", style="bold")
    out.line(f"  copart -R {r.path} list --kind story")
    out.line(f"  copart -R {r.path} show <id>")
    out.line(f'  copart -R {r.path} ask "what can a cafe do when cash is short?"')
    out.line(f"  copart -R {r.path} who vat")


# -- config -------------------------------------------------------------------------


def json_ConfigValues(r) -> dict[str, Any]:
    return r.values


def _shown(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def text_ConfigValues(r, out: Out) -> None:
    """One key: its value alone (for scripts); all: `key: value` lines."""
    if r.single:
        out.line(_shown(next(iter(r.values.values()))))
        return
    for key, value in r.values.items():
        out.line(f"{key}: {_shown(value)}")


def json_ConfigSet(r) -> dict[str, Any]:
    return {"key": r.key, "value": r.value, "commit": r.commit, "pending": r.pending}


def text_ConfigSet(r, out: Out) -> None:
    if r.commit is None:
        out.line(f"{r.key} is already {_shown(r.value)}: nothing changed")
        return
    where = " (a contribution: on main once a coordinator accepts it)" if r.pending else ""
    out.line(f"set {r.key}: {_shown(r.value)} (commit {r.commit[:10]}){where}")
