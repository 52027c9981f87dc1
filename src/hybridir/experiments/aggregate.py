"""From finished cells to summary data: seed means and spreads, paired tests against the reference
arm (Holm-corrected per table), per-language values, seen / unseen splits, imbalance effects, cost.

Per-query values are first averaged over seeds (per record), then the paired test runs over
queries; a group's mean over seeds of a metric equals the metric of its seed-averaged values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.data.lareqa import available_languages
from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError
from hybridir.evaluation.catalogue import BY_PAIR, CROSSLINGUAL, MAP_METRICS, METRICS, RANK_DISTANCE, Metric
from hybridir.experiments.archive import PER_QUERY, per_query_file
from hybridir.experiments.config import (
    FULL,
    SOURCES,
    STARVED,
    UNTRAINED,
    Arm,
    Cell,
    Direction,
    ExperimentConfig,
    baseline_dir,
    cell_dir,
)
from hybridir.experiments.extra_tests import extra_test_rows
from hybridir.experiments.queries import QueryTable, contributions, mean_table, metric_value
from hybridir.experiments.recipes import WISE_FT_FOLDER
from hybridir.experiments.records import (
    ALL,
    ARM,
    BASELINE,
    OTHERS,
    SEEN,
    UNSEEN,
    ChosenRatio,
    Cost,
    CrossMatrix,
    DeltaRow,
    LanguageRow,
    PairedTest,
    Progress,
    Quantiles,
    StageCost,
    Stats,
    TableRow,
    mean_or_none,
)
from hybridir.experiments.significance import paired_randomization_test
from hybridir.experiments.status import EVAL, MERGE, TRAIN, read_status
from hybridir.experiments.subsets import DataManifest
from hybridir.experiments.summary import Summary
from hybridir.languages import select_languages

LANGUAGE_METRICS = (*MAP_METRICS, RANK_DISTANCE)


@dataclass(eq=False)  # one group per model and (direction, variant): equal only to itself
class Group:
    """The finished runs of one model in one (direction, variant): an arm's seeds, or a baseline."""

    direction: Direction
    variant: str
    model: str
    arm: Arm | None  # None for a zero-shot baseline
    seeds: list[int]
    metrics: list[dict[str, Any]]
    folders: list[Path]

    @property
    def kind(self) -> str:
        return BASELINE if self.arm is None else ARM

    @property
    def languages(self) -> list[str]:
        """The query languages it was tested on."""
        return list(self.metrics[0]["languages"])

    @cached_property
    def table(self) -> QueryTable:
        """Per-query values averaged over the group's runs."""
        try:
            return mean_table(
                [QueryTable.read(per_query_file(folder) or folder / PER_QUERY) for folder in self.folders]
            )
        except ValueError as exc:
            raise UserError(f"{self.model} ({self.direction.label}, {self.variant}): {exc}") from exc

    def stats(self, metric: Metric, languages: Iterable[str] | None = None) -> Stats:
        """Mean, sample standard deviation (None for one run) and per-run values of a metric."""
        return Stats.of([metric_value(m, metric, languages) for m in self.metrics])


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def collect_groups(experiment: ExperimentConfig, out: Path) -> tuple[list[Group], Progress]:
    """Groups of finished evaluations, and how many cells of the grid have finished."""
    groups: list[Group] = []
    finished, missing = 0, []
    for direction in experiment.directions:
        tag = experiment.eval.tag(direction.test)
        for variant in experiment.direction_variants(direction):
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
    return groups, Progress(len(experiment.cells()), finished, missing)


def train_languages(experiment: ExperimentConfig, benchmark: str) -> list[str]:
    """The languages a direction trains on (its test languages outside this set are unseen)."""
    available = available_languages(resolve_data_dir(benchmark))
    return select_languages(experiment.train.get("languages"), available, benchmark)


def _subsets(
    experiment: ExperimentConfig, direction: Direction, groups: Sequence[Group]
) -> list[tuple[str, list[str] | None]]:
    """(all, None), plus seen and unseen query languages when the test set has both."""
    tested = groups[0].languages
    trained = set(train_languages(experiment, direction.train))
    seen = [lang for lang in tested if lang in trained]
    unseen = [lang for lang in tested if lang not in trained]
    subsets: list[tuple[str, list[str] | None]] = [(ALL, None)]
    if seen and unseen:
        subsets += [(SEEN, seen), (UNSEEN, unseen)]
    return subsets


def _paired(
    a: Group, b: Group, metric: Metric, languages: list[str] | None, experiment: ExperimentConfig
) -> tuple[float, float]:
    """Difference a - b of a metric (seed means) and its sign-flip p-value over queries."""
    if not a.table.same_records(b.table):
        raise UserError(
            f"{a.model} and {b.model} were evaluated on different queries: re-evaluate them alike"
        )
    weights = contributions(b.table, metric, languages)
    left = weights.per_query(a.table.values[metric.field])
    right = weights.per_query(b.table.values[metric.field])
    options = experiment.significance
    p = paired_randomization_test(left, right, options.permutations, options.seed)
    return float(left.sum() - right.sum()), p


