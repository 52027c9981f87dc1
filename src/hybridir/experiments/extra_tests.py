"""The extra test benchmarks of a grid (CMRC 2018, ARCD, Tatoeba): seed means, paired tests, a table.

Each benchmark has a few headline metrics, each the sum of per-unit contributions read from
``per_query.jsonl`` (a native question, or a Tatoeba sentence in one direction), weighted as
the benchmark's own average weights them: mean over questions for CMRC 2018 / ARCD, mean over
directions and then languages for Tatoeba. As for the main test, contributions are averaged
over seeds, then each arm is tested against the reference arm by the paired sign-flip test over
units, Holm-adjusted within each (direction, variant, benchmark) table.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.files import read_text
from hybridir.evaluation.tatoeba import FROM_ENGLISH, TO_ENGLISH
from hybridir.experiments.archive import per_query_file
from hybridir.experiments.config import TATOEBA, Cell, ExperimentConfig, baseline_dir, cell_dir
from hybridir.experiments.records import ARM, BASELINE, PairedTest, Stats
from hybridir.experiments.significance import paired_randomization_test

Units = dict[tuple, float]  # unit key -> its contribution to the metric


@dataclass(frozen=True)
class ExtraMetric:
    """A headline metric: its label, and how to get per-unit contributions from per-query records."""

    key: str
    label: str
    contributions: Callable[[list[dict[str, Any]]], Units]


def _mean_of(level: str, field: str) -> Callable[[list[dict[str, Any]]], Units]:
    def contributions(records: list[dict[str, Any]]) -> Units:
        rows = [r for r in records if r.get("level") == level and r.get(field) is not None]
        return {(r["qid"],): float(r[field]) / len(rows) for r in rows}

    return contributions


def _tatoeba(direction: str | None) -> Callable[[list[dict[str, Any]]], Units]:
    """Accuracy in one direction (or both) as the unweighted mean over languages."""

    def contributions(records: list[dict[str, Any]]) -> Units:
        rows = [r for r in records if direction is None or r["direction"] == direction]
        counts = Counter((r["language"], r["direction"]) for r in rows)
        languages = len({language for language, _ in counts})
        directions = 1 if direction else 2
        return {
            (r["language"], r["direction"], r["index"]): float(r["correct"])
            / (languages * directions * counts[(r["language"], r["direction"])])
            for r in rows
        }

    return contributions


NATIVE_METRICS = (
    ExtraMetric("sentence_map", "sentence mAP", _mean_of("sentence", "ap")),
    ExtraMetric("sentence_r1", "sentence R@1", _mean_of("sentence", "recall@1")),
    ExtraMetric("passage_ndcg10", "passage nDCG@10", _mean_of("passage", "nDCG@10")),
    ExtraMetric("passage_recall100", "passage Recall@100", _mean_of("passage", "Recall@100")),
)
METRICS: dict[str, tuple[ExtraMetric, ...]] = {
    "cmrc2018": NATIVE_METRICS,
    "arcd": NATIVE_METRICS,
    TATOEBA: (
        ExtraMetric("accuracy", "accuracy (both directions)", _tatoeba(None)),
        ExtraMetric("accuracy_to_en", f"accuracy {TO_ENGLISH}", _tatoeba(TO_ENGLISH)),
        ExtraMetric("accuracy_from_en", f"accuracy {FROM_ENGLISH}", _tatoeba(FROM_ENGLISH)),
    ),
}


def _records(folder: Path) -> list[dict[str, Any]] | None:
    path = per_query_file(folder)
    if not (folder / "metrics.json").is_file() or path is None:
        return None
    return [json.loads(line) for line in read_text(path).splitlines() if line.strip()]


def _seed_mean(units: list[Units]) -> Units:
    keys = units[0].keys()
    return {key: float(np.mean([u[key] for u in units])) for key in keys}


@dataclass(frozen=True)
class ExtraRow:
    """One model's headline metric on an extra test benchmark, in one (direction, variant).

    ``test``: the paired test against the reference arm (None for the reference itself, for a
    baseline, and while the reference has no finished run).
    """

    direction: str
    variant: str
    benchmark: str
    model: str
    kind: str  # ARM or BASELINE
    metric: ExtraMetric
    stats: Stats
    test: PairedTest | None = None

    def to_json(self) -> dict[str, Any]:
        test = {} if self.test is None else self.test.to_json()
        return {
            "direction": self.direction,
            "variant": self.variant,
            "benchmark": self.benchmark,
            "model": self.model,
            "kind": self.kind,
            "metric": self.metric.key,
            "label": self.metric.label,
            **self.stats.to_json(),
            **test,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExtraRow:
        metric = next(m for m in METRICS[data["benchmark"]] if m.key == data["metric"])
        test = PairedTest.from_json(data) if "p" in data else None
        return cls(
            data["direction"],
            data["variant"],
            data["benchmark"],
            data["model"],
            data["kind"],
            metric,
            Stats.from_json(data),
            test,
        )


def _arm_rows(
    experiment: ExperimentConfig, runs: dict[str, list[list[dict[str, Any]]]], where: dict[str, str]
) -> list[ExtraRow]:
    """The arms' rows of one table, each arm but the reference tested against it (Holm per table)."""
    reference = runs.get(experiment.reference)
    options = experiment.significance
    rows: list[tuple[str, ExtraMetric, Stats, float | None]] = []
    for metric in METRICS[where["benchmark"]]:
        reference_units = _seed_mean([metric.contributions(r) for r in reference]) if reference else None
        for label, found in runs.items():
            units = [metric.contributions(r) for r in found]
            p = None
            if reference_units is not None and label != experiment.reference:
                mean_units = _seed_mean(units)
                keys = sorted(reference_units)
                left = [mean_units.get(k, 0.0) for k in keys]
                right = [reference_units[k] for k in keys]
                p = paired_randomization_test(left, right, options.permutations, options.seed)
            rows.append((label, metric, Stats.of([sum(u.values()) for u in units]), p))
    tests = iter(PairedTest.family([(None, p) for *_, p in rows if p is not None], options.level))
    return [
        ExtraRow(
            **where,
            model=label,
            kind=ARM,
            metric=metric,
            stats=stats,
            test=None if p is None else next(tests),
        )
        for label, metric, stats, p in rows
    ]


