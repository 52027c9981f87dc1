"""From finished cells to summary data: seed means and spreads, paired tests against the reference
arm (Holm-corrected per table), per-language values, seen / unseen splits, imbalance effects, cost.

Per-query values are first averaged over seeds (per record), then the paired test runs over
queries; a group's mean over seeds of a metric equals the metric of its seed-averaged values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.data.lareqa import available_languages
from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError
from hybridir.evaluation.catalogue import (
    BY_PAIR,
    CROSSLINGUAL,
    MAP_METRICS,
    METRIC_BY_KEY,
    METRICS,
    RANK_DISTANCE,
)
from hybridir.experiments.archive import PER_QUERY, per_query_file
from hybridir.experiments.config import (
    FULL,
    SOURCES,
    STARVED,
    Arm,
    Cell,
    Direction,
    ExperimentConfig,
    baseline_dir,
    cell_dir,
)
from hybridir.experiments.extra_tests import extra_test_rows
from hybridir.experiments.queries import (
    QueryTable,
    contributions,
    mean_table,
    metric_value,
)
from hybridir.experiments.significance import holm, paired_randomization_test
from hybridir.languages import select_languages

LANGUAGE_METRICS = tuple(metric.key for metric in (*MAP_METRICS, RANK_DISTANCE))
IMBALANCE_METRICS = tuple(metric.key for metric in MAP_METRICS)


@dataclass
class Group:
    """The finished runs of one model in one (direction, variant): an arm's seeds, or a baseline."""

    direction: Direction
    variant: str
    model: str
    arm: Arm | None  # None for a zero-shot baseline
    seeds: list[int]
    metrics: list[dict[str, Any]]
    folders: list[Path]

    @cached_property
    def table(self) -> QueryTable:
        """Per-query values averaged over the group's runs."""
        try:
            return mean_table(
                [QueryTable.read(per_query_file(folder) or folder / PER_QUERY) for folder in self.folders]
            )
        except ValueError as exc:
            raise UserError(f"{self.model} ({self.direction.label}, {self.variant}): {exc}") from exc

    def stats(self, key: str, languages: Iterable[str] | None = None) -> dict[str, Any]:
        """Mean, sample standard deviation (None for one run) and per-run values of a metric."""
        values = [metric_value(m, METRIC_BY_KEY[key], languages) for m in self.metrics]
        present = [v for v in values if v is not None]
        return {
            "mean": float(np.mean(present)) if present else None,
            "std": float(np.std(present, ddof=1)) if len(present) > 1 else None,
            "values": values,
        }


@dataclass
class Summary:
    """Everything report.md, the figures and summary.json show."""

    experiment: dict[str, Any]
    progress: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    per_language: list[dict[str, Any]] = field(default_factory=list)
    cross_pairs: list[dict[str, Any]] = field(default_factory=list)
    imbalance: list[dict[str, Any]] = field(default_factory=list)
    extra_tests: list[dict[str, Any]] = field(default_factory=list)  # see experiments.extra_tests
    added_sources: list[dict[str, Any]] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)
    cost: dict[str, Any] = field(default_factory=dict)
    rank_distances: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        payload = {
            name: getattr(self, name) for name in self.__dataclass_fields__ if name != "rank_distances"
        }
        payload["rank_distance_quantiles"] = [
            {"direction": d, "variant": v, "model": m, **_quantiles(values)}
            for (d, v, m), values in self.rank_distances.items()
        ]
        return payload


def _quantiles(values: np.ndarray) -> dict[str, float]:
    values = values[~np.isnan(values)]
    points = np.percentile(values, [10, 25, 50, 75, 90]) if values.size else [np.nan] * 5
    return {f"p{q}": float(v) for q, v in zip((10, 25, 50, 75, 90), points, strict=True)}


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def collect_groups(experiment: ExperimentConfig, out: Path) -> tuple[list[Group], dict[str, Any]]:
    """Groups of finished evaluations, and how many cells of the grid have finished."""
    groups: list[Group] = []
    finished, missing = 0, []
    for direction in experiment.directions:
        tag = experiment.eval.tag(direction.test)
        for variant in experiment.variants:
            for name in experiment.baselines:
                folder = baseline_dir(out, name) / tag
                metrics = _read_json(folder / "metrics.json")
                if metrics is not None:
                    groups.append(Group(direction, variant, name, None, [], [metrics], [folder]))
            for arm in experiment.arms:
                runs = []
                for seed in experiment.seeds:
                    cell = Cell(direction, variant, arm, seed)
                    folder = cell_dir(out, cell) / tag
                    metrics = _read_json(folder / "metrics.json")
                    if metrics is None:
                        missing.append(cell.id)
                    else:
                        runs.append((seed, metrics, folder))
                        finished += 1
                if runs:
                    seeds, metrics_list, folders = (list(x) for x in zip(*runs, strict=True))
                    groups.append(Group(direction, variant, arm.label, arm, seeds, metrics_list, folders))
    progress = {"cells": len(experiment.cells()), "finished": finished, "missing": missing}
    return groups, progress


