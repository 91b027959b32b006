"""Coordinators review contributions like merge requests, offline, and decisions travel by sync."""

from __future__ import annotations

import subprocess

from tests.review_helpers import community, join, keygen, person, public_key, refs, set_frontmatter

STORY = "apatel/pricing-a-market-stall"


def _story(partner, rep, title="Pricing a market stall", body="We charged too little the first month.", *extra):
    r = partner.copart("new", "story", title, "--no-edit", "--body", body, *extra, "--json", cwd=rep)
    assert r.ok, r
    return r.json()


def _shared(c):
    """anjali contributes a story and syncs; judith syncs and sees it."""
    _story(c.anjali, c.partner_rep)
    c.sync(c.anjali, c.partner_rep)
    c.sync(c.judith, c.coord_rep)


def test_round_trip_partner_coordinator_partner_through_the_hub(world):
    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=crep).strip()
    _story(anjali, prep)
    c.sync(anjali, prep)
    assert anjali.git("rev-parse", "main", cwd=c.hub).strip() == seed  # sync pushed the branch, not main

    c.sync(judith, crep)
    listed = judith.copart("review", "list", "--json", cwd=crep).json()
    assert [(x["id"], x["member"], x["entries"], x["state"], x["checks"], x["signature"]) for x in listed] == [
        (STORY, "apatel", ["pricing-a-market-stall"], "pending", "ok", "signed")]
    text = judith.copart("review", "list", cwd=crep).stdout
    assert STORY in text and "signed" in text
    shown = judith.copart("review", "show", "pricing-a-market-stall", cwd=crep)
    assert shown.ok, shown
    assert "merges cleanly into main" in shown.stdout and "We charged too little" in shown.stdout
    assert "+title: Pricing a market stall" in shown.stdout  # the diff against main

    assert judith.copart("review", "comment", STORY, "Lovely - can you add the numbers later?", cwd=crep).ok
    r = judith.copart("review", "accept", STORY, "--json", cwd=crep)
    assert r.ok, r
    merge = r.json()["commit"]
    assert judith.git("rev-parse", "main", cwd=crep).strip() == merge
    assert judith.git("log", "-1", "--format=%P", merge, cwd=crep).split()[0] == seed  # --no-ff: two parents
    message = judith.git("log", "-1", "--format=%B", merge, cwd=crep)
    assert "Reviewed-by: Judith Fawcett <judith.fawcett@example.org>" in message
    assert f"Contribution: {STORY}" in message and "Contribution-Version: 1" in message
    assert judith.git("log", "-1", "--format=%G? %GS", merge, cwd=crep).strip() == "G jfawcett"
    assert (crep / "stories" / "pricing-a-market-stall.md").is_file()  # her work tree follows main
    assert not judith.git("status", "--porcelain", cwd=crep).strip()

    c.sync(judith, crep)
    assert judith.git("rev-parse", "main", cwd=c.hub).strip() == merge  # the hub took the signed merge
    c.sync(anjali, prep)
    mine = anjali.copart("contribute", "list", "--json", cwd=prep).json()[0]
    assert mine["state"] == "accepted"
    assert [e["type"] for e in mine["events"]] == ["comment", "accept"]
    assert "numbers later" in mine["events"][0]["text"]
    entry = [e for e in anjali.copart("list", "--json", cwd=prep).json() if e["id"] == "pricing-a-market-stall"][0]
    assert "pending" not in entry  # on main now
    assert not anjali.git("status", "--porcelain", cwd=prep).strip()
    verified = judith.copart("verify", "--since", seed, "--json", cwd=crep)
    assert verified.ok, verified
    assert verified.json()["ok"] is True and verified.json()["checked"] >= 2


