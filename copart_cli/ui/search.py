"""Views of search, ask, who, asks, index and import (JSON shapes in docs/search.md)."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out, note, visible, warn
from copart_cli.ui import jsonout as j


@contextlib.contextmanager
def progress_bar(label: str):
    """A progress callback (done, total) drawing a bar on stderr, only on a terminal.

    The bar appears only once work turns out to be long (over ~200 items), so a normal
    query never imports rich for it.
    """
    if not sys.stderr.isatty():
        yield None
        return
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if total < 200:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           console=Console(file=sys.stderr), transient=True)
            bar.start()
            state["bar"] = bar
            state["task"] = bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def _result(r) -> dict[str, Any]:
    return {**j.entry(r.entry), "score": r.score, "passages": [p.text for p in r.passages],
            "highlights": [[list(m) for m in p.marks] for p in r.passages], "section": r.section}


def _person(p) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "score": p.score, "evidence": p.evidence, "member": p.member,
            "available": p.available}


def _unavailable(p) -> str:
    return "" if p.available else "  · not available (alumni, or not taking work)"


def _index_notes(state) -> None:
    if state is None:
        return
    if state.action == "rebuilt":
        note(f"index built: {plural(state.documents, 'entry', 'entries')} in {state.seconds:.1f} s ({state.reason})")
    elif state.action == "stale":
        warn("another copart process is updating the index; these results may miss the latest changes")
    for path, why in (state.notes or [])[:5]:
        note(f"note: {path}: {why}")
    if state.notes and len(state.notes) > 5:
        note(f"note: … and {len(state.notes) - 5} more (see copart index)")


def _corrections(out: Out, corrections: dict[str, str]) -> None:
    if corrections:
        out.line("did you mean: " + ", ".join(f"{k} → {v}" for k, v in corrections.items()), style="italic")


def _date(e) -> str:
    return e.created.strftime("%Y-%m-%d") if e.created else ""


def _show_results(out: Out, results, heading: str | None = None) -> None:
    if heading and results:
        out.heading(heading)
    for n, r in enumerate(results, 1):
        e = r.entry
        out.line(f"{n}. {e.title}", style="bold")
        facts = f"   {e.kind} · {e.id} · by {e.author or '?'} · {_date(e)} · score {r.score:.2f}"
        if e.source:
            facts += f" · from {e.source}"
        out.line(facts, style="dim")
        for p in r.passages:
            out.highlighted("   " + p.text, [(s + 3, t + 3) for s, t in p.marks])
        out.line()


# -- search ----------------------------------------------------------------------------


def json_SearchResult(r) -> dict[str, Any]:
    return {"query": r.query, "results": [_result(x) for x in r.results], "total": r.total,
            "corrections": r.corrections, "note": r.note}


def text_SearchResult(r, out: Out) -> None:
    _index_notes(r.index)
    _corrections(out, r.corrections)
    if not r.results:
        out.line(r.note or f"no entries match: {r.query}")
        return
    _show_results(out, r.results)
    if r.total > len(r.results):
        out.line(f"{len(r.results)} of {r.total} matches; more with --limit", style="dim")


# -- ask -------------------------------------------------------------------------------


def json_AskResult(r) -> dict[str, Any]:
    data = {
        "question": r.question,
        "answered": r.answered,
        "reason": r.reason,
        "strength": r.strength,
        "fit": r.fit,
        "note": r.note,
        "corrections": r.corrections,
        "results": [_result(x) for x in r.results],
        "people": [_person(p) for p in r.people],
        "open_asks": [{**j.entry(x.entry), "score": x.score} for x in r.open_asks],
    }
    if r.posted is not None:
        data["posted"] = {"entry": j.entry(r.posted.entry), "commit": r.posted.commit}
    data["obsolete_left_out"] = [{"id": o.id, "title": o.title, "superseded_by": o.superseded_by or None}
                                 for o in r.obsolete]
    return data


def text_AskResult(r, out: Out) -> None:
    _index_notes(r.index)
    _corrections(out, r.corrections)
    if not r.answered:
        out.line((r.note or "nothing in the repertoire answers this well").capitalize() + ".", style="bold")
    else:
        _show_results(out, r.results, "What we know")
    if r.people:
        out.heading("Who knows")
        for p in r.people:
            out.line(f"{p.name} ({p.id}){_unavailable(p)}", style="bold")
            for ev in p.evidence:
                out.line(f"   - {ev}")
    if r.obsolete:
        out.line()
        out.line(f"left out {len(r.obsolete)} obsolete entr{'y' if len(r.obsolete) == 1 else 'ies'} "
                 "(see them with --obsolete): " + "; ".join(
                     o.id + (f" (superseded by {o.superseded_by})" if o.superseded_by else "") for o in r.obsolete[:5]),
                 style="dim")
    if r.open_asks:
        out.line()
        out.heading("Similar open asks")
        out.table(["id", "ask", "by"], [[x.entry.id, x.entry.title, x.entry.author] for x in r.open_asks])
    if r.posted is not None:
        for p in r.posted.warnings:
            warn(str(p))
        out.line()
        out.line(f"posted as ask {r.posted.entry.id} (commit {(r.posted.commit or '')[:10]}); "
                 f"partners answer with: copart answer {r.posted.entry.id}")
    elif not r.answered and r.terms:
        out.line("Ask your partners: add --post to record this question as an ask.")
    elif not r.answered:
        out.line('Say what it is about, e.g. copart ask "how do we price a first workshop?"')


# -- who -------------------------------------------------------------------------------


def json_WhoResult(r) -> dict[str, Any]:
    data = {"topic": r.topic, "people": [_person(p) for p in r.people], "corrections": r.corrections}
    if r.member:
        from copart_cli.ui.pathway import accreditation

        data |= {"offers": r.offers, "accreditations": [accreditation(a) for a in r.accreditations]}
    return data


def text_WhoResult(r, out: Out) -> None:
    _index_notes(r.index)
    _corrections(out, r.corrections)
    if not r.people:
        out.line(f"nobody in the repertoire shows evidence about: {r.topic}")
        return
    for n, p in enumerate(r.people, 1):
        out.line(f"{n}. {p.name} ({p.id})  score {p.score:.2f}{_unavailable(p)}", style="bold")
        for ev in p.evidence:
            out.line(f"   - {ev}")
    if r.offers:
        out.line("   offers: " + "; ".join(r.offers))
    for a in r.accreditations:
        out.line(f"   accredited in {a.pathway} by {a.granted_by} ({a.status})")


# -- asks / accept ---------------------------------------------------------------------


def json_AsksList(r) -> list[dict[str, Any]]:
    return [{**j.entry(i.ask), "status": str(i.ask.meta.get("status") or "open"), "answers": i.answers,
             "accepted_answer": i.accepted} for i in r.asks]


def text_AsksList(r, out: Out) -> None:
    if not r.asks:
        out.line("no open asks" if r.status == "open" else f"no asks with status {r.status}")
        return
    rows = [[i.ask.id, i.ask.title, i.ask.author, _date(i.ask), str(i.answers)] for i in r.asks]
    out.table(["id", "ask", "by", "asked", "answers"], rows)


def json_AcceptResult(r) -> dict[str, Any]:
    return {"action": r.action, "answer": j.entry(r.answer), "ask": {**j.entry(r.ask), "status": r.ask.meta.get("status")},
            "commit": r.commit}


def text_AcceptResult(r, out: Out) -> None:
    if r.action == "unchanged":
        out.line(f"{r.answer.id} was already the accepted answer to {r.ask.id}")
    else:
        out.line(f"accepted {r.answer.id}; ask {r.ask.id} is answered (commit {(r.commit or '')[:10]})")


# -- index -----------------------------------------------------------------------------


def json_IndexState(r) -> dict[str, Any]:
    return {"path": r.path, "commit": r.commit, "documents": r.documents, "segments": r.segments, "bytes": r.bytes,
            "action": r.action, "reason": r.reason, "changed": r.changed, "seconds": round(r.seconds, 4),
            "notes": [{"path": p, "note": n} for p, n in r.notes]}


def text_IndexState(r, out: Out) -> None:
    what = {"rebuilt": f"rebuilt ({r.reason})", "updated": f"caught up with {plural(r.changed, 'changed file')}",
            "current": "up to date", "stale": "being updated by another copart process"}[r.action]
    out.line(f"index: {what} in {r.seconds:.2f} s")
    out.line(f"{plural(r.documents, 'entry', 'entries')}, {plural(r.segments, 'segment')}, {r.bytes / 1e6:.1f} MB, at commit {(r.commit or '-')[:10]}")
    out.line(f"in {r.path}", style="dim")
    for p, n in r.notes:
        out.line(f"note: {p}: {n}")


# -- import ----------------------------------------------------------------------------


def json_ImportResult(r) -> dict[str, Any]:
    return {"source": str(r.source), "kind": r.kind, "commit": r.commit, "imported": len(r.imported),
            "entries": [j.entry(e) for e in r.imported],
            "skipped": [{"path": s.path, "reason": s.reason} for s in r.skipped],
            "added_member": r.added_member, "notes": r.notes, "dry_run": r.dry_run, "attachments": r.attachments,
            "unmapped": [{"path": u.path, "line": u.line, "link": u.link} for u in r.unmapped]}


def text_ImportResult(r, out: Out) -> None:
    if r.added_member:
        note(f"added your member profile members/{r.added_member}.md so the imported entries have a known author")
    for n in r.notes:
        warn(n)
    imported = plural(len(r.imported), f"{r.kind} entry", f"{r.kind} entries")
    if r.dry_run:
        out.line(f"would import {plural(len(r.imported), 'entry', 'entries')} and "
                 f"{plural(len(r.attachments), 'attachment')} from {r.source} (dry run: nothing written)")
        for e in r.imported:
            out.line(f"  {e.source} -> {e.path}  {visible(e.title)}")
    elif r.imported and any(e.pending for e in r.imported):  # review: coordinators
        out.line(f"imported {imported} from {r.source} as one contribution waiting "
                 f"for review (commit {(r.commit or '')[:10]}; see: copart contribute list)")
    elif r.imported:
        out.line(f"imported {imported} from {r.source} (commit {(r.commit or '')[:10]})")
    else:
        out.line(f"nothing imported from {r.source}")
    if r.skipped:
        reasons: dict[str, int] = {}
        for s in r.skipped:
            key = s.reason.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
        out.line(f"skipped {len(r.skipped)}: " + ", ".join(f"{n} {k}" for k, n in sorted(reasons.items())))
        for s in r.skipped[:20]:
            out.line(f"  {s.path}: {s.reason}", style="dim")
        if len(r.skipped) > 20:
            out.line(f"  … and {len(r.skipped) - 20} more (see --json)", style="dim")
    for u in r.unmapped[:50]:
        out.line(f"{u.path}:{u.line}: link {visible(u.link)} names no imported note or file")
    if len(r.unmapped) > 50:
        out.line(f"  … and {len(r.unmapped) - 50} more links (see --json)", style="dim")


def json_AdoptResult(r) -> dict[str, Any]:
    return {"commit": r.commit, "adopted": [{"path": a.path, "entry": j.entry(a.entry)} for a in r.adopted],
            "skipped": [{"path": s.path, "reason": s.reason} for s in r.skipped]}


def text_AdoptResult(r, out: Out) -> None:
    for a in r.adopted:
        moved = f" (renamed from {visible(a.path)})" if a.path != a.entry.path else ""
        out.line(f"adopted {a.entry.path}{moved}: {a.entry.kind} '{visible(a.entry.title)}'")
    for s in r.skipped:
        out.line(f"  {visible(s.path)}: {s.reason}", style="dim")
    out.line(f"adopted {len(r.adopted)} note{'' if len(r.adopted) == 1 else 's'}"
             + (f" (commit {r.commit[:10]})" if r.commit else ""))
