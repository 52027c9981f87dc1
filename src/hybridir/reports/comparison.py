"""Side-by-side tables of several runs' LAReQA metrics (e.g. zero-shot vs trained)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from statistics import fmean
from typing import Any

from hybridir.errors import UserError
from hybridir.evaluation.catalogue import METRICS, MONO_MAP, MULTI_MAP


def read_metrics(folder: Path) -> dict[str, Any]:
    """The ``metrics.json`` of an eval output folder, or a one-line :class:`UserError`."""
    path = folder / "metrics.json"
    if not path.is_file():
        raise UserError(f"{path} does not exist: give folders written by `hybridir eval`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not JSON ({exc.msg})") from exc


def _subset_mean(by_language: Mapping[str, float], languages: Iterable[str]) -> float | None:
    values = [by_language[lang] for lang in languages if lang in by_language]
    return fmean(values) if values else None


def comparison_rows(
    results: Mapping[str, Mapping[str, Any]], unseen_languages: Iterable[str] = ()
) -> list[tuple[str, list[float | None]]]:
    """Rows of (label, value per run): the headline metrics, then seen/unseen language splits."""
    rows = [(metric.title, [metric.headline(m) for m in results.values()]) for metric in METRICS]
    unseen = set(unseen_languages)
    any_metrics = next(iter(results.values()))
    present = set(MONO_MAP.per_language(any_metrics))
    if unseen & present and present - unseen:
        groups = (("seen", sorted(present - unseen)), ("unseen", sorted(present & unseen)))
        for group, languages in groups:
            for metric in (MONO_MAP, MULTI_MAP):
                rows.append(
                    (
                        f"{metric.title}, {group} ({' '.join(languages)})",
                        [_subset_mean(metric.per_language(m), languages) for m in results.values()],
                    )
                )
    return rows


def comparison_markdown(
    results: Mapping[str, Mapping[str, Any]], unseen_languages: Iterable[str] = ()
) -> str:
    """A Markdown table with one column per run and, for two runs, their difference."""
    labels = list(results)
    header = ["metric", *labels] + (["difference"] if len(labels) == 2 else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    digits = {metric.title: metric.digits for metric in METRICS}
    for label, values in comparison_rows(results, unseen_languages):
        precision = digits.get(label, 3)
        cells = ["n/a" if v is None else f"{v:.{precision}f}" for v in values]
        if len(values) == 2 and None not in values:
            cells.append(f"{values[1] - values[0]:+.{precision}f}")
        elif len(values) == 2:
            cells.append("n/a")
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)