def test_reject_with_reason_reaches_the_partner_and_keeps_the_text(world):
    c = community(world)
    _shared(c)
    r = c.judith.copart("review", "reject", STORY, cwd=c.coord_rep)
    assert r.code == 2 and "--reason" in r.stderr
    r = c.judith.copart("review", "reject", STORY, "--reason", "We keep client names out of stories.", cwd=c.coord_rep)
    assert r.ok, r
    assert c.judith.copart("review", "list", "--json", cwd=c.coord_rep).json() == []
    assert c.judith.copart("review", "list", "--all", "--json", cwd=c.coord_rep).json()[0]["state"] == "rejected"
    c.sync(c.judith, c.coord_rep)
    c.sync(c.anjali, c.partner_rep)
    mine = c.anjali.copart("contribute", "list", "--json", cwd=c.partner_rep).json()[0]
    assert mine["state"] == "rejected" and "client names" in mine["events"][-1]["text"]
    assert not (c.partner_rep / "stories" / "pricing-a-market-stall.md").exists()
    tip = refs(c.anjali, c.partner_rep, "refs/heads/contrib/")["refs/heads/contrib/apatel/pricing-a-market-stall/v1"]
    assert b"We charged too little" in c.anjali.git("show", f"{tip}:stories/pricing-a-market-stall.md", cwd=c.partner_rep).encode()


def test_only_coordinators_decide_and_never_on_their_own_work_when_another_exists(world):
    c = community(world, keys=("judith", "anjali", "tom"), coordinators=("judith", "tom"))
    _shared(c)
    r = c.anjali.copart("review", "accept", STORY, cwd=c.partner_rep)
    assert r.code == 1 and "only a coordinator" in r.stderr
    r = c.anjali.copart("review", "request-changes", STORY, "more", cwd=c.partner_rep)
    assert r.code == 1 and "only a coordinator" in r.stderr
    # judith's own contribution needs tom
    _story(c.judith, c.coord_rep, "Judith's own story", "Something I learned.")
    r = c.judith.copart("review", "accept", "jfawcett/judiths-own-story", cwd=c.coord_rep)
    assert r.code == 4, r
    assert "your own contribution" in r.stderr and "tbrennan" in r.stderr
    assert not r.stdout


def test_accept_refuses_failing_checks_unless_told(world):
    c = community(world)
    _story(c.anjali, c.partner_rep, "A story with a bad link", "See [[no-such-entry]].")
    c.sync(c.anjali, c.partner_rep)
    c.sync(c.judith, c.coord_rep)
    listed = c.judith.copart("review", "list", "--json", cwd=c.coord_rep).json()
    assert listed[0]["checks"] == "1 problem"
    main = c.judith.git("rev-parse", "main", cwd=c.coord_rep)
    r = c.judith.copart("review", "accept", "a-story-with-a-bad-link", cwd=c.coord_rep)
    assert r.code == 4, r
    assert "fails checks" in r.stderr and "no-such-entry" in r.stderr and "--ignore-checks" in r.stderr
    assert c.judith.git("rev-parse", "main", cwd=c.coord_rep) == main
    r = c.judith.copart("review", "accept", "a-story-with-a-bad-link", "--ignore-checks", cwd=c.coord_rep)
    assert r.ok, r


