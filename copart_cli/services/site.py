"""`copart site DIR`: the repertoire as a static HTML site.

Every page is rendered through the (sandboxed, overridable) templates in `templates/site/`;
every piece of user text is Markdown rendered and then sanitised (adapters/html.py),
so a `<script>`, an `onerror=` or a `javascript:` link in an entry comes out inert. Links are
relative, so the site works opened from disk (`file://`) and served by any web server.
Search runs in the browser over a prebuilt index loaded as a script (`static/search-index.js`,
not fetched: browsers refuse `fetch()` on `file://`).

The site is built in a temporary folder beside DIR and swapped in at the end, so a failed
build leaves the previous site as it was. DIR must be new, empty, or a site copart built
(it holds `.copart-site.json`); anything else is refused rather than overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from copart_cli import __version__
from copart_cli.core import ids
from copart_cli.core.errors import CopartError, UsageError
from copart_cli.adapters.html import MarkdownRenderer, engine_version
from copart_cli.adapters.files import copy_file, file_size, read_cache, write_cache
from copart_cli.core.model import Entry, Kind, Problem, as_datetime, iso, utcnow
from copart_cli.core.links import (WIKI_LINK, alias_map, attachment_map, heading_anchor, markdown_links, outgoing_links,
                                   relative_target, resolve_attachment, resolve_link)
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.validate import MAX_ATTACHMENT_BYTES

MARKER = ".copart-site.json"
RECENT = 12
KEYWORDS_PER_ENTRY = 60
PARALLEL_FROM = 400  # entries; below this, one process is faster than starting workers
_WORD = re.compile(r"[^\W_]{3,24}", re.UNICODE)
_STOP = frozenset(
    """the and for are but not you all any can had her was one our out has have him his how its may new now
    own see two way who did get let put say she too use this that with from they will would there their what
    about which when make like time just know take into year your some could them than then look only come
    over think also back after work first well even want because these give most been were said each more
    should very such here where being those while does done why went other many must much both same still
    every again between under need needs used using within without across into onto upon per via etc http
    https www com org html md""".split()
)


@dataclass
class SiteResult:
    view = "publish"
    path: Path
    pages: int
    entries: int
    members: int
    topics: int
    search_index_bytes: int
    seconds: float
    replaced: bool
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


# -- Markdown → safe HTML (adapters.html) -------------------------------------------------


@dataclass
class SiteLinks:
    """Where links lead in the site (handed to the render workers, so plain values only)."""

    pages: dict[str, str]  # entry id -> its page
    aliases: dict[str, str] = field(default_factory=dict)  # alias slug -> entry id (core.links.alias_map)
    files: dict[str, str] = field(default_factory=dict)  # how an embed names an attachment (attachment_map)
    urls: dict[str, str] = field(default_factory=dict)  # repertoire path (entry, copied attachment) -> site path

    def __post_init__(self):
        self.ids = set(self.pages)

    def wiki(self, target: str, anchor: str, embed: bool, root: str = "../") -> tuple[str, str] | None:
        entry_id = resolve_link(target, self.ids, self.aliases)
        if entry_id is not None:
            return "a", root + self.pages[entry_id] + (f"#{heading_anchor(anchor)}" if anchor else "")
        rel = resolve_attachment(target, self.files)
        if rel is None:
            return None
        return ("img" if embed and rel.lower().endswith(IMAGE_SUFFIXES) else "a"), root + quote(self.urls[rel])

    def url(self, value: str, image: bool, base: str, root: str = "../") -> str | None:
        """A Markdown link or image as written in an entry in folder `base`: a page or a copied
        file of the site, an outside link (never an outside image), or None (dropped)."""
        value = value.strip()
        if value.startswith("#"):
            return "#" + heading_anchor(unquote(value[1:])) if len(value) > 1 else value
        to = relative_target(value, base)
        if to is None:
            return value if not image and _OUTSIDE.match(value) else None
        path, anchor = to
        site = self.urls.get(path)
        if site is None or image and not path.lower().endswith(IMAGE_SUFFIXES):
            return None
        return root + quote(site) + (f"#{heading_anchor(unquote(anchor))}" if anchor and site.endswith(".html") else "")


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".ico")
# What the site copies: files a browser shows or downloads and never runs. Never .html, .svg or
# .js: in the site they would run as its own pages (a partner's script on the site's origin).
SITE_FILE_SUFFIXES = (*IMAGE_SUFFIXES, ".pdf", ".txt", ".csv", ".tsv", ".json", ".docx", ".xlsx", ".pptx",
                      ".odt", ".ods", ".odp", ".zip", ".mp3", ".mp4", ".webm", ".ogg", ".wav")
_OUTSIDE = re.compile(r"^(https?|mailto):", re.I)


def html_renderer(links: SiteLinks, root: str = "../") -> MarkdownRenderer:
    """A renderer whose links lead to the site's pages and files (`root`: from the page to the site's top)."""
    return MarkdownRenderer(lambda target, anchor, embed: links.wiki(target, anchor, embed, root),
                            lambda value, image, base: links.url(value, image, base, root))


def keywords(text: str, limit: int = KEYWORDS_PER_ENTRY) -> list[str]:
    """The words that best describe a text, for the search index: the most frequent non-stopwords."""
    counts = Counter(w for w in _WORD.findall(text.lower()) if w not in _STOP and not w.isdigit())
    return [w for w, _ in counts.most_common(limit)]


# One renderer per worker process, built by the pool initializer.
_worker: MarkdownRenderer | None = None


def _init_worker(links: SiteLinks) -> None:
    global _worker
    _worker = html_renderer(links)
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report (one line, exit 130)


def _render_one(item: tuple[int, tuple[str, str]]) -> tuple[int, str, list[str]]:
    index, (body, base) = item
    assert _worker is not None
    return index, _worker.html(body, base), keywords(body)


def render_bodies(bodies: list[tuple[str, str]], links: SiteLinks, jobs: int | None = None,
                  cache: dict[str, list] | None = None) -> list[tuple[str, list[str]]]:
    """Every (body, its entry's folder) as (html, keywords), on several cores when there are many.

    `cache` maps a body's cache key (see `cache_key`) to a previous [html, keywords]; hits
    are reused, misses rendered, and the cache is updated in place with what this build used.
    """
    jobs = jobs or os.cpu_count() or 1
    results: list[tuple[str, list[str]]] = [("", [])] * len(bodies)
    keys = [cache_key(b, base, links) for b, base in bodies] if cache is not None else []
    todo = []
    for i, body in enumerate(bodies):
        hit = cache.get(keys[i]) if cache is not None else None
        if hit is not None:
            results[i] = (hit[0], hit[1])
        else:
            todo.append((i, body))
    todo.sort(key=lambda it: -len(it[1][0]))  # big ones first: even work
    if jobs > 1 and len(todo) >= PARALLEL_FROM:
        import multiprocessing

        ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else multiprocessing.get_context()
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(links,)) as pool:
            for index, html, words in pool.imap_unordered(_render_one, todo, chunksize=2):
                results[index] = (html, words)
    elif todo:
        _init_worker(links)
        for item in todo:
            index, html, words = _render_one(item)
            results[index] = (html, words)
    if cache is not None:
        cache.clear()
        cache.update({keys[i]: [html, words] for i, (html, words) in enumerate(results)})
    return results


RENDER_VERSION = "2"


def cache_key(body: str, base: str, links: SiteLinks) -> str:
    """What a body's HTML depends on: its text, and where each of its links leads from its folder."""
    import hashlib

    digest = hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()
    if "[" not in body:
        return digest
    led = sorted({f"{m.group(0)}>{links.wiki(m.group(1).strip(), (m.group(2) or '')[1:], True)}"
                  for m in WIKI_LINK.finditer(body)}
                 | {f"{m.group(0)}>{links.url(m.group(3), bool(m.group(1)), base)}" for m, _ in markdown_links(body)})
    return digest + "|" + hashlib.sha1("\n".join(led).encode("utf-8", "surrogatepass")).hexdigest()


def _cache_version() -> str:
    return "/".join([RENDER_VERSION, __version__, engine_version()])


# -- the output folder ---------------------------------------------------------------------


def check_target(out: Path) -> bool:
    """True if `out` holds a previous copart site (to be replaced); raise if it must not be touched."""
    if not out.exists() and not out.is_symlink():
        return False
    if out.is_symlink() or not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder; refusing to overwrite it",
                         hint="choose a new folder for the site")
    if (out / MARKER).is_file():
        return True
    try:
        empty = not any(out.iterdir())
    except OSError as exc:
        raise CopartError(f"cannot read {out}: {exc.strerror or exc}") from None
    if empty:
        return False
    raise UsageError(f"{out} exists and is not a copart site (no {MARKER}); refusing to overwrite it",
                     hint="choose a new or empty folder, or one a previous `copart site` made")


