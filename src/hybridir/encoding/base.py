"""The contract between models and evaluation: a scorer turns queries and candidates into scores.

Evaluation never sees a model, only a :class:`Scorer`: it calls :meth:`Scorer.prepare` once
with all query and candidate texts, then asks for score blocks of consecutive queries, so
memory stays bounded by ``block_size x n_candidates`` float32 whatever the pool size.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Scorer(Protocol):
    """Scores every candidate for a block of queries (higher = more relevant)."""

    name: str
    notes: list[str]  # caveats a report must state (e.g. "4-bit-rounded weights")

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Encode or index all texts; ``cache_key`` names a reusable embedding cache entry."""

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Float32 scores of shape ``(stop - start, n_candidates)`` for queries ``start:stop``."""
