"""Tatoeba accuracy on hand-made embeddings: a permutation with known hits."""

from __future__ import annotations

import numpy as np
import pytest

from hybridir.evaluation.tatoeba import accuracy, nearest_neighbours, score_pair, summarise


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_permutation_with_known_hits() -> None:
    rng = np.random.default_rng(0)
    english = _unit(rng.normal(size=(6, 16)))
    # Sentence i of the other side is English sentence order[i]: correct where order[i] == i.
    order = np.array([0, 1, 3, 2, 4, 5])  # two swapped: 4 of 6 hits
    source = english[order]
    similarity = source @ english.T
    result = score_pair("de", similarity, similarity.T)
    assert result.to_english.tolist() == order.tolist()
    assert result.scores() == {
        "xx->en": pytest.approx(4 / 6),
        "en->xx": pytest.approx(4 / 6),
        "mean": pytest.approx(4 / 6),
    }


def test_directions_differ_when_a_sentence_attracts_two() -> None:
    # Two source sentences both nearest to English 0; English 1 still finds source 1.
    similarity = np.array([[0.9, 0.1, 0.0], [0.8, 0.7, 0.0], [0.0, 0.1, 0.9]], dtype=np.float32)
    result = score_pair("fr", similarity, similarity.T)
    assert result.to_english.tolist() == [0, 0, 2]
    assert result.from_english.tolist() == [0, 1, 2]
    assert result.scores()["xx->en"] == pytest.approx(2 / 3)
    assert result.scores()["en->xx"] == 1.0


def test_summary_averages_languages_unweighted() -> None:
    perfect = score_pair("de", np.eye(4), np.eye(4))
    wrong = score_pair("te", np.ones((2, 2)) - np.eye(2), np.ones((2, 2)) - np.eye(2))
    summary = summarise([perfect, wrong])
    assert summary["accuracy"] == {"xx->en": 0.5, "en->xx": 0.5, "mean": 0.5}
    assert summary["pairs"] == {"de": 4, "te": 2}


def test_ties_and_bad_input() -> None:
    assert nearest_neighbours(np.zeros((3, 3))).tolist() == [0, 0, 0]  # argmax: the first column
    assert accuracy(np.array([0, 0, 0])) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="line-aligned"):
        score_pair("de", np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="finite"):
        nearest_neighbours(np.array([[np.nan, 1.0]]))
