"""The view of `copart stats --report`: Markdown, HTML (inline SVG charts, no script) or JSON.

Every text in a report came from partners (titles, topics, names, the community's name), so
it is escaped for the format: HTML-escaped in HTML (and the page forbids scripts and every
outside resource by its Content-Security-Policy); in Markdown the punctuation that makes
links, images, HTML, emphasis or table cells is backslashed (a title cannot become a link,
an image that calls home, or a table cell break). Chart geometry is computed from numbers only.
"""

from __future__ import annotations

import html
import re
from typing import Any

from copart_cli.core.model import iso, plural
from copart_cli.ui import Out
from copart_cli.ui import jsonout as j

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|~&])")  # partner text never starts a line here


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _h(text: Any) -> str:
    return html.escape(" ".join(str(text).split()), quote=True)


def _hours(h: float | None) -> str:
    if h is None:
        return "no answered questions yet"
    return f"{h:.1f} hours" if h < 48 else f"{h / 24:.1f} days"


def json_Report(r) -> dict[str, Any]:
    s = r.stats
    return {
        "community": s.community,
        "as_of": iso(s.as_of),
        "questions": {"asked": s.asks_total, "answered": r.asks_answered, "open": s.asks_open,
                      "median_hours_to_first_answer": s.median_hours_to_first_answer},
        "answers_reused": {"count": r.answers_reused,
                           "entries": [{**j.entry(x.entry), "linked_from": x.linked_from} for x in r.reused]},
        "members": {"total": s.members_total, "active": s.members_active, "contributed_last_90_days": s.active_recent,
                    "critical_mass": r.critical_mass, "critical_mass_note": r.critical_mass_note},
        "topics_no_expert": r.topics_no_expert,
        "at_risk": [{"member": a.member, "name": a.name, "topics": a.topics} for a in s.at_risk],
        "accredited": s.accredited,
        "quarters": [{"quarter": q.label, "asks": q.asks, "answers": q.answers, "contributions": q.contributions,
                      "active_members": q.active_members} for q in r.quarters],
    }


def _mass_line(r) -> str:
    s = r.stats
    if r.critical_mass is None:
        return f"{s.active_recent} members contributed in the last 90 days ({r.critical_mass_note})"
    verdict = "at or above" if s.active_recent >= r.critical_mass else "below"
    return (f"{s.active_recent} members contributed in the last 90 days: {verdict} the critical mass of "
            f"{r.critical_mass}")


def text_Report(r, out: Out) -> None:
    if r.format == "html":
        out.stream.write(_html(r))
        return
    s = r.stats
    lines = [f"# {_md(s.community)}: what the community is worth", "",
             f"As of {s.as_of:%Y-%m-%d}.", "", "## Questions", "",
             f"- {s.asks_total} asked, {r.asks_answered} answered, {s.asks_open} open",
             f"- median time to a first answer: {_hours(s.median_hours_to_first_answer)}",
             f"- {r.answers_reused} questions or answers reused (linked from later entries)"]
    lines += [f"  - {_md(x.entry.title)} ({x.linked_from})" for x in r.reused[:10]]
    lines += ["", "## Members", "", f"- {_md(_mass_line(r))}",
              f"- {s.members_total} profiles, {s.members_active} active", "",
              "## Trend by quarter", "", "| quarter | new entries | asks | answers | active members |",
              "|---|---|---|---|---|"]
    lines += [f"| {q.label} | {q.contributions} | {q.asks} | {q.answers} | {q.active_members} |" for q in r.quarters]
    lines += ["", "## Topics with no expert", ""]
    lines += [f"- {_md(t)}" for t in r.topics_no_expert] or ["- none: every topic has an active member who knows it"]
    lines += ["", "## Knowledge at risk (held by one member)", ""]
    lines += [f"- {_md(a.name)}: {_md(', '.join(a.topics))}" for a in s.at_risk] or ["- none"]
    if s.accredited:
        lines += ["", "## Accreditations", ""] + [f"- {_md(p)}: {plural(n, 'member')}" for p, n in s.accredited.items()]
    out.stream.write("\n".join(lines) + "\n")


def _bars(title: str, rows: list[tuple[str, int]], line: int | None = None, line_label: str = "") -> str:
    """A bar chart as inline SVG; an optional dashed line (the critical mass)."""
    width, height, pad = 420, 160, 24
    top = max([v for _, v in rows] + [line or 0, 1])
    step = (width - 2 * pad) / max(len(rows), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" role="img" '
             f'aria-label="{_h(title)}"><title>{_h(title)}</title>']
    for i, (label, value) in enumerate(rows):
        h = (height - pad) * value / top
        x = pad + i * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="#4a7ab0"/>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - h - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{value}</text>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height + 16}" font-size="11" '
                     f'text-anchor="middle">{_h(label)}</text>')
    if line:
        y = height - (height - pad) * line / top
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b04a4a" '
                     f'stroke-dasharray="4 3"/><text x="{width - pad}" y="{y - 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#b04a4a">{_h(line_label)}</text>')
    return "".join(parts) + "</svg>"


def _html(r) -> str:
    s = r.stats
    li = lambda items: "".join(f"<li>{_h(x)}</li>" for x in items) or "<li>none</li>"  # noqa: E731
    active = _bars("Active members by quarter", [(q.label, q.active_members) for q in r.quarters],
                   r.critical_mass, f"critical mass {r.critical_mass}" if r.critical_mass else "")
    entries = _bars("New entries by quarter", [(q.label, q.contributions) for q in r.quarters])
    asks = _bars("Questions asked by quarter", [(q.label, q.asks) for q in r.quarters])
    rows = "".join(f"<tr><td>{_h(q.label)}</td><td>{q.contributions}</td><td>{q.asks}</td><td>{q.answers}</td>"
                   f"<td>{q.active_members}</td></tr>" for q in r.quarters)
    reused = li(f"{x.entry.title} ({x.linked_from})" for x in r.reused[:10])
    accredited = li(f"{p}: {plural(n, 'member')}" for p, n in s.accredited.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{_h(s.community)}: what the community is worth</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.4}}td,th{{padding:0 .8em}}</style>
</head><body>
<h1>{_h(s.community)}: what the community is worth</h1>
<p>As of {s.as_of:%Y-%m-%d}.</p>
<h2>Questions</h2>
<ul><li>{s.asks_total} asked, {r.asks_answered} answered, {s.asks_open} open</li>
<li>median time to a first answer: {_h(_hours(s.median_hours_to_first_answer))}</li>
<li>{r.answers_reused} questions or answers reused (linked from later entries)<ul>{reused}</ul></li></ul>
{asks}
<h2>Members</h2>
<p>{_h(_mass_line(r))}; {s.members_total} profiles, {s.members_active} active.</p>
{active}
<h2>Trend by quarter</h2>
{entries}
<table><tr><th>quarter</th><th>new entries</th><th>asks</th><th>answers</th><th>active members</th></tr>{rows}</table>
<h2>Topics with no expert</h2><ul>{li(r.topics_no_expert)}</ul>
<h2>Knowledge at risk (held by one member)</h2><ul>{li(f"{a.name}: {', '.join(a.topics)}" for a in s.at_risk)}</ul>
<h2>Accreditations</h2><ul>{accredited}</ul>
</body></html>
"""