def test_a_contribution_that_conflicts_with_main(world):
    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    # both change the same story from the same main
    r = anjali.copart("edit", "pricing-a-first-workshop", "--title", "Pricing a first workshop (Anjali)", cwd=prep)
    assert r.ok, r
    c.sync(anjali, prep)
    r = judith.copart("edit", "pricing-a-first-workshop", "--title", "Pricing our first workshop", cwd=crep)
    assert r.ok, r
    assert judith.copart("review", "accept", "jfawcett/pricing-a-first-workshop", cwd=crep).ok  # sole coordinator
    c.sync(judith, crep)

    key = "apatel/pricing-a-first-workshop"
    shown = judith.copart("review", "show", key, "--json", cwd=crep).json()
    assert shown["mergeable"] is False and shown["conflicts"] == ["stories/pricing-a-first-workshop.md"]
    assert judith.copart("review", "list", "--json", cwd=crep).json()[0]["checks"] == "conflicts"
    main = judith.git("rev-parse", "main", cwd=crep)
    r = judith.copart("review", "accept", key, cwd=crep)
    assert r.code == 4 and "does not merge cleanly" in r.stderr and "--prefer" in r.stderr
    assert judith.git("rev-parse", "main", cwd=crep) == main and not judith.git("status", "--porcelain", cwd=crep)

    # the partner revises onto today's main; v2 merges cleanly
    assert judith.copart("review", "request-changes", key, "Judith retitled it meanwhile; please revise.", cwd=crep).ok
    c.sync(judith, crep)
    c.sync(anjali, prep)
    r = anjali.copart("contribute", "revise", key, cwd=prep)
    assert r.ok, r
    c.sync(anjali, prep)
    c.sync(judith, crep)
    shown = judith.copart("review", "show", key, "--json", cwd=crep).json()
    assert (shown["version"], shown["mergeable"]) == (2, True)
    r = judith.copart("review", "accept", key, cwd=crep)
    assert r.ok, r
    assert "title: Pricing a first workshop (Anjali)" in (crep / "stories" / "pricing-a-first-workshop.md").read_text()


