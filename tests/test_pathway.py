"""`copart pathway list|show|suggest`: reading lists that give a newcomer a way in."""

from __future__ import annotations


def test_list_and_walk_through_the_sample_pathway(alice, sample):
    r = alice.copart("pathway", "list", "--json", cwd=sample)
    assert r.ok, r
    by_name = {p["name"]: p for p in r.json()}
    assert set(by_name) == {"new-partner-welcome", "pricing-your-work"}
    assert by_name["pricing-your-work"]["steps"] == 4 and by_name["pricing-your-work"]["path"] == "pathways/pricing-your-work.md"

    r = alice.copart("pathway", "show", "pricing-your-work", "--json", cwd=sample)
    assert r.ok, r
    steps = r.json()["steps"]
    assert [s["id"] for s in steps] == ["costing-checklist-for-a-workshop", "pricing-a-first-workshop",
                                         "how-should-i-price-a-half-day-workshop-for-a-traders-group", "rlindqvist"]
    assert [s["entry"]["kind"] for s in steps] == ["practice", "story", "ask", "member"]
    assert steps[0]["note"] == "Read this before you announce anything."

    r = alice.copart("pathway", "show", "pricing-your-work", cwd=sample)
    assert r.ok, r
    assert " 1. Costing checklist for a workshop  [practice · rlindqvist]" in r.stdout
    assert "start reading: copart pathway show pricing-your-work --step 1" in r.stdout

    r = alice.copart("pathway", "show", "pricing-your-work", "--step", "2", cwd=sample)
    assert r.ok, r
    assert "step 2 of 4: Pricing a first workshop" in r.stdout
    assert "I had run a workshop about pricing and underpriced it." in r.stdout  # the full text
    assert "next: copart pathway show pricing-your-work --step 3" in r.stdout
    r = alice.copart("pathway", "show", "pricing-your-work", "--step", "4", cwd=sample)
    assert "that was the last step" in r.stdout
    r = alice.copart("pathway", "show", "pricing-your-work", "--step", "2", "--json", cwd=sample)
    assert r.json()["current"]["id"] == "pricing-a-first-workshop" and "underpriced" in r.json()["current"]["body"]


