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

from hybridir.errors import UserError

Keys = frozenset[Hashable]


def independent_count(pool: Iterable[int], keys_of: Sequence[Keys]) -> int:
    """How many examples of ``pool`` a greedy pass (in pool order) can put in one batch.

    A lower bound on the largest conflict-free batch: the planner checks it against the batch
    size before planning, so a pool too small for a batch is a one-line error, not a hang.
    """
    used: set[Hashable] = set()
    count = 0
    for index in pool:
        keys = keys_of[index]
        if used.isdisjoint(keys):
            used.update(keys)
            count += 1
    return count


class ConflictQueue:
    """Serves example indices in shuffled passes over a pool, reshuffling when a pass runs out.

    ``take`` never returns two indices that share a key (an index always conflicts with
    itself): a conflicting index is deferred to the front of the queue, so each pass still
    serves every index exactly once, only later. ``what`` names the pool in the error raised
    when no conflict-free batch can be found in a whole pass.
    """

    def __init__(
        self, pool: np.ndarray, rng: np.random.Generator, keys_of: Sequence[Keys], what: str
    ) -> None:
        self._pool = pool
        self._rng = rng
        self._keys_of = keys_of
        self._what = what
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
                    raise UserError(
                        f"{self._what}: cannot fill a batch of {n} with examples that share no paragraph "
                        "or passage text: use a smaller --batch-size"
                    )
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
