"""A hand-made Scorer for mining tests: a table of (question, passage) scores, 0 where not listed.

The table decides every neighbour, so a test knows which passages must (not) be mined.
"""

from __future__ import annotations

import numpy as np


class TableScorer:
    """:class:`~hybridir.encoding.base.Scorer` that looks scores up in ``table[(question, passage)]``."""

    def __init__(self, table: dict[tuple[str, str], float]) -> None:
        self.name = "table"
        self.notes: list[str] = []
        self.table = table
        self.calls = 0

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        self._scores = np.array(
            [[self.table.get((q, c), 0.0) for c in candidates] for q in queries], dtype=np.float32
        )

    def score_block(self, start: int, stop: int) -> np.ndarray:
        self.calls += 1
        return self._scores[start:stop]
