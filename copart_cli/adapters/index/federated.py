"""Scores comparable across communities: each community's own index, one global idf.

`federate(readings)` gives each open Reading a searcher whose BM25F statistics (the number
of entries, each term's document frequency, each field's average length) are those of all
the indexes together, as if one index held every entry (scoring.Collection). The vocabulary
a question is read with (which words are known, typo fixes) is also the whole
constellation's, so every community searches the same terms. Everything else (postings,
stored fields, filters) stays each index's own, so Reading runs unchanged and
scoring.bm25f_scores only takes each term's pass over an index from the constellation (made
once, it counts the df too), and a tiny community's rare words weigh what they weigh in the
whole constellation. `search` (whoosh's own BM25F) reads its per-field idf and average lengths
from the constellation too.
"""

from __future__ import annotations

import functools
import math

from copart_cli.adapters.index.reading import Reading
from copart_cli.adapters.index.scoring import Collection, leaves_of, local_collection, term_pass


def _constellation(searchers: list) -> tuple[Collection, list]:
    """The statistics of all the indexes together, and for each index its term passes
    (scoring.term_pass), made once: a term's df is the sum of its passes' sizes (the indexes
    hold different entries), and each index's scoring then uses its own pass."""
    parts = [local_collection(s) for s in searchers]
    totals: dict[str, float] = {}
    for part in parts:
        for fieldname, length in part.totals.items():
            totals[fieldname] = totals.get(fieldname, 0) + length
    collection = Collection(sum(p.count for p in parts), totals)
    leaves = [leaves_of(s) for s in searchers]

    @functools.lru_cache(maxsize=None)
    def passes(term: str) -> list[dict[int, float]]:
        return [term_pass(each, term, collection) for each in leaves]

    def own(i: int):
        return lambda term: passes(term)[i]

    collection.df = lambda term: sum(len(one) for one in passes(term))
    return collection, [own(i) for i in range(len(searchers))]


class _Words:
    """The words of every index, counted once for the whole constellation: each community reads
    the question with the same words, so asking them one by one must not ask every index again."""

    def __init__(self, readers: list):
        self.doc_frequency = functools.lru_cache(maxsize=None)(
            lambda fieldname, term: sum(r.doc_frequency(fieldname, term) for r in readers))
        self.terms_within = functools.lru_cache(maxsize=None)(
            lambda fieldname, term, maxdist, prefix=0: sorted(
                {c for r in readers for c in r.terms_within(fieldname, term, maxdist, prefix=prefix)}))


class _Vocabulary:
    """A reader that knows the words of every index (for query.ask_terms); the rest is its own."""

    def __init__(self, reader, words: _Words):
        self._reader, self._words = reader, words

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self._words.doc_frequency(fieldname, term)

    def terms_within(self, fieldname: str, term: str, maxdist: int, prefix: int = 0):
        return self._words.terms_within(fieldname, term, maxdist, prefix)

    def __getattr__(self, name):
        return getattr(self._reader, name)


class _Searcher:
    """A whoosh searcher whose weighting and vocabulary are the constellation's; the rest is its own."""

    def __init__(self, searcher, collection: Collection, words: _Words, term_pass):
        self._searcher = searcher
        self.collection, self.term_pass = collection, term_pass  # read by scoring.bm25f_scores
        self._vocabulary = _Vocabulary(searcher.reader(), words)

    def reader(self):
        return self._vocabulary

    def __getattr__(self, name):
        return getattr(self._searcher, name)


def _whoosh_statistics(searchers: list) -> None:
    """`search` is scored by whoosh's own BM25F, which asks the top searcher for each field's
    idf and average length: on each of these searchers (open for this one constellation
    query only) those answers become the constellation's, counted as whoosh counts them."""
    count = sum(s.doc_count_all() for s in searchers)

    @functools.lru_cache(maxsize=None)
    def idf(fieldname: str, text) -> float:
        return math.log((count or 1) / (sum(s.doc_frequency(fieldname, text) for s in searchers) + 1)) + 1

    @functools.lru_cache(maxsize=None)
    def total_length(fieldname: str) -> float:
        return sum(s.field_length(fieldname) for s in searchers)

    for searcher in searchers:
        def avg_field_length(fieldname: str, default=None, schema=searcher.schema):
            return total_length(fieldname) / (count or 1) if schema[fieldname].scorable else default

        searcher.idf, searcher.avg_field_length = idf, avg_field_length


def federate(readings: list[Reading]) -> list[Reading]:
    """The same snapshots, scored with the statistics of them all."""
    searchers = [r.searcher for r in readings]
    collection, passes = _constellation(searchers)
    _whoosh_statistics(searchers)
    words = _Words([s.reader() for s in searchers])
    return [Reading(_Searcher(r.searcher, collection, words, one)) for r, one in zip(readings, passes)]
