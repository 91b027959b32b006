"""Attacks on signed membership: one key in two profiles, history that authorises itself,
and an author field that names someone else than the key that signed.

Real partners (own HOME, own ed25519 key, git signing with gpg.format=ssh), real commits.
"""

from __future__ import annotations

import pytest

from tests.review_helpers import community, event, join, keygen, person, public_key, set_frontmatter


def test_a_key_in_two_profiles_is_a_check_problem_and_signs_for_nobody(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    # anjali's profile now also lists judith's PUBLIC key (anyone can copy a public key)
    set_frontmatter(rep / "members" / "apatel.md", "ssh_keys", f'["{public_key(judith)}"]')
    r = judith.copart("check", cwd=rep)
    assert r.code == 4, r
    assert "members/apatel.md:" in r.stdout and "ssh_keys item 1 is also in the profile of 'jfawcett'" in r.stdout
    assert "members/jfawcett.md:" in r.stdout and "ssh_keys item 1 is also in the profile of 'apatel'" in r.stdout
    # committed anyway (no hub in this community): judith's next commit does not become anjali's
    judith.git("commit", "-qam", "anjali's key", cwd=rep)
    (rep / "stories" / "signed-by-the-coordinator.md").write_text("---\nid: signed-by-the-coordinator\nkind: story\n"
                                                                   "title: Me\nauthor: jfawcett\n---\nMe.\n")
    judith.git("add", "-A", cwd=rep)
    judith.git("commit", "-qm", "a story of judith's, on main", cwd=rep)
    r = judith.copart("verify", "--since", seed, "--json", cwd=rep)
    assert r.code == 4, r
    problems = r.json()["problems"]
    assert {p["problem"] for p in problems} == {"duplicate-key"}
    assert any("in the profiles of apatel and jfawcett" in p["detail"] for p in problems)
    assert not any("wrong-member" == p["problem"] or "signed by apatel" in p["detail"] for p in problems)
    # and the key names nobody in the allowed_signers file git checks with
    signers = (rep / ".git" / "copart" / "allowed_signers").read_text()
    assert public_key(judith) not in signers


def _mallory_commits(world, c, change) -> str:
    """mallory, with a clone of judith's repertoire and her own key, commits CHANGE on main; judith pulls it."""
    mallory = person(world, "mallory")
    keygen(mallory)
    mrep = join(mallory, c.coord_rep, world.base / "mallory" / "4xp")
    change(mallory, mrep)
    mallory.git("add", "-A", cwd=mrep)
    mallory.git("commit", "-qm", "members: a new coordinator", cwd=mrep)
    sha = mallory.git("rev-parse", "HEAD", cwd=mrep).strip()
    assert mallory.git("log", "-1", "--format=%G?", sha, cwd=mrep).strip() in ("G", "U")  # really signed
    c.judith.git("fetch", "-q", str(mrep), "main", cwd=c.coord_rep)
    c.judith.git("merge", "-q", "--ff-only", "FETCH_HEAD", cwd=c.coord_rep)
    return sha


def _new_coordinator(mallory, mrep):
    (mrep / "members" / "mallory.md").write_text(
        "---\nid: mallory\nkind: member\nname: Mallory\nemail: mallory@example.net\nroles: [coordinator]\n"
        f'ssh_keys: ["{public_key(mallory)}"]\n---\nI run this now.\n')


def _key_on_coordinator(mallory, mrep):
    profile = mrep / "members" / "jfawcett.md"
    text = profile.read_text()
    judith_key = next(line for line in text.splitlines() if line.startswith("ssh_keys:"))
    profile.write_text(text.replace(judith_key, judith_key.replace('"]', f'", "{public_key(mallory)}"]')))


@pytest.mark.parametrize("change", [_new_coordinator, _key_on_coordinator], ids=["new-coordinator", "key-on-coordinator"])
def test_verify_refuses_a_commit_that_authorises_its_own_signer(world, change):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    sha = _mallory_commits(world, c, change)
    r = judith.copart("verify", "--since", seed, "--json", cwd=rep)
    assert r.code == 4, r
    found = {p["commit"]: p for p in r.json()["problems"]}
    assert found[sha]["problem"] == "unknown-key"
    assert "in no member profile on its first parent" in found[sha]["detail"]
    text = judith.copart("verify", "--since", seed, cwd=rep)
    assert text.code == 4 and sha[:10] in text.stdout and "members: a new coordinator" in text.stdout


def test_verify_refuses_a_second_root_commit_that_founds_its_own_roster(world):
    # mallory starts a repertoire of her own where she is the coordinator; judith merges it in (signed by her)
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    mallory = person(world, "mallory")
    keygen(mallory)
    mine = mallory.init("own", example=False, community="Mine")
    assert mallory.copart("setup-signing", cwd=mine).ok
    _new_coordinator(mallory, mine)
    mallory.git("add", "-A", cwd=mine)
    mallory.git("commit", "-q", "--amend", "-m", "my own founding", cwd=mine)
    root = mallory.git("rev-parse", "HEAD", cwd=mine).strip()
    judith.git("fetch", "-q", str(mine), "main", cwd=rep)
    judith.git("merge", "-q", "--allow-unrelated-histories", "-X", "ours", "-m", "merge", "FETCH_HEAD", cwd=rep)
    r = judith.copart("verify", "--since", seed, "--json", cwd=rep)
    assert r.code == 4, r
    found = {p["commit"]: p for p in r.json()["problems"]}
    assert found[root]["problem"] == "unknown-key" and "second root commit" in found[root]["detail"]


def test_a_forged_author_is_credited_to_the_signer(world):
    c = community(world)
    anjali, prep, judith, crep = c.anjali, c.partner_rep, c.judith, c.coord_rep
    # anjali's commits carry judith's email as their author, and her story says judith wrote it
    anjali.git("config", "author.email", "judith.fawcett@example.org", cwd=prep)
    r = anjali.copart("new", "story", "Underpricing the market stall", "--author", "jfawcett", "--no-edit",
                      "--body", "Price everything at cost; volume makes up for it.", cwd=prep)
    assert r.ok, r
    assert anjali.copart("sync", cwd=prep).ok
    assert judith.copart("sync", cwd=crep).ok
    key = "apatel/underpricing-the-market-stall"
    assert anjali.git("log", "-1", "--format=%ae", f"contrib/{key}/v1", cwd=prep).strip() == "judith.fawcett@example.org"
    # the coordinator reviewing it sees that the author fields are not the signer's
    shown = judith.copart("review", "show", key, cwd=crep)
    assert shown.ok, shown
    assert "author email judith.fawcett@example.org is jfawcett's, but apatel signed it" in shown.stdout
    assert "says author: jfawcett, but apatel signed it" in shown.stdout
    assert judith.copart("review", "show", key, "--json", cwd=crep).json()["authorship"]
    assert judith.copart("review", "accept", key, cwd=crep).ok
    # once on main: digest, stats and who credit anjali, whose key signed it
    digest = judith.copart("digest", "--since", "7d", "--json", cwd=crep).json()
    new = [e for e in digest["new"] if e["id"] == "underpricing-the-market-stall"]
    assert new and new[0]["author"] == "apatel"
    credited = {p["id"]: p["new"] for p in digest["contributors"]}
    assert credited.get("apatel") == 1 and not credited.get("jfawcett")
    stats = judith.copart("stats", "--json", cwd=crep).json()
    assert stats["members"]["contributed_last_90_days"] == 2  # judith (her own commits) and anjali
    who = judith.copart("who", "underpricing market stall", "--json", cwd=crep)
    assert who.ok, who
    people = {p["id"]: p for p in who.json()["people"]}
    assert any("Underpricing the market stall" in e for e in people["apatel"]["evidence"])
    assert not any("Underpricing" in e for e in people.get("jfawcett", {}).get("evidence", []))
    mine = judith.copart("who", "@apatel", "--json", cwd=crep).json()["people"][0]["evidence"]
    theirs = judith.copart("who", "@jfawcett", "--json", cwd=crep).json()["people"][0]["evidence"]
    assert any("Underpricing" in e for e in mine) and not any("Underpricing" in e for e in theirs)


def _forge(partner, bare, key: str, kind: str, by: str) -> None:
    """An unsigned review event in BY's name, written straight into a remote that has no hook."""
    ref = f"refs/copart/reviews/{key}"
    parent = partner.git("rev-parse", "-q", "--verify", ref, cwd=bare, check=False).strip() or None
    partner.git("update-ref", ref, event(partner, bare, kind, key, by, parent, sign=False), cwd=bare)


def test_a_decision_forged_in_a_coordinators_name_counts_for_nothing(world, tmp_path):
    c = community(world)
    anjali, prep, judith = c.anjali, c.partner_rep, c.judith
    r = anjali.copart("new", "story", "Market stall pricing", "--no-edit", "--body", "What I charge, and why.", cwd=prep)
    assert r.ok, r
    c.sync(anjali, prep)
    key = "apatel/market-stall-pricing"
    # a copy of the hub on a USB stick: a plain bare repository, no hook to check who wrote what
    usb = tmp_path / "usb.git"
    judith.git("clone", "-q", "--mirror", str(c.hub), str(usb), cwd=tmp_path)
    (usb / "hooks" / "pre-receive").unlink(missing_ok=True)
    _forge(judith, usb, key, "reject", "jfawcett")  # judith has a key: this is not her signature
    _forge(judith, usb, key, "request_changes", "rlindqvist")  # rosa is no coordinator
    anjali.git("remote", "add", "usb", str(usb), cwd=prep)
    r = anjali.copart("sync", "--remote", "usb", "--json", cwd=prep)
    assert r.ok, r
    assert r.json().get("for_you", []) == []  # nothing to report: no real decision arrived
    listed = anjali.copart("contribute", "list", "--json", cwd=prep).json()
    assert [(x["id"], x["state"]) for x in listed] == [(key, "pending")]
    assert (prep / "stories" / "market-stall-pricing.md").exists()  # the pending story stays in her work tree
    events = anjali.copart("contribute", "show", key, "--json", cwd=prep).json()["events"]
    assert [(e["type"], e["doubt"]) for e in events] == [
        ("reject", "not signed with jfawcett's key"), ("request_changes", "rlindqvist is not a coordinator")]
    shown = anjali.copart("contribute", "show", key, cwd=prep)
    assert "ignored: not signed with jfawcett's key" in shown.stdout
    # judith's own decision, signed with her key, is one that counts
    assert judith.copart("sync", cwd=c.coord_rep).ok
    r = judith.copart("review", "request-changes", key, "Say what the pitch costs.", cwd=c.coord_rep)
    assert r.ok, r
    r = judith.copart("sync", cwd=c.coord_rep)
    assert r.ok, r.stderr
    r = anjali.copart("sync", "--json", cwd=prep)
    assert r.ok, r.stderr
    assert [(n["kind"], n["by"]) for n in r.json()["for_you"]] == [("request_changes", "jfawcett")]
    listed = anjali.copart("contribute", "list", "--json", cwd=prep).json()
    assert [x["state"] for x in listed] == ["changes_requested"]
