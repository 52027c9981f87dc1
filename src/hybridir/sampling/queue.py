"""Shuffled example queues that never put two conflicting examples in one batch.

Two examples *conflict* when they share a key: their own index (so no example appears twice),
a paragraph they come from (sibling questions), or a passage text (identical positives, or
one's hard negative being the other's positive). In one batch they would be false negatives
for each other. Keeping a conflicting example out of the batch, rather than masking the pair
in the loss, works with every loss (plain, cached, gathered across ranks) without touching it,
keeps every question's number of negatives equal to the batch size, and keeps the DDP design
(batches are planned globally, then split) unchanged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence

import numpy as np

Keys = frozenset[Hashable]


def greedy_batch(pool: Iterable[int], keys_of: Sequence[Keys], limit: int | None = None) -> list[int]:
    """The examples of ``pool`` that a greedy pass in pool order puts in one batch (up to ``limit``)."""
    used: set[Hashable] = set()
    chosen: list[int] = []
    for index in pool:
        if limit is not None and len(chosen) == limit:
            break
        keys = keys_of[index]
        if used.isdisjoint(keys):
            used.update(keys)
            chosen.append(index)
    return chosen


def independent_count(pool: Iterable[int], keys_of: Sequence[Keys]) -> int:
    """How many examples of ``pool`` a greedy pass (in pool order) can put in one batch.

    A lower bound on the largest conflict-free batch: the planner checks it against the batch
    size before planning, so a pool too small for a batch is a one-line error, and
    :meth:`ConflictQueue.take` can always fall back on that pass.
    """
    return len(greedy_batch(pool, keys_of))


class ConflictQueue:
    """Serves example indices in shuffled passes over a pool, reshuffling when a pass runs out.

    ``take`` never returns two indices that share a key (an index always conflicts with
    itself): a conflicting index is deferred to the front of the queue, so each pass still
    serves every index exactly once, only later. If a whole shuffled pass cannot complete a
    batch (the shuffled order painted itself into a corner), the batch is the greedy pass in
    pool order, which the planner checked can fill one, and what was drawn returns to the queue.
    """

    def __init__(self, pool: np.ndarray, rng: np.random.Generator, keys_of: Sequence[Keys]) -> None:
        self._pool = pool
        self._rng = rng
        self._keys_of = keys_of
        self._queue: deque[int] = deque()

    def take(self, n: int) -> list[int]:
        batch: list[int] = []
        used: set[Hashable] = set()
        deferred: list[int] = []
        refills = 0
        while len(batch) < n:
            if not self._queue:
                refills += 1
                if refills > 2:  # a whole shuffled pass gave no conflict-free batch
                    return self._fallback(n, batch + deferred)
                self._queue.extend(self._rng.permutation(self._pool).tolist())
            index = self._queue.popleft()
            keys = self._keys_of[index]
            if used.isdisjoint(keys):
                batch.append(index)
                used.update(keys)
            else:
                deferred.append(index)
        self._queue.extendleft(reversed(deferred))
        return batch

    def _fallback(self, n: int, drawn: list[int]) -> list[int]:
        batch = greedy_batch(self._pool.tolist(), self._keys_of, n)
        if len(batch) < n:
            raise ValueError(f"the pool cannot fill a conflict-free batch of {n}: check it before planning")
        chosen = set(batch)
        self._queue.extendleft(reversed([index for index in drawn if index not in chosen]))
        return batch
