"""Attacks on the hub: each one pushes through real git to a real `copart hub init` hub.

judith is the coordinator, anjali a partner, both with their own HOME and SSH key; mallory
is a stranger with a key of her own that no profile lists. The hub judges what each ref
would hold, not only the objects new to it, so re-pointing refs at commits the hub already
has is judged like pushing them.
"""

from __future__ import annotations

import pytest

from tests.review_helpers import community, event, join, keygen, person, push, refs, refused, set_frontmatter
from tests.transports import git_daemon, git_http  # noqa: F401  (fixtures)

CONTRIB = "refs/heads/contrib/"


def _stranger(world, c):
    """mallory: a clone of the hub with every ref it serves, and signing set up with her own key."""
    mallory = person(world, "mallory")
    keygen(mallory)
    rep = join(mallory, c.judith.git("remote", "get-url", "origin", cwd=c.coord_rep).strip(),
               world.base / "mallory" / "4xp")
    mallory.git("fetch", "-q", "origin", "+refs/copart/*:refs/copart/*", cwd=rep)
    return mallory, rep


def _contribution(c, title="Pricing a market stall"):
    """anjali captures a story and syncs: her contribution is on the hub."""
    r = c.anjali.copart("new", "story", title, "--no-edit", "--body", "Round up.", cwd=c.partner_rep)
    assert r.ok, r
    assert c.anjali.copart("sync", cwd=c.partner_rep).ok
    branches = refs(c.anjali, c.hub, CONTRIB)
    return next(ref for ref in branches if ref.startswith(CONTRIB + "apatel/")), branches


def _served(world, transport, git_daemon, git_http):
    if transport == "file":
        return community(world)
    server = git_daemon if transport == "git" else git_http
    return community(world, hub_path=server.base / "hub.git", url=server.url("hub.git"))


@pytest.mark.parametrize("transport", ["file", "git", "http"])
def test_a_stranger_creates_a_contribution_ref_from_an_existing_commit(world, transport, request):
    daemon = request.getfixturevalue("git_daemon") if transport == "git" else None
    http = request.getfixturevalue("git_http") if transport == "http" else None
    c = _served(world, transport, daemon, http)
    mine, _ = _contribution(c)
    tip = refs(c.anjali, c.hub, CONTRIB)[mine]
    mallory, mrep = _stranger(world, c)
    # anjali's own signed commit, under another of her contribution names: no new object at all
    refused(mallory, mrep, c.hub, "wrong-contribution", "origin", f"{tip}:refs/heads/contrib/apatel/mine-now/v1")
    # ... or as a next version of the same contribution that anjali never made
    refused(mallory, mrep, c.hub, "wrong-contribution", "origin", f"{tip}:{mine[:-1]}2")
    # the coordinator's signed main, as a contribution of anjali's
    refused(mallory, mrep, c.hub, "namespace", "origin", "refs/remotes/origin/main:refs/heads/contrib/apatel/x/v1")
    assert c.judith.copart("sync", cwd=c.coord_rep).ok
    listed = c.judith.copart("review", "list", "--json", cwd=c.coord_rep).json()
    assert [x["id"] for x in listed] == ["apatel/pricing-a-market-stall"]


def test_a_stranger_moves_a_contribution_ref_onto_an_existing_commit(world):
    c = community(world)
    mine, _ = _contribution(c)
    assert c.judith.copart("sync", cwd=c.coord_rep).ok
    r = c.judith.copart("review", "accept", "apatel/pricing-a-market-stall", cwd=c.coord_rep)
    assert r.ok, r
    assert c.judith.copart("sync", cwd=c.coord_rep).ok  # main is now judith's merge, a child of anjali's tip
    mallory, mrep = _stranger(world, c)
    # a fast-forward to a commit the hub has: the accept merge is judith's, not anjali's
    refused(mallory, mrep, c.hub, "namespace", "origin", f"refs/remotes/origin/main:{mine}")
    # the accepted tip (now part of main) under a new contribution name: it was made for another
    refused(mallory, mrep, c.hub, "wrong-contribution", "origin", f"refs/remotes/origin/{mine[11:]}:"
                                                                 "refs/heads/contrib/apatel/again/v1")


