"""Batch sampling for parallel data: x-x, x-x-mono, x-y and hybrid batches from one or several
sources, language and source weighting, and the rule that keeps false negatives out of a batch.

Nothing here imports model code; :mod:`hybridir.sampling.batch_sampler` (which needs torch and
sentence-transformers) is imported from its module, not re-exported here, so the planner and
weighting stay importable without them.
"""

from hybridir.sampling.kinds import BatchKind, PlannedBatch, Strategy, parse_strategy
from hybridir.sampling.planner import BatchPlanner
from hybridir.sampling.sources import PlanSource
from hybridir.sampling.weights import LanguageWeighting, WeightingKind, parse_language_weights

__all__ = [
    "BatchKind",
    "BatchPlanner",
    "LanguageWeighting",
    "PlanSource",
    "PlannedBatch",
    "Strategy",
    "WeightingKind",
    "parse_language_weights",
    "parse_strategy",
]
