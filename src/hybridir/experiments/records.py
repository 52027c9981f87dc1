"""The typed rows of a grid's summary, as aggregation hands them to the figures and the report.

Each record's ``to_json`` gives its entry in ``summary.json`` (the keys, in the file's order) and
``from_json`` reads it back, so ``from_json(to_json())`` is the record again. Metrics are keyed
by their catalogue entry (:mod:`hybridir.evaluation.catalogue`); the file keeps their keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from hybridir.evaluation.catalogue import METRIC_BY_KEY, Metric
from hybridir.experiments.significance import holm

ARM, BASELINE = "arm", "baseline"  # a row's kind: a trained arm (seeds, tested) or a zero-shot baseline
ALL, SEEN, UNSEEN, OTHERS = "all", "seen", "unseen", "others"  # groups of query languages in rows
QUANTILES = (10, 25, 50, 75, 90)  # the percentiles of per-query rank distances that summary.json keeps


def mean_or_none(values: Sequence[float | None]) -> float | None:
    """Mean of the values present; None when none is."""
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _std(values: Sequence[float | None]) -> float | None:
    """Sample standard deviation; None below two values."""
    present = [v for v in values if v is not None]
    return float(np.std(present, ddof=1)) if len(present) > 1 else None


def _plain(value: Any) -> Any:
    """A record's field as JSON data: records by their ``to_json``, metrics by their key."""
    if isinstance(value, Metric):
        return value.key
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


class _Record:
    """``to_json``: the fields in declaration order (summary.json's order), made plain."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Spread(_Record):
    """Mean and sample standard deviation over seeds (None: no value, or one run)."""

    mean: float | None
    std: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Spread:
        return cls(data["mean"], data["std"])


@dataclass(frozen=True)
class Stats(_Record):
    """A metric over a group's runs: mean, sample std, and the value of each run (None: missing)."""

    mean: float | None
    std: float | None
    values: list[float | None]

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Stats:
        return cls(mean_or_none(values), _std(values), list(values))

    @property
    def spread(self) -> Spread:
        return Spread(self.mean, self.std)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stats:
        return cls(data["mean"], data["std"], list(data["values"]))


@dataclass(frozen=True)
class PairedTest:
    """A paired sign-flip test against the reference, Holm-adjusted within its family of tests.

    ``difference`` (tested minus reference, seed means) is None where the table does not show it
    (the extra test benchmarks); summary.json then leaves it out.
    """

    difference: float | None
    p: float
    p_holm: float
    significant: bool

    @classmethod
    def family(cls, tests: Sequence[tuple[float | None, float]], level: float) -> list[PairedTest]:
        """(difference, p) of one family of tests -> the tests with Holm-adjusted p-values."""
        adjusted = holm([p for _, p in tests])
        return [
            cls(difference, p, p_holm, p_holm < level)
            for (difference, p), p_holm in zip(tests, adjusted, strict=True)
        ]

    def to_json(self) -> dict[str, Any]:
        head = {} if self.difference is None else {"difference": self.difference}
        return {**head, "p": self.p, "p_holm": self.p_holm, "significant": self.significant}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PairedTest:
        return cls(data.get("difference"), data["p"], data["p_holm"], data["significant"])


@dataclass(frozen=True)
class TableRow(_Record):
    """One model in a main table: (direction, variant, subset of query languages), every metric."""

    direction: str
    variant: str
    subset: str  # ALL, SEEN or UNSEEN query languages
    languages: list[str] | None  # None: all query languages
    model: str
    kind: str  # ARM or BASELINE
    sampling: str | None  # the arm's strategy (None for a baseline)
    alpha: float | None
    seeds: list[int]
    metrics: dict[Metric, Stats]
    tests: dict[Metric, PairedTest]  # against the reference arm; empty for it and for baselines

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableRow:
        return cls(
            data["direction"],
            data["variant"],
            data["subset"],
            data["languages"],
            data["model"],
            data["kind"],
            data["sampling"],
            data["alpha"],
            list(data["seeds"]),
            {METRIC_BY_KEY[key]: Stats.from_json(value) for key, value in data["metrics"].items()},
            {METRIC_BY_KEY[key]: PairedTest.from_json(value) for key, value in data["tests"].items()},
        )


