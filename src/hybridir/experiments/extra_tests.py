"""The extra test benchmarks of a grid (CMRC 2018, ARCD, Tatoeba): seed means, paired tests, a table.

Each benchmark has a few headline metrics, each the sum of per-unit contributions read from
``per_query.jsonl`` (a native question, or a Tatoeba sentence in one direction), weighted as
the benchmark's own average weights them: mean over questions for CMRC 2018 / ARCD, mean over
directions and then languages for Tatoeba. As for the main test, contributions are averaged
over seeds, then each arm is tested against the reference arm by the paired sign-flip test over
units, Holm-adjusted within each (direction, variant, benchmark) table. A recipe grid also tests
each arm against the untrained model, as its main test does (one Holm family per direction).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.files import read_text
from hybridir.evaluation.tatoeba import FROM_ENGLISH, TO_ENGLISH
from hybridir.experiments.archive import per_query_file
from hybridir.experiments.config import (
    TATOEBA,
    UNTRAINED,
    Cell,
    ExperimentConfig,
    baseline_dir,
    cell_dir,
)
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
    baseline, and while the reference has no finished run). ``zero_shot``: in a recipe grid, the
    paired test against the untrained model, its difference the arm's mean minus that model's.
    """

    direction: str
    variant: str
    benchmark: str
    model: str
    kind: str  # ARM or BASELINE
    metric: ExtraMetric
    stats: Stats
    test: PairedTest | None = None
    zero_shot: PairedTest | None = None

    def to_json(self) -> dict[str, Any]:
        test = {} if self.test is None else self.test.to_json()
        zero_shot = {} if self.zero_shot is None else {"zero_shot": self.zero_shot.to_json()}
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
            **zero_shot,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExtraRow:
        metric = next(m for m in METRICS[data["benchmark"]] if m.key == data["metric"])
        test = PairedTest.from_json(data) if "p" in data else None
        zero_shot = PairedTest.from_json(data["zero_shot"]) if "zero_shot" in data else None
        return cls(
            data["direction"],
            data["variant"],
            data["benchmark"],
            data["model"],
            data["kind"],
            metric,
            Stats.from_json(data),
            test,
            zero_shot,
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


def _zero_shot_tests(
    experiment: ExperimentConfig,
    runs: dict[str, list[list[dict[str, Any]]]],
    untrained: list[dict[str, Any]],
    benchmark: str,
) -> dict[tuple[str, str], tuple[float, float]]:
    """(arm, metric key) -> (arm's seed mean minus the untrained model's, p) for one table."""
    options = experiment.significance
    found: dict[tuple[str, str], tuple[float, float]] = {}
    for metric in METRICS[benchmark]:
        zero = metric.contributions(untrained)
        keys = sorted(zero)
        for label, records in runs.items():
            units = _seed_mean([metric.contributions(r) for r in records])
            left, right = [units.get(k, 0.0) for k in keys], [zero[k] for k in keys]
            p = paired_randomization_test(left, right, options.permutations, options.seed)
            difference = float(np.mean([sum(metric.contributions(r).values()) for r in records]))
            found[(label, metric.key)] = (difference - sum(zero.values()), p)
    return found


def _with_zero_shot(
    rows: list[ExtraRow], found: dict[tuple, tuple[float, float]], level: float
) -> list[ExtraRow]:
    """Attach the zero-shot tests of one direction (keys: row identity), Holm over all of them."""
    keys = list(found)
    tests = dict(zip(keys, PairedTest.family([found[k] for k in keys], level), strict=True))
    return [
        replace(row, zero_shot=tests.get((row.variant, row.benchmark, row.model, row.metric.key)))
        for row in rows
    ]


def extra_test_rows(experiment: ExperimentConfig, out: Path) -> list[ExtraRow]:
    """One row per (direction, variant, benchmark, model, metric) with what has finished."""
    rows: list[ExtraRow] = []
    for direction in experiment.directions:
        direction_rows: list[ExtraRow] = []
        zero_shot: dict[tuple, tuple[float, float]] = {}
        for benchmark in direction.extra_tests:
            tag = experiment.eval.extra_tag(benchmark)
            for variant in experiment.direction_variants(direction):
                if benchmark not in direction.extra_tests_of(variant):
                    continue
                runs: dict[str, list[list[dict[str, Any]]]] = {}
                for arm in experiment.arms:
                    folders = [
                        cell_dir(out, Cell(direction, variant, arm, s)) / tag for s in experiment.seeds
                    ]
                    found = [r for r in map(_records, folders) if r is not None]
                    if found:
                        runs[arm.label] = found
                where = {"direction": direction.label, "variant": variant, "benchmark": benchmark}
                direction_rows += _arm_rows(experiment, runs, where)
                for name in experiment.baselines:
                    records = _records(baseline_dir(out, name) / tag)
                    if records is None:
                        continue
                    for metric in METRICS[benchmark]:
                        stats = Stats.of([sum(metric.contributions(records).values())])
                        direction_rows.append(
                            ExtraRow(**where, model=name, kind=BASELINE, metric=metric, stats=stats)
                        )
                    if name == UNTRAINED and experiment.recipes:
                        tests = _zero_shot_tests(experiment, runs, records, benchmark)
                        zero_shot.update({(variant, benchmark, *key): test for key, test in tests.items()})
        rows += _with_zero_shot(direction_rows, zero_shot, experiment.significance.level)
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


def extra_zero_shot_table(rows: list[ExtraRow], mark: str) -> list[str]:
    """Markdown: each tested arm's headline metrics as the untrained model's value, then the arm
    minus it (mean ± std over seeds), marked where the zero-shot test is significant."""
    tested = [r for r in rows if r.zero_shot is not None]
    if not tested:
        return []
    zero = {
        (r.direction, r.variant, r.benchmark, r.metric.key): r.stats.mean
        for r in rows
        if r.model == UNTRAINED
    }
    lines = [
        "| direction | variant | benchmark | model | metric | zero-shot | Δ |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for row in tested:
        assert row.zero_shot is not None and row.zero_shot.difference is not None
        value = zero[(row.direction, row.variant, row.benchmark, row.metric.key)]
        delta = f"{row.zero_shot.difference:+.3f}" + (
            f" ± {row.stats.std:.3f}" if row.stats.std is not None else ""
        )
        delta += f" {mark}" if row.zero_shot.significant else ""
        lines.append(
            f"| {row.direction} | {row.variant} | {row.benchmark} | {row.model} | {row.metric.label} "
            f"| {value:.3f} | {delta} |"
        )
    return lines
