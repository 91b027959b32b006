"""The analyser: words to stemmed terms, the same at indexing and at query time.

whoosh is imported inside the functions, so that importing this package stays cheap
(`copart --help` never loads whoosh).
"""

from __future__ import annotations

import re

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
