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
