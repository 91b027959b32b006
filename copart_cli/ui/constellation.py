"""Views of `constellation add|list|remove|status` and `ask`/`search`/`who --constellation` (JSON in docs/json.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out, warn
from copart_cli.ui.search import _corrections, _result


def _community(c) -> dict[str, Any]:
    return {"name": c.name, "path": c.path, "url": c.url, "state": c.state, "entries": c.entries,
            "archived": c.archived}


def json_ConstellationList(r) -> dict[str, Any]:
    return {"registry": r.registry, "action": r.action, "communities": [_community(c) for c in r.communities]}


def text_ConstellationList(r, out: Out) -> None:
    if r.action in ("added", "removed"):
        c = r.communities[0]
        out.line(f"{r.action} {c.name} ({c.path})" + ("; its files stay where they are" if r.action == "removed" else ""))
        return
    if not r.communities:
        out.line("your constellation is empty; add one with: copart constellation add NAME PATH|URL")
        return
    cols = ["name", "state", "path"] + (["entries"] if r.action == "status" else [])
    out.table(cols, [[c.name, c.state + (" (archived)" if c.archived else ""), c.path]
                     + ([str(c.entries)] if r.action == "status" else []) for c in r.communities])


def json_ConstellationAsk(r) -> dict[str, Any]:
    return {"question": r.question, "mode": r.mode, "asked": r.asked, "total": r.total, "note": r.note,
            "corrections": r.corrections,
            "results": [{**_result(x), "community": name} for name, x in r.results],
            "people": [{"id": p.id, "name": p.name, "score": p.score, "communities": p.communities,
                        "evidence": p.evidence} for p in r.people],
            "skipped": [{"community": n, "why": why} for n, why in r.skipped]}


def text_ConstellationAsk(r, out: Out) -> None:
    for name, why in r.skipped:
        warn(f"skipped {name}: {why}")
    across = plural(len(r.asked), "community", "communities")
    _corrections(out, r.corrections)
    if not r.results and not r.people:
        out.line(r.note or (f"no entries match in {across}" if r.mode == "search"
                            else f"nothing in {across} answers this well"))
    elif r.mode == "search":
        out.heading(f"{plural(r.total, 'entry', 'entries')} across {across}"
                    + (f", best {len(r.results)} shown" if r.total > len(r.results) else ""))
    elif r.results:
        out.heading(f"What we know, across {across}")
    for n, (name, x) in enumerate(r.results, 1):
        out.line(f"{n}. [{name}] {x.entry.title} ({x.entry.id})  score {x.score:.2f}", style="bold")
        for p in x.passages[:1]:
            out.highlighted("   " + p.text, [(s + 3, e + 3) for s, e in p.marks])
    if r.people:
        out.heading("Who knows")
        for p in r.people:
            out.line(f"{p.name} ({p.id}) in {', '.join(p.communities)}", style="bold")
            for ev in p.evidence[:4]:
                out.line(f"   - {ev}")


def json_ConstellationSync(r) -> dict[str, Any]:
    return {"exit_code": r.exit_code,
            "communities": [{"name": c.name, "state": c.state, "incoming_commits": c.incoming_commits,
                             "outgoing_commits": c.outgoing_commits, "pushed": c.pushed, "exit_code": c.exit_code}
                            for c in r.communities]}


def text_ConstellationSync(r, out: Out) -> None:
    out.table(["community", "state", "in", "out", "pushed"],
              [[c.name, c.state, str(c.incoming_commits), str(c.outgoing_commits), "yes" if c.pushed else "no"]
               for c in r.communities])
