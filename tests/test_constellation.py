"""The constellation: a per-user registry of communities, asked as one with comparable scores."""

from __future__ import annotations

import json
import shutil


def _split(partner, world):
    """The sample as one community, and as two (practices in one, everything else in the other)."""
    whole = partner.init("whole", example=True)
    rest = partner.init("rest", example=True)
    notes = partner.init("notes", example=True)
    shutil.rmtree(rest / "practices")
    for folder in ("stories", "members", "asks", "answers"):
        shutil.rmtree(notes / folder)
    for rep in (rest, notes):
        partner.git("add", "-A", cwd=rep)
        partner.git("commit", "-qm", "split", cwd=rep)
    return whole, rest, notes


def test_asking_two_communities_ranks_like_one_holding_everything(alice, world):
    whole, rest, notes = _split(alice, world)
    assert alice.copart("constellation", "add", "rest", str(rest)).ok
    r = alice.copart("constellation", "add", "notes", str(notes), "--json")
    assert r.ok, r
    assert r.json()["communities"][0]["name"] == "notes"
    registry = alice.home / ".config" / "copart" / "constellation.json"  # per user, in XDG config
    assert set(json.loads(registry.read_text())["communities"]) == {"rest", "notes"}
    for question in ("pricing a workshop", "cash flow before the vat bill", "onboarding a first employee"):
        one = alice.copart("ask", question, "--limit", "8", "--json", cwd=whole).json()
        many = alice.copart("ask", question, "--constellation", "--limit", "8", "--json", cwd=whole)
        assert many.ok, many
        got = many.json()
        assert [x["id"] for x in got["results"]] == [x["id"] for x in one["results"]], question
        for a, b in zip(got["results"], one["results"]):
            # one idf, one N, one average length, and the sections of the best entries of both
            # communities read together: the same scores and the same passages
            assert (a["score"], a["passages"]) == (b["score"], b["passages"]), question
        labels = {x["id"]: x["community"] for x in got["results"]}
        assert all(labels[i] == ("notes" if i in {p.stem for p in (notes / "practices").glob("*.md")} else "rest")
                   for i in labels)


def test_each_of_many_communities_is_searched_with_its_own_uncommitted_edits(alice, world):
    """The communities' `git status` runs ahead of their turn (a handful at a time): each
    community's index still catches up with that community's own work tree."""
    names = [f"c{i:02d}" for i in range(11)]
    for name in names:
        rep = alice.init(name, example=False, community=name)
        (rep / "practices" / f"note-{name}.md").write_text(  # never committed: only git status sees it
            f"---\nid: note-{name}\nkind: practice\ntitle: Wombat note {name}\nauthor: x\n"
            f"created: 2026-01-01T00:00:00Z\n---\nWombat shearing, the way {name} does it\n")
        assert alice.copart("constellation", "add", name, str(rep)).ok
    got = alice.copart("search", "wombat", "--constellation", "-n", "20", "--json")
    assert got.ok, got
    assert sorted((x["community"], x["id"]) for x in got.json()["results"]) == [(n, f"note-{n}") for n in names]


def test_searching_two_communities_ranks_like_one_holding_everything(alice, world):
    whole, rest, notes = _split(alice, world)
    for name, rep in (("rest", rest), ("notes", notes)):
        assert alice.copart("constellation", "add", name, str(rep)).ok
    for words, filters in (("pricing", []), ("vat OR payroll", []), ("workshop", ["--kind", "practice"]),
                           ('"cash flow"', ["--since", "3650d"])):
        one = alice.copart("search", words, *filters, "--json", cwd=whole).json()
        many = alice.copart("search", words, *filters, "--constellation", "--json")
        assert many.ok, many
        got = many.json()
        assert got["mode"] == "search" and got["asked"] == ["notes", "rest"] and got["total"] == one["total"]
        assert [(x["id"], x["score"]) for x in got["results"]] == [(x["id"], x["score"]) for x in one["results"]], words
        practices = {p.stem for p in (notes / "practices").glob("*.md")}
        assert all(x["community"] == ("notes" if x["id"] in practices else "rest") for x in got["results"])
    shown = alice.copart("search", "pricing", "--in", "notes").stdout
    assert "across 1 community" in shown and "[notes]" in shown and "[rest]" not in shown
    assert "no entries match in 2 communities" in alice.copart("search", "zzyzx", "--constellation").stdout
    assert "nothing to search for" in alice.copart("search", "the", "--constellation").stdout  # as one community says


