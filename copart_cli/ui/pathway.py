"""Views of `pathway progress` and `accredit` (JSON shapes in docs/json.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import iso
from copart_cli.ui import Out


def accreditation(a) -> dict[str, Any]:
    """One accreditation as JSON (also in `who @member`)."""
    return {"member": a.member, "pathway": a.pathway, "path": a.path, "granted_by": a.granted_by,
            "granted": iso(a.granted), "pathway_version": a.pathway_version, "status": a.status or None}


def json_PathwayProgress(r) -> dict[str, Any]:
    return {"member": r.member, "pathway": r.pathway.name, "title": r.pathway.title,
            "done": sum(s.done for s in r.steps), "total": len(r.steps), "read_record": r.read_note,
            "steps": [{"number": s.number, "id": s.id, "title": s.title, "kind": s.kind, "read": s.read,
                       "wrote": s.wrote, "answered": s.answered, "done": s.done} for s in r.steps],
            "accreditation": accreditation(r.accreditation) if r.accreditation else None}


def text_PathwayProgress(r, out: Out) -> None:
    done = sum(s.done for s in r.steps)
    out.heading(f"{r.member_name} on '{r.pathway.title}': {done} of {len(r.steps)} steps")
    rows = []
    for s in r.steps:
        what = (["read " + s.read[:10]] if s.read else []) + [f"wrote {i}" for i in s.wrote] \
            + [f"answered {i}" for i in s.answered]
        rows.append([str(s.number), "x" if s.done else " ", s.title, "; ".join(what) or "-"])
    out.table(["#", "done", "step", "evidence"], rows)
    out.line(f"note: {r.read_note}")
    if r.accreditation:
        a = r.accreditation
        out.line(f"accredited by {a.granted_by} on {iso(a.granted) or '?'} ({a.status})")


def json_AccreditResult(r) -> dict[str, Any]:
    return {**accreditation(r.accreditation), "commit": r.commit}


def text_AccreditResult(r, out: Out) -> None:
    a = r.accreditation
    out.line(f"accredited {a.member} in '{r.pathway_title}' (pathway version {a.pathway_version[:10]}), "
             f"commit {r.commit[:10]}; `copart verify` proves it once that commit is on main")