@dataclass(frozen=True)
class LanguageRow(_Record):
    """One model's metric per query language (mean and spread over seeds)."""

    direction: str
    variant: str
    model: str
    kind: str
    metric: Metric
    by_language: dict[str, Spread]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LanguageRow:
        by_language = {lang: Spread.from_json(value) for lang, value in data["by_language"].items()}
        return cls(
            data["direction"],
            data["variant"],
            data["model"],
            data["kind"],
            METRIC_BY_KEY[data["metric"]],
            by_language,
        )


@dataclass(frozen=True)
class CrossMatrix(_Record):
    """One model's cross-lingual mAP per (query language, target language), mean over seeds."""

    direction: str
    variant: str
    model: str
    kind: str
    languages: list[str]
    map: list[list[float | None]]  # [query][target], in ``languages`` order

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CrossMatrix:
        matrix = [list(row) for row in data["map"]]
        return cls(
            data["direction"], data["variant"], data["model"], data["kind"], list(data["languages"]), matrix
        )


@dataclass(frozen=True)
class DeltaRow:
    """An arm's change from a base variant to another (starved or added sources against full, a
    recipe against full or the variant it merges).

    On one group of query languages (a starved language, the ``others``, or ``all``): the base
    run's mean (``full``), the paired seeds' mean and spread of the change, and the paired test
    of variant against base.
    """

    direction: str
    variant: str
    base: str
    model: str
    languages: str  # the group of query languages: a starved language, OTHERS or ALL
    metric: Metric
    full: float | None
    delta_mean: float | None
    delta_std: float | None
    seeds: list[int]
    test: PairedTest

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "variant": self.variant,
            "base": self.base,
            "model": self.model,
            "languages": self.languages,
            "metric": self.metric.key,
            "full": self.full,
            "delta_mean": self.delta_mean,
            "delta_std": self.delta_std,
            "seeds": self.seeds,
            **self.test.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeltaRow:
        return cls(
            data["direction"],
            data["variant"],
            data["base"],
            data["model"],
            data["languages"],
            METRIC_BY_KEY[data["metric"]],
            data["full"],
            data["delta_mean"],
            data["delta_std"],
            list(data["seeds"]),
            PairedTest.from_json(data),
        )


@dataclass(frozen=True)
class Quantiles:
    """Percentiles (:data:`QUANTILES`) of one model's per-query rank distances, seed-averaged."""

    direction: str
    variant: str
    model: str
    points: tuple[float, ...]  # one per entry of QUANTILES; NaN when no query has a value

    @classmethod
    def of(cls, direction: str, variant: str, model: str, values: np.ndarray) -> Quantiles:
        values = values[~np.isnan(values)]
        points = np.percentile(values, QUANTILES) if values.size else [np.nan] * len(QUANTILES)
        return cls(direction, variant, model, tuple(float(v) for v in points))

    def to_json(self) -> dict[str, Any]:
        points = {f"p{q}": v for q, v in zip(QUANTILES, self.points, strict=True)}
        return {"direction": self.direction, "variant": self.variant, "model": self.model, **points}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quantiles:
        points = tuple(float(data[f"p{q}"]) for q in QUANTILES)
        return cls(data["direction"], data["variant"], data["model"], points)


@dataclass(frozen=True)
class ChosenRatio(_Record):
    """The WiSE-FT ratio a wise-ft cell chose on validation, with the validation criterion."""

    direction: str
    variant: str
    model: str
    seed: int
    ratio: float
    criterion: str
    value: float  # the criterion's validation score at the chosen ratio
    fine_tuned_value: float  # at ratio 1 (the fine-tuned model), when scored; else NaN

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChosenRatio:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class Progress(_Record):
    """How many cells of the grid have an evaluation, and the ids of those that have not."""

    cells: int
    finished: int
    missing: list[str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progress:
        return cls(data["cells"], data["finished"], list(data["missing"]))


@dataclass(frozen=True)
class StageCost(_Record):
    """Measured seconds of one stage (train, merge or eval) over the cells that did that work here."""

    cells: int
    total_s: float
    mean_s: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageCost:
        return cls(data["cells"], data["total_s"], data["mean_s"])


@dataclass(frozen=True)
class Cost(_Record):
    """The grid's measured cost: training, merging and evaluation of the cells, the baselines,
    everything."""

    train: StageCost
    merge: StageCost
    eval: StageCost
    baselines_total_s: float
    total_s: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cost:
        return cls(
            StageCost.from_json(data["train"]),
            StageCost.from_json(data["merge"]),
            StageCost.from_json(data["eval"]),
            data["baselines_total_s"],
            data["total_s"],
        )
