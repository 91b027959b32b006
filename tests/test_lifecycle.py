"""Lifecycle: entries marked `status: obsolete` (with `superseded_by`) that `ask` leaves out, and says so."""

from __future__ import annotations


def test_ask_leaves_out_obsolete_entries_and_says_what_replaces_them(alice, sample):
    before = alice.copart("ask", "costing a workshop", "--json", cwd=sample).json()
    assert "costing-checklist-for-a-workshop" in [x["id"] for x in before["results"]]
    assert before["obsolete_left_out"] == []
    r = alice.copart("edit", "costing-checklist-for-a-workshop", "--field", "status=obsolete",
                     "--field", "superseded_by=pricing-a-first-workshop", cwd=sample)
    assert r.ok, r
    after = alice.copart("ask", "costing a workshop", "--json", cwd=sample).json()
    assert "costing-checklist-for-a-workshop" not in [x["id"] for x in after["results"]]
    assert after["obsolete_left_out"] == [{"id": "costing-checklist-for-a-workshop",
                                           "title": "Costing checklist for a workshop",
                                           "superseded_by": "pricing-a-first-workshop"}]
    text = alice.copart("ask", "costing a workshop", cwd=sample).stdout
    assert ("left out 1 obsolete entry (see them with --obsolete): costing-checklist-for-a-workshop "
            "(superseded by pricing-a-first-workshop)") in text
    again = alice.copart("ask", "costing a workshop", "--obsolete", "--json", cwd=sample).json()
    assert "costing-checklist-for-a-workshop" in [x["id"] for x in again["results"]]
    assert again["obsolete_left_out"] == []
    assert alice.copart("check", cwd=sample).ok  # obsolete is a status an entry may have


def test_archive_closes_the_community_with_a_story_and_keeps_it_searchable(world):
    judith = world.partner("judith", "judith.fawcett@example.org")  # a coordinator in the sample
    rep = judith.init("4xp", example=True)
    r = judith.copart("archive", "--body", "We met for two years; the pricing notes live on here.", "--json", cwd=rep)
    assert r.ok, r
    d = r.json()
    assert d["archived_by"] == "jfawcett" and d["closing_story"]["entry"]["id"] == "closing-the-4xp-community"
    assert "closing-story" in d["closing_story"]["entry"]["tags"]
    config = (rep / "copart.yaml").read_text()
    assert "archived_by: jfawcett" in config and "closing_story: closing-the-4xp-community" in config
    assert judith.git("status", "--porcelain", cwd=rep).strip() == ""  # both committed
    # read-only: every write is refused with one line (nothing committed); reading and search go on
    head = judith.git("rev-parse", "HEAD", cwd=rep)
    r = judith.copart("new", "story", "One more", "--no-edit", "--body", "x", cwd=rep)
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: 4XP is archived: it is read-only"
    assert judith.git("rev-parse", "HEAD", cwd=rep) == head
    r = judith.copart("accredit", "mokafor", "pricing-your-work", cwd=rep)
    assert r.code == 1 and "archived" in r.stderr
    assert judith.copart("ask", "pricing a workshop", cwd=rep).ok
    found = judith.copart("search", "two years", "--json", cwd=rep).json()
    assert [x["id"] for x in found["results"]][:1] == ["closing-the-4xp-community"]
    r = judith.copart("archive", "--body", "again", cwd=rep)
    assert r.code == 1 and "already archived" in r.stderr


def test_archive_bad_input(alice, sample):
    r = alice.copart("archive", cwd=sample)
    assert r.code == 2 and r.stderr.startswith("copart: error: a closing story is needed")
    r = alice.copart("archive", "--body", "done", cwd=sample)  # alice has no profile, so no coordinator
    assert r.code == 1 and "only a coordinator can archive the community" in r.stderr
    assert "archived" not in (sample / "copart.yaml").read_text()


def test_check_names_a_superseded_by_that_leads_nowhere(alice, sample):
    alice.copart("edit", "costing-checklist-for-a-workshop", "--field", "status=obsolete",
                 "--field", "superseded_by=no-such-entry", cwd=sample)
    r = alice.copart("check", cwd=sample)
    assert r.code == 4
    assert "practices/costing-checklist-for-a-workshop.md:" in r.stdout
    assert "superseded_by 'no-such-entry' is not another entry" in r.stdout
