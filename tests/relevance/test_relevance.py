"""Ranking quality on the judged set (MRR@10, recall@5); the corpus half is slow and optional:
it needs the full corpus beside the clone (../shared/corpus), which a bare clone lacks."""

from __future__ import annotations

import pytest

from tests.relevance.evaluate import CORPUS, evaluate


def test_sample_questions_rank_their_answers_first(tmp_path, alice):
    result = evaluate("sample", tmp_path)
    print(f"sample: MRR@10 {result['mrr@10']:.3f} recall@5 {result['recall@5']:.3f}")
    assert result["mrr@10"] >= 0.9
    assert result["recall@5"] >= 0.8


@pytest.mark.slow
def test_all_questions(tmp_path, alice):
    if not CORPUS.is_dir():
        pytest.skip(f"the full corpus is not here ({CORPUS}); the judged corpus questions need it")
    result = evaluate("all", tmp_path)
    print(f"all: MRR@10 {result['mrr@10']:.3f} recall@5 {result['recall@5']:.3f}")
    assert result["questions"] >= 30
    assert result["mrr@10"] >= 0.8 and result["recall@5"] >= 0.75
