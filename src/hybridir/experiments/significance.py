"""Paired significance over queries: a sign-flip randomization test and Holm's correction.

Pure functions on arrays, so the known cases (identical runs, shifted runs, textbook Holm
examples) are tested directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_CHUNK = 512  # permutations drawn at once: memory is _CHUNK x n_units bytes


def paired_randomization_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    n_permutations: int = 10000,
    seed: int = 0,
) -> float:
    """Two-sided p-value that ``sum(a - b)`` is no larger than under random sign flips.

    ``a[i]`` and ``b[i]`` are the two systems' values for unit ``i`` (a query's contribution to
    a metric). Under the null the two systems are exchangeable, so each difference is equally
    likely positive or negative; the p-value counts the flipped sums at least as extreme as the
    observed one, with the observed assignment included: ``(1 + count) / (1 + n_permutations)``.
    Identical inputs give exactly 1.
    """
    diffs = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diffs.ndim != 1:
        raise ValueError("the test takes one value per unit: 1-d arrays of equal length")
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be positive, got {n_permutations}")
    total = diffs.sum()
    observed = abs(total)
    tolerance = 1e-9 * max(1.0, float(np.abs(diffs).sum()))  # ties in floating point count as ties
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, n_permutations, _CHUNK):
        rows = min(_CHUNK, n_permutations - start)
        flips = np.unpackbits(rng.integers(0, 256, size=(rows, -(-diffs.size // 8)), dtype=np.uint8), axis=1)
        flipped = flips[:, : diffs.size].astype(np.float64) @ diffs  # sum of the flipped units
        extreme += int(np.count_nonzero(np.abs(total - 2.0 * flipped) >= observed - tolerance))
    return (1 + extreme) / (1 + n_permutations)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given): the family-wise error is controlled.

    The i-th smallest p is multiplied by ``m - i`` (i from 0), made non-decreasing along that
    order, and capped at 1; reject where the adjusted value is below the level.
    """
    values = np.asarray(pvalues, dtype=np.float64)
    m = values.size
    order = np.argsort(values, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted.tolist()
