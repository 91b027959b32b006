"""Markdown → sanitised HTML: the one module that imports markdown-it-py, its plugins and nh3.

User text is rendered by markdown-it-py, then cleaned by nh3, so a `<script>`, an `onerror=`
or a `javascript:` link in an entry comes out inert. Obsidian's syntax renders too: task
lists, footnotes, `> [!note] callouts`, `==highlights==`, headings with anchors (`h-<slug>`,
which a [[page#Heading]] link leads to). `[[wiki links]]` and `![[embeds]]` are parsed here;
where each one leads is the caller's business (`link`: target, anchor, embed -> (tag, url) or
None), and so is where a relative Markdown link or image leads (`url`: value, is image, the
entry's folder -> url or None, which drops it).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from copart_cli.core.links import WIKI_LINK, heading_anchor

Link = Callable[[str, str, bool], "tuple[str, str] | None"]
Url = Callable[[str, bool, str], "str | None"]
CALLOUTS = ("note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important", "success", "check",
            "done", "question", "help", "faq", "warning", "caution", "attention", "failure", "fail", "missing",
            "danger", "error", "bug", "example", "quote", "cite")
_CALLOUT = re.compile(r"^\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*(.*)$")


class MarkdownRenderer:
    """Markdown to sanitised HTML; a [[link]] becomes an `a.wikilink` (an `img.embed` for an
    embedded image), or an `em` when `link` has no page for it."""

    def __init__(self, link: Link, url: Url | None = None):
        from markdown_it import MarkdownIt
        from mdit_py_plugins.anchors import anchors_plugin
        from mdit_py_plugins.footnote import footnote_plugin

        self.link = link
        self.url = url
        self.md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
        self.md.options["tasklists"] = True
        self.md.use(footnote_plugin, inline=False).use(anchors_plugin, min_level=1, max_level=6,
                                                       slug_func=heading_anchor)
        self.md.inline.ruler.before("link", "wikilink", self._wikilink)
        self.md.inline.ruler.before("link", "embed", self._wikilink)
        self.md.inline.ruler.before("emphasis", "highlight", _highlight)
        self.md.core.ruler.push("callouts", _callouts)
        self.md.core.ruler.push("urls", self._urls)

    def _wikilink(self, state, silent: bool) -> bool:
        embed = state.src.startswith("![[", state.pos)
        if not (embed or state.src.startswith("[[", state.pos)):
            return False
        m = WIKI_LINK.match(state.src, state.pos + embed)
        if not m:
            return False
        if not silent:
            target = m.group(1).strip()
            anchor = (m.group(2) or "")[1:]
            label = (m.group(3) or "").strip() or target + (f" › {anchor}" if anchor else "")
            found = self.link(target, anchor, embed)
            if found is not None and found[0] == "img":
                from markdown_it.token import Token

                alt = label if m.group(3) and not m.group(3).strip().isdigit() else target  # |200 is a width
                tok = state.push("image", "img", 0)
                tok.attrs = {"src": found[1], "alt": "", "class": "embed"}
                tok.children = [Token("text", "", 0, content=alt)]
                tok.content = alt
            elif found is not None:
                tok = state.push("link_open", "a", 1)
                tok.attrs = {"href": found[1], "class": "wikilink"}
                state.push("text", "", 0).content = label
                state.push("link_close", "a", -1)
            else:
                state.push("em_open", "em", 1)
                state.push("text", "", 0).content = label
                state.push("em_close", "em", -1)
        state.pos = m.end()
        return True

    def _urls(self, state) -> None:
        """Relative links and images as the caller maps them (an entry's `![](chart.png)`)."""
        base = (state.env or {}).get("base", "")
        for block in state.tokens:
            for tok in block.children or ():
                if tok.type == "image" and "class" not in tok.attrs:
                    src = self._mapped(str(tok.attrs.get("src", "")), True, base)
                    if src is None:  # an image from nowhere the site has: its alt text alone
                        tok.type, tok.tag, tok.attrs, tok.children = "text", "", {}, None
                    else:
                        tok.attrs["src"] = src
                elif tok.type == "link_open" and "class" not in tok.attrs:
                    href = self._mapped(str(tok.attrs.get("href", "")), False, base)
                    if href is None:
                        tok.attrs.pop("href", None)
                    else:
                        tok.attrs["href"] = href

    def _mapped(self, value: str, image: bool, base: str) -> str | None:
        if self.url is None:
            return value
        return self.url(value, image, base)

    def html(self, markdown: str, base: str = "") -> str:
        """`base`: the folder of the entry the text is from, for its relative links."""
        return sanitise(self.md.render(markdown, {"base": base}))


def _highlight(state, silent: bool) -> bool:
    """==text== as <mark>text</mark> (Obsidian's highlight)."""
    src, start = state.src, state.pos
    if not src.startswith("==", start) or src.startswith("===", start):
        return False
    end = src.find("==", start + 2)
    if end < 0 or end == start + 2 or src[start + 2].isspace() or src[end - 1].isspace():
        return False
    if not silent:
        state.push("mark_open", "mark", 1)
        old_max, state.posMax, state.pos = state.posMax, end, start + 2
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("mark_close", "mark", -1)
    state.pos = end + 2
    return True


def _callouts(state) -> None:
    """`> [!warning] Title` blockquotes as `div.callout.callout-warning` with a title line."""
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "blockquote_open" or i + 2 >= len(tokens) or tokens[i + 2].type != "inline":
            continue
        inline = tokens[i + 2]
        first, _, rest = inline.content.partition("\n")
        m = _CALLOUT.match(first)
        if not m:
            continue
        kind = m.group(1).lower()
        tok.tag, tok.attrs = "div", {"class": f"callout callout-{kind if kind in CALLOUTS else 'note'}"}
        depth = 1
        for close in tokens[i + 1:]:
            depth += {"blockquote_open": 1, "blockquote_close": -1}.get(close.type, 0)
            if depth == 0:
                close.tag = "div"
                break
        title = m.group(3).strip() or kind.capitalize()
        from markdown_it.token import Token

        inline.content = rest
        inline.children = []
        state.md.inline.parse(rest, state.md, state.env, inline.children)
        heading = [Token("paragraph_open", "p", 1, attrs={"class": "callout-title"}),
                   Token("inline", "", 0, content=title, children=[]), Token("paragraph_close", "p", -1)]
        state.md.inline.parse(title, state.md, state.env, heading[1].children)
        tokens[i + 1:i + 1] = heading


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ANCHOR_ID = re.compile(r"^(h-[a-z0-9-]*|fn\d+|fnref\d+(:\d+)?)$")  # ours: a partner's cannot clobber the page's names
_FILES = re.compile(r"^(\.\./)?files/")


def _stays_inside(tag: str, attribute: str, value: str) -> str | None:
    """A relative href/src must lead to a page of the site: never rooted (/etc, //host, which is
    file://host from disk), never above the site (../../etc, %2e%2e/…). Bodies sit one folder
    deep (stories/x.html), so the path is judged from there. Schemes are nh3's to judge, except
    for images: an image shows only from the site's own files/ (never a remote tracker)."""
    if attribute == "id":
        return value if _ANCHOR_ID.match(value) else None
    if attribute not in ("href", "src"):
        return value
    text = unquote(value).strip().replace("\\", "/")
    if tag == "img" and attribute == "src" and (not _FILES.match(text) or ".." in text.split("/")[1:]):
        return None
    if _SCHEME.match(text):
        return value
    if text.startswith("/") or posixpath.normpath(posixpath.join("kind", text)).split("/")[0] == "..":
        return None
    return value


_CLASSES = {
    "a": {"wikilink", "footnote-backref"}, "img": {"embed"}, "ul": {"contains-task-list"},
    "li": {"task-list-item", "footnote-item"}, "input": {"task-list-item-checkbox"}, "sup": {"footnote-ref"},
    "section": {"footnotes"}, "ol": {"footnotes-list"}, "hr": {"footnotes-sep"}, "p": {"callout-title"},
    "div": {"callout", *(f"callout-{k}" for k in CALLOUTS)},
}


def sanitise(html: str) -> str:
    """Only harmless HTML survives: no scripts, no event handlers, no javascript: or data: links,
    no link out of the site, no image from outside it."""
    import nh3

    headings = {f"h{n}": {"id"} for n in range(1, 7)}
    return nh3.clean(
        html,
        attribute_filter=_stays_inside,
        tags=nh3.ALLOWED_TAGS | {"details", "summary", "section", "input"},
        attributes={**nh3.ALLOWED_ATTRIBUTES, **headings, "a": {"href", "title", "hreflang", "id"}, "li": {"id"},
                    "input": {"checked"}},
        set_tag_attribute_values={"input": {"type": "checkbox", "disabled": ""}},  # a task's box, never a field
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def engine_version() -> str:
    """The versions of the libraries, so a cache of rendered HTML is dropped when they change."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("markdown-it-py", "mdit-py-plugins", "nh3"):
        try:
            parts.append(version(dist))
        except PackageNotFoundError:
            parts.append("?")
    return "/".join(parts)