def _table_rows(experiment: ExperimentConfig, groups: list[Group]) -> list[TableRow]:
    """Rows of the main tables, with the tests of each arm against the reference arm."""
    rows = []
    for direction in experiment.directions:
        for variant in experiment.direction_variants(direction):
            members = [g for g in groups if g.direction == direction and g.variant == variant]
            if not members:
                continue
            reference = next((g for g in members if g.model == experiment.reference), None)
            tested = [g for g in members if g.arm is not None and g is not reference] if reference else []
            for subset, languages in _subsets(experiment, direction, members):
                family = [_paired(g, reference, m, languages, experiment) for g in tested for m in METRICS]
                tests = iter(PairedTest.family(family, experiment.significance.level))
                for group in members:
                    rows.append(
                        TableRow(
                            direction=direction.label,
                            variant=variant,
                            subset=subset,
                            languages=languages,
                            model=group.model,
                            kind=group.kind,
                            sampling=group.arm.sampling if group.arm else None,
                            alpha=group.arm.alpha if group.arm else None,
                            seeds=group.seeds,
                            metrics={metric: group.stats(metric, languages) for metric in METRICS},
                            tests={metric: next(tests) for metric in METRICS} if group in tested else {},
                        )
                    )
    return rows


def _language_views(groups: list[Group]) -> tuple[list[LanguageRow], list[CrossMatrix]]:
    """Per-language seed means / spreads, and cross-lingual (query x target) mAP matrices."""
    per_language, pairs = [], []
    for group in groups:
        where = (group.direction.label, group.variant, group.model, group.kind)
        languages = group.languages
        for metric in LANGUAGE_METRICS:
            spreads = {lang: group.stats(metric, [lang]).spread for lang in languages}
            per_language.append(LanguageRow(*where, metric, spreads))
        matrix = [
            [
                mean_or_none([m[CROSSLINGUAL][BY_PAIR].get(x, {}).get(y) for m in group.metrics])
                for y in languages
            ]
            for x in languages
        ]
        pairs.append(CrossMatrix(*where, languages, matrix))
    return per_language, pairs


def _delta_rows(
    experiment: ExperimentConfig, groups: list[Group], comparisons: list[tuple[str, str]]
) -> list[DeltaRow]:
    """Per arm and (variant, base) comparison: variant minus base. For the starved variant, on
    each starved query language and on the other languages; otherwise on all query languages.
    The comparisons of one direction form one family for the Holm correction."""
    rows: list[DeltaRow] = []
    for direction in experiment.directions:
        family: list[tuple[dict[str, Any], tuple[float, float]]] = []
        for variant, base in comparisons:
            starved_languages = sorted(experiment.train_fraction_by_language) if variant == STARVED else []
            for arm in experiment.arms:
                pair = {
                    g.variant: g
                    for g in groups
                    if g.direction == direction and g.model == arm.label and g.arm is not None
                }
                if base not in pair or variant not in pair:
                    continue
                before, after = pair[base], pair[variant]
                tested = before.languages
                others = [lang for lang in tested if lang not in starved_languages]
                targets = [(lang, [lang]) for lang in starved_languages if lang in tested]
                targets.append((OTHERS, others) if variant == STARVED else (ALL, tested))
                seeds = [s for s in before.seeds if s in after.seeds]
                for label, languages in targets:
                    for metric in MAP_METRICS:
                        delta = Stats.of(
                            [
                                metric_value(after.metrics[after.seeds.index(s)], metric, languages)
                                - metric_value(before.metrics[before.seeds.index(s)], metric, languages)
                                for s in seeds
                            ]
                        )
                        row = {
                            "direction": direction.label,
                            "variant": variant,
                            "base": base,
                            "model": arm.label,
                            "languages": label,
                            "metric": metric,
                            "full": before.stats(metric, languages).mean,
                            "delta_mean": delta.mean,
                            "delta_std": delta.std,
                            "seeds": seeds,
                        }
                        family.append((row, _paired(after, before, metric, languages, experiment)))
        tests = PairedTest.family([test for _, test in family], experiment.significance.level)
        rows += [DeltaRow(**row, test=test) for (row, _), test in zip(family, tests, strict=True)]
    return rows


