"""A hand-made 3-language LAReQA benchmark with a fixed score matrix and hand-computed expectations.

Question ids: ``a`` exists in en, de and es; ``b`` only in en and de (an MLQA-style id with no
Spanish answer, so its questions are skipped for the es pool). Candidates (column: language, role):
0 en a, 1 en b, 2 en distractor, 3 de a, 4 de b, 5 es a, 6 es distractor.
"""

from __future__ import annotations

import numpy as np

from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question

CANDIDATES = [("en", "a"), ("en", "b"), ("en", "-"), ("de", "a"), ("de", "b"), ("es", "a"), ("es", "-")]
QUESTIONS = [("a", "en"), ("b", "en"), ("a", "de"), ("b", "de"), ("a", "es")]
SCORES = np.array(
    [
        [0.9, 0.1, 0.5, 0.3, 0.2, 0.8, 0.4],  # en-a
        [0.2, 0.6, 0.6, 0.7, 0.5, 0.1, 0.3],  # en-b: ties with the en distractor
        [0.4, 0.2, 0.3, 0.1, 0.9, 0.5, 0.6],  # de-a
        [0.3, 0.35, 0.8, 0.2, 0.7, 0.6, 0.1],  # de-b
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6],  # es-a: ties with the es distractor
    ],
    dtype=np.float32,
)

# Ranks worked out by hand from SCORES (pessimistic ties), per question:
# pool ranks per target language (None: no answer there) and multilingual ranks.
POOL_RANKS = [
    {"en": 1, "de": 1, "es": 1},
    {"en": 2, "de": 2, "es": None},
    {"en": 1, "de": 2, "es": 2},
    {"en": 2, "de": 1, "es": None},
    {"en": 3, "de": 2, "es": 2},
]
MULTI_RANKS = [[1, 2, 5], [3, 4], [3, 4, 7], [2, 4], [2, 4, 7]]


def toy_benchmark() -> LareqaBenchmark:
    """The benchmark described in the module docstring."""
    candidates = [
        Candidate(lang, f"{lang} {role} {i}", "ctx", "t", 0) for i, (lang, role) in enumerate(CANDIDATES)
    ]
    questions = [Question(qid, lang, f"question {qid} in {lang}") for qid, lang in QUESTIONS]
    relevant = [
        np.array([i for i, (_, role) in enumerate(CANDIDATES) if role == qid]) for qid, _ in QUESTIONS
    ]
    return LareqaBenchmark("toy", ["en", "de", "es"], questions, candidates, relevant)


class MatrixScorer:
    """A Scorer serving rows of a fixed score matrix; counts calls to check blocking."""

    def __init__(self, scores: np.ndarray, name: str = "matrix") -> None:
        self.scores = scores
        self.name = name
        self.notes = ["fixed score matrix"]
        self.calls: list[tuple[int, int]] = []

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Nothing to encode: the scores are given."""

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of the matrix."""
        self.calls.append((start, stop))
        return self.scores[start:stop]
