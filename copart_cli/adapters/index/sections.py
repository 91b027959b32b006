"""An entry's heading sections: found, scored against a question, and shown as plain text.

A long page answers many questions, each in a section; `ask` scores the sections of its best
candidates (BM25 over the section's words, the question's idf from the index) and shows the
best one: its heading path and its first lines, with the Markdown taken off (links keep
their text, images their alt text, HTML tags go, entities are decoded).
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from copart_cli.adapters.files import read_bytes
from copart_cli.adapters.index.analysis import fast_terms
from copart_cli.adapters.index.documents import MAX_BODY_CHARS, split_body
from copart_cli.core.errors import LinkRefused

MAX_SECTIONS = 400  # a page cut into more sections is scored on its first 400


@dataclass(frozen=True)
class SectionParams:
    """Chosen on the dev questions with the entry-level parameters (tests/relevance/tune.py)."""

    heading: float = 3.0  # a heading word counts this many times a word of the text (1, 3 tried)
    b: float = 0.6  # length normalisation of a section (0.3, 0.6 tried)
    k1: float = 3.0  # as the entries' (scoring.PARAMS)
    weight: float = 0.25  # an entry's score gains this share of its best section's score (0 to 1 tried)
    window: int = 20  # the sections of this many best entries are scored


SECTION_PARAMS = SectionParams()


@dataclass
class Section:
    """A slice of the body: the text under one heading, up to the next heading."""

    body: str = field(repr=False)
    raw_headings: list[str]  # the heading path as written, outermost first ([] before the first heading)
    start: int  # body[start:end] is the section's own text
    end: int
    score: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)  # term -> count (heading words weighted)
    length: int = 0  # words, heading path included
    words: int = 0  # words of its own text

    @property
    def headings(self) -> list[str]:
        """The heading path as plain text."""
        return [plain(h) for h in self.raw_headings]

    @property
    def text(self) -> str:
        """The section's own text, plain, whitespace collapsed."""
        return plain(self.body[self.start:self.end])


_LINE = re.compile(r"^ {0,3}(?:(?P<fence>`{3,}|~{3,}).*|(?P<hashes>#{1,6})(?:[ \t]+(?P<title>.*?))?[ \t]*#*[ \t]*)$",
                   re.M)


def split(body: str) -> list[Section]:
    """The body's sections by ATX headings (# … ######) outside code fences, in order."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    start = 0
    fence = ""
    for m in _LINE.finditer(body):
        if m.group("fence"):
            mark = m.group("fence")
            fence = "" if fence and mark[0] == fence[0] and len(mark) >= len(fence) else (fence or mark)
            continue
        if fence:
            continue
        if sections or path or body[start:m.start()].strip():
            sections.append(Section(body, [h for _, h in path], start, m.start()))
        if len(sections) >= MAX_SECTIONS:
            return sections
        level = len(m.group("hashes"))
        path = [p for p in path if p[0] < level] + [(level, m.group("title") or "")]
        start = m.end()
    sections.append(Section(body, [h for _, h in path], start, len(body)))
    return sections


_RULES = [
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]", re.I), " "),  # GitHub's alert marks
    (re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.M), " "),
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*\S+.*$", re.M), " "),  # [ref]: url
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # ![alt](src)
    (re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"\[\[(?:[^\]|\n]*\|)?([^\]\n]*)\]\]"), r"\1"),  # [[target|label]]
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # <https://…>
    (re.compile(r"</?[A-Za-z][^<>]*>"), " "),  # HTML tags
    (re.compile(r"^ {0,3}(?:>\s?)+", re.M), ""),  # blockquotes
    (re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+", re.M), ""),  # list markers
    (re.compile(r"^ {0,3}#{1,6}\s+", re.M), ""),  # a heading's marks
    (re.compile(r"^\s*(?:[-*_=]\s*){3,}$", re.M), " "),  # rules, setext underlines
    (re.compile(r"^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*$", re.M), " "),  # table separators
    (re.compile(r"\s*\|\s*"), " "),  # table cells
    (re.compile(r"(\*\*|__|`+)"), ""),  # strong, code
    (re.compile(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])"), ""),  # *emphasis*
    (re.compile(r"(?<!\w)_(?=\S)|(?<=\S)_(?!\w)"), ""),  # _emphasis_ (snake_case stays)
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])"), r"\1"),  # backslash escapes
]


def plain(markdown: str) -> str:
    """Markdown as plain text on one line: no link syntax, no HTML tags, no marks."""
    text = markdown
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return " ".join(html.unescape(text).split())


def read_body(root: Path, rel: str) -> str | None:
    """The entry's body as on disk (the part the index reads), or None if it cannot be read."""
    try:
        data = read_bytes(root / rel, rel, MAX_BODY_CHARS * 2)
    except (OSError, LinkRefused):
        return None
    return split_body(data.decode("utf-8", errors="replace"))[1][:MAX_BODY_CHARS]


