"""Per-query metrics against hand-computed rankings, a brute-force ranker, and pytrec_eval."""

from __future__ import annotations

import numpy as np
import pytest
import pytrec_eval
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hybridir.evaluation.metrics import (
    average_precision,
    count_at_or_above,
    rank_distance,
    recall_at_k,
    reciprocal_rank,
    relevant_ranks,
)


def brute_force_ranks(scores: np.ndarray, mask: np.ndarray) -> list[list[int]]:
    """Sort each row by score, non-relevant first among equal scores, and read off relevant ranks."""
    result = []
    for row, relevant in zip(scores, mask, strict=True):
        order = sorted(range(len(row)), key=lambda j: (-float(row[j]), bool(relevant[j])))
        result.append([pos + 1 for pos, j in enumerate(order) if relevant[j]])
    return result


def test_ranks_and_average_precision_with_several_relevant_items() -> None:
    # order: 0 (.9), 3 (.7), 2* (.5), 4* (.3), 1 (.1)
    scores = np.array([[0.9, 0.1, 0.5, 0.7, 0.3]])
    ranks = relevant_ranks(scores, np.array([[0, 0, 1, 0, 1]], dtype=bool))
    assert ranks.tolist() == [[3, 4]]
    assert average_precision(ranks)[0] == pytest.approx((1 / 3 + 2 / 4) / 2)
    assert reciprocal_rank(ranks)[0] == pytest.approx(1 / 3)
    assert rank_distance(ranks)[0] == 1


def test_ties_are_pessimistic() -> None:
    scores = np.array([[0.5, 0.5, 0.2], [0.5, 0.5, 0.5], [0.3, 0.3, 0.3]])
    mask = np.array([[0, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=bool)
    ranks = relevant_ranks(scores, mask)
    # a non-relevant tie ranks above; tied relevant items take consecutive ranks
    assert ranks.tolist() == [[2, 0, 0], [2, 3, 0], [1, 2, 3]]
    assert average_precision(ranks).tolist() == pytest.approx([0.5, (1 / 2 + 2 / 3) / 2, 1.0])


def test_query_without_relevant_item_is_skipped_not_zero() -> None:
    ranks = relevant_ranks(np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[1, 0], [0, 0]], dtype=bool))
    assert ranks.tolist() == [[2], [0]]
    for values in (average_precision(ranks), reciprocal_rank(ranks), rank_distance(ranks)):
        assert not np.isnan(values[0]) and np.isnan(values[1])
    assert np.isnan(recall_at_k(ranks, np.array([1, 0]), 1)[1])
    assert np.nanmean(average_precision(ranks)) == pytest.approx(0.5)


def test_rank_distance_and_recall_on_given_ranks() -> None:
    ranks = np.array([[2, 5, 9], [4, 0, 0], [1, 12, 0]])
    assert rank_distance(ranks).tolist() == [7.0, 0.0, 11.0]
    assert recall_at_k(ranks, np.array([3, 1, 4]), 5).tolist() == pytest.approx([2 / 3, 1.0, 1 / 4])
    assert reciprocal_rank(ranks).tolist() == pytest.approx([1 / 2, 1 / 4, 1.0])
    assert average_precision(ranks).tolist() == pytest.approx(
        [(1 / 2 + 2 / 5 + 3 / 9) / 3, 1 / 4, (1 + 2 / 12) / 2]
    )


def test_count_at_or_above_matches_comparison_with_signed_zeros_and_index_segments() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(-3, 4, size=(6, 20)).astype(np.float32)
    scores[0, :4] = [-0.0, 0.0, -0.0, 0.0]
    thresholds = np.concatenate([scores[:, :3], np.full((6, 1), -0.0, dtype=np.float32)], axis=1)
    segments = [slice(0, 7), np.array([7, 19, 11, 8]), np.array([], dtype=np.int64), slice(12, 20)]
    counts = count_at_or_above(scores, thresholds, segments)
    for s, columns in enumerate(segments):
        expected = (scores[:, None, columns] >= thresholds[:, :, None]).sum(axis=2)
        np.testing.assert_array_equal(counts[:, :, s], expected)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.int8, st.tuples(st.integers(1, 5), st.integers(1, 9)), elements=st.integers(-2, 2)),
    st.data(),
)
def test_relevant_ranks_match_brute_force_under_heavy_ties(scores: np.ndarray, data: st.DataObject) -> None:
    mask = data.draw(arrays(bool, scores.shape))
    ranks = relevant_ranks(scores.astype(np.float32), mask)
    expected = brute_force_ranks(scores, mask)
    assert [[r for r in row if r] for row in ranks.tolist()] == expected


def test_average_precision_and_recall_agree_with_trec_eval() -> None:
    rng = np.random.default_rng(7)
    n_queries, n_docs = 25, 60
    scores = rng.random((n_queries, n_docs))
    mask = np.zeros((n_queries, n_docs), dtype=bool)
    for i in range(n_queries):
        mask[i, rng.choice(n_docs, size=rng.integers(1, 6), replace=False)] = True
    qrels = {f"q{i}": {f"d{j}": 1 for j in np.flatnonzero(mask[i])} for i in range(n_queries)}
    run = {f"q{i}": {f"d{j}": float(scores[i, j]) for j in range(n_docs)} for i in range(n_queries)}
    trec = pytrec_eval.RelevanceEvaluator(qrels, {"map", "recall.10"}).evaluate(run)

    ranks = relevant_ranks(scores.astype(np.float32), mask)
    ap = average_precision(ranks)
    recall = recall_at_k(ranks, mask.sum(axis=1), 10)
    for i in range(n_queries):
        assert ap[i] == pytest.approx(trec[f"q{i}"]["map"], abs=1e-9)
        assert recall[i] == pytest.approx(trec[f"q{i}"]["recall_10"], abs=1e-9)


def test_relevant_ranks_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="shape"):
        relevant_ranks(np.zeros((2, 3)), np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="finite"):
        relevant_ranks(np.array([[np.nan, 1.0]]), np.array([[True, False]]))
