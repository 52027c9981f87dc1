"""Evaluation: per-query ranking metrics and the LAReQA (XQuAD-R, MLQA-R) protocol."""

from hybridir.evaluation.lareqa import LareqaResult, evaluate_lareqa
from hybridir.evaluation.metrics import (
    average_precision,
    rank_distance,
    recall_at_k,
    reciprocal_rank,
    relevant_ranks,
)

__all__ = [
    "LareqaResult",
    "average_precision",
    "evaluate_lareqa",
    "rank_distance",
    "recall_at_k",
    "reciprocal_rank",
    "relevant_ranks",
]
