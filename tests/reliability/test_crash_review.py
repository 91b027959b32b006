"""Crash safety of `review accept`: SIGKILL while merging and recording the decision.

anjali contributes stories (signed, through the hub); judith accepts each one and is
killed at a random moment. Accepting is two writes: the signed merge into main, then the
accept event. Whatever the kill left, running `review accept` again must finish the job:
the entry on main once, the decision recorded, judith's work tree clean, and anjali told
at the next sync. Share: 1/8 of COPART_CRASH_RUNS.
"""

from __future__ import annotations

import random

from tests.reliability.crashkit import RUNS, CrashReport, half_done, print_summary, run_and_maybe_kill
from tests.review_helpers import community

SHARE = 0.125


def accepted(partner, rep, key: str) -> tuple[bool, bool]:
    """(the entry is on main, the accept event is recorded) for apatel/<key>."""
    on_main = partner.git("ls-tree", "--name-only", "main", f"stories/{key}.md", cwd=rep).strip() != ""
    log = partner.git("log", "--format=%B", f"refs/copart/reviews/apatel/{key}", cwd=rep, check=False)
    return on_main, "Copart-Event: accept" in log


def test_sigkill_during_review_accept_is_finished_by_the_next_accept(world, capsys):
    rng = random.Random(53)
    report = CrashReport()
    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    runs = max(3, int(RUNS * SHARE))
    keys = []
    for i in range(runs + 1):
        r = anjali.copart("new", "story", f"Market day {i}", "--no-edit", "--body", f"What we sold on day {i}.\n",
                          "--json", cwd=prep)
        assert r.ok, r
        keys.append(r.json()["entry"]["id"])
    c.sync(anjali, prep)
    c.sync(judith, crep)
    import time

    t0 = time.monotonic()
    r = judith.copart("review", "accept", f"apatel/{keys[-1]}", cwd=crep)
    assert r.ok, r
    span = 1.5 * (time.monotonic() - t0)
    for key in keys[:-1]:
        report.runs += 1
        code = run_and_maybe_kill(judith, ["review", "accept", f"apatel/{key}"], crep, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
        on_main, event = accepted(judith, crep, key)
        assert code is None or (on_main and event)
        if not (on_main and event):
            r = judith.copart("review", "accept", f"apatel/{key}", cwd=crep)  # the next command finishes it
            assert r.ok, f"{key} after a kill (on main: {on_main}, event: {event}): {r}"
        report.recoveries += 1
        on_main, event = accepted(judith, crep, key)
        if not (on_main and event):
            report.losses.append(f"{key}: on main {on_main}, event {event}")
        assert half_done(crep) == []
        assert judith.git("status", "--porcelain", cwd=crep) == ""
        merges = judith.git("log", "--format=%H", "--grep", f"^Contribution: apatel/{key}$", "main", cwd=crep).split()
        assert len(merges) == 1, f"{key} merged {len(merges)} times"
    # regression, deterministic: the state a kill between the merge and the event leaves
    # (the signed merge on main, no accept event) is finished by accepting again
    judith.git("update-ref", "-d", f"refs/copart/reviews/apatel/{keys[-1]}", cwd=crep)
    assert accepted(judith, crep, keys[-1]) == (True, False)
    r = judith.copart("review", "accept", f"apatel/{keys[-1]}", cwd=crep)
    assert r.ok, r
    assert accepted(judith, crep, keys[-1]) == (True, True)
    c.sync(judith, crep)
    c.sync(anjali, prep)
    mine = anjali.copart("contribute", "list", "--all", "--json", cwd=prep)
    if not mine.ok:
        mine = anjali.copart("contribute", "list", "--json", cwd=prep)
    assert mine.ok, mine
    states = {x["id"]: x["state"] for x in mine.json()}
    report.losses.extend(f"{k}: {states.get('apatel/' + k)}" for k in keys if states.get(f"apatel/{k}") != "accepted")
    print_summary(capsys, report.line("review accept"))
    assert report.losses == []
    assert report.killed > 0