def _zero_shot_rows(experiment: ExperimentConfig, groups: list[Group]) -> list[DeltaRow]:
    """Every trained group minus the untrained baseline, on all query languages: a recipe grid's
    question (is one model better than zero-shot in every setting?). The zero-shot model has
    one run, so the spread is over the trained model's seeds; one Holm family per direction."""
    rows: list[DeltaRow] = []
    for direction in experiment.directions:
        family: list[tuple[dict[str, Any], tuple[float, float]]] = []
        for variant in experiment.direction_variants(direction):
            members = [g for g in groups if g.direction == direction and g.variant == variant]
            before = next((g for g in members if g.arm is None and g.model == UNTRAINED), None)
            if before is None:
                continue
            for after in (g for g in members if g.arm is not None):
                for metric in MAP_METRICS:
                    zero_shot = metric_value(before.metrics[0], metric, before.languages)
                    delta = Stats.of(
                        [metric_value(m, metric, before.languages) - zero_shot for m in after.metrics]
                    )
                    row = {
                        "direction": direction.label,
                        "variant": variant,
                        "base": UNTRAINED,
                        "model": after.model,
                        "languages": ALL,
                        "metric": metric,
                        "full": zero_shot,
                        "delta_mean": delta.mean,
                        "delta_std": delta.std,
                        "seeds": after.seeds,
                    }
                    family.append((row, _paired(after, before, metric, before.languages, experiment)))
        tests = PairedTest.family([test for _, test in family], experiment.significance.level)
        rows += [DeltaRow(**row, test=test) for (row, _), test in zip(family, tests, strict=True)]
    return rows


def _chosen_ratios(experiment: ExperimentConfig, out: Path) -> list[ChosenRatio]:
    """The ratio each finished wise-ft cell chose on validation (its interpolation.json)."""
    chosen = []
    for cell in experiment.cells():
        recipe = experiment.recipe(cell.variant)
        report = (
            None
            if recipe is None or recipe.trains
            else _read_json(cell_dir(out, cell) / WISE_FT_FOLDER / "interpolation.json")
        )
        if report is None:
            continue
        by_ratio = {row["ratio"]: row["criterion"] for row in report["ratios"]}
        chosen.append(
            ChosenRatio(
                cell.direction.label,
                cell.variant,
                cell.arm.label,
                cell.seed,
                report["ratio"],
                report["criterion"],
                by_ratio[report["ratio"]],
                by_ratio.get(1.0, float("nan")),
            )
        )
    return chosen


def _stage_cost(seconds: list[float]) -> StageCost:
    return StageCost(len(seconds), sum(seconds), float(np.mean(seconds)) if seconds else None)


def _cost(out: Path) -> Cost:
    """Measured seconds per stage from cells.jsonl (the latest run of each stage that did work).

    Reused cells did no work here and are not counted; ``total_s`` is the work of the whole grid
    (training, evaluation and baselines), not counting pauses between resumed runs.
    """
    latest = {(r.cell, r.stage): r for r in read_status(out / "cells.jsonl") if r.status.worked}
    cells = [r for r in latest.values() if not r.baseline]
    return Cost(
        _stage_cost([r.seconds for r in cells if r.kind == TRAIN]),
        _stage_cost([r.seconds for r in cells if r.kind == MERGE]),
        _stage_cost([r.seconds for r in cells if r.kind == EVAL]),
        sum(r.seconds for r in latest.values() if r.baseline),
        sum(r.seconds for r in latest.values()),
    )


def _data_manifests(out: Path) -> list[DataManifest]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "data").glob("*.json"))]


def _rank_distances(groups: list[Group]) -> dict[tuple[str, str, str], np.ndarray]:
    """Per group, the per-query (seed-averaged) rank distances on the multilingual pool."""
    found = {}
    for group in groups:
        table = group.table
        distances = table.values[RANK_DISTANCE.field]
        chosen = (table.setting == RANK_DISTANCE.setting) & ~np.isnan(distances)
        found[(group.direction.label, group.variant, group.model)] = distances[chosen]
    return found


def summarize(experiment: ExperimentConfig, out: Path) -> Summary:
    """Aggregate whatever has finished in ``out`` (a partial grid gives a partial summary)."""
    groups, progress = collect_groups(experiment, out)
    summary = Summary(
        experiment.to_dict(),
        progress,
        _cost(out),
        data=_data_manifests(out),
        extra_tests=extra_test_rows(experiment, out),
    )
    if not groups:
        return summary
    per_language, cross_pairs = _language_views(groups)
    distances = _rank_distances(groups)
    return replace(
        summary,
        rows=_table_rows(experiment, groups),
        per_language=per_language,
        cross_pairs=cross_pairs,
        imbalance=_delta_rows(experiment, groups, [(STARVED, FULL)])
        if experiment.train_fraction_by_language
        else [],
        added_sources=_delta_rows(experiment, groups, [(SOURCES, FULL)]) if experiment.extra_sources else [],
        recipes=_delta_rows(experiment, groups, [(r.name, r.base) for r in experiment.recipes]),
        zero_shot=_zero_shot_rows(experiment, groups) if experiment.recipes else [],
        wise_ft_ratios=_chosen_ratios(experiment, out),
        rank_distance_quantiles=[Quantiles.of(*panel, values) for panel, values in distances.items()],
        rank_distances=distances,
    )
