"""`copart site DIR`: a static site a person opens from disk or a web server.

The browser tests drive headless chromium (tests/browser.py), so they click links, type into
the search box and watch for dialogs as a person would. They are skipped, with the reason,
only where chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser import browser, needs_browser  # noqa: F401 - browser is a fixture

HOSTILE = """\
---
id: a-hostile-story
kind: story
title: A hostile story <script>window.__pwned_title = 1</script>
author: jfawcett
created: 2026-03-01T10:00:00Z
topics: [pricing]
tags: [security]
links: [pricing-a-first-workshop]
---
Hello <script>window.__pwned = 1; document.title = "PWNED"; alert("pwned")</script> there.

<img src="x" onerror="window.__pwned_img = 1; alert('img')">

[a javascript link](javascript:window.__pwned_link=1) and <a href="javascript:alert(2)">another</a>
and <a href="JaVaScRiPt:alert(3)" onclick="alert(4)">a third</a>.

<iframe src="javascript:alert(5)"></iframe>
<svg onload="alert(6)"><circle r="5"></circle></svg>
<form action="javascript:alert(7)"><button>go</button></form>
<style>body { display: none }</style>

See [[Pricing a first workshop]] for the real thing, and [[no-such-entry]].
"""


# -- helpers ----------------------------------------------------------------------------------


def _site(alice, rep: Path, out: Path):
    r = alice.copart("site", str(out), "--json", cwd=rep, timeout=300)
    assert r.ok, r
    return r.json()


def _with_hostile(alice, rep: Path) -> None:
    (rep / "stories" / "a-hostile-story.md").write_text(HOSTILE, encoding="utf-8")
    alice.git("add", "-A", cwd=rep)
    alice.git("commit", "-qm", "a hostile story", cwd=rep)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])
        if tag == "script":
            self.scripts.append(attrs)
        self.handlers += [k for k in attrs if k.startswith("on")]


def _parse(page: Path) -> _Links:
    p = _Links()
    p.feed(page.read_text(encoding="utf-8"))
    return p


# -- tests without a browser -------------------------------------------------------------------


def test_every_page_links_only_to_pages_that_exist(alice, sample, tmp_path):
    out = tmp_path / "site"
    result = _site(alice, sample, out)
    assert result["entries"] == 32 and result["members"] == 7 and result["pages"] > 60
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == result["pages"]
    for page in pages:
        for link in _parse(page).links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not parts.scheme, f"{page.relative_to(out)} links to {link}"
            if not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(out)} links to missing {link}"
            assert out.resolve() in target.parents, f"{page} links outside the site: {link}"


def test_entry_pages_show_links_backlinks_answers_and_members_their_work(alice, sample, tmp_path):
    out = tmp_path / "site"
    _site(alice, sample, out)
    checklist = (out / "practices" / "costing-checklist-for-a-workshop.html").read_text()
    # the story links to the checklist ([[wiki link]] and links:), so the checklist shows it as a backlink
    backlinks = checklist.split('class="backlinks"', 1)[1]
    assert "../stories/pricing-a-first-workshop.html" in backlinks
    story = (out / "stories" / "pricing-a-first-workshop.html").read_text()
    assert 'href="../practices/costing-checklist-for-a-workshop.html" class="wikilink"' in story \
        or 'class="wikilink" href="../practices/costing-checklist-for-a-workshop.html"' in story \
        or '<a href="../practices/costing-checklist-for-a-workshop.html"' in story
    ask = (out / "asks" / "how-should-i-price-a-half-day-workshop-for-a-traders-group.html").read_text()
    assert "Answers (2)" in ask and "accepted" in ask
    assert ask.index("rlindqvist.html") < ask.index("re-price-half-day-workshop-jfawcett.html")  # accepted first
    rosa = (out / "members" / "rlindqvist.html").read_text()
    assert "Rosa Lindqvist" in rosa and "workshops" in rosa
    assert "../stories/pricing-a-first-workshop.html" in rosa.split('class="wrote"', 1)[1]
    assert "../answers/re-price-half-day-workshop-rlindqvist.html" in rosa.split('class="answered"', 1)[1]
    asks = (out / "asks.html").read_text()
    assert "is-a-chair-renting-stylist-really-self-employed" in asks
    assert (out / "topics" / "pricing.html").is_file() and (out / "tags" / "lesson.html").is_file()
    assert (out / "pathways" / "pricing-your-work.html").is_file()
    home = (out / "index.html").read_text()
    assert "4XP" in home and "Practical support for the independent shops" in home
    assert "Pricing your work, a way in" in home and "Is a chair-renting stylist really self-employed?" in home


def test_search_index_is_a_script_not_a_fetch_and_holds_every_entry(alice, sample, tmp_path):
    out = tmp_path / "site"
    result = _site(alice, sample, out)
    text = (out / "static" / "search-index.js").read_text(encoding="utf-8")
    assert text.startswith("window.COPART_SEARCH = ")
    index = json.loads(text.removeprefix("window.COPART_SEARCH = ").rstrip().rstrip(";"))
    assert len(index["docs"]) == 32 and result["search_index_bytes"] == len(text.encode())
    titles = {d[0]: d for d in index["docs"]}
    assert titles["Pricing a first workshop"][1] == "stories/pricing-a-first-workshop.html"
    search_js = (out / "static" / "search.js").read_text()
    assert "fetch(" not in search_js.split("*/", 1)[1] and "XMLHttpRequest" not in search_js  # file:// forbids both


def test_a_hostile_entry_is_rendered_inert(alice, sample, tmp_path):
    _with_hostile(alice, sample)
    out = tmp_path / "site"
    _site(alice, sample, out)
    page = out / "stories" / "a-hostile-story.html"
    parsed = _parse(page)
    assert parsed.handlers == []
    assert all(s.get("src") for s in parsed.scripts), "no inline script may survive"
    text = page.read_text()
    assert not [link for link in parsed.links if "javascript" in link.lower()]
    assert "[a javascript link](javascript:" in text  # a javascript: Markdown link stays plain text
    assert "<iframe" not in text and "<style>" not in text and "<form action" not in text
    assert "&lt;script&gt;window.__pwned_title" in text  # the title is escaped, shown as text
    assert 'href="../stories/pricing-a-first-workshop.html"' in text  # the title-style [[link]] resolves
    assert "<em>no-such-entry</em>" in text  # an unresolved link is shown, not linked
    for other in out.rglob("*.html"):  # listings, member pages, search: escaped everywhere
        assert "<script>window" not in other.read_text() and "onerror=" not in other.read_text(), other


def test_refuses_a_folder_that_is_not_a_copart_site(alice, sample, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("four years of work")
    r = alice.copart("site", str(precious), cwd=sample)
    assert r.code == 2, r
    assert r.stderr.startswith("copart: error: ") and "not a copart site" in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.txt"]
    assert (precious / "thesis.txt").read_text() == "four years of work"
    a_file = tmp_path / "a-file.html"
    a_file.write_text("mine")
    r = alice.copart("site", str(a_file), cwd=sample)
    assert r.code == 2 and a_file.read_text() == "mine", r
    r = alice.copart("site", str(sample), cwd=sample)  # the repertoire itself
    assert r.code == 2, r
    assert not (sample / "index.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert alice.copart("site", str(empty), cwd=sample).ok


def test_rebuilding_replaces_a_previous_site_and_drops_removed_entries(alice, sample, tmp_path):
    out = tmp_path / "site"
    _site(alice, sample, out)
    old_page = out / "stories" / "the-instagram-campaign-that-flopped.html"
    assert old_page.is_file()
    assert alice.copart("rm", "the-instagram-campaign-that-flopped", cwd=sample).ok
    again = _site(alice, sample, out)
    assert again["replaced"] is True
    assert not old_page.exists()
    assert (out / "index.html").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")], "no temporary folders left behind"


def test_a_rebuild_follows_attachments_and_aliases_that_came_since(alice, sample, tmp_path):
    """The render cache is keyed by where each link leads: an embed whose file arrives, or a
    [[link]] whose alias appears, is rendered again, not served stale from the cache."""
    out = tmp_path / "site"
    story = sample / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\n![[chart.png]] and [[The pricing checklist]] and ![](chart.png)\n")
    _site(alice, sample, out)
    page = out / "stories" / "pricing-a-first-workshop.html"
    assert "<img" not in page.read_text() and "<em>chart.png</em>" in page.read_text()
    (sample / "stories" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    checklist = sample / "practices" / "costing-checklist-for-a-workshop.md"
    checklist.write_text(checklist.read_text().replace("\n---\n", "\naliases: [The pricing checklist]\n---\n", 1))
    _site(alice, sample, out)
    html = page.read_text()
    assert html.count('src="../files/stories/chart.png"') == 2
    assert 'href="../practices/costing-checklist-for-a-workshop.html"' in html
    assert (out / "files" / "stories" / "chart.png").read_bytes() == b"\x89PNG\r\n\x1a\n"


def test_template_errors_name_the_template_and_line_and_keep_the_previous_site(alice, sample, tmp_path):
    out = tmp_path / "site"
    _site(alice, sample, out)
    before = (out / "index.html").read_text()
    override = sample / ".copart" / "templates" / "site"
    override.mkdir(parents=True)
    (override / "home.html").write_text('{% extends "site/base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n')
    r = alice.copart("site", str(out), cwd=sample)
    assert r.code == 1, r
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("copart: error: ") and "home.html:3" in lines[0] and "syntax" in lines[0], r
    assert "Traceback" not in r.stderr
    assert (out / "index.html").read_text() == before  # the old site is untouched

    (override / "home.html").write_text('{% extends "site/base.html" %}\n{% block main %}\n\n{{ no_such_name.x }}\n{% endblock %}\n')
    r = alice.copart("site", str(out), cwd=sample)
    assert r.code == 1 and "home.html:4" in r.stderr and "no_such_name" in r.stderr, r

    # sandboxed: no reaching Python internals, no reading files
    (override / "home.html").write_text('{% extends "site/base.html" %}\n{% block main %}\n'
                                        "{{ site.__class__.__mro__[1].__subclasses__() }}\n{% endblock %}\n")
    r = alice.copart("site", str(out), cwd=sample)
    assert r.code == 1 and "Traceback" not in r.stderr and "__subclasses__" not in (out / "index.html").read_text(), r
    (override / "home.html").write_text('{% extends "site/base.html" %}\n{% block main %}\n'
                                        "{% include '/etc/passwd' %}{% include '../../copart.yaml' %}\n{% endblock %}\n")
    r = alice.copart("site", str(out), cwd=sample)
    assert r.code == 1 and "root:" not in r.stderr, r

    # a working override is used
    (override / "home.html").write_text('{% extends "site/base.html" %}\n{% block main %}<h1>Our own home for {{ site.name }}</h1>{% endblock %}\n')
    assert alice.copart("site", str(out), cwd=sample).ok
    assert "Our own home for 4XP" in (out / "index.html").read_text()


# -- in a real browser ---------------------------------------------------------------------------


@needs_browser
def test_in_a_browser_from_disk_links_search_and_a_hostile_entry(alice, sample, tmp_path, browser):
    _with_hostile(alice, sample)
    out = tmp_path / "site"
    _site(alice, sample, out)
    home = out.resolve().as_uri() + "/index.html"

    browser.goto(home)
    assert browser.js("document.title") == "4XP"
    assert browser.js("getComputedStyle(document.querySelector('header.top')).display") == "flex"  # CSS loaded
    browser.screenshot(tmp_path / "home.png")
    assert (tmp_path / "home.png").stat().st_size > 10_000

    # follow links as a reader: home -> a story -> its [[wiki link]] -> back through "Linked from"
    browser.click("a[href='stories/pricing-a-first-workshop.html']")
    assert browser.js("document.querySelector('h1').textContent") == "Pricing a first workshop"
    browser.click("a.wikilink[href='../practices/costing-checklist-for-a-workshop.html']")
    assert browser.js("document.querySelector('h1').textContent") == "Costing checklist for a workshop"
    browser.click("section.backlinks a[href='../stories/pricing-a-first-workshop.html']")
    assert browser.js("location.pathname").endswith("/stories/pricing-a-first-workshop.html")
    browser.click("a.author")
    assert browser.js("document.querySelector('h1').textContent") == "Rosa Lindqvist"

    # type into the search box in the header, submit, and refine on the search page
    browser.goto(home)
    browser.type("header input[name=q]", "costing")
    mark = len(browser.events)
    browser.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter", "code": "Enter",
                                            "windowsVirtualKeyCode": 13, "text": "\r"}, session=True)
    browser.wait_event("Page.loadEventFired", mark)
    assert browser.js("location.pathname").endswith("/search.html")
    assert "Costing checklist for a workshop" in browser.js(
        "[...document.querySelectorAll('#results a')].map(a => a.textContent)")
    browser.js("document.getElementById('q').value = ''")
    browser.type("#q", "chair renting")
    hits = browser.js("[...document.querySelectorAll('#results a')].map(a => [a.textContent, a.getAttribute('href')])")
    assert hits and hits[0] == ["Is a chair-renting stylist really self-employed?",
                                "asks/is-a-chair-renting-stylist-really-self-employed.html"], hits
    browser.click("#results a")
    assert browser.js("document.querySelector('h1').textContent") == "Is a chair-renting stylist really self-employed?"

    # the hostile story: nothing in it runs, and it is still readable
    browser.goto(out.resolve().as_uri() + "/stories/a-hostile-story.html")
    time.sleep(0.3)
    assert browser.js("document.title").startswith("A hostile story <script>")
    for flag in ("__pwned", "__pwned_img", "__pwned_link", "__pwned_title"):
        assert browser.js(f"typeof window.{flag}") == "undefined", flag
    assert browser.dialogs() == []
    assert browser.js("document.querySelectorAll('main script, main iframe, main svg, main form').length") == 0
    assert browser.js("[...document.querySelectorAll('a')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') || '')).length") == 0
    assert browser.js("getComputedStyle(document.body).display") != "none"
    assert "there." in browser.js("document.querySelector('.body').textContent")
    # its links, once stripped of javascript:, go nowhere when clicked
    browser.js("document.querySelectorAll('.body a').forEach(a => a.click())")
    time.sleep(0.3)
    assert browser.js("typeof window.__pwned_link") == "undefined" and browser.dialogs() == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_browser
def test_in_a_browser_served_over_http(alice, sample, tmp_path, browser):
    out = tmp_path / "site"
    _site(alice, sample, out)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        browser.goto(base + "/index.html")
        assert browser.js("document.title") == "4XP"
        browser.click("a[href='members.html']")
        browser.click("a[href='members/jfawcett.html']")
        assert browser.js("document.querySelector('h1').textContent") == "Judith Fawcett"
        browser.goto(base + "/search.html?q=vat")
        titles = browser.js("[...document.querySelectorAll('#results a')].map(a => a.textContent)")
        assert "VAT quarter cash-flow check" in titles
        browser.screenshot(tmp_path / "served-search.png")
    finally:
        server.terminate()
        server.wait(timeout=10)
