"""Sneakernet: partners with no shared network swap git bundles."""

from __future__ import annotations

from tests.synckit import add_story, head, ids


def test_bundle_round_trip_between_two_partners(world):
    alice, carol = world.partner("alice"), world.partner("carol")
    rep_a = alice.init("4xp", example=True)
    usb = world.base / "usb"
    usb.mkdir()
    r = alice.copart("sync", "--bundle", str(usb / "4xp.bundle"), cwd=rep_a)
    assert r.ok and "wrote" in r.stdout, r

    rep_c = world.base / "carol" / "4xp"
    r = carol.copart("join", str(usb / "4xp.bundle"), str(rep_c))
    assert r.ok, r
    add_story(carol, rep_c, "From the field office")
    r = carol.copart("sync", "--bundle", str(usb / "back.bundle"), "--json", cwd=rep_c)
    assert r.ok and r.json()["bundle"], r

    add_story(alice, rep_a, "Meanwhile at the office")
    r = alice.copart("sync", "--from-bundle", str(usb / "back.bundle"), "--json", cwd=rep_a)
    assert r.ok, r
    out = r.json()
    assert out["mode"] == "bundle-in" and [f["id"] for f in out["incoming"]["files"]] == ["from-the-field-office"]
    assert {"from-the-field-office", "meanwhile-at-the-office"} <= set(ids(alice, rep_a))

    # and back again: carol takes alice's merge, and both agree
    assert alice.copart("sync", "--bundle", str(usb / "4xp.bundle"), cwd=rep_a).ok
    assert carol.copart("sync", "--from-bundle", str(usb / "4xp.bundle"), cwd=rep_c).ok
    assert head(alice, rep_a) == head(carol, rep_c)


def test_bad_bundles(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a = alice.init("4xp", example=True)
    junk = world.base / "junk.bundle"
    junk.write_text("not a bundle")
    r = alice.copart("sync", "--from-bundle", str(junk), cwd=rep_a)
    assert r.code == 1 and "not a bundle" in r.stderr and "Traceback" not in r.stderr, r
    r = alice.copart("sync", "--from-bundle", str(world.base / "missing.bundle"), cwd=rep_a)
    assert r.code == 1 and "no bundle" in r.stderr, r
    other = bob.init("other", example=False, community="Other")
    (world.base / "b").mkdir()
    assert bob.copart("sync", "--bundle", str(world.base / "b" / "other.bundle"), cwd=other).ok
    before = head(alice, rep_a)
    r = alice.copart("sync", "--from-bundle", str(world.base / "b" / "other.bundle"), cwd=rep_a)
    assert r.code == 1 and "unrelated history" in r.stderr, r
    assert head(alice, rep_a) == before


def test_plain_sync_after_joining_a_bundle_refreshes_from_it(world):
    alice, carol = world.partner("alice"), world.partner("carol")
    rep_a = alice.init("4xp", example=True)
    usb = world.base / "usb"
    usb.mkdir()
    stick = usb / "4xp.bundle"
    assert alice.copart("sync", "--bundle", str(stick), cwd=rep_a).ok
    rep_c = world.base / "carol" / "4xp"
    assert carol.copart("join", str(stick), str(rep_c)).ok
    mine = add_story(carol, rep_c, "From the field office")
    r = carol.copart("sync", cwd=rep_c)
    assert r.ok and "offline" not in r.stdout + r.stderr and "push" not in r.stdout + r.stderr, r
    assert f"up to date with the bundle {stick}" in r.stdout
    assert f"1 local commit not in {stick}; to send them, write a bundle for your partners: " \
           "copart sync --bundle FILE" in r.stdout

    theirs = add_story(alice, rep_a, "Meanwhile at the office")  # a newer bundle on the same stick
    assert alice.copart("sync", "--bundle", str(stick), cwd=rep_a).ok
    r = carol.copart("sync", "--json", cwd=rep_c)
    assert r.ok, r
    out = r.json()
    assert (out["mode"], out["remote"], out["bundle"], out["offline"]) == ("bundle-in", "origin", str(stick), False)
    assert [f["id"] for f in out["incoming"]["files"]] == [theirs] and out["local_commits"] == 2  # hers and the merge
    assert {mine, theirs} <= set(ids(carol, rep_c))

    stick.rename(usb / "elsewhere.bundle")  # the stick went home with alice
    r = carol.copart("sync", cwd=rep_c)
    assert r.code == 1 and "offline" not in r.stdout + r.stderr, r
    assert f"copart: error: origin is the bundle {stick}, which is not there now" in r.stderr
    assert "copart sync --bundle FILE" in r.stderr

    assert carol.copart("sync", "--bundle", str(usb / "back.bundle"), cwd=rep_c).ok  # and back to alice
    assert alice.copart("sync", "--from-bundle", str(usb / "back.bundle"), cwd=rep_a).ok
    assert head(alice, rep_a) == head(carol, rep_c)
