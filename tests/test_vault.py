"""An Obsidian vault, as its users have one: imported so its links keep their meaning, worked on in
place (notes in subfolders, attachments beside them, aliases, inline #tags, embeds), synced to a
partner, and published as a site whose images and heading anchors work in a real browser."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, browser  # noqa: F401 - browser is a fixture


def png(width: int = 3, height: int = 2) -> bytes:
    """A real PNG image (a browser decodes it: naturalWidth == width)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_vault(base: Path) -> Path:
    v = base / "My Vault"
    files = {
        "Projects/Pricing/Break-even.md": "# Formula\nfixed costs / margin. #pricing\n",
        "Projects/Pricing/Plan.md": (
            "---\naliases: [Pricing plan]\n---\nSee [[Break-even]] (this folder's), [[Other/Break-even|the old one]],\n"
            "[[Working papers#Sources|sources]], [[WP]], [go to market](go_to_market.md) and\n"
            "[retro](../../Team/retrospectives.md#What%20went%20well). ![[chart.png]] ![diagram](../../assets/diagram.png)\n"
            "Also [[Nowhere]] and `[[in code]]`.\n"),
        "Projects/Pricing/go_to_market.md": "Go to market.\n",
        "Other/Break-even.md": "An older break-even note.\n",
        "Working papers.md": "---\naliases: [WP]\ntags: [papers]\n---\n## Sources\nwhere the numbers came from #research\n",
        "Team/retrospectives.md": "## What went well\nwe shipped\n",
        "Templates/Daily.md": "# {{title}}\n{{date}}\n",
        "Daily/2026-11-03.md": "Met the bank about [[Break-even]].\n",
    }
    for rel, text in files.items():
        (v / rel).parent.mkdir(parents=True, exist_ok=True)
        (v / rel).write_text(text)
    (v / "attachments").mkdir()
    (v / "attachments" / "chart.png").write_bytes(png())
    (v / "assets").mkdir()
    (v / "assets" / "diagram.png").write_bytes(png(5, 4))
    (v / "unused.pdf").write_bytes(b"%PDF-1.4 nobody links to me")
    (v / ".obsidian").mkdir()
    (v / ".obsidian" / "app.json").write_text("{}")
    return v


