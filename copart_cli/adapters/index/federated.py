"""Scores comparable across communities: each community's own index, one global idf.

`federate(readings)` gives each open Reading a searcher whose BM25F statistics (idf and
average field length) are those of all the indexes together, as if one index held every
entry: idf = log(N / (df + 1)) + 1 with N and df summed over the indexes, whoosh's own
formula, and avgfl = total field length / N. The vocabulary a question is
read with (which words are known, typo fixes) is also the whole constellation's, so every
community searches the same terms. Everything else (postings, stored fields, filters) stays
each index's own, so scoring.bm25f_scores and Reading run unchanged, and a tiny community's
rare words weigh what they weigh in the whole constellation.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from copart_cli.adapters.index.reading import Reading


class GlobalStats:
    def __init__(self, searchers: list):
        self.searchers = searchers
        self.docs = sum(s.doc_count_all() for s in searchers) or 1
        self._idf: dict[tuple[str, str], float] = {}
        self._avgfl: dict[str, float] = {}

    def idf(self, fieldname: str, term: str) -> float:
        key = (fieldname, term)
        if key not in self._idf:
            df = sum(s.doc_frequency(fieldname, term) for s in self.searchers)
            self._idf[key] = math.log(self.docs / (df + 1)) + 1
        return self._idf[key]

    def avgfl(self, fieldname: str) -> float:
        if fieldname not in self._avgfl:
            self._avgfl[fieldname] = sum(s.field_length(fieldname) for s in self.searchers) / self.docs or 1
        return self._avgfl[fieldname]


class _Weighting:
    def __init__(self, local, stats: GlobalStats):
        self._local, self._stats = local, stats

    def scorer(self, sub, fieldname, term, qf=1):
        local = self._local.scorer(sub, fieldname, term)
        return SimpleNamespace(K1=local.K1, B=local.B, idf=self._stats.idf(fieldname, term),
                               avgfl=self._stats.avgfl(fieldname))

    def __getattr__(self, name):
        return getattr(self._local, name)


class _Vocabulary:
    """A reader that knows the words of every index (for query.ask_terms); the rest is its own."""

    def __init__(self, reader, readers: list):
        self._reader, self._readers = reader, readers

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return sum(r.doc_frequency(fieldname, term) for r in self._readers)

    def terms_within(self, fieldname: str, term: str, maxdist: int, prefix: int = 0):
        return sorted({c for r in self._readers for c in r.terms_within(fieldname, term, maxdist, prefix=prefix)})

    def __getattr__(self, name):
        return getattr(self._reader, name)


class _Searcher:
    """A whoosh searcher whose weighting and vocabulary are the constellation's; the rest is its own."""

    def __init__(self, searcher, stats: GlobalStats):
        self._searcher = searcher
        self.weighting = _Weighting(searcher.weighting, stats)
        self._vocabulary = _Vocabulary(searcher.reader(), [s.reader() for s in stats.searchers])

    def reader(self):
        return self._vocabulary

    def __getattr__(self, name):
        return getattr(self._searcher, name)


def federate(readings: list[Reading]) -> list[Reading]:
    """The same snapshots, scored with the statistics of them all."""
    stats = GlobalStats([r.searcher for r in readings])
    return [Reading(_Searcher(r.searcher, stats)) for r in readings]
