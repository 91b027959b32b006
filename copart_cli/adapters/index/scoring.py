"""BM25F for `ask` and `who`, scored here in one pass over each term's postings.

BM25F as Robertson and Zaragoza define it: a term's frequency in each field is normalised
by that field's length (its own b), weighted by the field's weight (applied once, here: the
index stores plain frequencies), summed over the fields into one pseudo-frequency, which is
saturated once (k1) and multiplied by ONE idf per term, counted over all entries (an entry
has the term if any of its fields has it):

    score(d) = sum_t idf(t) * (k1 + 1) * tf~ / (k1 + tf~)
    tf~      = sum_f W_f * tf_f / (1 - B_f + B_f * len_f / avglen_f)
    idf(t)   = ln(1 + (N - df + 0.5) / (df + 0.5))

Parameters were chosen on the development half of tests/relevance/judged.yaml only
(docs/search.md, "Ranking"). tests/test_ranking.py checks the sum against a plain
re-computation from the files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from copart_cli.adapters.index.documents import TEXT_FIELDS


@dataclass(frozen=True)
class Params:
    """Chosen on the dev questions (tests/relevance/tune.py): little saturation (k1 = 3; 1.2
    to 5 tried), a title word worth twelve body words (1 to 20 tried); topic and tag weights
    made no difference there (1 to 3 tried), b on the body 0.75 (0.5 to 0.9 tried)."""

    k1: float = 3.0
    weights: dict[str, float] = field(default_factory=lambda: {"title": 12.0, "topics": 1.0, "tags": 1.0, "body": 1.0})
    b: dict[str, float] = field(default_factory=lambda: {"title": 0.5, "topics": 0.5, "tags": 0.5, "body": 0.75})


PARAMS = Params()


@dataclass
class Scored:
    """One question's scores: docnum -> [score, bit mask of the terms matched], and per term its idf."""

    docs: dict[int, list]
    idf: list[float]
    count: int  # entries in the index (N)
    k1: float
    best: list[float] = field(default_factory=list)  # per term, the most any entry scores for it

    def full_match(self) -> float:
        """What an entry matching every term fully would score: each term saturated."""
        return sum(self.idf) * (self.k1 + 1)

    def good_match(self) -> float:
        """What a good match scores: for each term, what the entry best at that term scores
        for it, and at least what one mention in a body of average length scores (a term no
        entry has counts that much too, so an unknown word weighs against every entry)."""
        # one mention at average length: tf~ = 1, idf * (k1 + 1) * 1 / (k1 + 1) = idf
        return sum(max(best, term_idf) for best, term_idf in zip(self.best, self.idf))


@dataclass
class Collection:
    """What idf and the average field lengths are counted over: by default the one index
    being scored; a constellation counts all its communities' indexes as one (federated.py)."""

    count: int  # live entries
    totals: dict[str, float]  # per field, the live entries' summed lengths
    df: Callable[[str], int] | None = None  # entries with the term in any field; None: this index's own

    def average(self, fieldname: str) -> float:
        return (self.totals.get(fieldname, 0) / self.count if self.count else 0.0) or 1.0


def idf(count: int, df: int) -> float:
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


def bm25f_scores(searcher, terms: list[str], fast: bool = True, params: Params | None = None) -> Scored:
    """BM25F of every entry that has any of the terms, one pass over each term's postings.

    fast=False reads postings and lengths through whoosh's public API only (same scores). A
    constellation's searcher brings its term passes, made once (they count its df too)."""
    p = params or PARAMS
    shared = getattr(searcher, "term_pass", None) if p is PARAMS and fast else None
    leaves = None if shared else leaves_of(searcher)
    collection = getattr(searcher, "collection", None) or local_collection(searcher, p, leaves)
    scored: dict[int, list] = {}
    idfs: list[float] = []
    best: list[float] = []
    k1 = p.k1
    for bit, term in enumerate(terms):
        pseudo = shared(term) if shared else term_pass(leaves, term, collection, p, fast)
        term_idf = idf(collection.count, collection.df(term) if collection.df else len(pseudo))
        idfs.append(term_idf)
        top = term_idf * (k1 + 1)
        most = max(pseudo.values(), default=0.0)
        best.append(top * most / (k1 + most))
        mask = 1 << bit
        for d, tf in pseudo.items():
            score = top * tf / (k1 + tf)
            entry = scored.get(d)
            if entry is None:
                scored[d] = [score, mask]
            else:
                entry[0] += score
                entry[1] |= mask
    return Scored(scored, idfs, collection.count, k1, best)


