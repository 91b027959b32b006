"""The view of `copart match` (JSON shape in docs/json.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out
from copart_cli.ui.search import _index_notes


def json_MatchResult(r) -> dict[str, Any]:
    return {"member": r.member,
            "needs": [{"member": n.member, "member_name": n.member_name, "need": n.need,
                       "providers": [{"id": p.id, "name": p.name, "score": p.score, "evidence": p.evidence}
                                     for p in n.providers]} for n in r.needs]}


def text_MatchResult(r, out: Out) -> None:
    _index_notes(r.index)
    if not r.needs:
        out.line("no profile lists any needs yet; add them with: copart edit MEMBER --field 'needs=[...]'")
        return
    for n in r.needs:
        out.line(f"{n.member_name} ({n.member}) needs: {n.need}", style="bold")
        if not n.providers:
            out.line("   nobody here shows evidence of meeting it yet")
        for p in n.providers:
            out.line(f"   {p.name} ({p.id})  score {p.score:.2f}")
            for ev in p.evidence:
                out.line(f"     - {ev}")
    out.line(f"{len(r.met)} of {plural(len(r.needs), 'need')} could be met by someone here")
