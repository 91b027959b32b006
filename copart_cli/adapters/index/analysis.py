"""The analyser: words to stemmed terms, the same at indexing and at query time.

whoosh is imported inside the functions, so that importing this package stays cheap
(`copart --help` never loads whoosh).
"""

from __future__ import annotations

import re

from copart_cli.adapters.index.documents import TEXT_FIELDS

_TOKEN = re.compile(r"\w+(?:\.?\w+)*", re.U)  # StemmingAnalyzer's default pattern
_STEMS: dict[str, str] = {}
_STOP: frozenset[str] | None = None


def analyzer():
    from whoosh.analysis import StemmingAnalyzer

    return StemmingAnalyzer(cachesize=100_000)


def analyse(text: str) -> list[tuple[str, int, int]]:
    """Stemmed tokens with their character spans (stop words dropped)."""
    return [(t.text, t.startchar, t.endchar) for t in analyzer()(text, chars=True)]


def fast_terms(text: str) -> list[str]:
    """StemmingAnalyzer's output (stems, stop words dropped) for `text`, fast."""
    global _STOP
    if _STOP is None:
        from whoosh.analysis import STOP_WORDS
        _STOP = frozenset(STOP_WORDS)
    from whoosh.lang.porter import stem

    stems = _STEMS
    stop = _STOP
    out = []
    append = out.append
    for word in _TOKEN.findall(text.lower()):
        if len(word) < 2 or word in stop:
            continue
        s = stems.get(word)
        if s is None:
            s = stem(word)
            if len(stems) < 500_000:
                stems[word] = s
        append(s)
    return out


def schema(fast: bool = True):
    """The index's fields; fast=False indexes text through whoosh's own TEXT (same terms, slower)."""
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

    from copart_cli.adapters.index.whoosh_internals import text_field

    TEXT = text_field(fast)
    ana = analyzer()
    return Schema(
        path=ID(stored=True, unique=True),
        id=ID(stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=ana, stored=True, field_boost=TEXT_FIELDS["title"]),
        topics=TEXT(analyzer=ana, field_boost=TEXT_FIELDS["topics"]),
        tags=TEXT(analyzer=ana, field_boost=TEXT_FIELDS["tags"]),
        tagx=KEYWORD(commas=True),
        topicx=KEYWORD(commas=True),
        author=ID(stored=True),
        status=ID,
        created=NUMERIC(numtype=int, bits=64, stored=True, signed=False),
        body=TEXT(analyzer=ana, phrase=False),
        meta=STORED,
    )
