"""`copart join URL [DIR]`: clone a repertoire and get ready to work."""

from __future__ import annotations

from tests.synckit import start_hub


def test_join_a_bare_folder_and_get_told_to_add_a_profile(world):
    alice, dana = world.partner("alice"), world.partner("dana")
    _, hub = start_hub(world, alice)
    dest = world.base / "dana" / "4xp"
    r = dana.copart("join", hub, str(dest))
    assert r.ok, r
    assert "joined 4XP" in r.stdout
    assert "dana@example.org is in no member profile" in r.stdout and "copart new member" in r.stdout
    r = dana.copart("status", "--json", cwd=dest)
    assert r.ok, r
    st = r.json()
    assert st["branch"] == "main" and st["remotes"][0]["ahead"] == 0 and st["changes"] == []
    assert dana.copart("list", cwd=dest).ok


def test_join_recognises_a_member_and_picks_a_folder_name(world):
    alice = world.partner("alice")
    _, hub = start_hub(world, alice)
    jo = world.partner("jo", email="Judith.Fawcett@example.org")  # in members/jfawcett.md
    r = jo.copart("join", f"file://{hub}", "--json")
    assert r.ok, r
    out = r.json()
    assert out["path"].endswith("/hub") and out["entries"] > 20
    assert out["member"] == "jfawcett"
    assert "you are jfawcett" in jo.copart("join", f"file://{hub}", "second").stdout


def test_join_something_that_is_not_a_repertoire(world):
    alice = world.partner("alice")
    plain = world.base / "plain"
    plain.mkdir()
    alice.git("init", "-q", "-b", "main", cwd=plain)
    (plain / "README.md").write_text("just a repo\n")
    alice.git("add", "README.md", cwd=plain)
    alice.git("commit", "-q", "-m", "x", cwd=plain)
    dest = world.base / "out"
    r = alice.copart("join", str(plain), str(dest))
    assert r.code == 1 and r.stderr.startswith("copart: error: ") and "not a repertoire" in r.stderr, r
    assert "Traceback" not in r.stderr and not dest.exists()


def test_join_unreachable_or_bad_urls(world):
    alice = world.partner("alice")
    r = alice.copart("join", "git://127.0.0.1:9/nothing.git", str(world.base / "x"))
    assert r.code == 3 and "cannot clone" in r.stderr and not (world.base / "x").exists(), r
    r = alice.copart("join", str(world.base / "no-such-folder.git"), str(world.base / "y"))
    assert r.code == 3 and not (world.base / "y").exists(), r
    r = alice.copart("join", "--", "-x", str(world.base / "z"))
    assert r.code == 2 and "not a repository URL" in r.stderr, r


def test_join_refuses_a_non_empty_folder_and_bad_branch(world):
    alice = world.partner("alice")
    _, hub = start_hub(world, alice)
    busy = world.base / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me")
    r = alice.copart("join", hub, str(busy))
    assert r.code == 1 and "not empty" in r.stderr, r
    assert (busy / "mine.txt").read_text() == "keep me"
    r = alice.copart("join", hub, str(world.base / "b"), "--branch=-evil")
    assert r.code == 2 and "not a branch name" in r.stderr, r


def test_joining_a_plain_folder_suggests_import(world):
    alice = world.partner("alice")
    notes = world.base / "my-notes"
    notes.mkdir()
    (notes / "pricing.md").write_text("# Pricing\n\nWhat I learnt.\n")
    r = alice.copart("join", str(notes), str(world.base / "4xp"))
    assert r.code == 2, r
    lines = r.stderr.splitlines()
    assert lines == [f"copart: error: {notes} is a plain folder, not a git repository: there is no repertoire to join",
                     f"hint: to bring its Markdown in as entries: copart init DIR, then in DIR: copart import {notes}"]
    assert not (world.base / "4xp").exists()
