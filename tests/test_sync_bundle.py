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