def train_languages(experiment: ExperimentConfig, benchmark: str) -> list[str]:
    """The languages a direction trains on (its test languages outside this set are unseen)."""
    available = available_languages(resolve_data_dir(benchmark))
    return select_languages(experiment.train.get("languages"), available, benchmark)


def _subsets(
    experiment: ExperimentConfig, direction: Direction, groups: Sequence[Group]
) -> list[tuple[str, list[str] | None]]:
    """("all", None), plus seen and unseen query languages when the test set has both."""
    tested = list(groups[0].metrics[0]["languages"])
    trained = set(train_languages(experiment, direction.train))
    seen = [lang for lang in tested if lang in trained]
    unseen = [lang for lang in tested if lang not in trained]
    subsets: list[tuple[str, list[str] | None]] = [("all", None)]
    if seen and unseen:
        subsets += [("seen", seen), ("unseen", unseen)]
    return subsets


def _paired(
    a: Group, b: Group, key: str, languages: list[str] | None, experiment: ExperimentConfig
) -> dict[str, Any]:
    """Difference a - b of a metric (seed means) and its sign-flip p-value over queries."""
    spec = METRIC_BY_KEY[key]
    if not a.table.same_records(b.table):
        raise UserError(
            f"{a.model} and {b.model} were evaluated on different queries: re-evaluate them alike"
        )
    weights = contributions(b.table, spec, languages)
    left, right = weights.per_query(a.table.values[spec.field]), weights.per_query(b.table.values[spec.field])
    options = experiment.significance
    p = paired_randomization_test(left, right, options.permutations, options.seed)
    return {"difference": float(left.sum() - right.sum()), "p": p}


def _apply_holm(tests: list[dict[str, Any]], level: float) -> None:
    """Add Holm-adjusted p-values and the significance mark to one family of tests, in place."""
    for test, adjusted in zip(tests, holm([t["p"] for t in tests]), strict=True):
        test["p_holm"] = adjusted
        test["significant"] = adjusted < level


def _table_rows(experiment: ExperimentConfig, groups: list[Group]) -> list[dict[str, Any]]:
    """Rows of the main tables, with the tests of each arm against the reference arm."""
    rows = []
    for direction in experiment.directions:
        for variant in experiment.variants:
            members = [g for g in groups if g.direction == direction and g.variant == variant]
            if not members:
                continue
            reference = next((g for g in members if g.model == experiment.reference), None)
            for subset, languages in _subsets(experiment, direction, members):
                family = []
                for group in members:
                    row = {
                        "direction": direction.label,
                        "variant": variant,
                        "subset": subset,
                        "languages": languages,
                        "model": group.model,
                        "kind": "baseline" if group.arm is None else "arm",
                        "sampling": group.arm.sampling if group.arm else None,
                        "alpha": group.arm.alpha if group.arm else None,
                        "seeds": group.seeds,
                        "metrics": {spec.key: group.stats(spec.key, languages) for spec in METRICS},
                        "tests": {},
                    }
                    if group.arm is not None and reference is not None and group is not reference:
                        for spec in METRICS:
                            row["tests"][spec.key] = _paired(
                                group, reference, spec.key, languages, experiment
                            )
                            family.append(row["tests"][spec.key])
                    rows.append(row)
                _apply_holm(family, experiment.significance.level)
    return rows


