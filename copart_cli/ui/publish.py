"""Views of digest, site, stats, stale and pathway (JSON shapes documented in docs/publish.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import iso, plural
from copart_cli.ui import Out, warn
from copart_cli.ui import jsonout as j


def _date(t) -> str:
    return t.strftime("%Y-%m-%d") if t else ""


# -- digest -------------------------------------------------------------------------------


def json_Digest(d) -> dict[str, Any]:
    return {
        "community": d.community,
        "since": iso(d.since),
        "until": iso(d.until),
        "new": [j.entry(e) for e in d.new],
        "changed": [{**j.entry(c.entry), "changed": iso(c.when), "by": c.by} for c in d.changed],
        "contributors": [{"id": c.id, "name": c.name, "new": c.new, "answers": c.answers, "edits": c.edits}
                         for c in d.contributors],
        "open_asks": [{**j.entry(o.entry), "answers": o.answers, "age_days": o.age_days} for o in d.open_asks],
        "accepted_answers": [{**j.entry(a.answer), "ask": j.entry(a.ask) if a.ask else None} for a in d.accepted],
        "needs_met": [{"member": n.member, "need": n.need, "providers": [p.id for p in n.providers]}
                      for n in d.needs],
    }


def text_Digest(d, out: Out) -> None:
    # The rendered Markdown/HTML as is, even on a terminal: it is meant to be copied and pasted.
    out.stream.write(d.text if d.text.endswith("\n") else d.text + "\n")


# -- site ---------------------------------------------------------------------------------


def json_SiteResult(r) -> dict[str, Any]:
    return {
        "path": str(r.path),
        "pages": r.pages,
        "entries": r.entries,
        "members": r.members,
        "topics": r.topics,
        "search_index_bytes": r.search_index_bytes,
        "seconds": r.seconds,
        "replaced": r.replaced,
    }


def text_SiteResult(r, out: Out) -> None:
    verb = "rebuilt" if r.replaced else "exported"
    out.line(f"{verb} {plural(r.pages, 'page')} ({plural(r.entries, 'entry', 'entries')}, {plural(r.members, 'member')}, {plural(r.topics, 'topic')}) "
             f"to {r.path} in {r.seconds:.1f} s; search index {r.search_index_bytes / 1024:.0f} KiB")
    out.line(f"open {r.path / 'index.html'} in a browser, or serve the folder with any web server")


# -- stats --------------------------------------------------------------------------------


def _stale_json(s) -> dict[str, Any]:
    return {**j.entry(s.entry), "last_reviewed": iso(s.last_reviewed), "review_by": iso(s.review_by),
            "reason": s.reason}


def json_Stats(s) -> dict[str, Any]:
    return {
        "community": s.community,
        "as_of": iso(s.as_of),
        "counts": s.counts,
        "members": {"total": s.members_total, "active": s.members_active, "contributed_last_90_days": s.active_recent},
        "months": [{"month": m.month, "active_members": m.active_members, "members": m.members,
                    "contributions": m.contributions, "edits": m.edits} for m in s.months],
        "gaps": [{"topic": g.topic, "asks": g.asks, "practices": g.practices, "stories": g.stories} for g in s.gaps],
        "asks": {
            "total": s.asks_total,
            "open": s.asks_open,
            "answered": s.answered_asks,
            "median_hours_to_first_answer": s.median_hours_to_first_answer,
            "unanswered": [{**j.entry(o.entry), "age_days": o.age_days} for o in s.unanswered],
        },
        "stale": {"checked": s.stale_checked, "count": len(s.stale), "entries": [_stale_json(x) for x in s.stale]},
        "at_risk": [{"member": a.member, "name": a.name, "topics": a.topics} for a in s.at_risk],
        "accredited": s.accredited,
    }


_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(value: float, top: float, width: int = 30) -> str:
    """A horizontal bar in eighths of a character: the terminal chart's one primitive."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    return "█" * (eighths // 8) + (_BLOCKS[eighths % 8] if eighths % 8 else "")


