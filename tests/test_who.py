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


def test_people_who_answered_rank_above_the_one_who_asked(alice, sample):
    people = alice.copart("who", "traders association workshop", "--json", cwd=sample).json()["people"]
    ids = [p["id"] for p in people]
    # apatel asked "How should I price a half-day workshop for a traders' group?"; Rosa and Judith answered
    assert ids[:2] == ["rlindqvist", "jfawcett"]
    asker = next((p for p in people if p["id"] == "apatel"), None)
    assert asker is None or any(e.startswith("asked '") for e in asker["evidence"])


def test_weak_matches_are_left_out(alice, sample):
    for topic in ("vat", "pricing", "marketing"):
        people = alice.copart("who", topic, "--json", cwd=sample).json()["people"]
        assert people and all(p["score"] >= people[0]["score"] / 3 for p in people), topic
    assert [p["id"] for p in alice.copart("who", "vat", "--json", cwd=sample).json()["people"]] == ["jfawcett"]


def test_members_not_available_are_shown_and_ranked_below(alice, sample):
    # in the sample, Grzegorz is already alumni; Rosa, the pricing expert, leaves; Judith takes no work
    profile = sample / "members" / "rlindqvist.md"
    profile.write_text(profile.read_text().replace("\nstatus: active", "\nstatus: alumni", 1))
    other = sample / "members" / "jfawcett.md"
    other.write_text(other.read_text().replace("\nname:", "\navailable: false\nname:", 1))
    alice.git("commit", "-qam", "Rosa left; Judith takes no work", cwd=sample)
    people = alice.copart("who", "pricing", "--json", cwd=sample).json()["people"]
    by_id = {p["id"]: p for p in people}
    assert by_id["rlindqvist"]["available"] is False and by_id["gwozniak"]["available"] is False
    # Anjali scores less than Rosa on pricing but is available: she comes first
    assert people[0]["id"] == "apatel" and people[0]["available"] is True
    assert by_id["rlindqvist"]["score"] > people[0]["score"]
    text = alice.copart("who", "pricing", cwd=sample).stdout
    assert "Rosa Lindqvist (rlindqvist)" in text and "not available" in text
    vat = alice.copart("who", "vat", "--json", cwd=sample).json()["people"]
    assert vat[0]["id"] == "jfawcett" and vat[0]["available"] is False  # still shown: the only one who knows


def test_imported_entries_are_not_the_importers_expertise(alice, sample, tmp_path):
    handbook = tmp_path / "handbook"
    handbook.mkdir()
    (handbook / "bees.md").write_text("# Keeping bees\n\nBeekeeping: inspect the hives weekly in spring.\n")
    (handbook / "hives.md").write_text("---\nauthor: Jane Apiarist\n---\n# Hive frames\n\nBeekeeping frames.\n")
    assert alice.copart("import", str(handbook), cwd=sample).ok
    assert alice.copart("who", "beekeeping", "--json", cwd=sample).json()["people"] == []
    ask = alice.copart("ask", "how often should I inspect beekeeping hives?", "--json", cwd=sample).json()
    assert ask["answered"] is True and ask["people"] == []


def test_a_new_profile_that_lists_the_topic_is_found_in_a_young_repertoire(alice):
    rep = alice.init("young", example=False)
    r = alice.copart("new", "member", "Jane Doe", "--field", "expertise=[pricing, vat]", "--no-edit", cwd=rep)
    assert r.ok, r
    for topic in ("vat", "pricing"):
        found = alice.copart("who", topic, "--json", cwd=rep).json()
        assert [p["id"] for p in found["people"]] == ["jane-doe"], topic
        assert found["people"][0]["evidence"] == [f"profile expertise: {topic}"]
    assert alice.copart("who", "payroll", "--json", cwd=rep).json()["people"] == []