def _language_views(groups: list[Group]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-language seed means / spreads, and cross-lingual (query x target) mAP matrices."""
    per_language, pairs = [], []
    for group in groups:
        base = {
            "direction": group.direction.label,
            "variant": group.variant,
            "model": group.model,
            "kind": "baseline" if group.arm is None else "arm",
        }
        languages = list(group.metrics[0]["languages"])
        for key in LANGUAGE_METRICS:
            stats = {lang: group.stats(key, [lang]) for lang in languages}
            per_language.append(
                {
                    **base,
                    "metric": key,
                    "by_language": {k: {"mean": v["mean"], "std": v["std"]} for k, v in stats.items()},
                }
            )
        matrix = [
            [
                _mean_or_none([m[CROSSLINGUAL][BY_PAIR].get(x, {}).get(y) for m in group.metrics])
                for y in languages
            ]
            for x in languages
        ]
        pairs.append({**base, "languages": languages, "map": matrix})
    return per_language, pairs


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _imbalance_rows(
    experiment: ExperimentConfig, groups: list[Group], variant: str = STARVED
) -> list[dict[str, Any]]:
    """Per arm: ``variant`` minus full. For the starved variant, on each starved query language
    and on the other languages; for the sources variant, on all query languages."""
    starved_languages = sorted(experiment.train_fraction_by_language) if variant == STARVED else []
    rows: list[dict[str, Any]] = []
    for direction in experiment.directions:
        family = []
        for arm in experiment.arms:
            pair = {
                g.variant: g
                for g in groups
                if g.direction == direction and g.model == arm.label and g.arm is not None
            }
            if FULL not in pair or variant not in pair:
                continue
            full, starved = pair[FULL], pair[variant]
            tested = list(full.metrics[0]["languages"])
            others = [lang for lang in tested if lang not in starved_languages]
            targets = [(lang, [lang]) for lang in starved_languages if lang in tested]
            targets.append(("others", others) if variant == STARVED else ("all", tested))
            seeds = [s for s in full.seeds if s in starved.seeds]
            for label, languages in targets:
                for key in IMBALANCE_METRICS:
                    spec = METRIC_BY_KEY[key]
                    deltas = [
                        metric_value(starved.metrics[starved.seeds.index(s)], spec, languages)
                        - metric_value(full.metrics[full.seeds.index(s)], spec, languages)
                        for s in seeds
                    ]
                    row = {
                        "direction": direction.label,
                        "model": arm.label,
                        "languages": label,
                        "metric": key,
                        "full": full.stats(key, languages)["mean"],
                        "delta_mean": float(np.mean(deltas)) if deltas else None,
                        "delta_std": float(np.std(deltas, ddof=1)) if len(deltas) > 1 else None,
                        "seeds": seeds,
                        **_paired(starved, full, key, languages, experiment),
                    }
                    family.append(row)
                    rows.append(row)
        _apply_holm(family, experiment.significance.level)
    return rows


def _cost(out: Path) -> dict[str, Any]:
    """Measured seconds per stage from cells.jsonl (the latest run of each stage that did work).

    Reused cells did no work here and are not counted; ``total_s`` is the work of the whole grid
    (training, evaluation and baselines), not counting pauses between resumed runs.
    """
    latest: dict[tuple[str, str], float] = {}
    path = out / "cells.jsonl"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["status"] in ("done", "resumed"):
                latest[(record["cell"], record["stage"])] = record["seconds"]
    cost: dict[str, Any] = {}
    for stage in ("train", "eval"):
        seconds = [
            s
            for (cell, name), s in latest.items()
            if name.split(":")[0] == stage and not cell.startswith("baseline:")
        ]
        cost[stage] = {
            "cells": len(seconds),
            "total_s": sum(seconds),
            "mean_s": float(np.mean(seconds)) if seconds else None,
        }
    cost["baselines_total_s"] = sum(s for (cell, _), s in latest.items() if cell.startswith("baseline:"))
    cost["total_s"] = sum(latest.values())
    return cost


def _data_manifests(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "data").glob("*.json"))]


def summarize(experiment: ExperimentConfig, out: Path) -> Summary:
    """Aggregate whatever has finished in ``out`` (a partial grid gives a partial summary)."""
    groups, progress = collect_groups(experiment, out)
    summary = Summary(experiment.to_dict(), progress, data=_data_manifests(out), cost=_cost(out))
    summary.extra_tests = extra_test_rows(experiment, out)
    if not groups:
        return summary
    summary.rows = _table_rows(experiment, groups)
    summary.per_language, summary.cross_pairs = _language_views(groups)
    if experiment.train_fraction_by_language:
        summary.imbalance = _imbalance_rows(experiment, groups)
    if experiment.extra_sources:
        summary.added_sources = _imbalance_rows(experiment, groups, SOURCES)
    for group in groups:
        table = group.table
        distances = table.values[RANK_DISTANCE.field]
        chosen = (table.setting == RANK_DISTANCE.setting) & ~np.isnan(distances)
        summary.rank_distances[(group.direction.label, group.variant, group.model)] = distances[chosen]
    return summary
