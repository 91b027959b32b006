"""Crash safety of `sync`: SIGKILL while committing, fetching, merging or pushing loses nothing.

alice edits by hand (sync commits those edits), bob pushes to the hub with plain git
meanwhile (so alice's sync has a merge to make), and alice's sync is killed at a random
moment. Her next sync must just work and carry everything: no stale lock, no half-done
merge, every edit on the hub. The hub is a `git daemon` on 127.0.0.1, as a real remote
is: a client killed mid-push does not kill the server; and a bare folder (a USB stick or
a shared drive), where the kill takes git's receiving side down with it.
Share: 1/8 of COPART_CRASH_RUNS, half on each kind of hub.
"""

from __future__ import annotations

import random

import pytest

from tests.reliability.crashkit import (RUNS, CrashReport, half_done, print_summary, run_and_maybe_kill,
                                        typical_duration)
from tests.synckit import start_hub
from tests.transports import git_daemon  # noqa: F401  (fixture)

SHARE = 0.125


def entry_text(entry_id: str, title: str, author: str) -> str:
    return (f"---\nid: {entry_id}\nkind: story\ntitle: {title}\nauthor: {author}\n"
            f"created: 2026-03-01T10:00:00Z\ntopics: [pricing]\n---\n## What happened\n{title}.\n")


def on_hub(partner, rep) -> set[str]:
    partner.git("fetch", "-q", "origin", cwd=rep)
    out = partner.git("ls-tree", "-r", "--name-only", "origin/main", "--", "stories", cwd=rep)
    return {p.removeprefix("stories/").removesuffix(".md") for p in out.splitlines()}


@pytest.mark.parametrize("hub", ["daemon", "folder"])
def test_sigkill_during_sync_loses_nothing(world, hub, request, capsys):
    rng = random.Random(41 if hub == "daemon" else 43)
    report = CrashReport()
    alice, bob = world.partner("alice"), world.partner("bob")
    if hub == "daemon":
        daemon = request.getfixturevalue("git_daemon")
        daemon.bare("hub.git")
        rep, url = start_hub(world, alice, url=daemon.url("hub.git"))
    else:
        rep, url = start_hub(world, alice)
    bob_rep = world.base / "bob" / "4xp"
    bob.git("clone", "-q", url, str(bob_rep), cwd=world.base)
    written: list[str] = []
    (rep / "stories/warm-up.md").write_text(entry_text("warm-up", "Warm up", "apatel"))
    span = 1.5 * typical_duration(alice, ["sync"], rep)
    written.append("warm-up")
    for i in range(max(3, int(RUNS * SHARE / 2))):
        report.runs += 1
        # an edit made by hand (sync commits it) ...
        (rep / f"stories/alice-note-{i}.md").write_text(entry_text(f"alice-note-{i}", f"Alice note {i}", "apatel"))
        written.append(f"alice-note-{i}")
        # ... while bob pushes his own work, so the sync has a merge to make
        bob.git("pull", "-q", "--rebase", cwd=bob_rep)
        (bob_rep / f"stories/bob-note-{i}.md").write_text(entry_text(f"bob-note-{i}", f"Bob note {i}", "jfawcett"))
        bob.git("add", "stories", cwd=bob_rep)
        bob.git("commit", "-qm", f"bob note {i}", cwd=bob_rep)
        bob.git("push", "-q", "origin", "main", cwd=bob_rep)
        written.append(f"bob-note-{i}")
        code = run_and_maybe_kill(alice, ["sync"], rep, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
        r = alice.copart("sync", cwd=rep)  # the next sync just works
        assert r.ok, f"run {i}: {r}"
        report.recoveries += 1
        assert half_done(rep) == [], f"run {i}"
        assert alice.git("status", "--porcelain", cwd=rep) == "", f"run {i}"
        missing = [e for e in written if e not in on_hub(alice, rep)]
        report.losses.extend(f"run {i}: {m}" for m in missing)
    assert alice.copart("check", cwd=rep).code in (0, 4)
    bob.git("pull", "-q", "--rebase", cwd=bob_rep)
    have = {p.stem for p in (bob_rep / "stories").glob("*.md")}
    report.losses.extend(f"bob lacks {e}" for e in written if e not in have)
    print_summary(capsys, report.line(f"sync ({hub} hub)"))
    assert report.losses == []
    assert report.killed > 0