def test_accept_with_prefer_resolves_a_conflict(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    anjali = person(world, "anjali")
    prep = join(anjali, rep, world.base / "anjali" / "4xp")
    assert anjali.copart("edit", "pricing-a-first-workshop", "--title", "Anjali's title", cwd=prep).ok
    assert judith.copart("edit", "pricing-a-first-workshop", "--title", "Judith's title", cwd=rep).ok
    assert judith.copart("review", "accept", "jfawcett/pricing-a-first-workshop", cwd=rep).ok
    # a USB stick: judith fetches anjali's clone directly
    judith.git("fetch", "-q", str(prep), "+refs/heads/contrib/*:refs/remotes/stick/contrib/*", cwd=rep)
    r = judith.copart("review", "accept", "apatel/pricing-a-first-workshop", "--prefer", "contribution", cwd=rep)
    assert r.ok, r
    assert "title: Anjali's title" in (rep / "stories" / "pricing-a-first-workshop.md").read_text()
    assert "Conflicts-Resolved: contribution" in judith.git("log", "-1", "--format=%B", cwd=rep)


def test_two_coordinators_comment_offline_at_once(world):
    c = community(world, keys=("judith", "anjali", "tom"), coordinators=("judith", "tom"))
    _shared(c)
    tom = person(world, "tom")
    trep = join(tom, c.hub, world.base / "tom" / "4xp")
    c.sync(tom, trep)
    # both comment with no network between them
    assert c.judith.copart("review", "comment", STORY, "Judith: good start.", cwd=c.coord_rep).ok
    assert tom.copart("review", "comment", STORY, "Tom: agree, add the costs.", cwd=trep).ok
    c.sync(c.judith, c.coord_rep)
    c.sync(tom, trep)  # its events ref diverged from the hub's: merged, not conflicted, not forced
    c.sync(c.judith, c.coord_rep)
    c.sync(c.anjali, c.partner_rep)
    for who, rep in ((c.judith, c.coord_rep), (tom, trep), (c.anjali, c.partner_rep)):
        events = who.copart("contribute" if who is c.anjali else "review", "show", STORY, "--json", cwd=rep).json()["events"]
        assert sorted(e["text"] for e in events) == ["Judith: good start.", "Tom: agree, add the costs."], who.name
    parents = tom.git("log", "-1", "--format=%P", f"refs/copart/reviews/{STORY}", cwd=c.hub).split()
    assert len(parents) == 2  # the two lines of events joined by a merge


def test_a_contribution_from_a_member_with_no_key(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    rosa = person(world, "rosa")  # a member, but her profile has no ssh_keys
    rrep = join(rosa, rep, world.base / "rosa" / "4xp")
    r = rosa.copart("new", "story", "Rosa's first story", "--no-edit", "--body", "Hello.", cwd=rrep)
    assert r.ok, r
    judith.git("fetch", "-q", str(rrep), "+refs/heads/contrib/*:refs/remotes/stick/contrib/*", cwd=rep)
    listed = judith.copart("review", "list", "--json", cwd=rep).json()
    assert [(x["id"], x["signature"]) for x in listed] == [("rlindqvist/rosas-first-story", "no-key")]
    r = judith.copart("review", "accept", "rosas-first-story", cwd=rep)
    assert r.code == 4, r
    assert r.stderr.splitlines()[0] == ("copart: error: rlindqvist/rosas-first-story is not properly signed "
                                        "(no-key): rlindqvist has no ssh_keys on main")


def test_accept_needs_signing_set_up(world):
    c = community(world, hub=False)
    c.judith.git("config", "--unset", "user.signingkey", cwd=c.coord_rep)
    anjali = person(world, "anjali")
    prep = join(anjali, c.coord_rep, world.base / "anjali" / "4xp")
    _story(anjali, prep)
    c.judith.git("fetch", "-q", str(prep), "+refs/heads/contrib/*:refs/remotes/stick/contrib/*", cwd=c.coord_rep)
    r = c.judith.copart("review", "accept", STORY, cwd=c.coord_rep)
    assert r.code == 1 and "signing is not set up" in r.stderr and "copart setup-signing" in r.stderr


def test_a_symbolic_link_cannot_pass_as_an_entry(world):
    """A link's blob is its target path; one whose 'target' reads as frontmatter is still refused."""
    c = community(world, hub=False)
    j, rep = c.judith, c.coord_rep
    fake = "---\nid: sneaky\nkind: story\ntitle: Sneaky\nauthor: apatel\ncreated: 2026-01-01\n---\nHi.\n"
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=rep, env=j.env, input=fake,
                          capture_output=True, text=True, check=True).stdout.strip()
    j.git("checkout", "-q", "-b", "contrib/apatel/sneaky/v1", cwd=rep)
    j.git("update-index", "--add", "--cacheinfo", f"120000,{blob},stories/sneaky.md", cwd=rep)
    j.git("commit", "-q", "--no-verify", "-m", "story: add sneaky", cwd=rep)
    j.git("checkout", "-q", "-f", "main", cwd=rep)
    listed = j.copart("review", "list", "--json", cwd=rep).json()
    mine = next(x for x in listed if x["id"] == "apatel/sneaky")
    assert mine["checks"] == "1 problem", mine
    r = j.copart("review", "show", "apatel/sneaky", cwd=rep)
    assert "not a plain file" in r.stdout + r.stderr, r


def test_a_nested_entry_in_a_contribution_is_checked_like_any_other(world):
    # stories/field-notes/x.md is an entry on every partner's machine (list, ask, site), so
    # the review gate must judge it, not wave it through as "not an entry"
    c = community(world)
    nested = c.partner_rep / "stories" / "field-notes" / "a-nested-story.md"
    nested.parent.mkdir()
    nested.write_text("---\nid: a-nested-story\nkind: story\ntitle: A nested story\nauthor: apatel\n"
                      "created: 2026-01-05T10:00:00Z\n---\nSee [[no-such-entry]].\n")
    c.sync(c.anjali, c.partner_rep)
    c.sync(c.judith, c.coord_rep)
    listed = c.judith.copart("review", "list", "--json", cwd=c.coord_rep).json()
    assert [x["entries"] for x in listed] == [["a-nested-story"]]
    assert listed[0]["checks"] == "1 problem"
    r = c.judith.copart("review", "accept", listed[0]["id"], cwd=c.coord_rep)
    assert r.code == 4 and "no-such-entry" in r.stderr, r
