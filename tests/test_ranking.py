"""`ask` and `who` score questions themselves, over whoosh's postings: the ranking must be
whoosh's own BM25F, whatever the index went through (several segments, replaced entries)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copart_cli.adapters import index as ixs

WORDS = ["price", "workshop", "vat", "cash", "bakery", "hire", "grant", "client", "invoice", "booking"]
KINDS = ["stories", "practices", "asks"]


def _write(root: Path, rel: str, title: str, body: str, topics: list[str]) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(f"---\nid: {Path(rel).stem}\nkind: story\ntitle: {title}\nauthor: m\n"
                            f"created: 2025-01-01T00:00:00Z\ntopics: [{', '.join(topics)}]\n---\n{body}\n")


def _whoosh_scores(searcher, terms: list[str]) -> dict[int, float]:
    """What whoosh's own matchers give for the same OR of field-weighted terms."""
    from whoosh import query as wq

    q = wq.Or([wq.Term(f, t, boost=w) for t in terms for f, w in ixs.TEXT_FIELDS.items()])
    return {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}


doc = st.tuples(st.sampled_from(KINDS), st.lists(st.sampled_from(WORDS), min_size=0, max_size=3),
                st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), st.lists(st.sampled_from(WORDS), max_size=2))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(docs=st.lists(doc, min_size=1, max_size=25), edits=st.lists(st.integers(0, 24), max_size=6),
       question=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))
def test_ask_scores_are_whooshs_bm25f(docs, edits, question):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rep"
        paths = []
        for n, (folder, title, body, topics) in enumerate(docs):
            rel = f"{folder}/e{n}.md"
            _write(root, rel, " ".join(title) or f"entry {n}", " ".join(body), topics)
            paths.append(rel)
        store = ixs.IndexStore(Path(tmp) / "index")
        store.rebuild(root, paths, {"schema": ixs.SCHEMA_VERSION, "commit": None, "dirty": {}})
        # catch-ups: new segments, and the replaced versions left behind as deleted documents
        for k in edits:
            rel = paths[k % len(paths)]
            _write(root, rel, "edited", " ".join(reversed(docs[k % len(docs)][2])) + " client", [])
            store.update(root, [rel], (), {"schema": ixs.SCHEMA_VERSION, "commit": None, "dirty": {}})
        with store.reading() as index:
            terms, _, scored = index._scores(" ".join(question))
            expected = _whoosh_scores(index.searcher, terms)
            assert set(scored) == set(expected)
            having = {t: set(_whoosh_scores(index.searcher, [t])) for t in terms}
            for docnum, (score, mask) in scored.items():
                assert score == pytest.approx(expected[docnum], rel=1e-9)
                # the words it matched (its coverage) are the words whoosh finds in it
                assert {t for i, t in enumerate(terms) if mask >> i & 1} == {t for t in terms if docnum in having[t]}
