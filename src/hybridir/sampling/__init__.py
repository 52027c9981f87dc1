"""Batch sampling for parallel data: x-x, x-x-mono, x-y and hybrid batches, and language weighting.

Nothing here imports model code; :mod:`hybridir.sampling.batch_sampler` (which needs torch and
sentence-transformers) is imported from its module, not re-exported here, so the planner and
weighting stay importable without them.
"""

from hybridir.sampling.planner import BatchKind, BatchPlanner, PlannedBatch, Strategy, parse_strategy
from hybridir.sampling.weights import LanguageWeighting, WeightingKind, parse_language_weights

__all__ = [
    "BatchKind",
    "BatchPlanner",
    "LanguageWeighting",
    "PlannedBatch",
    "Strategy",
    "WeightingKind",
    "parse_language_weights",
    "parse_strategy",
]
