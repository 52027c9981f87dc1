"""The reported LAReQA metrics, declared once: where ``metrics.json`` keeps each, and how to label it.

:mod:`hybridir.evaluation.lareqa` writes ``metrics.json``; reports, comparisons and the
experiment aggregation read it through these entries instead of spelling its keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hybridir.evaluation.lareqa import MULTILINGUAL_K

MONOLINGUAL = "monolingual"
CROSSLINGUAL = "crosslingual"
MULTILINGUAL = "multilingual"
LANGUAGE_BIAS = "language_bias"
BY_LANGUAGE = "by_language"
BY_PAIR = "by_pair"  # crosslingual: query language -> target language -> mAP


@dataclass(frozen=True)
class Metric:
    """One reported metric: its ``metrics.json`` place, its labels, and the per-query field behind it."""

    key: str  # short name in experiment summaries
    section: str  # section of metrics.json
    value: str  # key of the headline value in the section
    by_language: str  # key of its per-query-language values in the section
    label: str  # short label (tables, figures)
    title: str  # long label (comparisons)
    setting: str  # per_query.jsonl setting that feeds it
    field: str  # per_query.jsonl field that feeds it
    lower_is_better: bool = False

    @property
    def digits(self) -> int:
        """Decimals to print: rank distances are ranks, the rest fractions."""
        return 1 if self.lower_is_better else 3

    def headline(self, metrics: Mapping[str, Any]) -> float | None:
        """The reported figure of this metric in a ``metrics.json`` payload."""
        return metrics[self.section][self.value]

    def per_language(self, metrics: Mapping[str, Any]) -> Mapping[str, float]:
        """Query language -> value, from a ``metrics.json`` payload."""
        return metrics[self.section][self.by_language]


def _recall(k: int) -> str:
    return f"recall@{k}"


MONO_MAP = Metric(
    "mono_map", MONOLINGUAL, "map", BY_LANGUAGE, "mono mAP", "monolingual mAP", MONOLINGUAL, "ap"
)
CROSS_MAP = Metric(
    "cross_map", CROSSLINGUAL, "map", BY_LANGUAGE, "cross mAP", "cross-lingual mAP", CROSSLINGUAL, "ap"
)
MULTI_MAP = Metric(
    "multi_map", MULTILINGUAL, "map", BY_LANGUAGE, "multi mAP", "multilingual mAP", MULTILINGUAL, "ap"
)
MONO_R1 = Metric(
    "mono_r1",
    MONOLINGUAL,
    _recall(1),
    f"{_recall(1)}_{BY_LANGUAGE}",
    "mono R@1",
    "monolingual R@1",
    MONOLINGUAL,
    "recall_at_k",
)
CROSS_R1 = Metric(
    "cross_r1",
    CROSSLINGUAL,
    _recall(1),
    f"{_recall(1)}_{BY_LANGUAGE}",
    "cross R@1",
    "cross-lingual R@1",
    CROSSLINGUAL,
    "recall_at_k",
)
MULTI_RK = Metric(
    f"multi_r{MULTILINGUAL_K}",
    MULTILINGUAL,
    _recall(MULTILINGUAL_K),
    f"{_recall(MULTILINGUAL_K)}_{BY_LANGUAGE}",
    f"multi R@{MULTILINGUAL_K}",
    f"multilingual R@{MULTILINGUAL_K}",
    MULTILINGUAL,
    "recall_at_k",
)
RANK_DISTANCE = Metric(
    "rank_distance",
    LANGUAGE_BIAS,
    "rank_distance",
    BY_LANGUAGE,
    "rank distance",
    "rank distance",
    MULTILINGUAL,
    "rank_distance",
    lower_is_better=True,
)

METRICS = (MONO_MAP, CROSS_MAP, MULTI_MAP, MONO_R1, CROSS_R1, MULTI_RK, RANK_DISTANCE)
METRIC_BY_KEY = {metric.key: metric for metric in METRICS}
MAP_METRICS = (MONO_MAP, CROSS_MAP, MULTI_MAP)
