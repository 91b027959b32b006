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


def _postings(ix) -> dict[tuple[str, str], dict[str, tuple]]:
    """(field, term) -> path -> (weight, positions or None): the index by path, whatever the docnums."""
    out: dict[tuple[str, str], dict[str, tuple]] = {}
    with ix.searcher() as s:
        reader = s.reader()
        paths = {d: f["path"] for d, f in reader.iter_docs()}
        for fieldname in ixs.TEXT_FIELDS:
            positional = ix.schema[fieldname].format.supports("positions")
            for term in reader.lexicon(fieldname):
                m = reader.postings(fieldname, term)
                got = out.setdefault((fieldname, term.decode("utf-8")), {})
                while m.is_active():
                    got[paths[m.id()]] = (m.weight(), tuple(m.value_as("positions")) if positional else None)
                    m.next()
        lengths = {(paths[d], f): reader.doc_field_length(d, f) for d in paths for f in ixs.TEXT_FIELDS}
    return out, lengths


def test_whoosh_internals_give_what_the_public_api_gives(tmp_path):
    """Each fast path into whoosh's internals (FastText, the codec, the posting blocks, the
    length columns, the segment count) gives the same index and scores as its public way."""
    import random

    from whoosh import index as windex

    from copart_cli.adapters.index import analysis, documents, scoring
    from copart_cli.adapters.index import store as store_module
    from copart_cli.adapters.index import whoosh_internals as wi

    rnd = random.Random(12)
    root = tmp_path / "rep"
    paths = []
    for n in range(40):
        rel = f"{KINDS[n % 3]}/e{n}.md"
        body = " ".join(rnd.choices(WORDS + ["the", "a", "of", "self-employed", "e.g.", "U.K."], k=rnd.randint(1, 60)))
        _write(root, rel, " ".join(rnd.sample(WORDS, rnd.randint(1, 3))), body, rnd.sample(WORDS, rnd.randint(0, 2)))
        paths.append(rel)
    stamp = {"schema": ixs.SCHEMA_VERSION, "commit": None, "dirty": {}}
    store = ixs.IndexStore(tmp_path / "fast")
    store.rebuild(root, paths, stamp)
    (tmp_path / "public").mkdir()
    public = windex.create_in(str(tmp_path / "public"), store_module.schema(fast=False))
    with public.writer(codec=wi.codec(fast=False)) as writer:
        for rel in paths:
            writer.add_document(**documents.document(root, rel)[0])
    assert type(store.open().schema["body"]) is wi.FastText and type(public.schema["body"]) is not wi.FastText
    assert _postings(store.open()) == _postings(public)

    # a catch-up: a second segment, replaced entries left behind as deleted documents
    for rel in paths[::7]:
        _write(root, rel, "edited", "client " * 3 + "vat", ["price"])
    store.update(root, paths[::7], (), stamp)
    ix = store.open()
    assert wi.segment_count(ix) == wi.segment_count(ix, fast=False) == 2
    with store.reading() as index:
        for sub, _ in index.searcher.leaf_searchers():
            reader = sub.reader()
            for fieldname in ixs.TEXT_FIELDS:
                fast, slow = wi.field_lengths(reader, fieldname), wi.field_lengths_public(reader, fieldname)
                assert [fast(d) for d in range(reader.doc_count_all())] == [slow(d) for d in range(reader.doc_count_all())]
        terms = analysis.fast_terms(" ".join(WORDS))
        fast = scoring.bm25f_scores(index.searcher, terms)
        slow = scoring.bm25f_scores(index.searcher, terms, fast=False)
        assert fast.keys() == slow.keys() and fast
        for docnum, (score, mask) in fast.items():
            assert score == pytest.approx(slow[docnum][0], rel=1e-12) and mask == slow[docnum][1]
