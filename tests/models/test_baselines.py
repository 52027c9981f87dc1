"""BM25 over SentencePiece pieces and multilingual USE: real behaviour on toy texts."""

from __future__ import annotations

import numpy as np
import pytest

from hybridir.models.bm25 import BM25Scorer, tokenize
from hybridir.models.use import USEScorer


def test_tokenize_splits_thai_and_chinese() -> None:
    thai, chinese = tokenize(["ผู้หญิงควรกินโปรตีน", "女性每天应该吃多少蛋白质"])
    assert len(thai) > 1 and len(chinese) > 1
    assert all(piece and "▁" not in piece for piece in thai + chinese)
    (pieces,) = tokenize(["<s> Hello World </s>"])
    assert "<s>" not in pieces and "</s>" not in pieces and "world" in pieces


@pytest.mark.parametrize(
    ("query", "candidates"),
    [
        (
            "ประเทศไทยมีเมืองหลวงชื่อกรุงเทพมหานคร",
            ["แมวชอบนอนบนโซฟา", "ประเทศไทยมีเมืองหลวงชื่อกรุงเทพมหานคร", "ฝนตกหนักเมื่อวานนี้"],
        ),
        ("长城是中国古代的军事防御工程", ["我喜欢喝绿茶", "今天天气很好", "长城是中国古代的军事防御工程"]),
    ],
)
def test_bm25_ranks_exact_match_first(query: str, candidates: list[str]) -> None:
    scorer = BM25Scorer(show_progress=False)
    scorer.prepare([query, "完全无关"], candidates)
    scores = scorer.score_block(0, 2)
    assert scores.shape == (2, 3) and scores.dtype == np.float32
    assert int(np.argmax(scores[0])) == candidates.index(query)
    assert "whole candidate pool" in scorer.notes[0]


def test_use_vectors_and_translation_pair() -> None:
    scorer = USEScorer(batch_size=2, show_progress=False)
    texts = ["The cat sleeps on the sofa.", "Die Katze schläft auf dem Sofa.", "Stocks fell."]
    vectors = scorer.encode(texts)
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    supported, rest = scorer.notes[0].split(";")
    assert " th," in supported and " el," not in supported and "other languages" in rest
