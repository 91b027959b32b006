"""`copart status`: what is waiting locally, what is waiting to sync, conflicts, the index."""

from __future__ import annotations

from tests.synckit import add_story, join, start_hub


def test_status_shows_edits_commits_to_sync_and_invalid_files(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    add_story(alice, rep_a, "Not yet sent")
    (rep_a / "stories" / "scratch.md").write_text("no frontmatter here\n")
    (rep_a / "stories" / "drafts").mkdir()
    (rep_a / "stories" / "drafts" / "half-done.md").write_text("---\ntitle: [unclosed\n---\n")  # nested: an entry too
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nmore\n")
    add_story(bob, rep_b, "Bob's fresh news")
    assert bob.copart("sync", cwd=rep_b).ok
    assert alice.copart("sync", "--no-push", cwd=rep_a).ok  # fetches: 1 behind -> merged; still ahead

    r = alice.copart("status", "--json", cwd=rep_a)
    assert r.ok, r
    st = r.json()
    assert set(st) >= {"path", "branch", "head", "changes", "invalid", "remotes", "conflicts", "index", "open_asks"}
    assert {"state": "untracked", "path": "stories/scratch.md"} in st["changes"]
    assert sorted(p["path"] for p in st["invalid"]) == ["stories/drafts/half-done.md", "stories/scratch.md"]
    [origin] = st["remotes"]
    assert origin["name"] == "origin" and origin["ahead"] >= 2 and origin["behind"] == 0 and origin["last_fetch"]
    assert set(st["index"]) >= {"fresh", "commit"}

    text = alice.copart("status", cwd=rep_a).stdout
    assert "invalid, will not be synced: stories/scratch.md" in text and "to send" in text


def test_status_without_a_remote_and_outside_a_repertoire(world):
    alice = world.partner("alice")
    rep = alice.init("4xp", example=True)
    r = alice.copart("status", cwd=rep)
    assert r.ok and "no remote" in r.stdout, r
    r = alice.copart("sync", cwd=rep)
    assert r.code == 1 and "no remote to sync with" in r.stderr and "hint:" in r.stderr, r
    # the half of sync that needs no network is done all the same: hand edits are committed
    story = rep / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nA line added by hand.\n")
    (rep / "stories" / "broken.md").write_text("---\nkind: story\ntitle: [oops\n---\n")
    r = alice.copart("sync", cwd=rep)
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: this repertoire has no remote to sync with"
    assert "hint: 1 edit made outside copart committed here; 1 invalid entry left uncommitted" in r.stderr, r
    assert alice.git("status", "--porcelain", cwd=rep).strip() == "?? stories/broken.md"
    r = alice.copart("status", cwd=world.base)
    assert r.code == 1 and r.stderr.startswith("copart: error:"), r
