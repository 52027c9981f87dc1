"""Tatoeba bitext retrieval accuracy, the LASER / XTREME protocol.

For each language pair, every sentence is matched to its nearest neighbour (highest cosine)
among the other side's sentences; accuracy is the share whose neighbour is its own translation
(the same line). Both directions are scored (xx->en and en->xx), as LASER does, and averaged
per language (as the LaBSE paper reports). Written by hand: it is one argmax per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

TO_ENGLISH, FROM_ENGLISH = "xx->en", "en->xx"


def nearest_neighbours(similarity: np.ndarray) -> np.ndarray:
    """Column of the best score of each row; ties go to the lowest column (``argmax``)."""
    similarity = np.asarray(similarity)
    if similarity.ndim != 2 or not similarity.size:
        raise ValueError(f"similarity must be a non-empty 2-D matrix, got shape {similarity.shape}")
    if not np.isfinite(similarity).all():
        raise ValueError("similarity must be finite")
    return similarity.argmax(axis=1)


def accuracy(predicted: np.ndarray) -> float:
    """Share of rows whose nearest neighbour is the aligned row (``predicted[i] == i``)."""
    return float(np.mean(np.asarray(predicted) == np.arange(len(predicted))))


@dataclass
class PairResult:
    """Nearest neighbours of one language pair in both directions."""

    language: str
    to_english: np.ndarray  # for each xx sentence, the index of its nearest English sentence
    from_english: np.ndarray  # for each English sentence, the index of its nearest xx sentence

    def scores(self) -> dict[str, float]:
        to_en, from_en = accuracy(self.to_english), accuracy(self.from_english)
        return {TO_ENGLISH: to_en, FROM_ENGLISH: from_en, "mean": (to_en + from_en) / 2}


def score_pair(language: str, to_english: np.ndarray, from_english: np.ndarray) -> PairResult:
    """Both directions from the two similarity matrices (xx x en, and en x xx)."""
    if to_english.shape[0] != to_english.shape[1] or from_english.shape != to_english.shape[::-1]:
        raise ValueError(
            f"{language}: similarity shapes {to_english.shape} and {from_english.shape} are not "
            "square transposes of each other: the two sides must be line-aligned"
        )
    return PairResult(language, nearest_neighbours(to_english), nearest_neighbours(from_english))


def summarise(results: list[PairResult]) -> dict[str, Any]:
    """Per-language accuracies and their unweighted means over languages, per direction and both."""
    by_language: dict[str, Mapping[str, float]] = {r.language: r.scores() for r in results}
    average = {
        key: float(np.mean([row[key] for row in by_language.values()])) if by_language else None
        for key in (TO_ENGLISH, FROM_ENGLISH, "mean")
    }
    return {
        "accuracy": average,
        "by_language": by_language,
        "pairs": {r.language: len(r.to_english) for r in results},
    }
