"""`copart sync` between partners over a bare folder: the whole round, offline, retries, --json."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.synckit import add_story, clean, head, ids, join, start_hub


def test_a_story_travels_from_bob_to_alice(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    new_id = add_story(bob, rep_b, "A supplier who paid late")
    r = bob.copart("sync", cwd=rep_b)
    assert r.ok, r
    assert "out to origin: 1 commit" in r.stdout

    r = alice.copart("sync", cwd=rep_a)
    assert r.ok, r
    assert "in from origin: 1 commit by" in r.stdout and new_id in r.stdout
    assert (rep_a / "stories" / f"{new_id}.md").is_file()
    assert head(alice, rep_a) == head(bob, rep_b)

    r = alice.copart("sync", cwd=rep_a)
    assert r.ok and "up to date with origin" in r.stdout, r


def test_edits_made_outside_copart_are_checked_then_committed(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nAdded in a plain editor.\n")
    broken = rep_a / "stories" / "half-written.md"
    broken.write_text("---\ntitle: [unclosed\n---\nnotes\n")

    r = alice.copart("sync", "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert out["committed"]["paths"] == ["stories/pricing-a-first-workshop.md"]
    assert [p["path"] for p in out["invalid"]] == ["stories/half-written.md"]
    assert "half-written" in r.stderr or out["invalid"]
    # the invalid file is still there, uncommitted, and did not go to the hub
    assert broken.read_text().startswith("---\ntitle: [unclosed")
    assert "?? stories/half-written.md" in alice.git("status", "--porcelain", cwd=rep_a)

    r = bob.copart("sync", cwd=rep_b)
    assert r.ok, r
    assert "Added in a plain editor." in (rep_b / "stories" / "pricing-a-first-workshop.md").read_text()
    assert not (rep_b / "stories" / "half-written.md").exists()


def test_offline_keeps_local_commits_and_sends_them_later(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    add_story(alice, rep_a, "Written on the train")
    add_story(alice, rep_a, "Written at a client")
    before = head(alice, rep_a)
    hub = Path(hub)
    gone = hub.parent / "unplugged.git"
    shutil.move(hub, gone)  # the USB disk / network is gone

    r = alice.copart("sync", cwd=rep_a)
    assert r.code == 3, r
    assert "offline: 2 local commits kept, they will go out at the next sync" in r.stdout
    assert "Traceback" not in r.stderr
    assert head(alice, rep_a) == before and clean(alice, rep_a)
    # everything else still works offline
    assert alice.copart("list", cwd=rep_a).ok
    st = alice.copart("status", "--json", cwd=rep_a).json()
    assert st["remotes"][0]["ahead"] == 2

    shutil.move(gone, hub)
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok and "out to origin: 2 commits" in r.stdout, r
    assert bob.copart("sync", cwd=rep_b).ok
    assert "written-on-the-train" in ids(bob, rep_b)


def test_a_partner_who_synced_first_is_integrated_then_pushed_to(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    add_story(alice, rep_a, "Story from Alice")
    add_story(bob, rep_b, "Story from Bob")
    assert bob.copart("sync", cwd=rep_b).ok
    r = alice.copart("sync", "--json", cwd=rep_a)  # her view of the hub is stale: the push is rejected once
    assert r.ok, r
    out = r.json()
    assert out["outgoing"]["pushed"] and out["incoming"]["commits"] == 1
    assert [f["id"] for f in out["incoming"]["files"]] == ["story-from-bob"]
    assert bob.copart("sync", cwd=rep_b).ok
    assert head(alice, rep_a) == head(bob, rep_b)
    assert {"story-from-alice", "story-from-bob"} <= set(ids(bob, rep_b))


def test_a_hub_that_says_another_push_overtook_ours_is_a_lost_race_not_a_refusal(world):
    # a copart hub refuses, before judging it, a push to main that another push overtook
    # (hooks/pre_receive.py main_moved): sync fetches and pushes again, as after any lost race
    alice = world.partner("alice")
    rep, hub = start_hub(world, alice)
    hook = Path(hub) / "hooks" / "pre-receive"
    hook.write_text('#!/bin/sh\nif [ ! -e raced ]; then touch raced\n'
                    'echo "copart hub: refused refs/heads/main: main-moved: another push moved main while this one '
                    'was on its way; fetch and push again" >&2; exit 1; fi\n')
    hook.chmod(0o755)
    add_story(alice, rep, "Story from Alice")
    r = alice.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    assert r.json()["outgoing"]["pushed"] and (Path(hub) / "raced").exists()
    assert alice.git("rev-parse", "main", cwd=hub).strip() == head(alice, rep)


def test_no_push_brings_in_but_sends_nothing(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    rep_b = join(bob, hub)
    add_story(bob, rep_b, "News from Bob")
    assert bob.copart("sync", cwd=rep_b).ok
    add_story(alice, rep_a, "Alice keeps this local")
    r = alice.copart("sync", "--no-push", "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert out["incoming"]["commits"] == 1 and not out["outgoing"]["pushed"] and out["local_commits"] >= 1
    assert bob.copart("sync", cwd=rep_b).ok
    assert "alice-keeps-this-local" not in ids(bob, rep_b)
    again = alice.copart("sync", "--no-push", cwd=rep_a)  # nothing new: it says what stays behind
    assert again.ok and "local commits not sent (--no-push)" in again.stdout  # hers and the merge


def test_sync_json_shape(world):
    alice = world.partner("alice")
    rep_a, _ = start_hub(world, alice)
    r = alice.copart("sync", "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert set(out) >= {"mode", "remote", "branch", "head", "committed", "invalid", "incoming", "outgoing",
                        "merged", "kept", "renamed", "conflicts", "waiting", "offline", "local_commits", "bundle",
                        "index", "message"}
    assert out["mode"] == "remote" and out["remote"] == "origin" and out["branch"] == "main"
    assert out["offline"] is False and out["conflicts"] == []


def test_remote_option_and_unknown_remote(world):
    alice = world.partner("alice")
    rep_a, hub = start_hub(world, alice)
    second = world.bare("second.git")
    alice.git("remote", "add", "backup", str(second), cwd=rep_a)
    r = alice.copart("sync", "--remote", "backup", cwd=rep_a)
    assert r.ok, r
    assert alice.git("rev-parse", "main", cwd=second).strip() == head(alice, rep_a)
    r = alice.copart("sync", "--remote", "nowhere", cwd=rep_a)
    assert r.code == 1 and "no remote named 'nowhere'" in r.stderr and "hint: " in r.stderr, r


def test_three_partners_sync_in_turns_until_all_agree(world):
    alice, bob, carol = (world.partner(n) for n in ("alice", "bob", "carol"))
    rep_a, hub = start_hub(world, alice)
    rep_b, rep_c = join(bob, hub), join(carol, hub)
    reps = [(alice, rep_a), (bob, rep_b), (carol, rep_c)]
    for p, rep in reps:
        add_story(p, rep, f"{p.name} learned something")
        r = p.copart("edit", "pricing-a-first-workshop", "--tag", f"seen-by-{p.name}", cwd=rep)
        assert r.ok, r
    for _ in range(2):
        for p, rep in reps:
            r = p.copart("sync", cwd=rep)
            assert r.ok, r
    heads = {head(p, rep) for p, rep in reps}
    assert len(heads) == 1
    lists = {p.copart("list", "--json", cwd=rep).stdout for p, rep in reps}
    assert len(lists) == 1
    shown = alice.copart("show", "pricing-a-first-workshop", "--json", cwd=rep_a).json()
    assert {"seen-by-alice", "seen-by-bob", "seen-by-carol"} <= set(shown["tags"])
    assert all(clean(p, rep) for p, rep in reps)


def _reviewed_community(world, hub_name: str = "hub.git", add_remote: bool = True):
    """anjali (a partner in the sample) with a `review: coordinators` repertoire and a bare hub."""
    anjali = world.partner("anjali", email="anjali.patel@example.org")  # members/apatel.md
    rep = anjali.init("4xp", example=True)
    config = rep / "copart.yaml"
    config.write_text(config.read_text().replace("review: open", "review: coordinators"))
    anjali.git("commit", "-qam", "review by coordinators", cwd=rep)
    hub = world.bare(hub_name)
    if add_remote:
        anjali.git("remote", "add", "origin", str(hub), cwd=rep)
    return anjali, rep, hub


def test_under_review_pending_work_goes_out_on_its_contribution_branch_not_main(world):
    anjali, rep, hub = _reviewed_community(world)
    assert anjali.copart("sync", cwd=rep).ok
    assert anjali.copart("new", "story", "Waiting for review", "--no-edit", "--body", "text", cwd=rep).ok
    st = anjali.copart("status", "--json", cwd=rep).json()
    assert {"state": "pending", "path": "stories/waiting-for-review.md"} in st["changes"]
    r = anjali.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    out = r.json()
    assert out["committed"] is None  # not committed to main by the hand-edit step
    assert any("contrib/apatel/waiting-for-review" in ref for ref in out["outgoing"]["extra_refs"])
    refs = anjali.git("for-each-ref", "--format=%(refname)", cwd=hub)
    assert "refs/heads/contrib/apatel/waiting-for-review" in refs
    assert anjali.git("ls-tree", "-r", "--name-only", "main", cwd=hub).count("waiting-for-review") == 0


def test_under_review_a_hand_edit_becomes_a_contribution_not_a_commit_on_main(world):
    anjali, rep, hub = _reviewed_community(world)
    assert anjali.copart("sync", cwd=rep).ok
    main_before = anjali.git("rev-parse", "main", cwd=hub).strip()
    story = rep / "stories/pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nA hand-written afterthought.\n")  # edited in any editor
    r = anjali.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    assert anjali.git("rev-parse", "main", cwd=hub).strip() == main_before  # main only moves by an accept
    mine = anjali.copart("contribute", "list", "--json", cwd=rep).json()
    assert any("pricing-a-first-workshop" in c["entries"] for c in mine)
    branches = anjali.git("for-each-ref", "--format=%(refname)", "refs/heads/contrib/", cwd=hub)
    assert "contrib/apatel/" in branches
    assert "A hand-written afterthought." in story.read_text()  # nothing lost locally


def test_a_gitlab_remote_is_asked_to_open_a_merge_request_for_a_contribution(world):
    """GitLab reads push options; a real hub that advertises them records what it was sent."""
    anjali, rep, hub = _reviewed_community(world, "gitlab-hub.git", add_remote=False)
    anjali.git("config", "receive.advertisePushOptions", "true", cwd=hub)
    record = world.base / "push-options.txt"
    hook = hub / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\ni=0\nwhile [ $i -lt ${GIT_PUSH_OPTION_COUNT:-0} ]; do\n"
                    f"  eval echo \\$GIT_PUSH_OPTION_$i >> {record}\n  i=$((i+1))\ndone\ncat >/dev/null\n")
    hook.chmod(0o755)
    anjali.git("remote", "add", "origin", str(hub), cwd=rep)
    assert anjali.copart("sync", cwd=rep).ok
    assert not record.exists()  # no contribution yet: no merge request asked for
    assert anjali.copart("new", "story", "Please review me", "--no-edit", "--body", "text", cwd=rep).ok
    r = anjali.copart("sync", cwd=rep)
    assert r.ok, r
    assert record.read_text().split() == ["merge_request.create", "merge_request.target=main"]