def test_importing_a_vault_keeps_what_its_links_meant(world, alice, sample):
    vault = make_vault(world.base)
    head = alice.git("rev-parse", "HEAD", cwd=sample)
    dry = alice.copart("import", str(vault), "--dry-run", "--json", cwd=sample)
    assert dry.ok, dry
    assert dry.json()["dry_run"] and alice.git("rev-parse", "HEAD", cwd=sample) == head
    assert alice.git("status", "--porcelain", cwd=sample).strip() == ""  # nothing written

    r = alice.copart("import", str(vault), "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    by = {e["source"]: e for e in data["entries"]}
    assert {e["source"]: e["path"] for e in dry.json()["entries"]} == {s: e["path"] for s, e in by.items()}
    # titled by file name (what [[Break-even]] names), not by the first heading ("Formula")
    assert by["Projects/Pricing/Break-even.md"]["title"] == "Break-even"
    # of two notes with one name, the plain id goes to the one a bare [[Break-even]] names from
    # elsewhere (Obsidian: the shortest path)
    assert by["Other/Break-even.md"]["id"] == "break-even"
    assert by["Projects/Pricing/Break-even.md"]["id"] == "break-even-2"
    # a template is no entry; a daily note is a story of its day
    skipped = {s["path"]: s["reason"] for s in data["skipped"]}
    assert skipped["Templates/Daily.md"] == "template (in a templates folder)"
    assert skipped["unused.pdf"] == "not Markdown, and no note links to it"
    daily = by["Daily/2026-11-03.md"]
    assert daily["kind"] == "story" and daily["created"].startswith("2026-11-03")
    # links lead where they led in Obsidian; the one that named nothing is reported
    plan = (sample / by["Projects/Pricing/Plan.md"]["path"]).read_text()
    assert "[[break-even-2|Break-even]]" in plan and "[[break-even|the old one]]" in plan  # its own folder's first
    assert "[[working-papers#Sources|sources]]" in plan and "[[WP]]" in plan  # an alias resolves as it is
    assert "[[go-to-market|go to market]]" in plan
    assert "[[retrospectives#What went well|retro]]" in plan
    assert "![[attachments/attachments/chart.png]]" in plan and "![diagram](<../attachments/assets/diagram.png>)" in plan
    assert "`[[in code]]`" in plan
    assert data["unmapped"] == [{"path": "Projects/Pricing/Plan.md", "line": 7, "link": "[[Nowhere]]"}]
    assert "[[break-even|Break-even]]" in (sample / daily["path"]).read_text()
    # the images came too, in the same commit
    tracked = alice.git("ls-files", cwd=sample).split()
    assert {"attachments/attachments/chart.png", "attachments/assets/diagram.png"} <= set(tracked)
    assert (sample / "attachments/assets/diagram.png").read_bytes() == png(5, 4)
    # check agrees: the one dead link, nothing else
    check = alice.copart("check", "--json", cwd=sample)
    assert [p["message"] for p in check.json()["problems"]] == \
        ["wiki-link [[Nowhere]] does not resolve to an entry"]
    # the original author is kept beside the importer's
    shown = alice.copart("show", "WP", "--json", cwd=sample)  # an alias finds the entry
    assert shown.ok and shown.json()["id"] == "working-papers", shown
    assert set(shown.json()["tags"]) == {"papers", "research"}  # inline #tags are tags
    listed = alice.copart("list", "--tag", "research", "--json", cwd=sample).json()
    assert [e["id"] for e in listed] == ["working-papers"]
    # importing the vault again adds nothing: the links map to the same ids as before
    again = alice.copart("import", str(vault), "--json", cwd=sample).json()
    assert again["imported"] == 0 and again["commit"] is None
    assert {s["path"] for s in again["skipped"] if s["reason"].startswith("already imported")} == set(by)


def test_imported_author_is_kept(world, alice, sample):
    vault = world.base / "v"
    vault.mkdir()
    (vault / "note.md").write_text("---\nauthor: Ada Lovelace\n---\ntext\n")
    r = alice.copart("import", str(vault), "--json", cwd=sample)
    entry = r.json()["entries"][0]
    assert "imported_author: Ada Lovelace" in (sample / entry["path"]).read_text()


def _vault_in_place(rep: Path) -> None:
    (rep / "stories/client work").mkdir(parents=True)
    (rep / "stories/client work/a-nested-story.md").write_text(
        "---\nid: a-nested-story\nkind: story\ntitle: A nested story\nauthor: jfawcett\ncreated: 2026-11-01\n"
        "aliases: [Nested]\n---\n"
        "# What happened\n\nA chart: ![[chart.png]] and the same ![chart](chart.png). See [[pricing-a-first-workshop]]\n"
        "and [[a-nested-story#What we learned|below]]. #clientwork\n\n"
        "- [ ] call the bank\n- [x] send the quote\n\nA claim[^1] with ==a highlight==.\n\n"
        "> [!warning] Mind the cash\n> Invoices take 60 days at Quillmont.\n\n"
        "## What we learned\n\nPrice the value.\n\n[^1]: From the ledger.\n")
    (rep / "stories/client work/chart.png").write_bytes(png())
    (rep / "stories/b.md").write_text("---\nid: b\nkind: story\ntitle: B\nauthor: jfawcett\ncreated: 2026-11-02\n---\n"
                                      "Links to [[Nested]] and [[Nowhere]].\n")


def test_a_vault_worked_on_in_place(world, alice, sample):
    _vault_in_place(sample)
    listed = {e["id"]: e for e in alice.copart("list", "--json", cwd=sample).json()}
    assert listed["a-nested-story"]["path"] == "stories/client work/a-nested-story.md"
    shown = alice.copart("show", "a-nested-story", "--json", cwd=sample).json()
    assert "clientwork" in shown["tags"]
    found = alice.copart("search", "quillmont", "--json", cwd=sample).json()["results"]
    assert [x["id"] for x in found] == ["a-nested-story"]
    asked = alice.copart("ask", "nested", "--json", cwd=sample).json()["results"]  # an alias is a title word
    assert asked and asked[0]["id"] == "a-nested-story"
    problems = alice.copart("check", "--json", cwd=sample).json()["problems"]
    assert [(p["path"], p["message"]) for p in problems] == [
        ("stories/b.md", "wiki-link [[Nowhere]] does not resolve to an entry")]
    # a broken nested note is checked like any other (it used to be invisible)
    (sample / "stories/client work/bare.md").write_text("just text\n")
    problems = alice.copart("check", "--json", cwd=sample).json()["problems"]
    assert {"path": "stories/client work/bare.md", "line": 1,
            "message": "give it the frontmatter it lacks with: copart adopt stories/client work/bare.md"} in problems
    adopted = alice.copart("adopt", "stories/client work/bare.md", "--json", cwd=sample)
    assert adopted.ok, adopted
    assert adopted.json()["adopted"][0]["entry"]["title"] == "bare"
    assert (sample / "stories/client work/bare.md").read_text().endswith("---\njust text\n")


def test_sync_carries_attachments_and_nested_notes_and_refuses_a_huge_file(world, alice, sample):
    hub = world.bare()
    alice.git("remote", "add", "origin", str(hub), cwd=sample)
    assert alice.copart("sync", cwd=sample).ok
    _vault_in_place(sample)
    (sample / "stories/b.md").write_text((sample / "stories/b.md").read_text().replace(" and [[Nowhere]]", ""))
    (sample / "attachments").mkdir()
    (sample / "attachments/report.pdf").write_bytes(b"%PDF-1.4 report")
    with open(sample / "attachments/huge.bin", "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    r = alice.copart("sync", cwd=sample)
    assert "attachments/huge.bin" in r.stderr + r.stdout, r
    pushed = set(alice.git("ls-tree", "-r", "--name-only", "main", cwd=hub).split("\n"))
    assert {"stories/client work/a-nested-story.md", "stories/client work/chart.png", "attachments/report.pdf"} <= pushed
    assert "attachments/huge.bin" not in pushed
    problems = alice.copart("check", "--json", cwd=sample).json()["problems"]
    assert [p["path"] for p in problems] == ["attachments/huge.bin"]
    assert "larger than an attachment may be (20 MiB)" in problems[0]["message"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_site_shows_images_and_anchors_in_a_browser(world, alice, sample, browser):  # noqa: F811
    _vault_in_place(sample)
    (sample / "attachments").mkdir()
    (sample / "attachments/diagram.png").write_bytes(png(5, 4))
    (sample / "stories/b.md").write_text(
        "---\nid: b\nkind: story\ntitle: B\nauthor: jfawcett\ncreated: 2026-11-02\n---\n"
        "![[diagram.png]] [[Nested#What we learned|the lesson]] ![tracker](http://127.0.0.1:9/pixel.png)\n"
        "![[../../../etc/passwd]] ![up](../../../../etc/hostname) [page](evil.html) ![[evil.svg]]\n")
    (sample / "stories/evil.html").write_text("<script>alert(1)</script>")  # an "attachment" that would run
    (sample / "attachments/evil.svg").write_text("<svg onload=alert(1)></svg>")
    (sample / "attachments/passwd.png").symlink_to("/etc/passwd")
    out = world.base / "site"
    built = alice.copart("site", str(out), cwd=sample)
    assert built.ok, built
    # only the safe, regular files are in the site, under files/
    assert (out / "files/stories/client work/chart.png").read_bytes() == png()
    assert (out / "files/attachments/diagram.png").is_file()
    everything = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert not any(p.endswith((".svg", "evil.html", "passwd.png")) for p in everything), everything
    assert not any(p.is_symlink() for p in out.rglob("*"))

    page = (out / "stories/a-nested-story.html").as_uri()
    browser.goto(page)
    sizes = browser.js("[...document.querySelectorAll('main img')].map(i => [i.naturalWidth, i.complete])")
    assert sizes == [[3, True], [3, True]], sizes  # the embed and the Markdown image both load
    assert browser.js("document.querySelectorAll('input[type=checkbox][disabled]').length") == 2
    assert browser.js("document.querySelectorAll('input[type=checkbox]:checked').length") == 1
    assert browser.js("document.querySelector('mark').textContent") == "a highlight"
    assert browser.js("document.querySelector('div.callout-warning .callout-title').textContent") == "Mind the cash"
    assert browser.js("document.querySelector('section.footnotes li').textContent").startswith("From the ledger.")
    href = browser.js("document.querySelector('a.wikilink[href*=\"#\"]').href")
    assert href == page + "#h-what-we-learned"
    assert browser.js("document.getElementById('h-what-we-learned').textContent") == "What we learned"

    other = (out / "stories/b.html").as_uri()
    browser.goto(other)
    imgs = browser.js("[...document.querySelectorAll('main img')].map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert imgs == [["../files/attachments/diagram.png", 5]], imgs  # the tracker and the climbers: their alt text
    text = browser.js("document.querySelector('.body').textContent")
    assert "tracker" in text and "up" in text and "../../../etc/passwd" in text
    lesson = browser.js("[...document.querySelectorAll('a.wikilink')].find(a => a.textContent == 'the lesson').href")
    assert lesson == page + "#h-what-we-learned"  # an alias and a heading, across pages
    browser.goto(lesson)
    assert browser.js("document.getElementById(location.hash.slice(1)).tagName") == "H2"
    site = out.resolve().as_uri()
    leads = browser.js("[...document.querySelectorAll('[href],[src]')].map(e => e.href || e.src)")
    assert all(u.startswith((site, "http://", "https://", "mailto:")) for u in leads if u), leads


def test_import_copies_no_file_from_outside_the_vault(world, alice, sample, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("PASSWORD")
    vault = world.base / "hostile"
    (vault / "attachments").mkdir(parents=True)
    (vault / "attachments" / "key.png").symlink_to(secret)  # a link in the vault, linked by a note
    (vault / "outside").symlink_to(tmp_path, target_is_directory=True)
    (vault / "note.md").write_text("![[key.png]] ![x](../../../../../etc/passwd) ![[../../etc/hostname]]\n"
                                   "![y](outside/secret.txt) [z](/etc/passwd)\n")
    r = alice.copart("import", str(vault), "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["attachments"] == []
    assert {"path": "attachments/key.png", "reason": "symbolic link"} in data["skipped"]
    assert {u["link"] for u in data["unmapped"]} == {"![x](../../../../../etc/passwd)", "![[../../etc/hostname]]",
                                                     "![y](outside/secret.txt)", "[z](/etc/passwd)"}
    tracked = alice.git("ls-files", cwd=sample)
    assert "secret" not in tracked and "PASSWORD" not in alice.git("grep", "-c", "PASSWORD", "HEAD", cwd=sample,
                                                                    check=False)
    assert not (sample / "attachments").exists()
