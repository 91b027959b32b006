"""Sync under faults: a network that drops mid-fetch and mid-push, a full disk, skewed clocks.

Each scenario ends the same way: once the fault is gone, every partner syncs and all of
them converge on the same tree, with every entry anyone wrote kept. Each prints a line
`sync-faults <scenario>: ... converged=yes|no`.
"""

from __future__ import annotations

import base64
import os
import random
import subprocess

import pytest

from tests.reliability.crashkit import half_done, print_summary
from tests.reliability.faultproxy import CuttingProxy
from tests.synckit import add_story, clean, ids, join, no_markers, start_hub
from tests.transports import git_daemon  # noqa: F401  (fixture)


def big_story(partner, rep, title: str, kib: int, seed: int) -> str:
    """An entry with an incompressible body, so a transfer takes many packets."""
    noise = base64.b64encode(random.Random(seed).randbytes(kib * 768)).decode()
    body_file = partner.home / f"body-{seed}.txt"
    body_file.write_text("\n".join(noise[i:i + 76] for i in range(0, len(noise), 76)) + "\n")
    r = partner.copart("new", "story", title, "--no-edit", "--author", "jfawcett", "--body-file", str(body_file),
                       "--json", cwd=rep)
    assert r.ok, r
    return r.json()["entry"]["id"]


def tree(partner, rep) -> str:
    return partner.git("rev-parse", "HEAD^{tree}", cwd=rep).strip()


def assert_kept_offline(partner, rep, r, local_head: str) -> None:
    """A failed sync: a clear exit, the local commits kept, nothing half-done."""
    assert r.code in (1, 3), r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert partner.git("rev-parse", "HEAD", cwd=rep).strip() == local_head
    assert clean(partner, rep) and half_done(rep) == []


def converged(partners_reps, expected: set[str]) -> bool:
    trees = {tree(p, r) for p, r in partners_reps}
    return len(trees) == 1 and all(expected <= set(ids(p, r)) for p, r in partners_reps)


def test_a_network_that_drops_mid_fetch_and_mid_push(world, git_daemon, capsys):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_daemon.bare("hub.git")
    proxy = CuttingProxy(git_daemon.port)
    try:
        rep_a, url = start_hub(world, alice, url=proxy.url("hub.git"))
        rep_b = join(bob, url)
        written = {big_story(bob, rep_b, f"Bob field note {i}", 24, i) for i in range(12)}
        assert bob.copart("sync", cwd=rep_b).ok
        written.add(add_story(alice, rep_a, "Alice offline note"))
        head_a = alice.git("rev-parse", "HEAD", cwd=rep_a).strip()

        # mid-fetch: the connection resets once 40 kB of bob's ~300 kB pack came down
        proxy.cut_down_after = 40_000
        r = alice.copart("sync", cwd=rep_a)
        assert proxy.cuts >= 1
        assert_kept_offline(alice, rep_a, r, head_a)
        assert alice.copart("search", "offline note", cwd=rep_a).ok  # everything else works meanwhile
        proxy.cut_down_after = None
        r = alice.copart("sync", cwd=rep_a)
        assert r.ok, r

        # mid-push: alice's pack is cut after 60 kB
        written |= {big_story(alice, rep_a, f"Alice field note {i}", 24, 100 + i) for i in range(12)}
        head_a = alice.git("rev-parse", "HEAD", cwd=rep_a).strip()
        hub_before = alice.git("--git-dir", str(git_daemon.base / "hub.git"), "rev-parse", "main", cwd=rep_a).strip()
        proxy.cut_up_after = 60_000
        cuts = proxy.cuts
        r = alice.copart("sync", cwd=rep_a)
        assert proxy.cuts > cuts
        assert_kept_offline(alice, rep_a, r, head_a)
        hub_now = alice.git("--git-dir", str(git_daemon.base / "hub.git"), "rev-parse", "main", cwd=rep_a).strip()
        assert hub_now == hub_before  # the hub took all of the push or none of it
        status = alice.copart("status", "--json", cwd=rep_a)
        assert status.ok, status
        proxy.cut_up_after = None
        r = alice.copart("sync", cwd=rep_a)
        assert r.ok, r
        assert bob.copart("sync", cwd=rep_b).ok
        fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=rep_a, capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stderr
    finally:
        proxy.close()
    ok = converged([(alice, rep_a), (bob, rep_b)], written)
    print_summary(capsys, f"sync-faults network-drops: cuts={proxy.cuts} entries={len(written)} "
                          f"converged={'yes' if ok else 'no'}")
    assert ok


@pytest.fixture
def small_disk(world):
    """A 24 MiB tmpfs: a disk that can really fill up (ENOSPC), not a simulation."""
    mount = world.base / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not permitted'}); "
                    "the full-disk scenario needs it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk, leave: int) -> list:
    """Fill the disk, leaving about `leave` bytes free; returns the filler files."""
    fillers = []
    chunk = b"\0" * (1 << 20)
    n = 0
    while True:
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        if free <= leave:
            break
        path = disk / f"filler-{n}"
        n += 1
        fillers.append(path)
        try:
            with open(path, "wb") as fh:
                fh.write(chunk[: min(len(chunk), max(4096, free - leave))])
        except OSError:
            break
    return fillers


