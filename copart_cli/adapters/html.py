"""Markdown → sanitised HTML: the one module that imports markdown-it-py and nh3.

User text is rendered by markdown-it-py, then cleaned by nh3, so a `<script>`, an `onerror=`
or a `javascript:` link in an entry comes out inert. `[[wiki links]]` are parsed here; where
each one leads is the caller's business (a `link` function: target → href, or None).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from copart_cli.core.links import WIKI_LINK


class MarkdownRenderer:
    """Markdown to sanitised HTML; a [[link]] becomes an `a.wikilink`, or an `em` when `link` has no page."""

    def __init__(self, link: Callable[[str], str | None]):
        from markdown_it import MarkdownIt

        self.link = link
        self.md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
        self.md.inline.ruler.before("link", "wikilink", self._wikilink)

    def _wikilink(self, state, silent: bool) -> bool:
        if not state.src.startswith("[[", state.pos):
            return False
        m = WIKI_LINK.match(state.src, state.pos)
        if not m:
            return False
        if not silent:
            target = m.group(1).strip()
            label = (m.group(3) or "").strip() or target
            href = self.link(target)
            if href is not None:
                tok = state.push("link_open", "a", 1)
                tok.attrs = {"href": href, "class": "wikilink"}
                text = state.push("text", "", 0)
                text.content = label
                state.push("link_close", "a", -1)
            else:
                state.push("em_open", "em", 1)
                text = state.push("text", "", 0)
                text.content = label
                state.push("em_close", "em", -1)
        state.pos = m.end()
        return True

    def html(self, markdown: str) -> str:
        return sanitise(self.md.render(markdown))


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _stays_inside(tag: str, attribute: str, value: str) -> str | None:
    """A relative href/src must lead to a page of the site: never rooted (/etc, //host, which is
    file://host from disk), never above the site (../../etc, %2e%2e/…). Bodies sit one folder
    deep (stories/x.html), so the path is judged from there. Schemes are nh3's to judge."""
    if attribute not in ("href", "src"):
        return value
    text = unquote(value).strip().replace("\\", "/")
    if _SCHEME.match(text):
        return value
    if text.startswith("/") or posixpath.normpath(posixpath.join("kind", text)).split("/")[0] == "..":
        return None
    return value


def sanitise(html: str) -> str:
    """Only harmless HTML survives: no scripts, no event handlers, no javascript: or data: links,
    no link out of the site."""
    import nh3

    return nh3.clean(
        html,
        attribute_filter=_stays_inside,
        tags=nh3.ALLOWED_TAGS | {"details", "summary"},
        attributes={**nh3.ALLOWED_ATTRIBUTES, "a": {"href", "title", "hreflang"}},
        allowed_classes={"a": {"wikilink"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def engine_version() -> str:
    """The versions of the two libraries, so a cache of rendered HTML is dropped when they change."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("markdown-it-py", "nh3"):
        try:
            parts.append(version(dist))
        except PackageNotFoundError:
            parts.append("?")
    return "/".join(parts)
