"""Sync over real network transports on 127.0.0.1: git daemon and smart HTTP."""

from __future__ import annotations

from tests.synckit import add_story, clean, head, ids, join, start_hub
from tests.transports import git_daemon, git_http  # noqa: F401  (fixtures)


def test_git_daemon_round_trip(world, git_daemon):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_daemon.bare("hub.git")
    rep_a, url = start_hub(world, alice, url=git_daemon.url("hub.git"))
    rep_b = join(bob, url)
    add_story(bob, rep_b, "Over the daemon")
    assert bob.copart("sync", cwd=rep_b).ok
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok and "over-the-daemon" in r.stdout, r
    assert head(alice, rep_a) == head(bob, rep_b)


def test_daemon_stopped_means_offline_then_catches_up(world, git_daemon):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_daemon.bare("hub.git")
    rep_a, url = start_hub(world, alice, url=git_daemon.url("hub.git"))
    rep_b = join(bob, url)
    add_story(alice, rep_a, "While the hub was down")
    before = head(alice, rep_a)
    git_daemon.stop()
    r = alice.copart("sync", "--json", cwd=rep_a)
    assert r.code == 3, r
    out = r.json()
    assert out["offline"] and out["local_commits"] == 1
    assert out["message"] == "offline: 1 local commit kept, they will go out at the next sync"
    assert head(alice, rep_a) == before and clean(alice, rep_a)
    git_daemon.start()  # same port
    assert alice.copart("sync", cwd=rep_a).ok
    assert bob.copart("sync", cwd=rep_b).ok
    assert "while-the-hub-was-down" in ids(bob, rep_b)


def test_smart_http_round_trip(world, git_http):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_http.bare("hub.git")
    rep_a, url = start_hub(world, alice, url=git_http.url("hub.git"))
    rep_b = join(bob, url)
    add_story(bob, rep_b, "Over https at the client")
    r = bob.copart("sync", cwd=rep_b)
    assert r.ok, r
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok and "over-https-at-the-client" in r.stdout, r


def test_remote_disappears_between_fetch_and_push(world, git_http):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_http.bare("hub.git")
    rep_a, url = start_hub(world, alice, url=git_http.url("hub.git"))
    rep_b = join(bob, url)
    add_story(bob, rep_b, "Bob was first")
    assert bob.copart("sync", cwd=rep_b).ok
    add_story(alice, rep_a, "Alice on a bad line")
    git_http.refuse_push = True  # the fetch gets through, the push does not
    r = alice.copart("sync", cwd=rep_a)
    assert r.code == 3, r
    assert "offline: 2 local commits kept" in r.stdout  # her story and the merge with bob's
    assert "bob-was-first" in ids(alice, rep_a) and clean(alice, rep_a)
    git_http.refuse_push = False
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok and "out to origin" in r.stdout, r
    assert bob.copart("sync", cwd=rep_b).ok
    assert head(alice, rep_a) == head(bob, rep_b)


def test_push_rejected_because_a_partner_pushed_first_is_retried(world, git_http):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_http.bare("hub.git")
    rep_a, url = start_hub(world, alice, url=git_http.url("hub.git"))
    rep_b = join(bob, url)
    add_story(bob, rep_b, "Bob slipped in")
    add_story(alice, rep_a, "Alice pushes second")

    def bob_pushes_first():  # between alice's fetch and her push
        r = bob.copart("sync", cwd=rep_b)
        assert r.ok, r

    git_http.before_push = bob_pushes_first
    r = alice.copart("sync", "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert out["outgoing"]["pushed"] and out["incoming"]["commits"] == 1
    assert git_http.before_push is None  # bob really pushed in between
    assert bob.copart("sync", cwd=rep_b).ok
    assert head(alice, rep_a) == head(bob, rep_b)
    assert {"bob-slipped-in", "alice-pushes-second"} <= set(ids(alice, rep_a))
