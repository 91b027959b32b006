"""`copart import PATH`: a folder of Markdown in as entries, one commit, valid for `check`."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import CORPUS_SLICE


def make_vault(base: Path) -> Path:
    vault = base / "vault"
    (vault / "guides").mkdir(parents=True)
    (vault / "team").mkdir()
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "app.json").write_text("{}")
    (vault / "pricing.md").write_text(
        "---\ntitle: Pricing our services\ntags: [money]\nweight: 3\nauthor: Somebody Else\n---\n# Heading\nBody about prices.\n")
    (vault / "team" / "candidate.md").write_text(
        "-------------------------------------------------------------\nname: Paco\nID: paco\ninfo:\n- employer: X\n"
        "-------------------------------------------------------------\n\n## SIGS\nnode things\n")
    (vault / "guides" / "README.md").write_text("Intro line\n\n## Getting started *fast*\ntext\n")
    (vault / "team" / "README.md").write_text("# Team handbook\nwho we are\n")
    (vault / "Meeting Notes.markdown").write_text("no heading at all, just text #minutes\n")
    (vault / "empty.md").write_text("  \n\n")
    (vault / "blob.md").write_bytes(b"\x00\x01\x02binary")
    (vault / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (vault / "picture.png").write_bytes(b"\x89PNG....")
    return vault


def test_import_a_vault(world, alice, sample):
    vault = make_vault(world.base)
    before = int(alice.git("rev-list", "--count", "HEAD", cwd=sample))
    r = alice.copart("import", str(vault), "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["imported"] == 5
    assert int(alice.git("rev-list", "--count", "HEAD", cwd=sample)) == before + 1  # one commit
    assert alice.git("status", "--porcelain", cwd=sample).strip() == ""
    by_source = {e["source"]: e for e in data["entries"]}
    assert set(by_source) == {"pricing.md", "team/candidate.md", "guides/README.md", "team/README.md",
                              "Meeting Notes.markdown"}
    assert by_source["pricing.md"]["title"] == "Pricing our services"
    assert by_source["guides/README.md"]["title"] == "Getting started fast"
    assert by_source["team/README.md"]["title"] == "Team handbook"
    assert by_source["Meeting Notes.markdown"]["title"] == "Meeting Notes"
    assert by_source["Meeting Notes.markdown"]["id"] == "meeting-notes"
    assert by_source["Meeting Notes.markdown"]["tags"] == ["minutes"]  # an inline #tag, as `show` would list it
    assert by_source["pricing.md"]["tags"] == ["money"]
    assert len({e["id"] for e in data["entries"]}) == 5
    assert all(e["kind"] == "practice" and e["path"].startswith("practices/") for e in data["entries"])
    skipped = {s["path"]: s["reason"] for s in data["skipped"]}
    assert skipped == {"empty.md": "empty", "blob.md": "binary", "latin1.md": "not UTF-8 text",
                       "picture.png": "not Markdown, and no note links to it"}
    # the existing frontmatter is kept, the body byte for byte
    pricing = (sample / by_source["pricing.md"]["path"]).read_text()
    assert "weight: 3" in pricing and "tags: [money]" in pricing and pricing.endswith("# Heading\nBody about prices.\n")
    assert "imported_author: Somebody Else" in pricing
    cand = alice.copart("show", by_source["team/candidate.md"]["id"], "--json", cwd=sample).json()
    assert cand["meta"]["ID"] == "paco" and cand["meta"]["info"] == [{"employer": "X"}]
    # imported entries are valid (alice got a member profile so the author is known)
    assert data["added_member"] == "alice"
    check = alice.copart("check", cwd=sample)
    assert check.ok, check
    # and searchable, with their source
    hit = alice.copart("search", 'title:"pricing our services"', "--json", cwd=sample).json()["results"][0]
    assert hit["source"] == "pricing.md"
    # importing the folder again brings in only what changed since, and says what it skipped
    (vault / "guides" / "README.md").write_text("Intro line\n\n## Getting started *fast*\ntext, revised\n")
    text = alice.copart("import", str(vault), cwd=sample)
    assert text.ok, text
    assert "imported 1 practice entry" in text.stdout
    assert "skipped 8: 4 already imported" in text.stdout and "not UTF-8" in text.stdout
    assert "pricing.md: already imported (as pricing, unchanged)" in text.stdout


def test_import_says_which_frontmatter_it_could_not_read(world, alice, sample):
    vault = world.base / "broken"
    vault.mkdir()
    (vault / "bad.md").write_text("---\ntitle: [unclosed\n---\n# Bad but kept\ntext\n")
    (vault / "good.md").write_text("---\ntitle: Good\n---\ntext\n")
    r = alice.copart("import", str(vault), cwd=sample)
    assert r.ok, r
    assert "imported 2 practice entries" in r.stdout
    assert "1 file has frontmatter that is not valid YAML, imported as text: bad.md" in r.stderr
    assert "title: [unclosed" in (sample / "practices" / "bad.md").read_text()  # nothing of it lost


def test_import_as_stories_and_bad_paths(world, alice, sample):
    vault = make_vault(world.base)
    r = alice.copart("import", str(vault / "team"), "--kind", "story", "--json", cwd=sample)
    assert r.ok and {e["kind"] for e in r.json()["entries"]} == {"story"}
    r = alice.copart("import", str(world.base / "missing"), cwd=sample)
    assert r.code == 2 and "does not exist" in r.stderr
    r = alice.copart("import", str(vault / "pricing.md"), cwd=sample)
    assert r.code == 2
    r = alice.copart("import", str(sample / "stories"), cwd=sample)
    assert r.code == 2 and "inside the repertoire" in r.stderr


def test_import_part_of_the_corpus_passes_check(alice, world):
    rep = alice.init("corp", example=False, community="Corp")
    src = CORPUS_SLICE / "kubernetes-community" / "elections"
    r = alice.copart("import", str(src), "--json", cwd=rep)
    assert r.ok, r
    # every file, six folders deep or behind a dash-fenced header, is in or named as skipped
    everything = {p.relative_to(src).as_posix() for p in src.rglob("*.md")}
    imported = {e["source"] for e in r.json()["entries"]}
    assert imported | {s["path"] for s in r.json()["skipped"]} == everything
    templates = {p for p in everything if {"templates", "template"} & set(p.split("/")[:-1])}
    assert templates and imported == everything - templates  # templates folders are no entries
    assert all(s["reason"] == "template (in a templates folder)" for s in r.json()["skipped"] if s["path"] in templates)
    # the slice leaves out the ballots the results link to: import names each such link, and
    # check reports exactly those (nothing else is wrong)
    unmapped = r.json()["unmapped"]
    assert unmapped and all("BALLOTS.csv" in u["link"] for u in unmapped)
    check = alice.copart("check", "--json", cwd=rep)
    problems = check.json()["problems"]
    assert len(problems) == len(unmapped), check.stdout[:2000]
    assert all(p["message"] == "link 'BALLOTS.csv' leads to no file in the repertoire" for p in problems)
    r = alice.copart("ask", "who can vote in the steering committee election?", "--json", cwd=rep)
    assert r.ok and r.json()["results"]
    assert any((x.get("source") or "").startswith("steering/") for x in r.json()["results"][:5])


def test_a_note_edited_while_the_import_runs_is_left_for_the_next_import(world, alice, sample, monkeypatch):
    """Import reads every note once for ids and links, then again to write it (it keeps no
    bodies between, so a folder of any size fits in memory): a note edited in between is
    skipped and named, never written half old, half new."""
    from copart_cli.services.importer import import_folder
    from copart_cli.services.repertoire import Repertoire

    vault = make_vault(world.base)
    for key in [k for k in os.environ if k.startswith(("GIT_", "XDG_"))]:
        monkeypatch.delenv(key)
    for key, value in alice.env.items():
        monkeypatch.setenv(key, value)

    def edit_pricing_midway(done, total):
        if done == 1:
            (vault / "pricing.md").write_text("---\ntitle: Pricing, rewritten\n---\nNew prices.\n")

    result = import_folder(Repertoire.locate(str(sample)), vault, progress=edit_pricing_midway)
    assert "pricing.md" not in {e.source for e in result.imported} and len(result.imported) == 4
    assert ("pricing.md", "changed while it was being imported; import again") in {
        (s.path, s.reason) for s in result.skipped}
    again = alice.copart("import", str(vault), "--json", cwd=sample).json()
    assert [e["source"] for e in again["entries"]] == ["pricing.md"]
    assert "New prices." in (sample / again["entries"][0]["path"]).read_text()