def test_unknown_pathways_steps_and_broken_files(alice, sample):
    r = alice.copart("pathway", "show", "no-such-thing", cwd=sample)
    assert r.code == 1, r
    assert r.stderr.splitlines() == ["copart: error: no pathway named 'no-such-thing'",
                                     "hint: pathways here: new-partner-welcome, pricing-your-work"]
    r = alice.copart("pathway", "show", "../copart", cwd=sample)
    assert r.code == 1 and "no pathway named" in r.stderr, r
    r = alice.copart("pathway", "show", "pricing-your-work", "--step", "9", cwd=sample)
    assert r.code == 2 and "step 9 is out of range: 'pricing-your-work' has steps 1 to 4" in r.stderr, r

    (sample / "pathways" / "gone.md").write_text("---\ntitle: Gone\nsteps: [pricing-a-first-workshop, deleted-entry]\n---\n")
    r = alice.copart("pathway", "show", "gone", cwd=sample)
    assert r.ok and "deleted-entry  (not found: fix the pathway file)" in r.stdout, r
    r = alice.copart("pathway", "show", "gone", "--step", "2", cwd=sample)
    assert r.code == 1 and "names 'deleted-entry', which is not an entry" in r.stderr, r

    (sample / "pathways" / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    r = alice.copart("pathway", "list", cwd=sample)
    assert r.ok, r
    assert "copart: warning: pathways/broken.md:3: malformed frontmatter" in r.stderr
    r = alice.copart("pathway", "show", "broken", cwd=sample)
    assert r.code == 1 and r.stderr.startswith("copart: error: pathways/broken.md:3:") and "Traceback" not in r.stderr


def test_suggest_drafts_practices_then_stories_then_people(alice, sample):
    r = alice.copart("pathway", "suggest", "pricing", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["topic"] == "pricing"
    assert data["method"] in ("topic match", "search index")
    kinds = [s["entry"]["kind"] for s in data["steps"]]
    assert kinds == sorted(kinds, key=["practice", "story", "member"].index), kinds  # in that order
    ids = [s["id"] for s in data["steps"]]
    assert ids[0] == "costing-checklist-for-a-workshop"
    assert "pricing-a-first-workshop" in ids
    people = [s["id"] for s in data["steps"] if s["entry"]["kind"] == "member"]
    assert set(people[:2]) == {"rlindqvist", "apatel"}  # pricing is their listed expertise: met first
    assert "gwozniak" not in people  # also lists pricing, but is alumni
    assert data["saved"] is None
    assert not (sample / "pathways" / "pricing.md").exists()


def test_suggest_save_commits_a_pathway_that_show_walks(alice, sample):
    r = alice.copart("pathway", "suggest", "vat", "--save", "vat-basics", "--limit", "2", cwd=sample)
    assert r.ok, r
    assert "saved pathways/vat-basics.md" in r.stdout
    assert alice.git("status", "--porcelain", cwd=sample) == ""
    assert "pathway: A way into vat" in alice.git("log", "-1", "--format=%s", cwd=sample)
    shown = alice.copart("pathway", "show", "vat-basics", "--json", cwd=sample)
    assert shown.ok, shown
    kinds = [s["entry"]["kind"] for s in shown.json()["steps"]]
    assert kinds.count("practice") <= 2 and kinds.count("story") <= 2 and "member" in kinds
    assert shown.json()["steps"][0]["id"] == "vat-quarter-cash-flow-check"
    before = (sample / "pathways" / "vat-basics.md").read_text()
    again = alice.copart("pathway", "suggest", "vat", "--save", "vat-basics", cwd=sample)
    assert again.code == 1 and "already exists" in again.stderr, again
    assert (sample / "pathways" / "vat-basics.md").read_text() == before


def test_suggest_bad_input(alice, sample):
    r = alice.copart("pathway", "suggest", "underwater basket weaving", cwd=sample)
    assert r.code == 1 and "nothing in the repertoire is about 'underwater basket weaving'" in r.stderr, r
    r = alice.copart("pathway", "suggest", "pricing", "--save", "Not A Name!", cwd=sample)
    assert r.code == 2 and "cannot be a pathway name" in r.stderr, r
    r = alice.copart("pathway", "suggest", "  ", cwd=sample)
    assert r.code == 2, r


def test_progress_counts_steps_read_written_about_and_answered(world):
    michael = world.partner("michael", "michael.okafor@example.org")  # mokafor's profile email
    rep = michael.init("4xp", example=True)
    r = michael.copart("pathway", "progress", "mokafor", "pricing-your-work", "--json", cwd=rep)
    assert r.ok, r
    before = r.json()
    assert before["done"] == 0 and before["total"] == 4 and before["accreditation"] is None
    assert "no shared record of reading" in before["read_record"]  # what copart chose, said where it shows
    other = michael.copart("pathway", "progress", "apatel", "pricing-your-work", "--json", cwd=rep).json()
    assert michael.copart("pathway", "show", "pricing-your-work", "--step", "2", cwd=rep).ok
    r = michael.copart("new", "story", "My first priced workshop", "--no-edit", "--author", "mokafor",
                       "--body", "I followed [[costing-checklist-for-a-workshop]] to the letter.", cwd=rep)
    assert r.ok, r
    r = michael.copart("answer", "how-should-i-price-a-half-day-workshop-for-a-traders-group", "--no-edit",
                       "--author", "mokafor", "--body", "Cost it first, then add a margin.", cwd=rep)
    assert r.ok, r
    r = michael.copart("pathway", "progress", "mokafor", "pricing-your-work", "--json", cwd=rep)
    steps = {s["id"]: s for s in r.json()["steps"]}
    assert steps["costing-checklist-for-a-workshop"]["wrote"] == ["my-first-priced-workshop"]
    assert steps["pricing-a-first-workshop"]["read"] is not None  # read here, by him
    ask = steps["how-should-i-price-a-half-day-workshop-for-a-traders-group"]
    assert ask["answered"] and ask["done"]
    assert not steps["rlindqvist"]["done"]
    assert r.json()["done"] == 3
    # someone else's reading is not his
    again = michael.copart("pathway", "progress", "apatel", "pricing-your-work", "--json", cwd=rep).json()
    assert [s["read"] for s in again["steps"]] == [s["read"] for s in other["steps"]] == [None] * 4
    text = michael.copart("pathway", "progress", "mokafor", "pricing-your-work", cwd=rep).stdout
    assert "3 of 4 steps" in text and "wrote my-first-priced-workshop" in text


def test_progress_bad_input(alice, sample):
    r = alice.copart("pathway", "progress", "mokafor", "no-such-pathway", cwd=sample)
    assert r.code == 1 and r.stderr.startswith("copart: error: no pathway named 'no-such-pathway'")
    r = alice.copart("pathway", "progress", "nobody", "pricing-your-work", cwd=sample)
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: no member with id 'nobody'"