def _hours(h: float | None) -> str:
    if h is None:
        return "n/a (no answered asks)"
    return f"{h:.1f} hours" if h < 48 else f"{h / 24:.1f} days"


def text_Stats(s, out: Out) -> None:
    out.heading(f"{s.community}: community health on {_date(s.as_of)}")
    c = s.counts
    out.line(f"{plural(c.get('story', 0), 'story', 'stories')} · {plural(c.get('practice', 0), 'practice note')} · "
             f"{plural(c.get('ask', 0), 'ask')} · {plural(c.get('answer', 0), 'answer')} · "
             f"{plural(s.members_total, 'member')} ({s.members_active} active)")
    out.line(f"{plural(s.active_recent, 'member')} contributed in the last 90 days "
             f"({s.active_recent * 100 // s.members_total if s.members_total else 0}% of the membership)")
    out.line()
    out.heading("Active members per month (critical mass)")
    top = max([m.active_members for m in s.months] + [m.members for m in s.months] + [1])
    for m in s.months:
        out.line(f"{m.month}  {bar(m.active_members, top):<30}  {m.active_members:>3} of {m.members}")
    out.line()
    out.heading("Contributions per month, by kind")
    kinds = ("story", "practice", "ask", "answer", "member")
    marks = {"story": "S", "practice": "P", "ask": "?", "answer": "A", "member": "M"}
    top = max([sum(m.contributions.values()) + m.edits for m in s.months] + [1])
    scale = min(1.0, 40 / top)
    for m in s.months:
        chart = "".join(marks[k] * round(m.contributions.get(k, 0) * scale) for k in kinds) + "~" * round(m.edits * scale)
        detail = " ".join(f"{marks[k]}{m.contributions[k]}" for k in kinds if m.contributions.get(k)) or "-"
        out.line(f"{m.month}  {chart:<40}  {detail}{f' ~{m.edits}' if m.edits else ''}")
    out.line("S story · P practice · ? ask · A answer · M new member · ~ edit", style="dim")
    out.line()
    out.heading("Gaps: topics asked about more than practice notes cover")
    if s.gaps:
        out.table(["topic", "asks", "practices", "stories"],
                  [[g.topic, str(g.asks), str(g.practices), str(g.stories)] for g in s.gaps[:15]])
    else:
        out.line("none: every topic people ask about has practice notes")
    out.line()
    out.heading("Asks")
    out.line(f"{s.asks_open} open of {s.asks_total}; median time to a first answer: "
             f"{_hours(s.median_hours_to_first_answer)}")
    if s.unanswered:
        out.table(["unanswered ask", "by", "waiting"],
                  [[o.entry.title, o.entry.author, f"{o.age_days} d"] for o in s.unanswered[:15]])
    out.line()
    out.heading("Freshness: entries to review")
    out.line(f"{len(s.stale)} of {s.stale_checked} practice notes and profiles need a review "
             "(see: copart stale)")
    for x in s.stale[:10]:
        out.line(f"  {x.entry.id}  {x.reason}")
    out.line()
    out.heading("Knowledge at risk: expertise only one member holds")
    if s.at_risk:
        out.table(["member", "only they know"], [[a.name, ", ".join(a.topics)] for a in s.at_risk[:15]])
    else:
        out.line("none: every area of expertise is shared by at least two members")
    if s.accredited:
        out.line()
        out.heading("Accreditations: members holding each pathway")
        out.table(["pathway", "members"], [[name, str(n)] for name, n in s.accredited.items()])


# -- stale --------------------------------------------------------------------------------


def json_StaleList(r) -> dict[str, Any]:
    return {"as_of": iso(r.as_of), "older_than": r.older_than, "checked": r.checked,
            "entries": [_stale_json(x) for x in r.entries]}


