"""Crash safety of capture: SIGKILL during `new` and `edit` never loses or half-writes an entry."""

from __future__ import annotations

import random

from tests.reliability.crashkit import RUNS, CrashReport, run_and_maybe_kill, typical_duration

SHARE = 0.25  # of COPART_CRASH_RUNS for each of new and edit


def committed_ids(partner, rep) -> set[str]:
    out = partner.git("ls-tree", "-r", "--name-only", "HEAD", cwd=rep)
    return {line.rsplit("/", 1)[-1].removesuffix(".md") for line in out.splitlines() if line.endswith(".md")}


def assert_healthy(partner, rep) -> None:
    """No half-written entry, nothing in the way of the next command."""
    check = partner.copart("check", "--json", cwd=rep)
    problems = check.json()["problems"]
    structural = [p for p in problems if "is not a member" not in p["message"]]
    assert structural == [], structural
    assert not (rep / ".git/MERGE_HEAD").exists() and not (rep / ".git/rebase-merge").exists()


def test_sigkill_during_new_loses_nothing(alice, sample, capsys):
    rng = random.Random(7)
    report = CrashReport()
    succeeded: list[str] = []
    span = 1.6 * typical_duration(alice, ["new", "story", "Warm up", "--no-edit", "--author", "apatel"], sample)
    for i in range(max(4, int(RUNS * SHARE))):
        report.runs += 1
        title = f"Crash test entry {i}"
        code = run_and_maybe_kill(alice, ["new", "story", title, "--no-edit", "--author", "apatel",
                                          "--body", f"Body {i}\n"], sample, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
            succeeded.append(f"crash-test-entry-{i}")
        after = alice.copart("new", "story", f"After crash {i}", "--no-edit", "--author", "apatel", cwd=sample)
        assert after.ok, after  # the next command works without manual repair
        report.recoveries += 1
    assert_healthy(alice, sample)
    ids = committed_ids(alice, sample)
    report.losses = [i for i in succeeded if i not in ids]
    with capsys.disabled():
        print("\n" + report.line("new"))
    assert report.losses == []
    assert report.killed > 0 and report.completed > 0  # the random delays hit both sides


def test_sigkill_during_edit_keeps_the_last_reported_version(alice, sample, capsys):
    rng = random.Random(11)
    report = CrashReport()
    path = sample / "stories/pricing-a-first-workshop.md"
    last_ok = None
    span = 1.6 * typical_duration(alice, ["edit", "pricing-a-first-workshop", "--tag", "warm"], sample)
    for i in range(max(4, int(RUNS * SHARE))):
        report.runs += 1
        code = run_and_maybe_kill(alice, ["edit", "pricing-a-first-workshop", "--body", f"Version {i}\n"],
                                  sample, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
            last_ok = i
        text = path.read_text()
        assert text.startswith("---\n") and "title:" in text  # never half-written
        # whatever happened, the next edit works and commits
        r = alice.copart("edit", "pricing-a-first-workshop", "--field", f"revision={i}", cwd=sample)
        assert r.ok, r
        report.recoveries += 1
        if last_ok is not None and code == 0:
            committed = alice.git("show", "HEAD:stories/pricing-a-first-workshop.md", cwd=sample)
            assert committed.endswith(f"Version {last_ok}\n")
    assert_healthy(alice, sample)
    with capsys.disabled():
        print("\n" + report.line("edit"))
    assert report.killed > 0 and report.completed > 0
