"""Two partners change the same entry: merged where it can be, both sides kept where not."""

from __future__ import annotations

from tests.synckit import add_story, clean, edit_text, head, ids, join, no_markers, no_markers_in_history, start_hub

STORY = "stories/pricing-a-first-workshop.md"


def _pair(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    return alice, bob, rep_a, rep_b


def _first_body_line(path):
    text = path.read_text()
    body = text.split("\n---\n", 1)[1]
    return next(line for line in body.splitlines() if line.strip() and not line.startswith("#"))


def test_tags_added_on_both_sides_are_both_kept(world):
    alice, bob, rep_a, rep_b = _pair(world)
    assert alice.copart("edit", "pricing-a-first-workshop", "--tag", "from-alice", cwd=rep_a).ok
    assert bob.copart("edit", "pricing-a-first-workshop", "--tag", "from-bob", "--topic", "grants", cwd=rep_b).ok
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.ok, r
    out = r.json()
    assert out["conflicts"] == [] and STORY in out["merged"]
    tags = bob.copart("show", "pricing-a-first-workshop", "--json", cwd=rep_b).json()
    assert {"from-alice", "from-bob"} <= set(tags["tags"]) and "grants" in tags["topics"]
    assert bob.copart("check", cwd=rep_b).ok
    assert alice.copart("sync", cwd=rep_a).ok
    assert head(alice, rep_a) == head(bob, rep_b)


def test_different_paragraphs_edited_merge_cleanly(world):
    alice, bob, rep_a, rep_b = _pair(world)
    path_a, path_b = rep_a / STORY, rep_b / STORY
    text = path_a.read_text()
    lines = [ln for ln in text.split("\n---\n", 1)[1].splitlines() if len(ln) > 40]
    first, last = lines[0], lines[-1]
    edit_text(path_a, first, first + " (alice was here)")
    edit_text(path_b, last, last + " (bob was here)")
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", cwd=rep_b)
    assert r.ok, r
    merged = path_b.read_text()
    assert "(alice was here)" in merged and "(bob was here)" in merged


def test_same_text_changed_on_both_sides_keeps_both_and_resolve_clears_it(world):
    alice, bob, rep_a, rep_b = _pair(world)
    path_a, path_b = rep_a / STORY, rep_b / STORY
    line = _first_body_line(path_a)
    edit_text(path_a, line, "Alice's version of the opening.")
    edit_text(path_b, line, "Bob's version of the opening.")
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.code == 3, r  # a conflict is waiting
    out = r.json()
    [conflict] = out["conflicts"]
    assert conflict["path"] == STORY and conflict["who"] == "bob" and conflict["copy"].startswith("stories/pricing")
    # the entry keeps the version that reached the hub first; bob's is beside it
    assert "Alice's version" in path_b.read_text()
    assert "Bob's version" in (rep_b / conflict["copy"]).read_text()
    assert no_markers(rep_b) and no_markers_in_history(rep_b) and clean(bob, rep_b)

    # check and status point at it, on both sides once synced
    r = bob.copart("check", cwd=rep_b)
    assert r.code == 4 and "conflict waiting" in r.stdout and conflict["copy"] in r.stdout, r
    assert alice.copart("sync", cwd=rep_a).ok
    st = alice.copart("status", "--json", cwd=rep_a).json()
    assert [c["copy"] for c in st["conflicts"]] == [conflict["copy"]]
    assert "copart resolve pricing-a-first-workshop" in alice.copart("status", cwd=rep_a).stdout
    # the copy is not an entry: list shows the story once
    assert ids(alice, rep_a).count("pricing-a-first-workshop") == 1

    # resolving needs a choice under --no-input
    r = bob.copart("resolve", "pricing-a-first-workshop", "--no-input", cwd=rep_b)
    assert r.code == 2 and "--keep" in r.stderr, r
    r = bob.copart("resolve", "pricing-a-first-workshop", "--keep", "copy", cwd=rep_b)
    assert r.ok, r
    assert "Bob's version" in path_b.read_text() and not (rep_b / conflict["copy"]).exists()
    assert bob.copart("check", cwd=rep_b).ok
    assert bob.copart("sync", cwd=rep_b).ok
    assert alice.copart("sync", cwd=rep_a).ok
    assert "Bob's version" in path_a.read_text() and alice.copart("check", cwd=rep_a).ok


def test_frontmatter_and_body_both_conflicting(world):
    alice, bob, rep_a, rep_b = _pair(world)
    line = _first_body_line(rep_a / STORY)
    assert alice.copart("edit", "pricing-a-first-workshop", "--title", "Alice's title", "--tag", "a", cwd=rep_a).ok
    assert bob.copart("edit", "pricing-a-first-workshop", "--title", "Bob's title", "--tag", "b", cwd=rep_b).ok
    edit_text(rep_a / STORY, line, "Alice rewrote this.")
    edit_text(rep_b / STORY, line, "Bob rewrote this.")
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.code == 3, r
    copy = r.json()["conflicts"][0]["copy"]
    shown = bob.copart("show", "pricing-a-first-workshop", "--json", cwd=rep_b).json()
    assert shown["title"] == "Alice's title" and {"a", "b"} <= set(shown["tags"])
    assert "Bob's title" in (rep_b / copy).read_text() and "Bob rewrote this." in (rep_b / copy).read_text()
    # combine both: nothing dropped, no markers
    r = bob.copart("resolve", "pricing-a-first-workshop", "--keep", "both", "--json", cwd=rep_b)
    assert r.ok, r
    text = (rep_b / STORY).read_text()
    assert "Alice rewrote this." in text and "Bob rewrote this." in text and no_markers(rep_b)
    assert bob.copart("check", cwd=rep_b).ok


def test_removed_on_one_side_edited_on_the_other_keeps_the_edit(world):
    alice, bob, rep_a, rep_b = _pair(world)
    assert alice.copart("rm", "pricing-a-first-workshop", cwd=rep_a).ok
    assert bob.copart("edit", "pricing-a-first-workshop", "--tag", "still-useful", cwd=rep_b).ok
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.ok, r
    assert r.json()["kept"] == [STORY]
    assert alice.copart("sync", cwd=rep_a).ok
    assert "still-useful" in (rep_a / STORY).read_text()


def test_same_title_on_both_sides_gives_distinct_ids(world):
    alice, bob, rep_a, rep_b = _pair(world)
    add_story(alice, rep_a, "Market day lessons", "Alice's market day.")
    add_story(bob, rep_b, "Market day lessons", "Bob's market day.")
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.ok, r
    assert r.json()["renamed"] == [{"from": "stories/market-day-lessons.md", "to": "stories/market-day-lessons-2.md"}]
    assert "Alice's market day." in (rep_b / "stories/market-day-lessons.md").read_text()
    renamed = (rep_b / "stories/market-day-lessons-2.md").read_text()
    assert "Bob's market day." in renamed and "id: market-day-lessons-2" in renamed
    assert bob.copart("check", cwd=rep_b).ok
    assert alice.copart("sync", cwd=rep_a).ok
    assert {"market-day-lessons", "market-day-lessons-2"} <= set(ids(alice, rep_a))


def test_answers_by_different_members_never_conflict(world):
    alice, bob, rep_a, rep_b = _pair(world)
    ask = "how-should-i-price-a-half-day-workshop-for-a-traders-group"
    for p, rep, who in ((alice, rep_a, "apatel"), (bob, rep_b, "gwozniak")):
        r = p.copart("new", "answer", f"Re: pricing, from {who}", "--no-edit", "--body", f"{who} says hi",
                     "--author", who, "--field", f"answers={ask}", cwd=rep)
        assert r.ok, r
        assert p.copart("edit", who, "--field", "location=Market Street", cwd=rep).ok  # own profile
    assert alice.copart("sync", cwd=rep_a).ok
    r = bob.copart("sync", "--json", cwd=rep_b)
    assert r.ok and r.json()["conflicts"] == [] and r.json()["merged"] == [], r
    assert alice.copart("sync", cwd=rep_a).ok
    assert bob.copart("check", cwd=rep_b).ok
