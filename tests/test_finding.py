"""Finding things: an id's start or a title instead of the whole id, "did you mean", tags,
`list --limit --sort`."""

from __future__ import annotations


def test_a_prefix_or_a_title_names_an_entry_in_every_command(alice, sample):
    r = alice.copart("show", "pricing-a-first-worksho", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["id"] == "pricing-a-first-workshop"
    by_title = alice.copart("show", "pricing A first   Workshop", "--json", cwd=sample)
    assert by_title.json()["id"] == "pricing-a-first-workshop"
    edited = alice.copart("edit", "pricing-a-first-w", "--tag", "found", "--json", cwd=sample)
    assert edited.ok, edited
    assert edited.json()["entry"]["id"] == "pricing-a-first-workshop" and "found" in edited.json()["entry"]["tags"]
    ask = alice.copart("answer", "is-a-chair-renting", "--body", "Ask HMRC.", "--author", "apatel", "--json",
                       cwd=sample)
    assert ask.ok, ask
    assert ask.json()["entry"]["id"].startswith("re-is-a-chair-renting-stylist-really-self-employed")
    removed = alice.copart("rm", "A website migration that lost online orders", "--json", cwd=sample)
    assert removed.ok, removed
    assert removed.json()["entry"]["id"] == "a-website-migration-that-lost-online-orders"


def test_a_miss_suggests_the_nearest_ids(alice, sample):
    r = alice.copart("show", "pricng-a-first-workshop", cwd=sample)
    assert r.code == 1
    assert r.stderr.splitlines() == ["copart: error: no entry with id 'pricng-a-first-workshop'",
                                     "hint: did you mean: pricing-a-first-workshop?"]
    ask = alice.copart("answer", "is-a-chair-rentng-stylist-really-self-employed", "--body", "x", cwd=sample)
    assert ask.code == 1 and "did you mean: is-a-chair-renting-stylist-really-self-employed?" in ask.stderr
    nothing = alice.copart("show", "zzzz-qqqq", cwd=sample)
    assert nothing.code == 1 and "hint: see the ids with: copart list" in nothing.stderr


def test_an_ambiguous_prefix_lists_what_it_could_be_and_changes_nothing(alice, sample):
    r = alice.copart("rm", "re-", cwd=sample)
    assert r.code == 2, r
    assert r.stderr.startswith("copart: error: 're-' matches ") and "give more of the id" in r.stderr
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_a_prefix_only_finds_an_entry_of_the_kind_asked_for(alice, sample):
    # `answer` takes an ask: the start of an answer's id is not an ask
    r = alice.copart("answer", "re-chair-renting", "--body", "x", cwd=sample)
    assert r.code == 1 and "no ask with id" in r.stderr
