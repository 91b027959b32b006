"""`sync` says what arrived for you under review: coordinators see new contributions to review,
authors see the comments and decisions on theirs; nothing when nothing moved."""

from __future__ import annotations

from tests.review_helpers import community


def test_sync_says_what_arrived_for_you(world):
    c = community(world)
    judith, crep, anjali, prep = c.judith, c.coord_rep, c.anjali, c.partner_rep
    assert anjali.copart("new", "story", "Barter at the fair", "--no-edit", "--body", "We swapped.", cwd=prep).ok
    mine = anjali.copart("sync", "--json", cwd=prep)
    assert mine.ok and mine.json()["for_you"] == [], mine  # her own contribution is not news to her
    r = judith.copart("sync", "--json", cwd=crep)
    assert r.ok, r
    assert r.json()["for_you"] == [{"kind": "to_review", "contribution": "apatel/barter-at-the-fair", "by": "apatel",
                                    "version": 1, "text": ""}]
    assert judith.copart("sync", "--json", cwd=crep).json()["for_you"] == []  # said once
    key = "apatel/barter-at-the-fair"
    assert judith.copart("review", "comment", key, "What did \x1b[31mthe stall\x1b[0m cost?", cwd=crep).ok
    assert judith.copart("review", "request-changes", key, "Say what it was worth.", cwd=crep).ok
    assert judith.copart("sync", cwd=crep).ok
    theirs = anjali.copart("sync", "--json", cwd=prep)
    assert theirs.ok, theirs
    assert [(n["kind"], n["by"], n["contribution"]) for n in theirs.json()["for_you"]] == [
        ("comment", "jfawcett", key), ("request_changes", "jfawcett", key)]
    assert theirs.json()["for_you"][1]["text"] == "Say what it was worth."
    # a revision is news to the coordinator again; the author's word is shown, its control characters made visible
    (prep / "stories" / "barter-at-the-fair.md").write_text(
        (prep / "stories" / "barter-at-the-fair.md").read_text().replace("We swapped.", "We swapped, worth 20 EUR."))
    assert anjali.copart("contribute", "revise", key, "-m", "the worth", cwd=prep).ok
    assert anjali.copart("sync", cwd=prep).ok
    text = judith.copart("sync", cwd=crep)
    assert text.ok and f"for you: {key} v2 to review (copart review show {key})" in text.stdout, text
    assert judith.copart("review", "comment", key, "Better: \x1b[2J thanks", cwd=crep).ok
    assert judith.copart("sync", cwd=crep).ok
    said = anjali.copart("sync", cwd=prep)
    assert said.ok and f"for you: jfawcett commented on {key}: Better:" in said.stdout, said
    assert "\x1b" not in said.stdout


def test_news_that_came_through_one_remote_is_not_news_again_through_another(world):
    c = community(world)
    judith, crep, anjali, prep = c.judith, c.coord_rep, c.anjali, c.partner_rep
    assert anjali.copart("new", "story", "Barter at the fair", "--no-edit", "--body", "We swapped.", cwd=prep).ok
    assert anjali.copart("sync", cwd=prep).ok
    key = "apatel/barter-at-the-fair"
    assert [n["kind"] for n in judith.copart("sync", "--json", cwd=crep).json()["for_you"]] == ["to_review"]
    assert judith.copart("review", "comment", key, "What did it cost?", cwd=crep).ok
    assert judith.copart("sync", cwd=crep).ok
    usb = world.base / "usb.git"  # a copy of the hub carried on a stick: the same news on it
    judith.git("clone", "-q", "--mirror", str(c.hub), str(usb), cwd=world.base)
    judith.git("remote", "add", "usb", str(usb), cwd=crep)
    mine = judith.copart("sync", "--remote", "usb", "--json", cwd=crep)
    assert mine.ok and mine.json()["for_you"] == [], mine  # the contribution to review: said once
    first = anjali.copart("sync", "--json", cwd=prep).json()["for_you"]
    assert [(n["kind"], n["contribution"]) for n in first] == [("comment", key)]
    anjali.git("remote", "add", "usb", str(usb), cwd=prep)
    again = anjali.copart("sync", "--remote", "usb", "--json", cwd=prep)
    assert again.ok, again
    assert again.json()["for_you"] == []  # the same comment, through the stick: said once