def test_a_review_ref_holds_only_empty_tree_events(world):
    c = community(world)
    mine, _ = _contribution(c)
    anjali, prep = c.anjali, c.partner_rep
    key = "apatel/pricing-a-market-stall"
    tree = anjali.git("rev-parse", "main^{tree}", cwd=prep).strip()
    # a well-formed, signed comment that carries the whole repertoire as its tree
    loaded = event(anjali, prep, "comment", key, "apatel", tree=tree)
    refused(anjali, prep, c.hub, "not-an-event", "origin", f"{loaded}:refs/copart/reviews/{key}")
    # a merge of two events whose tree is not empty
    one, two = event(anjali, prep, "comment", key, "apatel"), event(anjali, prep, "comment", key, "apatel")
    merge = anjali.git("commit-tree", "-S", tree, "-p", one, "-p", two, "-m",
                       "merge review events\n\nCopart-Event: merge", cwd=prep).strip()
    refused(anjali, prep, c.hub, "not-an-event", "origin", f"{merge}:refs/copart/reviews/{key}")
    # the stranger, pointing a review ref at commits the hub already has: main, a contribution
    mallory, mrep = _stranger(world, c)
    refused(mallory, mrep, c.hub, "not-an-event", "origin", f"refs/remotes/origin/main:refs/copart/reviews/{key}")
    refused(mallory, mrep, c.hub, "not-an-event", "origin", f"refs/remotes/origin/{mine[11:]}:refs/copart/reviews/{key}")
    # a real empty-tree comment of anjali's still goes in
    code, err = push(anjali, prep, "origin", f"{one}:refs/copart/reviews/{key}")
    assert code == 0, err


@pytest.mark.parametrize("who", ["stranger-unsigned", "stranger-signed", "stranger-named-anjali", "other-member"])
def test_deleting_someone_elses_contribution_is_refused(world, who):
    c = community(world, keys=("judith", "anjali", "tom"))
    mine, _ = _contribution(c)
    if who == "other-member":  # tom: a member with a key on main, not the contribution's author
        actor, rep = person(world, "tom"), join(person(world, "tom"), c.hub, world.base / "tom" / "4xp")
    else:
        actor, rep = _stranger(world, c)
    if who == "stranger-named-anjali":  # her name and email: the key that signs the push is what counts
        actor.git("config", "user.name", "Anjali Patel", cwd=rep)
        actor.git("config", "user.email", "anjali.patel@example.org", cwd=rep)
    args = ["--signed"] if who != "stranger-unsigned" else []
    err = refused(actor, rep, c.hub, "deletion", *args, "origin", f":{mine}")
    assert "copart hub: refused" in err
    assert mine in refs(c.judith, c.hub, CONTRIB)


def test_deleting_main_or_review_events_is_refused_to_partners(world):
    c = community(world)
    _contribution(c)
    anjali, prep = c.anjali, c.partner_rep
    key = "apatel/pricing-a-market-stall"
    comment = event(anjali, prep, "comment", key, "apatel")
    assert push(anjali, prep, "origin", f"{comment}:refs/copart/reviews/{key}")[0] == 0
    refused(anjali, prep, c.hub, "deletion", "--signed", "origin", f":refs/copart/reviews/{key}")
    refused(c.judith, c.coord_rep, c.hub, "deletion", "--signed", "origin", ":refs/heads/main")


def test_the_hub_refuses_a_main_that_lists_a_key_twice(world):
    # anjali adds judith's PUBLIC key to her own profile; judith waves the gate through
    c = community(world)
    anjali, prep, judith, crep = c.anjali, c.partner_rep, c.judith, c.coord_rep
    judith_key = (judith.home / ".ssh" / "id_ed25519.pub").read_text().split()[:2]
    profile = prep / "members" / "apatel.md"
    keys = [" ".join(judith_key), (anjali.home / ".ssh" / "id_ed25519.pub").read_text().split()[1]]
    set_frontmatter(profile, "ssh_keys", f'["{keys[0]}", "ssh-ed25519 {keys[1]}"]')
    assert anjali.copart("sync", cwd=prep).ok  # the hand edit goes out as a contribution
    assert judith.copart("sync", cwd=crep).ok
    key = next(x["id"] for x in judith.copart("review", "list", "--json", cwd=crep).json())
    gate = judith.copart("review", "accept", key, cwd=crep)
    assert gate.code == 4 and "ssh_keys item 1 is also in the profile of 'jfawcett'" in gate.stderr, gate
    main_before = refs(judith, c.hub, "refs/heads/main")
    assert judith.copart("review", "accept", key, "--ignore-checks", cwd=crep).ok
    r = judith.copart("sync", cwd=crep)
    assert r.code != 0, r
    assert refs(judith, c.hub, "refs/heads/main") == main_before
    # judith's own later pushes are still hers: nothing on the hub counts her key as anjali's
    judith.git("reset", "-q", "--hard", "origin/main", cwd=crep)
    assert judith.copart("new", "story", "Still the coordinator", "--no-edit", "--body", "Yes.", cwd=crep).ok
    assert judith.copart("sync", cwd=crep).ok


def test_main_cannot_list_one_key_in_two_profiles(world):
    c = community(world)
    judith, crep = c.judith, c.coord_rep
    # even the coordinator, signing correctly, cannot make one key name two members on the hub's main
    judith_key = " ".join((judith.home / ".ssh" / "id_ed25519.pub").read_text().split()[:2])
    set_frontmatter(crep / "members" / "apatel.md", "ssh_keys", f'["{judith_key}"]')
    judith.git("commit", "-qam", "anjali signs as judith", cwd=crep)
    err = refused(judith, crep, c.hub, "duplicate-key", "origin", "main:main")
    assert "members/apatel.md and members/jfawcett.md list the same key" in err
