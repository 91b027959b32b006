"""Partners under `review: coordinators`: captures become contributions, never touching main."""

from __future__ import annotations

from tests.review_helpers import community, refs


def _story(partner, rep, title="Pricing a market stall", body="We charged too little the first month."):
    r = partner.copart("new", "story", title, "--no-edit", "--body", body, "--topic", "pricing", "--json", cwd=rep)
    assert r.ok, r
    return r.json()


def test_the_writer_is_told_a_capture_went_to_a_contribution(world):
    c = community(world, hub=False)
    r = c.judith.copart("new", "story", "A stall", "--no-edit", "--body", "Told as it happened.", cwd=c.coord_rep)
    assert r.ok, r
    assert r.stdout.splitlines()[1].strip().startswith("a contribution: on main once a coordinator accepts it")


def test_a_capture_lands_on_a_contribution_branch_and_stays_visible_as_pending(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    main_before = judith.git("rev-parse", "main", cwd=rep).strip()

    made = _story(judith, rep)

    assert made["action"] == "created" and made["pending"] is True
    branch = "refs/heads/contrib/jfawcett/pricing-a-market-stall/v1"
    assert refs(judith, rep, "refs/heads/contrib/") == {branch: made["commit"]}
    assert judith.git("rev-parse", "main", cwd=rep).strip() == main_before  # main untouched
    assert judith.git("symbolic-ref", "--short", "HEAD", cwd=rep).strip() == "main"  # no branch switch
    assert "stories/pricing-a-market-stall.md" in judith.git("show", "--name-only", made["commit"], cwd=rep)
    # the partner still sees the entry, marked pending
    listed = {e["id"]: e for e in judith.copart("list", "--json", cwd=rep).json()}
    assert listed["pricing-a-market-stall"].get("pending") is True
    assert "pending" not in listed["pricing-a-first-workshop"]
    shown = judith.copart("show", "pricing-a-market-stall", cwd=rep)
    assert "pending review" in shown.stdout
    plain = judith.copart("list", "--kind", "story", cwd=rep).stdout
    assert "Pricing a market stall (pending review)" in plain
    # the commit is signed with her key, and git can verify it against the profiles on main
    judith.git("verify-commit", made["commit"], cwd=rep)

    # a further edit extends the same contribution (same version, one more commit)
    r = judith.copart("edit", "pricing-a-market-stall", "--tag", "lesson", "--json", cwd=rep)
    assert r.ok, r
    assert refs(judith, rep, "refs/heads/contrib/") == {branch: r.json()["commit"]}
    assert judith.git("rev-parse", f"{r.json()['commit']}^", cwd=rep).strip() == made["commit"]
    assert judith.git("rev-parse", "main", cwd=rep).strip() == main_before

    # another entry is another contribution
    _story(judith, rep, "A second story", "Another thing that happened.")
    mine = judith.copart("contribute", "list", "--json", cwd=rep).json()
    assert sorted(x["id"] for x in mine) == ["jfawcett/a-second-story", "jfawcett/pricing-a-market-stall"]
    assert {x["state"] for x in mine} == {"pending"}

    # rm of a pending entry points at withdraw instead of silently dropping it
    r = judith.copart("rm", "a-second-story", cwd=rep)
    assert r.code == 1 and "waiting for review" in r.stderr and "contribute withdraw" in r.stderr
    assert (rep / "stories/a-second-story.md").exists()


def test_contribute_list_show_and_withdraw(world):
    c = community(world)
    anjali, rep = c.anjali, c.partner_rep
    _story(anjali, rep)

    listed = anjali.copart("contribute", "list", "--json", cwd=rep).json()
    assert [(x["id"], x["state"], x["version"], x["entries"]) for x in listed] == [
        ("apatel/pricing-a-market-stall", "pending", 1, ["pricing-a-market-stall"])]
    shown = anjali.copart("contribute", "show", "pricing-a-market-stall", "--json", cwd=rep).json()
    assert shown["mergeable"] is True and shown["checks"]["ok"] is True
    assert shown["signature"] == "signed"
    assert "+We charged too little" in shown["diff"]
    text = anjali.copart("contribute", "show", "pricing-a-market-stall", cwd=rep).stdout
    assert "merges cleanly into main" in text and "Thread (0)" in text

    r = anjali.copart("contribute", "withdraw", "pricing-a-market-stall", "--reason", "posted too early", cwd=rep)
    assert r.ok, r
    assert "withdrew apatel/pricing-a-market-stall" in r.stdout
    # the file leaves the work tree (its text stays on the branch); nothing is deleted from git
    assert not (rep / "stories" / "pricing-a-market-stall.md").exists()
    assert "refs/heads/contrib/apatel/pricing-a-market-stall/v1" in refs(anjali, rep, "refs/heads/contrib/")
    state = anjali.copart("contribute", "list", "--json", cwd=rep).json()[0]
    assert state["state"] == "withdrawn" and state["events"][-1]["text"] == "posted too early"
    again = anjali.copart("contribute", "withdraw", "pricing-a-market-stall", cwd=rep)
    assert again.code == 1 and "is withdrawn" in again.stderr


def test_changes_requested_then_revised_as_a_new_version_nothing_rewritten(world):
    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    _story(anjali, prep)
    c.sync(anjali, prep)
    c.sync(judith, crep)
    r = judith.copart("review", "request-changes", "apatel/pricing-a-market-stall", "Please add the prices you used.", cwd=crep)
    assert r.ok, r
    c.sync(judith, crep)
    c.sync(anjali, prep)

    mine = anjali.copart("contribute", "list", "--json", cwd=prep).json()[0]
    assert mine["state"] == "changes_requested"
    assert mine["events"][-1]["by"] == "jfawcett" and "prices you used" in mine["events"][-1]["text"]
    assert "jfawcett: Please add the prices" in anjali.copart("contribute", "list", cwd=prep).stdout
    v1 = refs(anjali, prep, "refs/heads/contrib/")["refs/heads/contrib/apatel/pricing-a-market-stall/v1"]

    # her next edit becomes v2, started from today's main; v1 is left as it was
    r = anjali.copart("edit", "pricing-a-market-stall", "--body", "We charged £20 a day; £35 covered costs.", cwd=prep)
    assert r.ok, r
    branches = refs(anjali, prep, "refs/heads/contrib/")
    assert branches["refs/heads/contrib/apatel/pricing-a-market-stall/v1"] == v1
    v2 = branches["refs/heads/contrib/apatel/pricing-a-market-stall/v2"]
    assert anjali.git("rev-parse", f"{v2}^", cwd=prep).strip() == anjali.git("rev-parse", "main", cwd=prep).strip()
    mine = anjali.copart("contribute", "list", "--json", cwd=prep).json()[0]
    assert (mine["state"], mine["version"]) == ("pending", 2)

    # an explicit revise makes v3
    r = anjali.copart("contribute", "revise", "pricing-a-market-stall", "-m", "rebased", "--json", cwd=prep)
    assert r.ok, r
    assert r.json()["version"] == 3
    c.sync(anjali, prep)
    on_hub = refs(anjali, c.hub, "refs/heads/contrib/")
    assert {ref.rsplit("/", 1)[-1] for ref in on_hub} == {"v1", "v2", "v3"}
    assert on_hub["refs/heads/contrib/apatel/pricing-a-market-stall/v1"] == v1  # never force-pushed


def test_unknown_contribution_is_one_clear_line(world):
    c = community(world, hub=False)
    for args in (("contribute", "show", "no-such-thing"), ("review", "accept", "x/no-such-thing"),
                 ("review", "comment", "nope", "hello"), ("contribute", "withdraw", "nope")):
        r = c.judith.copart(*args, cwd=c.coord_rep)
        assert r.code == 1, r
        assert r.stderr.startswith("copart: error: no contribution") and "Traceback" not in r.stderr
    r = c.judith.copart("contribute", "list", "--state", "bogus", cwd=c.coord_rep)
    assert r.code == 2 and "unknown state" in r.stderr
