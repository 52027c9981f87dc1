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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.files import read_text
from hybridir.experiments.archive import per_query_file
from hybridir.experiments.config import Cell, ExperimentConfig, baseline_dir, cell_dir
from hybridir.experiments.significance import holm, paired_randomization_test

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
    "tatoeba": (
        ExtraMetric("accuracy", "accuracy (both directions)", _tatoeba(None)),
        ExtraMetric("accuracy_to_en", "accuracy xx->en", _tatoeba("xx->en")),
        ExtraMetric("accuracy_from_en", "accuracy en->xx", _tatoeba("en->xx")),
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


def _stats(values: list[float]) -> dict[str, Any]:
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
        "values": values,
    }


def extra_test_rows(experiment: ExperimentConfig, out: Path) -> list[dict[str, Any]]:
    """One row per (direction, variant, benchmark, model, metric) with what has finished."""
    rows: list[dict[str, Any]] = []
    options = experiment.significance
    for direction in experiment.directions:
        for benchmark in direction.extra_tests:
            tag = experiment.eval.extra_tag(benchmark)
            for variant in experiment.variants:
                block: list[dict[str, Any]] = []
                runs: dict[str, list[list[dict[str, Any]]]] = {}
                for arm in experiment.arms:
                    folders = [
                        cell_dir(out, Cell(direction, variant, arm, s)) / tag for s in experiment.seeds
                    ]
                    found = [r for r in map(_records, folders) if r is not None]
                    if found:
                        runs[arm.label] = found
                reference = runs.get(experiment.reference)
                for metric in METRICS[benchmark]:
                    base = {"direction": direction.label, "variant": variant, "benchmark": benchmark}
                    reference_units = (
                        _seed_mean([metric.contributions(r) for r in reference]) if reference else None
                    )
                    for label, found in runs.items():
                        units = [metric.contributions(r) for r in found]
                        row = {
                            **base,
                            "model": label,
                            "kind": "arm",
                            "metric": metric.key,
                            "label": metric.label,
                        }
                        row.update(_stats([sum(u.values()) for u in units]))
                        if reference_units is not None and label != experiment.reference:
                            mean_units = _seed_mean(units)
                            keys = sorted(reference_units)
                            left = [mean_units.get(k, 0.0) for k in keys]
                            right = [reference_units[k] for k in keys]
                            row["p"] = paired_randomization_test(
                                left, right, options.permutations, options.seed
                            )
                        block.append(row)
                tested = [row for row in block if "p" in row]
                for row, adjusted in zip(tested, holm([row["p"] for row in tested]), strict=True):
                    row["p_holm"], row["significant"] = adjusted, adjusted < options.level
                for name in experiment.baselines:
                    records = _records(baseline_dir(out, name) / tag)
                    if records is None:
                        continue
                    for metric in METRICS[benchmark]:
                        value = sum(metric.contributions(records).values())
                        block.append(
                            {
                                "direction": direction.label,
                                "variant": variant,
                                "benchmark": benchmark,
                                "model": name,
                                "kind": "baseline",
                                "metric": metric.key,
                                "label": metric.label,
                                **_stats([value]),
                            }
                        )
                rows += block
    return rows


def extra_test_tables(rows: list[dict[str, Any]], reference: str, mark: str) -> list[str]:
    """Markdown: one table per (direction, variant, benchmark), models as rows, metrics as columns."""
    lines: list[str] = []
    blocks = list(dict.fromkeys((r["direction"], r["variant"], r["benchmark"]) for r in rows))
    for direction, variant, benchmark in blocks:
        members = [
            r
            for r in rows
            if (r["direction"], r["variant"], r["benchmark"]) == (direction, variant, benchmark)
        ]
        labels = list(dict.fromkeys(r["label"] for r in members))
        lines += ["", f"### {direction}, {variant} data: {benchmark}", ""]
        lines += ["| model | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
        for model in dict.fromkeys(r["model"] for r in members):
            cells = []
            for label in labels:
                row = next((r for r in members if r["model"] == model and r["label"] == label), None)
                if row is None:
                    cells.append("")
                    continue
                text = f"{row['mean']:.3f}" + (f" ± {row['std']:.3f}" if row.get("std") is not None else "")
                cells.append(text + (f" {mark}" if row.get("significant") else ""))
            name = f"**{model}**" if model == reference else model
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