def test_a_full_disk_during_sync_loses_nothing(world, small_disk, capsys):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_b, url = start_hub(world, bob)  # bob's copy and the hub on the normal disk
    rep_a = small_disk / "4xp"
    r = alice.copart("join", url, str(rep_a))
    assert r.ok, r
    written = {big_story(bob, rep_b, f"Bob big note {i}", 128, i) for i in range(6)}  # ~1 MB of pack
    assert bob.copart("sync", cwd=rep_b).ok
    written.add(add_story(alice, rep_a, "Alice before the disk filled"))
    head_a = alice.git("rev-parse", "HEAD", cwd=rep_a).strip()
    fillers = fill(small_disk, leave=64 * 1024)
    outcomes = []
    # capture on a full disk: a clear error, or it fits; never a traceback or a broken repository
    r = alice.copart("new", "story", "Written on a full disk", "--no-edit", "--author", "apatel",
                     "--body", "Short.\n", cwd=rep_a)
    outcomes.append(("new", r.code))
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    if r.ok:
        written.add("written-on-a-full-disk")
        head_a = alice.git("rev-parse", "HEAD", cwd=rep_a).strip()
    else:
        assert r.stderr.startswith("copart: error: "), r
    r = alice.copart("sync", cwd=rep_a)
    outcomes.append(("sync", r.code))
    assert r.code != 0, "the fetch cannot fit on the disk"
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert r.code == 1 and r.stderr.startswith("copart: error: the disk is full"), r  # not "offline"
    assert "free some space" in r.stderr
    assert alice.git("rev-parse", "HEAD", cwd=rep_a).strip() == head_a  # local work kept
    fillers += fill(small_disk, leave=0)  # now really full: not one more block
    r = alice.copart("new", "story", "Written on a full disk", "--no-edit", "--author", "apatel",
                     "--body", "Short.\n", cwd=rep_a)
    outcomes.append(("new-when-full", r.code))
    assert r.ok or r.stderr.startswith("copart: error: "), r
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r
    for path in fillers:  # the user frees some space
        path.unlink(missing_ok=True)
    for kept in sorted((rep_a / "stories").glob("written-on-a-full-disk*.md")):
        if (kept.read_text(errors="replace").startswith("---\n") and kept.stem not in written
                and "Short." in kept.read_text(errors="replace")):
            written.add(kept.stem)  # a draft kept on disk: sync commits it now
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok, r
    assert half_done(rep_a) == [] and clean(alice, rep_a)
    assert bob.copart("sync", cwd=rep_b).ok
    fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=rep_a, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    ok = converged([(alice, rep_a), (bob, rep_b)], written)
    print_summary(capsys, f"sync-faults full-disk: outcomes={outcomes} entries={len(written)} "
                          f"converged={'yes' if ok else 'no'}")
    assert ok


SKEW = {"bob": "2099-06-01T12:00:00Z", "carol": "1975-01-01T12:00:00Z"}


def test_partners_with_clocks_far_in_the_past_and_future_converge(world, capsys):
    alice, bob, carol = world.partner("alice"), world.partner("bob"), world.partner("carol")
    rep_a, url = start_hub(world, alice)
    reps = {"alice": rep_a, "bob": join(bob, url), "carol": join(carol, url)}
    people = {"alice": alice, "bob": bob, "carol": carol}

    def as_(who: str, *args: str):
        when = SKEW.get(who)
        # git takes its dates from these; copart's `created` comes from the same wrong clock
        env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "COPART_NOW": when} if when else None
        if when and args[0] == "new":
            args = (*args, "--field", f"created={when}")
        return people[who].copart(*args, cwd=reps[who], env=env)

    written: set[str] = set()
    for round_ in range(3):
        for who in ("alice", "bob", "carol"):
            r = as_(who, "new", "story", f"{who} round {round_}", "--no-edit", "--author", "apatel",
                    "--body", f"{who} learned something in round {round_}.\n", "--json")
            assert r.ok, r
            written.add(r.json()["entry"]["id"])
        # bob (2099) and carol (1975) change the same entry: both versions must survive
        for who in ("bob", "carol"):
            path = reps[who] / "stories/pricing-a-first-workshop.md"
            path.write_text(path.read_text() + f"\n{who}'s addendum in round {round_}.\n")
        for who in ("alice", "bob", "carol", "alice"):
            r = as_(who, "sync")
            assert r.code in (0, 3), r
            assert "Traceback" not in r.stderr
    for who in ("alice", "bob", "carol", "alice", "bob"):
        r = as_(who, "sync")
        assert r.code in (0, 3), r
    pairs = [(people[w], reps[w]) for w in reps]
    ok = converged(pairs, written)
    text = "\n".join(p.read_text() for p in reps["alice"].glob("stories/pricing-a-first-workshop*.md"))
    kept = all(f"{who}'s addendum in round {n}" in text for who in ("bob", "carol") for n in range(3))
    for who in reps:
        assert no_markers(reps[who])
        found = as_(who, "search", "learned something", "--limit", "20", "--json")
        assert found.ok, found
        assert written <= {x["id"] for x in found.json()["results"]}
        assert as_(who, "digest", "--since", "30d").code == 0
    print_summary(capsys, f"sync-faults clock-skew: partners=3 entries={len(written)} both-edits-kept="
                          f"{'yes' if kept else 'no'} converged={'yes' if ok else 'no'}")
    assert ok and kept