def term_pass(leaves: list[tuple], term: str, collection: Collection, p: Params = PARAMS,
              fast: bool = True) -> dict[int, float]:
    """docnum -> the term's pseudo-frequency tf~ in that entry, for every live entry that has
    it in a weighted field (so its length is the term's df)."""
    from copart_cli.adapters.index import whoosh_internals as wi

    posting_blocks = wi.posting_blocks if fast else wi.posting_blocks_public
    field_lengths = wi.field_lengths if fast else wi.field_lengths_public
    pseudo: dict[int, float] = {}
    get = pseudo.get
    for reader, offset, deleted, lengths in leaves:
        for fieldname, weight in p.weights.items():
            if not weight or not reader.doc_frequency(fieldname, term):
                continue
            length: Callable[[int], int] = lengths.get(fieldname) or lengths.setdefault(
                fieldname, field_lengths(reader, fieldname))
            b = p.b[fieldname]
            flat, per_len = (1 - b) / weight, b / (collection.average(fieldname) * weight)  # W*tf/(1-b+b*len/avg)
            for ids, weights in posting_blocks(reader.postings(fieldname, term)):
                for d, w in zip(ids, weights):
                    if deleted and d in deleted:
                        continue
                    g = d + offset
                    pseudo[g] = get(g, 0.0) + w / (flat + per_len * length(d))
    return pseudo


def leaves_of(searcher) -> list[tuple]:
    leaves = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        leaves.append((reader, offset, deleted, {}))
    return leaves


def local_collection(searcher, p: Params = PARAMS, leaves: list[tuple] | None = None) -> Collection:
    """One index's live entries and each field's summed length. whoosh's totals still count
    the versions a catch-up replaced: their lengths are taken off, or, in a segment holding
    more replaced versions than live ones, the live ones are added up instead (a length is
    kept in one byte, so the fewer summed, the smaller the rounding, and the less work)."""
    totals = dict.fromkeys(p.weights, 0)
    for reader, _, deleted, _ in leaves if leaves is not None else leaves_of(searcher):
        everyone = reader.doc_count_all()
        live = [d for d in range(everyone) if d not in deleted] if 2 * len(deleted) > everyone else None
        for f in p.weights:
            if live is not None:
                totals[f] += sum(reader.doc_field_length(d, f) or 0 for d in live)
            else:
                totals[f] += reader.field_length(f) - sum(reader.doc_field_length(d, f) or 0 for d in deleted)
    return Collection(searcher.doc_count(), totals)


def which_terms(searcher, docnums: list[int], terms: list[str]) -> dict[int, set[str]]:
    """For each of these documents, which query terms it contains (in any text field).

    Done with a skip through each term's postings for the result window only, which lets
    the search itself use whoosh's block-skipping instead of scoring every match.
    """
    out: dict[int, set[str]] = {d: set() for d in docnums}
    if not docnums or not terms:
        return out
    wanted = sorted(set(docnums))
    for reader_, offset in _subreaders(searcher):
        local = [d - offset for d in wanted if offset <= d < offset + reader_.doc_count_all()]
        if not local:
            continue
        for term in terms:
            for fieldname in TEXT_FIELDS:
                try:
                    if not reader_.doc_frequency(fieldname, term):
                        continue
                    m = reader_.postings(fieldname, term)
                except Exception:
                    continue
                for d in local:
                    if not m.is_active():
                        break
                    if m.id() < d:
                        m.skip_to(d)
                    if m.is_active() and m.id() == d:
                        out[d + offset].add(term)
    return out


def _subreaders(searcher):
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())
