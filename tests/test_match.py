"""`copart match`: each need in the profiles, with the members whose offers and evidence meet it."""

from __future__ import annotations

from tests.review_helpers import set_frontmatter


def test_match_meets_a_members_needs_with_offers_and_evidence(alice, sample):
    r = alice.copart("match", "jfawcett", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["member"] == "jfawcett"
    needs = {n["need"]: n for n in data["needs"]}
    assert set(needs) == {"marketing help for clients who are busy but not profitable",
                          "a co-facilitator for money-basics workshops", "more referrals from trades"}
    marketing = needs["marketing help for clients who are busy but not profitable"]["providers"]
    assert marketing[0]["id"] == "apatel"  # she offers marketing plans and lists marketing as expertise
    assert any(e.startswith("offers: marketing") for e in marketing[0]["evidence"])
    assert "profile expertise: marketing" in marketing[0]["evidence"]
    workshops = needs["a co-facilitator for money-basics workshops"]["providers"]
    assert workshops[0]["id"] == "rlindqvist"
    for n in data["needs"]:  # nobody meets their own need; best first
        assert all(p["id"] != "jfawcett" for p in n["providers"])
        scores = [p["score"] for p in n["providers"]]
        assert scores == sorted(scores, reverse=True) and len(scores) <= 3
    text = alice.copart("match", "jfawcett", cwd=sample)
    assert "Judith Fawcett (jfawcett) needs: a co-facilitator for money-basics workshops" in text.stdout
    assert "Rosa Lindqvist (rlindqvist)" in text.stdout


def test_match_everybody_and_rare_words_count_more(alice, sample):
    r = alice.copart("match", "--json", cwd=sample)
    assert r.ok, r
    needs = {(n["member"], n["need"]): n["providers"] for n in r.json()["needs"]}
    assert len({m for m, _ in needs}) == 7  # every profile in the sample lists needs
    booking = needs[("rlindqvist", "a simple booking system that takes payment")]
    assert booking[0]["id"] == "tbrennan" and "offers: booking and payment set-up" in booking[0]["evidence"]
    landing = needs[("apatel", "a web partner for quick landing pages")]
    assert landing[0]["id"] == "tbrennan"  # 'partner', in many offers, does not make Rosa the answer


def test_an_alumni_member_is_nobodys_provider(alice, sample):
    set_frontmatter(sample / "members" / "rlindqvist.md", "status", "alumni")
    r = alice.copart("match", "jfawcett", "--json", cwd=sample)
    assert r.ok, r
    assert all(p["id"] != "rlindqvist" for n in r.json()["needs"] for p in n["providers"])


def test_match_bad_input(alice, sample):
    r = alice.copart("match", "nobody", cwd=sample)
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: no member with id 'nobody'"
    alice.copart("new", "member", "Zed Quinn", "--no-edit", cwd=sample)
    r = alice.copart("match", "zed-quinn", cwd=sample)
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: zed-quinn lists no needs in their profile"
    assert "Traceback" not in r.stderr


def test_needs_and_offers_are_partner_data(alice, sample):
    # a pushed profile with a huge need list, a mapping for offers and terminal escapes
    profile = sample / "members" / "tbrennan.md"
    set_frontmatter(profile, "needs", "[" + ", ".join(f'"need number {i} \\e[2J"' for i in range(500)) + "]")
    set_frontmatter(profile, "offers", "{evil: true}")
    r = alice.copart("match", "tbrennan", "--json", cwd=sample)
    assert r.ok, r
    assert len(r.json()["needs"]) == 50  # a profile is read for at most 50 needs
    assert "\x1b" in r.json()["needs"][0]["need"]  # kept as data...
    text = alice.copart("match", "tbrennan", cwd=sample)
    assert text.ok and "\x1b" not in text.stdout and "\u241b[2J" in text.stdout  # ...shown as a symbol


def test_who_shows_what_a_member_offers(alice, sample):
    r = alice.copart("who", "@tbrennan", "--json", cwd=sample)
    assert r.ok, r
    assert "booking and payment set-up" in r.json()["offers"]
    assert "offers: small business websites" in alice.copart("who", "@tbrennan", cwd=sample).stdout


def test_a_new_profile_asks_for_offers_and_needs(alice, sample):
    r = alice.copart("new", "member", "Zed Quinn", "--no-edit", cwd=sample)
    assert r.ok, r
    text = (sample / "members" / "zed-quinn.md").read_text()
    assert "offers: []  # what you can do" in text and "needs: []  # what you would like" in text
    assert alice.copart("check", cwd=sample).ok