def test_boundary_spanners_are_shown_once_and_broken_communities_skipped(alice, world):
    a = alice.init("a", example=True)
    b = alice.init("b", example=True)
    for name, rep in (("a", a), ("b", b)):
        assert alice.copart("constellation", "add", name, str(rep)).ok
    alice.copart("constellation", "add", "gone", str(alice.init("gone", example=False)))
    shutil.rmtree(world.base / "alice" / "gone")
    r = alice.copart("ask", "pricing a workshop", "--constellation", "--json")
    assert r.ok, r
    d = r.json()
    assert d["asked"] == ["a", "b"] and d["skipped"][0]["community"] == "gone"
    ids = [p["id"] for p in d["people"]]
    assert len(ids) == len(set(ids))  # each person once
    rosa = next(p for p in d["people"] if p["id"] == "rlindqvist")
    assert rosa["communities"] == ["a", "b"] and any(e.startswith("b: ") for e in rosa["evidence"])
    assert "skipped gone: missing" in alice.copart("ask", "pricing", "--constellation").stderr
    status = alice.copart("constellation", "status", "--json").json()["communities"]
    assert {c["name"]: c["state"] for c in status} == {"a": "ok", "b": "ok", "gone": "missing"}
    r = alice.copart("ask", "pricing", "--in", "b", "--json")
    assert r.json()["asked"] == ["b"] and {x["community"] for x in r.json()["results"]} == {"b"}


def test_a_url_is_cloned_into_the_managed_folder(alice, sample):
    r = alice.copart("constellation", "add", "hub", f"file://{sample}", "--json")
    assert r.ok, r
    path = r.json()["communities"][0]["path"]
    assert path.startswith(str(alice.home / ".local" / "share" / "copart" / "constellation"))
    assert alice.copart("ask", "vat", "--in", "hub", "--json").json()["results"]
    assert alice.copart("constellation", "remove", "hub").ok
    assert alice.copart("constellation", "list", "--json").json()["communities"] == []


def test_bad_input(alice, sample):
    r = alice.copart("ask", "pricing", "--in", "nowhere")
    assert r.code == 1 and r.stderr.splitlines()[0] == "copart: error: no community 'nowhere' in your constellation"
    r = alice.copart("ask", "pricing", "--constellation")
    assert r.code == 1 and "your constellation is empty" in r.stderr
    r = alice.copart("constellation", "add", "../evil", str(sample))
    assert r.code == 2 and "cannot be a community name" in r.stderr
    assert alice.copart("constellation", "add", "mine", str(sample)).ok
    r = alice.copart("constellation", "add", "mine", str(sample))
    assert r.code == 1 and "already in your constellation" in r.stderr
    r = alice.copart("constellation", "remove", "nowhere")
    assert r.code == 1 and "no community 'nowhere'" in r.stderr
    r = alice.copart("constellation", "add", "empty", str(alice.home))
    assert r.code == 1 and "is not a repertoire" in r.stderr
    registry = alice.home / ".config" / "copart" / "constellation.json"
    registry.write_text("{not json")
    r = alice.copart("constellation", "list")
    assert r.code == 1 and "cannot read the constellation registry" in r.stderr and "Traceback" not in r.stderr


def test_who_across_the_constellation(alice, world):
    for name in ("a", "b"):
        assert alice.copart("constellation", "add", name, str(alice.init(name, example=True))).ok
    r = alice.copart("who", "vat", "--constellation", "--json")
    assert r.ok, r
    judith = r.json()["people"][0]
    assert judith["id"] == "jfawcett" and judith["communities"] == ["a", "b"]
    assert "profile expertise: vat" in judith["evidence"][0]
    r = alice.copart("who", "vat", "--in", "nope")
    assert r.code == 1 and "no community 'nope'" in r.stderr


def test_sync_constellation_reports_each_community(alice, world, sample):
    hub = world.bare("hub.git")
    alice.git("remote", "add", "origin", str(hub), cwd=sample)
    alice.git("push", "-q", "origin", "main", cwd=sample)
    assert alice.copart("constellation", "add", "hub", str(hub)).ok  # cloned, so it has a remote
    lost = world.bare("lost.git")
    alice.git("push", "-q", str(lost), "main", cwd=sample)
    assert alice.copart("constellation", "add", "lost", str(lost)).ok
    shutil.rmtree(lost)  # its remote is gone now: offline, work kept
    bob = world.partner("bob")
    copy = world.base / "bob" / "4xp"
    bob.git("clone", "-q", str(hub), str(copy), cwd=world.base)
    assert bob.copart("new", "story", "News from bob", "--no-edit", "--body", "hi", cwd=copy).ok
    assert bob.copart("sync", cwd=copy).ok
    r = alice.copart("sync", "--constellation", "--json")
    assert r.code == 3, r  # one community was offline
    got = {c["name"]: c for c in r.json()["communities"]}
    assert got["hub"]["state"] == "synced" and got["hub"]["incoming_commits"] >= 1
    assert got["lost"]["exit_code"] == 3
