"""One write door: under `review: coordinators` nothing a member writes lands on main.

Every writer (`new`, `edit`, `rm`, `answer`, `accept`, `resolve`, `pathway suggest --save`,
`import`, and `sync`'s commit of hand edits) goes through `Repertoire.commit`, which puts
the write on the writer's contribution branch `contrib/<member>/<id>/v<N>`: main, HEAD and
the checked-out branch stay where they were, and only a coordinator's accept moves main.
Each test tries one way round that door.
"""

from __future__ import annotations

import pytest

from tests.review_helpers import community, refs


def _main(partner, rep) -> str:
    return partner.git("rev-parse", "main", cwd=rep).strip()


def _files_of(partner, rep, commit: str) -> set[str]:
    base = partner.git("merge-base", "main", commit, cwd=rep).strip()
    return set(partner.git("diff", "--name-only", base, commit, cwd=rep).split())


def test_import_under_review_becomes_one_contribution_and_main_is_unchanged(world):
    c = community(world)
    anjali, rep = c.anjali, c.partner_rep
    wiki = world.base / "old-wiki"
    wiki.mkdir()
    for name, text in {"Pricing.md": "# Pricing a stall\n\nCharge for your time.\n",
                       "Suppliers.md": "# Choosing suppliers\n\nAsk three.\n",
                       "Invoices.md": "# Chasing invoices\n\nCall on day 31.\n"}.items():
        (wiki / name).write_text(text)
    main_before, hub_before = _main(anjali, rep), _main(anjali, c.hub)

    r = anjali.copart("import", str(wiki), "--json", cwd=rep)

    assert r.ok, r
    out = r.json()
    paths = {e["path"] for e in out["entries"]}
    assert len(paths) == 3 and all(e.get("pending") is True for e in out["entries"])
    assert _main(anjali, rep) == main_before  # not a commit on main
    assert anjali.git("symbolic-ref", "--short", "HEAD", cwd=rep).strip() == "main"
    contribs = refs(anjali, rep, "refs/heads/contrib/")
    assert list(contribs) == ["refs/heads/contrib/apatel/import-old-wiki/v1"]  # one contribution
    assert contribs["refs/heads/contrib/apatel/import-old-wiki/v1"] == out["commit"]
    assert _files_of(anjali, rep, out["commit"]) == paths
    anjali.git("verify-commit", out["commit"], cwd=rep)  # signed like any capture
    states = {ch["path"]: ch["state"] for ch in anjali.copart("status", "--json", cwd=rep).json()["changes"]}
    assert all(states.get(p) == "pending" for p in paths), states

    r = anjali.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    assert r.json()["committed"] is None  # sync did not put the imported files on main either
    assert _main(anjali, c.hub) == hub_before
    assert "refs/heads/contrib/apatel/import-old-wiki/v1" in refs(anjali, c.hub, "refs/heads/contrib/")
    # the coordinator sees one contribution, and accepting it is what puts it on main
    judith, coord = c.judith, c.coord_rep
    c.sync(judith, coord)
    listed = judith.copart("review", "list", "--json", cwd=coord).json()
    assert [x["id"] for x in listed] == ["apatel/import-old-wiki"]
    assert sorted(listed[0]["paths"]) == sorted(paths)
    r = judith.copart("review", "accept", "apatel/import-old-wiki", cwd=coord)
    assert r.ok, r
    assert paths <= set(judith.git("ls-tree", "-r", "--name-only", "main", cwd=coord).split())


def _conflict_copy(partner, rep) -> None:
    """A conflict copy waiting on main (made with plain git: this is the setup, not the attack)."""
    story = rep / "stories/pricing-a-first-workshop.md"
    copy = rep / "stories/pricing-a-first-workshop.conflict-tbrennan-20261120T091400Z.md"
    copy.write_text(story.read_text().replace("\n---\n", "\n---\nTom's version of events.\n", 1))
    partner.git("add", str(copy), cwd=rep)
    partner.git("commit", "-qm", "a conflict copy from an earlier sync", cwd=rep)