def text_StaleList(r, out: Out) -> None:
    if not r.entries:
        out.line(f"nothing to review: {r.checked} practice notes and profiles are fresh")
        return
    out.table(["id", "kind", "author", "last reviewed", "why"],
              [[x.entry.id, x.entry.kind, x.entry.author, _date(x.last_reviewed), x.reason] for x in r.entries])
    if out.rich:
        out.line(f"{len(r.entries)} of {r.checked} need a review; after reviewing, set `reviewed:` or a new "
                 "`review_by:` date (copart edit ID --field review_by=2027-01-01)", style="dim")


# -- pathways -------------------------------------------------------------------------------


def _pathway_json(p) -> dict[str, Any]:
    return {"name": p.name, "title": p.title, "description": p.description, "path": p.path, "author": p.author,
            "created": iso(p.created), "topics": p.topics, "steps": len(p.steps)}


def _steps_json(steps) -> list[dict[str, Any]]:
    return [{"number": s.number, "id": s.step.id, "note": s.step.note,
             "entry": j.entry(s.entry) if s.entry else None, "summary": s.summary} for s in steps]


def json_PathwayList(r) -> list[dict[str, Any]]:
    return [_pathway_json(p) for p in r.pathways]


def text_PathwayList(r, out: Out) -> None:
    for p in r.problems:
        warn(str(p))
    if not r.pathways:
        out.line("no pathways yet; draft one with: copart pathway suggest TOPIC --save NAME")
        return
    out.table(["name", "title", "steps", "topics"],
              [[p.name, p.title, str(len(p.steps)), ", ".join(p.topics)] for p in r.pathways])


def json_PathwayShown(r) -> dict[str, Any]:
    data = {**_pathway_json(r.pathway), "body": r.pathway.body, "steps": _steps_json(r.steps)}
    if r.current is not None:
        data["current"] = {**_steps_json([r.current])[0], "body": r.current.entry.body}
    return data


def _step_lines(steps, out: Out) -> None:
    for s in steps:
        if s.entry is None:
            out.line(f"{s.number:>2}. {s.step.id}  (not found: fix the pathway file)", style="red")
            continue
        who = f" · {s.entry.author}" if s.entry.author and s.entry.kind != "member" else ""
        out.line(f"{s.number:>2}. {s.entry.title}  [{s.entry.kind}{who}]", style="bold")
        text = s.step.note or s.summary
        if text:
            out.line(f"    {text}")


def text_PathwayShown(r, out: Out) -> None:
    p = r.pathway
    if r.current is not None:
        s, total = r.current, len(r.steps)
        out.heading(f"{p.title} · step {s.number} of {total}: {s.entry.title}")
        if s.step.note:
            out.line(s.step.note, style="italic")
        out.line(f"{s.entry.kind} · {s.entry.id} · by {s.entry.author or '?'}", style="dim")
        out.line()
        out.markdown(s.entry.body.strip() or "_(no text yet)_")
        out.line()
        if s.number < total:
            out.line(f"next: copart pathway show {p.name} --step {s.number + 1}", style="dim")
        else:
            out.line("that was the last step: welcome in! Ask away with: copart ask \"...\"", style="dim")
        return
    out.heading(p.title)
    if p.description:
        out.line(p.description, style="italic")
    if p.body.strip():
        out.line()
        out.markdown(p.body.strip())
    out.line()
    _step_lines(r.steps, out)
    if r.steps:
        out.line()
        out.line(f"start reading: copart pathway show {p.name} --step 1", style="dim")


def json_PathwaySuggestion(r) -> dict[str, Any]:
    return {"topic": r.topic, "method": r.method, "pathway": _pathway_json(r.pathway),
            "steps": _steps_json(r.steps), "saved": r.saved, "commit": r.commit}


def text_PathwaySuggestion(r, out: Out) -> None:
    out.heading(f"{r.pathway.title} (draft, ranked by {r.method})")
    _step_lines(r.steps, out)
    out.line()
    if r.saved:
        out.line(f"saved {r.saved} (commit {r.commit[:10]}); walk it with: copart pathway show {r.pathway.name}")
    else:
        out.line(f"keep it with: copart pathway suggest {r.topic!r} --save {r.pathway.name}", style="dim")