def extra_test_rows(experiment: ExperimentConfig, out: Path) -> list[ExtraRow]:
    """One row per (direction, variant, benchmark, model, metric) with what has finished."""
    rows: list[ExtraRow] = []
    for direction in experiment.directions:
        for benchmark in direction.extra_tests:
            tag = experiment.eval.extra_tag(benchmark)
            for variant in experiment.variants:
                runs: dict[str, list[list[dict[str, Any]]]] = {}
                for arm in experiment.arms:
                    folders = [
                        cell_dir(out, Cell(direction, variant, arm, s)) / tag for s in experiment.seeds
                    ]
                    found = [r for r in map(_records, folders) if r is not None]
                    if found:
                        runs[arm.label] = found
                where = {"direction": direction.label, "variant": variant, "benchmark": benchmark}
                rows += _arm_rows(experiment, runs, where)
                for name in experiment.baselines:
                    records = _records(baseline_dir(out, name) / tag)
                    if records is None:
                        continue
                    for metric in METRICS[benchmark]:
                        stats = Stats.of([sum(metric.contributions(records).values())])
                        rows.append(ExtraRow(**where, model=name, kind=BASELINE, metric=metric, stats=stats))
    return rows


def extra_test_tables(rows: list[ExtraRow], reference: str, mark: str) -> list[str]:
    """Markdown: one table per (direction, variant, benchmark), models as rows, metrics as columns."""
    lines: list[str] = []
    blocks = list(dict.fromkeys((r.direction, r.variant, r.benchmark) for r in rows))
    for direction, variant, benchmark in blocks:
        members = [
            r for r in rows if (r.direction, r.variant, r.benchmark) == (direction, variant, benchmark)
        ]
        metrics = list(dict.fromkeys(r.metric for r in members))
        lines += ["", f"### {direction}, {variant} data: {benchmark}", ""]
        lines += [
            "| model | " + " | ".join(m.label for m in metrics) + " |",
            "|---|" + "---:|" * len(metrics),
        ]
        for model in dict.fromkeys(r.model for r in members):
            cells = []
            for metric in metrics:
                row = next((r for r in members if r.model == model and r.metric == metric), None)
                if row is None:
                    cells.append("")
                    continue
                stats = row.stats
                text = f"{stats.mean:.3f}" + (f" ± {stats.std:.3f}" if stats.std is not None else "")
                cells.append(text + (f" {mark}" if row.test and row.test.significant else ""))
            name = f"**{model}**" if model == reference else model
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
