"""BM25F for `ask` and `who`, scored here in one pass over each term's postings.

The same sum whoosh computes for an Or of field-weighted terms (tests/test_ranking.py
checks it against whoosh's own), at a tenth of the cost of whoosh's matcher tree, and
knowing for free which words each document matched.
"""

from __future__ import annotations

from collections.abc import Callable

from copart_cli.adapters.index.documents import TEXT_FIELDS


def bm25f_scores(searcher, terms: list[str], fast: bool = True) -> dict[int, list]:
    """docnum -> [BM25F score summed over the terms and text fields, bit mask of the terms matched].

    fast=False reads postings and lengths through whoosh's public API only (same scores)."""
    from copart_cli.adapters.index import whoosh_internals as wi

    posting_blocks = wi.posting_blocks if fast else wi.posting_blocks_public
    field_lengths = wi.field_lengths if fast else wi.field_lengths_public

    scored: dict[int, list] = {}
    weighting = searcher.weighting
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        lengths: dict[str, Callable[[int], int]] = {}
        for bit, term in enumerate(terms):
            mask = 1 << bit
            for fieldname, boost in TEXT_FIELDS.items():
                if not reader.doc_frequency(fieldname, term):
                    continue
                scorer = weighting.scorer(sub, fieldname, term)
                length = lengths.get(fieldname) or lengths.setdefault(fieldname, field_lengths(reader, fieldname))
                # bm25(idf, tf, dl, avgfl, B, K1), folded into constants for the loop
                k1 = scorer.K1
                top = scorer.idf * (k1 + 1) * boost
                flat, per_len = k1 * (1 - scorer.B), k1 * scorer.B / scorer.avgfl
                for ids, weights in posting_blocks(reader.postings(fieldname, term)):
                    for d, w in zip(ids, weights):
                        if deleted and d in deleted:
                            continue
                        score = top * w / (w + flat + per_len * length(d))
                        entry = scored.get(d + offset)
                        if entry is None:
                            scored[d + offset] = [score, mask]
                        else:
                            entry[0] += score
                            entry[1] |= mask
    return scored


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