def _swap_in(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        if old is not None:
            os.replace(old, out)  # put the previous site back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- building -------------------------------------------------------------------------------


def page_of(entry: Entry) -> str:
    """The site path of an entry's page: `<kind folder>/<id>.html`, one folder deep whatever
    subfolder the entry is in (so every page's links are judged from one depth)."""
    return f"{entry.path.split('/', 1)[0]}/{entry.path.rsplit('/', 1)[-1].removesuffix('.md')}.html"


class _Slugs:
    """Stable, unique file names for topics and tags."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        if name not in self.names:
            base = ids.slugify(name) or "x"
            slug, n = base, 2
            while slug in self.used:
                slug, n = f"{base}-{n}", n + 1
            self.used.add(slug)
            self.names[name] = slug
        return self.names[name]


def build_site(rep: Repertoire, out: Path, jobs: int | None = None, now: dt.datetime | None = None) -> SiteResult:
    started = time.perf_counter()
    now = now or utcnow()
    out = Path(os.path.abspath(out.expanduser()))
    replaced = check_target(out)
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} does not exist", hint="create the parent folder first")
    cache_path = rep.state_dir / "site-cache.json"  # local, derived: never committed
    cache = read_cache(cache_path, _cache_version())
    b = _Build(rep, now, jobs, cache)
    b.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        b.entry_pages()
        b.list_pages()
        pathway_cards = b.pathway_pages()
        b.home(pathway_cards)
        b.files()
        index_bytes = b.static_files()
        marker = {"generator": "copart", "version": __version__, "community": b.config.name, "built": iso(now),
                  "pages": b.pages, "entries": len(b.entries)}
        (b.tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _swap_in(b.tmp, out)
        write_cache(cache_path, _cache_version(), cache)
    except BaseException:
        shutil.rmtree(b.tmp, ignore_errors=True)
        raise
    return SiteResult(out, b.pages, len(b.entries), len(b.snap.members), len(b.by_topic), index_bytes,
                      round(time.perf_counter() - started, 2), replaced, b.snap.unreadable)


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _newest(items: list[Entry]) -> list[Entry]:
    return sorted(items, key=lambda e: (e.created or dt.datetime.min.replace(tzinfo=dt.timezone.utc), e.id),
                  reverse=True)


class _Build:
    """One site build: everything read once, then one method per group of pages, written into `tmp`."""

    def __init__(self, rep: Repertoire, now: dt.datetime, jobs: int | None, cache: dict[str, list]):
        from copart_cli.adapters import templating
        from copart_cli.services import pathways
        from copart_cli.services.snapshot import Snapshot

        self.snap = snap = Snapshot(rep)
        self.entries = sorted(snap.entries, key=lambda e: e.path)
        self.known = {e.id: page_of(e) for e in self.entries}
        self.known_ids = set(self.known)
        self.aliases = alias_map(self.entries)
        self.copy = [rel for rel in rep.attachment_paths() if rel.lower().endswith(SITE_FILE_SUFFIXES)
                     and (file_size(rep.root / rel, rel) or 0) <= MAX_ATTACHMENT_BYTES]  # no link, nothing huge
        self.root = rep.root
        self.links = SiteLinks(self.known, self.aliases, attachment_map(self.copy),
                               {**{rel: f"files/{rel}" for rel in self.copy}, **{e.path: self.known[e.id] for e in self.entries}})
        rendered = render_bodies([(e.body, e.path.rsplit("/", 1)[0]) for e in self.entries], self.links, jobs, cache)
        self.html_of = {e.id: rendered[i][0] for i, e in enumerate(self.entries)}
        self.words_of = {e.id: rendered[i][1] for i, e in enumerate(self.entries)}
        self.backlinks: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            for target in outgoing_links(e, self.known_ids, self.aliases):
                if target != e.id and not (e.kind == Kind.answer.value and str(e.meta.get("answers")) == target):
                    self.backlinks[target].append(e)
        self.topic_slug, self.tag_slug = _Slugs(), _Slugs()
        self.by_topic: dict[str, list[Entry]] = defaultdict(list)
        self.by_tag: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            for t in dict.fromkeys(e.topics):
                self.by_topic[t].append(e)
            for t in dict.fromkeys(e.tags):
                self.by_tag[t].append(e)
        self.cards = {e.id: self.card(e) for e in self.entries}
        self.config = rep.config
        self.paths_found = pathways.load_all(rep)
        self.accredited = _accredited(rep, {p.name: p.title for p in self.paths_found})
        self.renderer = templating.Renderer(rep.root, autoescape=True)
        self.safe = self.renderer.safe
        self.intro = html_renderer(self.links, root="")
        self.site = {
            "name": self.config.name,
            "domain": self.config.domain,
            "generator": f"copart {__version__}",
            "built": iso(now),
            "has_pathways": bool(self.paths_found),
        }
        self.tmp = Path()
        self.pages = 0

    def card(self, e: Entry) -> dict[str, Any]:
        from copart_cli.services.snapshot import summary

        author, snap = e.author, self.snap
        return {
            "id": e.id,
            "kind": e.kind,
            "title": e.title,
            "url": self.known[e.id],
            "author": author,
            "author_name": snap.member_name(author) if author else "",
            "author_url": self.known.get(author, "") if author in snap.members else "",
            "created": _date(e.created),
            "topics": [{"name": t, "url": f"topics/{self.topic_slug(t)}.html"} for t in dict.fromkeys(e.topics)],
            "tags": [{"name": t, "url": f"tags/{self.tag_slug(t)}.html"} for t in dict.fromkeys(e.tags)],
            "summary": summary(e),
            "status": str(e.meta.get("status") or "open") if e.kind == Kind.ask.value else "",
            "accepted": bool(e.meta.get("accepted")) if e.kind == Kind.answer.value else False,
            "source": e.source or "",
        }

    def write(self, rel: str, template: str, depth: int, **context: Any) -> None:
        html = self.renderer.render(template, {"site": self.site, "root": "../" * depth, "page": rel, **context})
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        self.pages += 1

    def entry_pages(self) -> None:
        cards, safe, snap = self.cards, self.safe, self.snap
        for kind in Kind:
            (self.tmp / kind.folder).mkdir()
        for e in self.entries:
            c = cards[e.id]
            answers = [dict(cards[a.id], html=safe(self.html_of[a.id])) for a in snap.answers.get(e.id, [])]
            answers.sort(key=lambda a: not a["accepted"])
            context = {
                "entry": c,
                "body": safe(self.html_of[e.id]),
                "backlinks": [cards[b.id] for b in sorted(self.backlinks.get(e.id, []), key=lambda b: b.title.lower())],
                "links": [cards[t] for t in sorted(outgoing_links(e, self.known_ids, self.aliases)) if t != e.id],
                "answers": answers,
                "ask": cards.get(str(e.meta.get("answers"))) if e.kind == Kind.answer.value else None,
            }
            if e.kind == Kind.member.value:
                self.member_page(e, c, context)
            else:
                self.write(c["url"], "site/entry.html", 1, **context)

    def member_page(self, e: Entry, c: dict[str, Any], context: dict[str, Any]) -> None:
        m, cards = e.meta, self.cards
        wrote = [cards[x.id] for x in _newest([x for x in self.entries if x.author == e.id
                                               and x.kind not in (Kind.answer.value, Kind.member.value)])]
        answered = [cards[x.id] for x in _newest([x for x in self.entries
                                                  if x.author == e.id and x.kind == Kind.answer.value])]
        profile = {k: _listish(m.get(k)) for k in ("roles", "expertise", "offers", "needs", "accreditations")}
        profile.update({k: str(m.get(k) or "") for k in ("name", "location", "status")})
        profile["joined"] = _date(as_datetime(m.get("joined")))
        profile["pathways"] = self.accredited.get(e.id, [])
        self.write(c["url"], "site/member.html", 1, **context, profile=profile, wrote=wrote, answered=answered)

    def listing(self, rel: str, title: str, items: list[Entry], depth: int = 0, intro_text: str = "") -> None:
        self.write(rel, "site/list.html", depth, title=title, intro=intro_text,
                   entries=[self.cards[e.id] for e in items])

    def list_pages(self) -> None:
        snap, cards, by_topic, by_tag = self.snap, self.cards, self.by_topic, self.by_tag
        kinds_pages = [
            ("stories.html", "Stories", Kind.story, "What happened and what we learned."),
            ("practices.html", "Practice notes", Kind.practice, "How we do things: checklists, tools, methods."),
            ("asks.html", "Asks", Kind.ask, "Questions put to the community, open ones first."),
        ]
        for rel, title, kind, text in kinds_pages:
            items = _newest(snap.of_kind(kind.value))
            if kind is Kind.ask:
                items.sort(key=lambda e: str(e.meta.get("status") or "open") != "open")
            self.listing(rel, title, items, 0, text)
        members = sorted(snap.of_kind(Kind.member.value), key=lambda e: snap.member_name(e.id).lower())
        self.write("members.html", "site/members.html", 0,
                   members=[dict(cards[e.id], name=snap.member_name(e.id),
                                 expertise=_listish(e.meta.get("expertise")), roles=_listish(e.meta.get("roles")),
                                 status=str(e.meta.get("status") or "active")) for e in members])
        for topic, items in by_topic.items():
            self.listing(f"topics/{self.topic_slug(topic)}.html", f"Topic: {topic}", _newest(items), 1)
        for tag, items in by_tag.items():
            self.listing(f"tags/{self.tag_slug(tag)}.html", f"Tag: {tag}", _newest(items), 1)
        self.write("topics.html", "site/topics.html", 0,
                   topics=[{"name": t, "url": f"topics/{self.topic_slug(t)}.html", "count": len(by_topic[t])}
                           for t in sorted(by_topic, key=str.lower)],
                   tags=[{"name": t, "url": f"tags/{self.tag_slug(t)}.html", "count": len(by_tag[t])}
                         for t in sorted(by_tag, key=str.lower)])

    def pathway_pages(self) -> list[dict[str, Any]]:
        pathway_cards = []
        for p in self.paths_found:
            steps = []
            for step in p.steps:
                target = self.snap.by_id.get(step.id)
                steps.append({"id": step.id, "note": step.note, "entry": self.cards.get(step.id) if target else None})
            pc = {"name": p.name, "title": p.title, "url": f"pathways/{p.name}.html", "steps": len(steps),
                  "description": p.description}
            pathway_cards.append(pc)
            self.write(pc["url"], "site/pathway.html", 1, pathway=pc, steps=steps,
                       intro=self.safe(self.intro.html(p.body)))
        if pathway_cards:
            self.write("pathways.html", "site/pathways.html", 0, pathways=pathway_cards)
        return pathway_cards

    def home(self, pathway_cards: list[dict[str, Any]]) -> None:
        snap, cards, by_topic, config = self.snap, self.cards, self.by_topic, self.config
        open_asks = [cards[e.id] | {"answers": len(snap.answers.get(e.id, []))}
                     for e in _newest(snap.of_kind(Kind.ask.value)) if str(e.meta.get("status") or "open") == "open"]
        counts = {k.value: len(snap.of_kind(k.value)) for k in Kind}
        self.write("index.html", "site/home.html", 0,
                   description=self.safe(self.intro.html(config.description)) if config.description else "",
                   counts=counts,
                   stories=[cards[e.id] for e in _newest(snap.of_kind(Kind.story.value))[:RECENT]],
                   practices=[cards[e.id] for e in _newest(snap.of_kind(Kind.practice.value))[:RECENT]],
                   open_asks=open_asks,
                   pathways=pathway_cards,
                   topics=[{"name": t, "url": f"topics/{self.topic_slug(t)}.html", "count": len(by_topic[t])}
                           for t in sorted(by_topic, key=lambda t: (-len(by_topic[t]), t.lower()))[:30]])
        self.write("search.html", "site/search.html", 0)

    def files(self) -> None:
        """The attachments the site may show, under files/ by their repertoire path: regular files
        only, read without following a link (one made since the listing is refused, not followed)."""
        for rel in self.copy:
            copy_file(self.root / rel, rel, self.tmp / "files" / rel, MAX_ATTACHMENT_BYTES)

    def static_files(self) -> int:
        """The stylesheet, the search script and its prebuilt index; returns the index's size in bytes."""
        static = self.tmp / "static"
        static.mkdir()
        for name in ("site.css", "search.js"):
            data = self.renderer.source_bytes(f"site/static/{name}")
            if data is None:
                raise CopartError(f"the site template file site/static/{name} is missing", hint="reinstall copart")
            (static / name).write_bytes(data)
        snap = self.snap
        index = {
            "fields": ["title", "url", "kind", "author", "labels", "words", "summary"],
            "docs": [
                [e.title, self.known[e.id], e.kind, snap.member_name(e.author) if e.author else "",
                 " ".join(dict.fromkeys([*e.topics, *e.tags])).lower(), " ".join(self.words_of[e.id]),
                 self.cards[e.id]["summary"][:160]]
                for e in self.entries
            ],
        }
        payload = "window.COPART_SEARCH = " + json.dumps(index, ensure_ascii=False, separators=(",", ":")) + ";\n"
        (static / "search-index.js").write_text(payload, encoding="utf-8")
        return len(payload.encode("utf-8"))


def _listish(value: Any) -> list[str]:
    from copart_cli.core.model import as_list

    return as_list(value)


def _accredited(rep: Repertoire, titles: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """member -> the pathways they hold a proven accreditation in (accreditations.py), for their page."""
    from copart_cli.services import accreditations

    out: dict[str, list[dict[str, str]]] = {}
    for a in accreditations.prove(rep, accreditations.load_all(rep)):
        if a.status == accreditations.PROVEN or a.status.startswith("unsigned"):
            out.setdefault(a.member, []).append({"name": a.pathway, "title": titles.get(a.pathway, a.pathway),
                                                 "by": a.granted_by, "granted": _date(a.granted)})
    return out
