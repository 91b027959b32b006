"""Crash safety of the search index: SIGKILL during `index --rebuild` never breaks search.

The index is derived state: a killed build must leave either the old index or a
complete new one, and the next query heals whatever is left (a stale writer lock, a
half-built generation). Share: 1/8 of COPART_CRASH_RUNS.
"""

from __future__ import annotations

import random

from tests.reliability.crashkit import (RUNS, CrashReport, corpus_files, print_summary, run_and_maybe_kill,
                                        typical_duration)

SHARE = 0.125


def test_sigkill_during_index_rebuild_heals(alice, sample, world, capsys):
    rng = random.Random(31)
    report = CrashReport()
    vault = world.base / "vault"
    vault.mkdir()
    for i, (name, data) in enumerate(corpus_files(180, low=512, high=8192)):  # over 200 entries: a parallel build
        (vault / f"{i:03d}-{name}").write_bytes(data)
    r = alice.copart("import", str(vault), cwd=sample)
    assert r.ok, r
    span = 1.5 * typical_duration(alice, ["index", "--rebuild"], sample)
    generations = sample / ".git/copart/index"
    for i in range(max(4, int(RUNS * SHARE))):
        report.runs += 1
        # a new entry each round, so the index has something to catch up on too
        word = f"zebrafinch{i}"
        r = alice.copart("new", "practice", f"Crash index note {i}", "--no-edit", "--body", f"About {word}.\n",
                         cwd=sample)
        assert r.ok, r
        code = run_and_maybe_kill(alice, ["index", "--rebuild"], sample, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
        # the next query works and sees the newest entry: the index healed itself
        found = alice.copart("search", word, "--json", cwd=sample)
        assert found.ok, found
        ids = [x["id"] for x in found.json()["results"]]
        if ids[:1] != [f"crash-index-note-{i}"]:
            report.losses.append(f"round {i}: search for {word} gave {ids[:3]}")
        report.recoveries += 1
    healed = alice.copart("index", "--json", cwd=sample)
    assert healed.ok, healed
    fresh = alice.copart("index", "--rebuild", "--json", cwd=sample)
    assert fresh.ok, fresh
    assert healed.json()["documents"] == fresh.json()["documents"]  # consistent with the files
    # killed builds leave no growing pile of half-built generations behind
    leftovers = [p.name for p in generations.iterdir() if p.is_dir()]
    assert len(leftovers) <= 2, leftovers
    print_summary(capsys, report.line("index --rebuild"))
    assert report.losses == []
    assert report.killed > 0