WRITERS = {
    "new": (["new", "story", "Door test", "--no-edit", "--body", "Text."], "stories/door-test.md"),
    "edit": (["edit", "pricing-a-first-workshop", "--tag", "door"], "stories/pricing-a-first-workshop.md"),
    "rm": (["rm", "the-instagram-campaign-that-flopped"], "stories/the-instagram-campaign-that-flopped.md"),
    "answer": (["answer", "is-a-chair-renting-stylist-really-self-employed", "--no-edit", "--body", "Check the IR35 tests."],
               "answers/re-is-a-chair-renting-stylist-really-self-employed.md"),
    "accept": (["accept", "re-chair-renting-stylist-mokafor"], "answers/re-chair-renting-stylist-mokafor.md"),
    "resolve": (["resolve", "pricing-a-first-workshop", "--keep", "entry"],
                "stories/pricing-a-first-workshop.conflict-tbrennan-20261120T091400Z.md"),
    "pathway": (["pathway", "suggest", "pricing", "--save", "door-path"], "pathways/door-path.md"),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_each_writer_under_review_lands_on_a_contribution(world, writer):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep  # a coordinator: her own writes are contributions too
    if writer == "resolve":
        _conflict_copy(judith, rep)
    args, path = WRITERS[writer]
    main_before = _main(judith, rep)

    r = judith.copart(*args, "--json", cwd=rep)

    assert r.ok, r
    assert _main(judith, rep) == main_before, f"{writer} committed onto main"
    assert judith.git("symbolic-ref", "--short", "HEAD", cwd=rep).strip() == "main"
    contribs = refs(judith, rep, "refs/heads/contrib/")
    assert len(contribs) == 1, contribs
    (tip,) = contribs.values()
    assert path in _files_of(judith, rep, tip)
    judith.git("verify-commit", tip, cwd=rep)


def test_sync_hand_edits_under_review_go_to_a_contribution_even_when_main_moved(world):
    c = community(world)
    anjali, rep, judith, coord = c.anjali, c.partner_rep, c.judith, c.coord_rep
    # main moves on the hub meanwhile (a coordinator's signed commit)
    notes = coord / "practices/costing-checklist-for-a-workshop.md"
    notes.write_text(notes.read_text() + "\nRevised by the coordinators.\n")
    judith.git("commit", "-qam", "practice: tidy the costing checklist", cwd=coord)
    judith.git("push", "-q", "origin", "main", cwd=coord)
    hub_main = _main(anjali, c.hub)
    main_before = _main(anjali, rep)
    # anjali edits a story by hand and adds one by hand, then syncs
    story = rep / "stories/pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nA hand-written afterthought.\n")
    added = rep / "stories/written-by-hand.md"
    added.write_text(story.read_text().replace("id: pricing-a-first-workshop", "id: written-by-hand"))

    r = anjali.copart("sync", "--json", cwd=rep)

    assert r.ok, r
    out = r.json()
    assert out["committed"] and set(out["committed"]["paths"]) == {"stories/pricing-a-first-workshop.md",
                                                                  "stories/written-by-hand.md"}
    # her main took the hub's main, and only that: the hand edits are not on it
    assert _main(anjali, rep) == hub_main != main_before
    assert _main(anjali, c.hub) == hub_main
    assert anjali.git("rev-parse", "refs/remotes/origin/main", cwd=rep).strip() == hub_main
    assert "afterthought" not in anjali.git("show", "main:stories/pricing-a-first-workshop.md", cwd=rep)
    # they went out as her contribution, and stay in her work tree
    hub_contribs = refs(anjali, c.hub, "refs/heads/contrib/")
    assert list(hub_contribs) and all(ref.startswith("refs/heads/contrib/apatel/") for ref in hub_contribs)
    assert out["committed"]["commit"] in hub_contribs.values()
    assert "A hand-written afterthought." in story.read_text() and added.exists()
    # a second sync has nothing new to do, and main still only moves by an accept
    r = anjali.copart("sync", "--json", cwd=rep)
    assert r.ok, r
    assert _main(anjali, rep) == _main(anjali, c.hub) == hub_main