# what a reader does not see: link targets, bare URLs, HTML tags, table rules
_HIDDEN = re.compile(r"\]\([^)\n]*\)|<[^<>\n]*>|(?:https?|mailto):\S+|\|[-:| ]*\||\|")


def term_spans(text: str, terms: list[str], limit: int = 5000) -> list[tuple[int, int, str]]:
    """(start, end, term) of the words of `text` whose stem is one of `terms` (stemmed)."""
    if not terms:
        return []
    # a stem may end differently from the word ("kei" for keys, "happi" for happy)
    prefixes = sorted({(t[:-2] if len(t) > 4 else t[:2]) for t in terms}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\w*", re.I)
    wanted = set(terms)
    found = []
    for m in pattern.finditer(text):
        stems = fast_terms(m.group(0))
        if stems and stems[0] in wanted:
            found.append((m.start(), m.end(), stems[0]))
            if len(found) >= limit:
                break
    return found


def count_terms(sections: list[Section], terms: list[str], heading: float) -> None:
    """Each section's length (words) and the count of each of `terms` in it (heading words weighted)."""
    if not sections:
        return
    body = _HIDDEN.sub(lambda m: " " * len(m.group(0)), sections[0].body)  # same offsets, no URLs or tags
    starts = [s.start for s in sections]
    for s in sections:
        s.terms = {}
        head = fast_terms(" ".join(s.raw_headings)) if s.raw_headings else []
        for w in head:
            if w in terms:
                s.terms[w] = s.terms.get(w, 0.0) + heading
        s.words = len(body[s.start:s.end].split())
        s.length = s.words + len(head)
    for start, _, term in term_spans(body, terms):
        s = sections[bisect.bisect_right(starts, start) - 1]
        if s.start <= start < s.end:
            s.terms[term] = s.terms.get(term, 0.0) + 1


def score(sections: list[Section], terms: list[str], idf: list[float], avg_length: float,
          p: SectionParams) -> Section | None:
    """BM25 of each section for the terms (their idf over all entries); the best section."""
    best = None
    norm = p.k1 * (1 - p.b)
    per_len = p.k1 * p.b / (avg_length or 1.0)
    for s in sections:
        total = 0.0
        if not s.words:  # a heading with nothing under it has nothing to show
            continue
        for term, term_idf in zip(terms, idf):
            tf = s.terms.get(term)
            if tf:
                total += term_idf * (p.k1 + 1) * tf / (tf + norm + per_len * s.length)
        s.score = total
        if best is None or total > best.score:
            best = s
    return best


def best_by_words(sections: list[Section], terms: list[str]) -> Section | None:
    """The section with the most distinct terms, then the most matches (no idf needed)."""
    count_terms(sections, terms, SECTION_PARAMS.heading)
    return max(sections, key=lambda s: (s.words > 0, len(s.terms), sum(s.terms.values())), default=None)
