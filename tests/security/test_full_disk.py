"""A full disk loses and publishes nothing.

A real 24 MiB tmpfs that really fills up (the reliability suite's `small_disk`). An import
that runs out of space must not leave a truncated entry behind for the next `sync` to
commit and push as the user's edit; a sync whose checkout runs out of space must put the
work tree back as it was, say the disk is full (exit 1, not "offline"), and work once
space is free.
"""

from __future__ import annotations

from tests.reliability.crashkit import half_done
from tests.reliability.test_sync_faults import fill, small_disk  # noqa: F401  (fixture)
from tests.synckit import clean, start_hub


def _wiki(folder, count: int, kib: int) -> None:
    folder.mkdir()
    for i in range(count):
        lines = [f"Line {n} of note {i}: what we learnt, in some detail." for n in range(kib * 1024 // 48)]
        (folder / f"note-{i:03d}.md").write_text(f"# Note {i}\n\n" + "\n".join(lines) + "\n")


def _listing(rep) -> list[str]:
    return sorted(str(p.relative_to(rep)) for p in rep.rglob("*") if ".git" not in p.parts)


def test_import_onto_a_full_disk_leaves_no_partial_entry_and_the_next_sync_publishes_nothing(world, small_disk):
    alice = world.partner("alice")
    hub = world.bare()  # the hub is on a disk with room
    rep = small_disk / "4xp"
    assert alice.copart("init", str(rep), "--name", "4XP", "--example").ok
    alice.git("remote", "add", "origin", str(hub), cwd=rep)
    assert alice.copart("sync", cwd=rep).ok
    hub_main = alice.git("rev-parse", "main", cwd=hub).strip()
    wiki = world.base / "wiki"
    _wiki(wiki, 40, 48)  # ~2 MB to import, with a quarter of a MB free
    before = _listing(rep)
    fillers = fill(small_disk, leave=256 * 1024)

    r = alice.copart("import", str(wiki), cwd=rep)

    assert r.code == 1 and r.stderr.startswith("copart: error: the disk is full"), r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert _listing(rep) == before  # not one file of the import is left, whole or truncated
    assert not (rep / ".git/copart/bulk-write.journal").exists()
    for path in fillers:  # the user frees some space
        path.unlink()
    assert clean(alice, rep) and half_done(rep) == []
    r = alice.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    assert r.json()["committed"] is None  # nothing of the failed import was taken for an edit
    assert alice.git("rev-parse", "main", cwd=hub).strip() == hub_main  # nor published
    r = alice.copart("import", str(wiki), "--json", cwd=rep)  # and importing again just works
    assert r.ok, r
    assert r.json()["imported"] == 40


def test_a_sync_bringing_many_files_onto_a_full_disk_says_so_and_puts_the_tree_back(world, small_disk):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_b, url = start_hub(world, bob)
    rep_a = small_disk / "4xp"
    assert alice.copart("join", url, str(rep_a)).ok
    wiki = world.base / "bobs-notes"
    _wiki(wiki, 400, 1)  # a small pack to fetch, 400 files (each a disk block or more) to write
    assert bob.copart("import", str(wiki), cwd=rep_b).ok
    assert bob.copart("sync", cwd=rep_b).ok
    head_a = alice.git("rev-parse", "HEAD", cwd=rep_a).strip()
    before = _listing(rep_a)
    fillers = fill(small_disk, leave=768 * 1024)

    r = alice.copart("sync", cwd=rep_a)

    assert r.code == 1, r
    assert r.stderr.startswith("copart: error: the disk is full: the incoming files"), r  # the checkout, not the fetch
    assert "offline" not in r.stderr and "Traceback" not in r.stderr, r
    assert "free some space" in r.stderr
    assert alice.git("rev-parse", "HEAD", cwd=rep_a).strip() == head_a
    assert _listing(rep_a) == before  # the work tree is back as it was: no stray incoming file
    for path in fillers:
        path.unlink()
    assert clean(alice, rep_a) and half_done(rep_a) == []
    r = alice.copart("sync", "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert out["committed"] is None  # bob's files were not taken for alice's hand edits
    assert len([f for f in out["incoming"]["files"] if f["path"].startswith("practices/note-")]) == 400
    assert alice.git("rev-parse", "HEAD", cwd=rep_a).strip() == bob.git("rev-parse", "HEAD", cwd=rep_b).strip()
    assert clean(alice, rep_a)
