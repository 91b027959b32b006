"""`copart who`: members ranked by evidence, with the evidence."""

from __future__ import annotations


def test_who_ranks_members_by_evidence(alice, sample):
    r = alice.copart("who", "vat", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["topic"] == "vat"
    assert data["people"][0]["id"] == "jfawcett"
    evidence = " | ".join(data["people"][0]["evidence"])
    assert "profile expertise: vat" in evidence
    assert "accepted answer" in evidence
    assert "wrote" in evidence
    scores = [p["score"] for p in data["people"]]
    assert scores == sorted(scores, reverse=True)
    text = alice.copart("who", "vat", cwd=sample)
    assert "Judith Fawcett" in text.stdout


def test_who_workshops(alice, sample):
    r = alice.copart("who", "workshops", "--json", cwd=sample)
    assert r.json()["people"][0]["id"] == "rlindqvist"


def test_one_member_and_unknown_member(alice, sample):
    r = alice.copart("who", "@jfawcett", "--json", cwd=sample)
    assert r.ok
    person = r.json()["people"][0]
    assert person["id"] == "jfawcett" and any("accepted answer" in e for e in person["evidence"])
    assert alice.copart("who", "--member", "jfawcett", cwd=sample).ok
    r = alice.copart("who", "@nobody", cwd=sample)
    assert r.code == 1 and "copart: error: no member with id 'nobody'" in r.stderr
    r = alice.copart("who", "--member", "nobody", cwd=sample)
    assert r.code == 1


def test_topic_nobody_knows(alice, sample):
    r = alice.copart("who", "quantum chromodynamics", "--json", cwd=sample)
    assert r.ok and r.json()["people"] == []
    assert "nobody" in alice.copart("who", "quantum chromodynamics", cwd=sample).stdout
