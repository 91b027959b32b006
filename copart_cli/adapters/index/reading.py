"""Queries on one open snapshot of the index: search, ask, members, by author, by paths."""

from __future__ import annotations

import heapq
import math
import time
from pathlib import Path
from typing import Any

from copart_cli.adapters.index.documents import TEXT_FIELDS, Hit
from copart_cli.adapters.index.query import Found, Query, ask_terms, filters, has_phrase, search_query
from copart_cli.adapters.index import sections
from copart_cli.adapters.index.scoring import Scored, bm25f_scores, which_terms
from copart_cli.core.errors import CopartError


class Reading:
    """Queries on one open snapshot of the index (see IndexStore.reading).

    `ask` mode (any of the words, ranked) is scored by scoring.bm25f_scores; the scores of
    one question serve every filter asked of it (the answers, then the open asks).
    `search` mode (the query language) runs through whoosh.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self._asked: dict[str, tuple[list[str], dict[str, str], Scored]] = {}
        # whoosh opens a segment's stored fields and length columns on first use; open them
        # now, so a merge or another process's rebuild deleting them meanwhile cannot pull
        # them from under this snapshot (an open file stays readable)
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.doc_count_all():
                reader.stored_fields(0)
                for fieldname in TEXT_FIELDS:
                    reader.doc_field_length(0, fieldname, 1)

    def search(self, q: Query, *, pool: int | None = None, recency: float = 0.05, root: Path | None = None,
               floor: float | None = None) -> Found:
        """Run a query; results re-ranked with a light recency tie-breaker. In `ask` mode with
        `root`, the best entries' heading sections are scored too (sections.py), and with
        `floor` only entries scoring at least that are read (a constellation's best, top_scores)."""
        if q.mode == "ask":
            return self._ask(q, pool, recency, root, floor)
        return self._search(q, pool, recency, root)

    def top_scores(self, text: str, n: int) -> list[float]:
        """The n best scores a question gets here (`ask` mode, no filter), best first."""
        return heapq.nlargest(n, (v[0] for v in self._scores(text)[2].docs.values()))

    def _ask(self, q: Query, pool: int | None, recency: float, root: Path | None, floor: float | None) -> Found:
        terms, corrections, scored = self._scores(q.text)
        if not terms:
            return Found([], 0, terms, corrections,
                         note="nothing to search for (only question words, stop words or symbols)")
        filt = filters(q)
        docs = scored.docs.keys()
        if filt is not None:
            docs = scored.docs.keys() & set(self.searcher.docs_for_query(filt))
        window = max(q.limit * 3, pool or 30)
        top = heapq.nlargest(window, docs, key=lambda d: (scored.docs[d][0], -d))
        if floor is not None:
            top = [d for d in top if scored.docs[d][0] >= floor]
        full, good = scored.full_match(), scored.good_match()
        hits = []
        for d in top:
            score, mask = scored.docs[d]
            hit = self._hit(d, score, {t for i, t in enumerate(terms) if mask >> i & 1}, recency)
            hit.strength = score / full if full else 0.0
            hit.fit = score / good if good else 0.0
            hits.append(hit)
        if root is not None:
            add_sections([(root, h) for h in hits], terms, scored)
        hits.sort(key=lambda h: (-h.score, h.path))
        return Found(hits, len(docs), terms, corrections)

    def scored(self, text: str) -> Scored:
        """The question's BM25F scores (what add_sections weighs sections by)."""
        return self._scores(text)[2]

    def _scores(self, text: str) -> tuple[list[str], dict[str, str], Scored]:
        """The question's terms, its typo fixes, and its BM25F scores (scoring.bm25f_scores);
        computed once a question."""
        if text in self._asked:
            return self._asked[text]
        terms, corrections = ask_terms(self.searcher.reader(), text)
        scored = bm25f_scores(self.searcher, terms)
        self._asked[text] = terms, corrections, scored
        return self._asked[text]

    def _hit(self, docnum: int, score: float, matched: set[str], recency: float) -> Hit:
        stored = self.searcher.stored_fields(docnum)
        created = int(stored.get("created") or 0)
        age_days = max(0.0, (time.time() - created) / 86400) if created else 3650.0
        return Hit(path=stored["path"], id=stored.get("id", ""), kind=stored.get("kind", ""),
                   title=stored.get("title", ""), author=stored.get("author", ""), created=created,
                   score=float(score) * (1 + recency * math.exp(-age_days / 365)), meta=stored.get("meta") or {},
                   matched=matched)

    def _search(self, q: Query, pool: int | None, recency: float, root: Path | None) -> Found:
        from whoosh import query as wq

        searcher = self.searcher
        query, terms, corrections, phrases = search_query(searcher, q.text)
        filt = filters(q)
        if query is None:
            if filt is None or q.text.strip():
                return Found([], 0, terms, corrections, note="nothing to search for (only stop words or symbols)")
            query = wq.Every()
        window = max(q.limit * 3, pool or 30) * (4 if phrases else 1)
        try:
            results = searcher.search(query, limit=window, filter=filt)
        except Exception as exc:  # e.g. a phrase on a field without positions
            raise CopartError(f"cannot run this query: {exc}", hint='quote phrases with "…", fields as title:word')
        hits = []
        contains = which_terms(searcher, [r.docnum for r in results], terms)
        dropped = 0
        for r in results:
            if phrases and not has_phrase(root, r.fields()["path"], phrases):
                dropped += 1
                continue
            hits.append(self._hit(r.docnum, r.score or 0.0, contains.get(r.docnum, set()), recency))
        hits.sort(key=lambda h: (-h.score, h.path))
        scored = results.scored_length()
        total = scored if scored < window else max(scored, results.estimated_length())
        if phrases:
            total = len(hits) if len(results) < window else max(len(hits), total - dropped)
        return Found(hits, total, terms, corrections)

    def members(self) -> dict[str, dict[str, Any]]:
        """Every member profile in the index: id -> {name, expertise, path, title, available}."""
        from whoosh import query as wq

        out = {}
        for docnum in self.searcher.docs_for_query(wq.Term("kind", "member")):
            f = self.searcher.stored_fields(docnum)
            meta = f.get("meta") or {}
            out[f.get("id", "")] = {"name": meta.get("name") or f.get("title"), "expertise": meta.get("expertise", []),
                                    "path": f["path"], "title": f.get("title", ""),
                                    "available": meta.get("available", True) is not False}
        return out

    def by_author(self, author: str, limit: int = 200) -> list[Hit]:
        """What this member wrote, newest first."""
        from whoosh import query as wq

        results = self.searcher.search(wq.Term("author", author), limit=limit, sortedby="created", reverse=True)
        return [self._hit(r.docnum, 1.0, set(), 0.0) for r in results]

    def by_paths(self, paths: list[str]) -> list[Hit]:
        """The entries at these paths (those in the index), newest first."""
        from whoosh import query as wq

        if not paths:
            return []
        results = self.searcher.search(wq.Or([wq.Term("path", p) for p in paths]), limit=len(paths),
                                       sortedby="created", reverse=True)
        return [self._hit(r.docnum, 1.0, set(), 0.0) for r in results]


def add_sections(hits: list[tuple[Path, Hit]], terms: list[str], scored: Scored) -> None:
    """The best entries gain a share of their best section's BM25 (SECTION_PARAMS): the first
    `window` of HITS, in the order of their scores so far, each with the repertoire it is in
    (a constellation passes its communities' best together, as one index would hold them)."""
    p = sections.SECTION_PARAMS
    read = []
    for root, h in hits[:p.window]:
        body = sections.read_body(root, h.path)
        if body is not None:
            parts = sections.split(body)
            sections.count_terms(parts, terms, p.heading)
            read.append((h, parts))
    lengths = [s.length for _, parts in read for s in parts]
    avg = sum(lengths) / len(lengths) if lengths else 1.0
    for h, parts in read:
        best = sections.score(parts, terms, scored.idf, avg, p)
        if best is not None:
            h.section = best
            recency = h.score / (h.strength * scored.full_match()) if h.strength else 1.0
            h.score += p.weight * best.score * recency
