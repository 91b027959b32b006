"""What a sync brought for you under review: new contributions to review (coordinators), and
the comments and decisions on your own contributions (their authors).

`snapshot` reads the remote-tracking contribution and review refs before the round (one git
call); `arrived` compares them after it and reads only the refs that moved, so an idle sync
pays one more `for-each-ref` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from copart_cli.core.errors import CopartError
from copart_cli.services.contributions import events_on, judge, parse_branch

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


@dataclass
class News:
    kind: str  # to_review (a new contribution or version) | comment | request_changes | accept | reject | withdraw | revise
    contribution: str  # member/id
    by: str
    version: int | None = None
    text: str = ""


def _patterns(remote: str) -> tuple[str, str]:
    return f"refs/remotes/{remote}/contrib/", f"refs/copart-remote/{remote}/reviews/"


def snapshot(rep: Repertoire, remote: str) -> dict[str, str]:
    """The remote's contribution and review refs as this repertoire last saw them."""
    return rep.git.ref_map(*_patterns(remote))


def arrived(rep: Repertoire, remote: str, before: dict[str, str]) -> list[News]:
    """What moved on the remote since `before` that is for the person at the keyboard."""
    from copart_cli.services.contributions import current_member
    from copart_cli.services.signing import main_rev, roster_at

    git = rep.git
    contrib, reviews = _patterns(remote)
    moved = {ref: sha for ref, sha in snapshot(rep, remote).items() if before.get(ref) != sha}
    if not moved:
        return []
    try:
        me = current_member(rep)
    except CopartError:
        return []
    coordinator = me in roster_at(git, main_rev(rep)).coordinators
    # what came through another remote before (a hub and a USB copy of it) was news then
    others = {r: s for r, s in git.ref_map("refs/remotes/", "refs/copart-remote/").items()
              if not r.startswith((f"refs/remotes/{remote}/", f"refs/copart-remote/{remote}/"))}

    def elsewhere(tail: str) -> list[str]:
        return [s for r, s in others.items() if r.endswith(tail)]

    news: list[News] = []
    events = []  # (member/id, event) on the user's own contributions
    for ref, sha in sorted(moved.items()):
        if ref.startswith(contrib):
            parsed = parse_branch("contrib/" + ref[len(contrib):])
            if parsed and coordinator and parsed[0] != me and sha not in elsewhere("/contrib/" + ref[len(contrib):]):
                news.append(News("to_review", f"{parsed[0]}/{parsed[1]}", parsed[0], parsed[2]))
            continue
        key = ref[len(reviews):]
        if key.split("/", 1)[0] != me:
            continue
        seen = [s for s in (before.get(ref), *elsewhere("/reviews/" + key)) if s]
        events.extend((key, ev) for ev in events_on(git, sha, since=seen) if ev.by != me)
    judge(rep, [(me, ev) for _, ev in events])  # a decision forged in a coordinator's name is no news
    return [News(ev.type, key, ev.by, ev.version, ev.text) for key, ev in events if not ev.doubt] + news
