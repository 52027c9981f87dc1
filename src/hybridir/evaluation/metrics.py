"""Per-query ranking metrics over score matrices, computed by hand for the LAReQA protocol.

LAReQA is not a standard qrels setup: each query is ranked against several pools (its own
language, each other language, all languages) cut from one score row, and relevance is a set
of candidate indices per query. So ranks are computed here, vectorised over a block of
queries, and the metrics are functions of those ranks, in the style of ranx (one function per
metric, numpy in, one value per query out).

Ranks use pessimistic ties: a non-relevant item whose score equals a relevant item's ranks
above it, so a constant scorer gets no credit. The rank of the k-th best relevant item of a
query is ``k + #{non-relevant pool items with score >= its score}``.

A ``ranks`` array has shape ``(n_queries, max_relevant)``: each row holds the query's 1-based
ranks in ascending order, padded with 0 (never a valid rank). A query with no relevant item in
the pool has an all-zero row, and every metric gives it NaN, so that averages skip it instead of
counting it as a miss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Columns = slice | np.ndarray  # one pool segment: a column slice or an array of column indices

_ROW_STRIDE = np.int64(1) << 32


def _ordered_keys(values: np.ndarray) -> np.ndarray:
    """Map float32 values to int64 keys in [0, 2**32) with the same order (and -0.0 == +0.0)."""
    bits = (np.asarray(values, dtype=np.float32) + np.float32(0.0)).view(np.int32)
    keys = bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))
    return keys.astype(np.int64) + (np.int64(1) << 31)


def count_at_or_above(scores: np.ndarray, thresholds: np.ndarray, segments: Sequence[Columns]) -> np.ndarray:
    """``counts[i, r, s]`` = number of columns of segment ``s`` with ``scores[i, col] >= thresholds[i, r]``.

    Each segment is sorted per row once and all thresholds are looked up with one flat
    ``searchsorted`` (row index folded into an integer key), which costs a sort of the block
    rather than ``n_thresholds`` passes over it. Scores must be finite.
    """
    n_rows, n_thresholds = thresholds.shape
    offsets = np.arange(n_rows, dtype=np.int64)[:, None] * _ROW_STRIDE
    wanted = (_ordered_keys(thresholds) + offsets).ravel()
    counts = np.empty((n_rows, n_thresholds, len(segments)), dtype=np.int64)
    for s, columns in enumerate(segments):
        block = np.sort(scores[:, columns], axis=1)
        width = block.shape[1]
        keys = (_ordered_keys(block) + offsets).ravel()
        below = np.searchsorted(keys, wanted, side="left").reshape(n_rows, n_thresholds)
        counts[:, :, s] = width - (below - np.arange(n_rows)[:, None] * width)
    return counts


def pool_ranks(thresholds: np.ndarray, in_pool: np.ndarray, at_or_above: np.ndarray) -> np.ndarray:
    """Sorted pessimistic ranks of the relevant items that lie in a pool.

    ``thresholds[i, r]`` is the score of query ``i``'s ``r``-th relevant item, ``in_pool[i, r]``
    says whether that item belongs to the pool, and ``at_or_above[i, r]`` counts all pool items
    (relevant or not) scoring at least ``thresholds[i, r]``. Returns a ranks array (see module doc).
    """
    width = thresholds.shape[1]
    masked = np.where(in_pool, thresholds, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")  # pool members first, best first
    best = np.take_along_axis(masked, order, axis=1)
    member = np.take_along_axis(in_pool, order, axis=1)
    ge_all = np.take_along_axis(at_or_above, order, axis=1)
    relevant_ge = ((best[:, None, :] >= best[:, :, None]) & member[:, None, :]).sum(axis=2)
    position = np.arange(1, width + 1, dtype=np.int64)[None, :]
    return np.where(member, position + ge_all - relevant_ge, 0).astype(np.int64)


def relevant_ranks(scores: np.ndarray, relevant_mask: np.ndarray) -> np.ndarray:
    """Ranks array (sorted, 1-based, 0-padded) of each query's relevant items in its score row.

    ``scores`` and ``relevant_mask`` have shape ``(n_queries, n_pool)``; the whole row is the pool.
    """
    scores = np.asarray(scores, dtype=np.float32)
    mask = np.asarray(relevant_mask, dtype=bool)
    if scores.shape != mask.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and relevant_mask {mask.shape} must be equal 2-D shapes")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    n_relevant = mask.sum(axis=1)
    width = max(int(n_relevant.max(initial=0)), 1)
    columns = np.argsort(~mask, axis=1, kind="stable")[:, :width]
    in_pool = np.arange(width)[None, :] < n_relevant[:, None]
    thresholds = np.take_along_axis(scores, columns, axis=1)
    at_or_above = count_at_or_above(scores, thresholds, [slice(None)])[:, :, 0]
    return pool_ranks(thresholds, in_pool, at_or_above)


def _as_ranks(ranks: np.ndarray) -> np.ndarray:
    """Validate a ranks array; a zero-width one becomes one all-zero column."""
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.ndim != 2:
        raise ValueError(f"ranks must be 2-D (queries x relevant items), got shape {ranks.shape}")
    return ranks if ranks.shape[1] else np.zeros((len(ranks), 1), dtype=np.int64)


def _per_query(values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    return np.where(defined, values, np.nan)


def average_precision(ranks: np.ndarray) -> np.ndarray:
    """Full-ranking average precision: the mean over relevant items of ``k / rank_k``."""
    ranks = _as_ranks(ranks)
    n = (ranks > 0).sum(axis=1)
    k = np.arange(1, ranks.shape[1] + 1)[None, :]
    precision = np.where(ranks > 0, k / np.maximum(ranks, 1), 0.0).sum(axis=1)
    return _per_query(precision / np.maximum(n, 1), n > 0)


def recall_at_k(ranks: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Fraction of a query's ``n_relevant`` relevant items ranked in the top ``k``."""
    ranks = _as_ranks(ranks)
    n_relevant = np.asarray(n_relevant)
    hits = ((ranks > 0) & (ranks <= k)).sum(axis=1)
    return _per_query(hits / np.maximum(n_relevant, 1), n_relevant > 0)


def reciprocal_rank(ranks: np.ndarray) -> np.ndarray:
    """``1 / rank`` of the best-ranked relevant item."""
    first = _as_ranks(ranks)[:, 0]
    return _per_query(1.0 / np.maximum(first, 1), first > 0)


def rank_distance(ranks: np.ndarray) -> np.ndarray:
    """Highest minus lowest rank among a query's relevant items (0 with one relevant item)."""
    ranks = _as_ranks(ranks)
    n = (ranks > 0).sum(axis=1)
    last = np.take_along_axis(ranks, np.maximum(n - 1, 0)[:, None], axis=1)[:, 0]
    return _per_query((last - ranks[:, 0]).astype(np.float64), n > 0)
