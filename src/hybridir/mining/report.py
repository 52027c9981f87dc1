"""What a mining run found, per passage language: counts, scores and margins, as JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hybridir.mining.miner import MinedText


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "mean": None, "max": None}
    array = np.asarray(values, dtype=np.float64)
    return {
        "min": float(array.min()),
        "median": float(np.median(array)),
        "mean": float(array.mean()),
        "max": float(array.max()),
    }


def _summary(records: Sequence[MinedText]) -> dict[str, Any]:
    positives = [r.positive_score for r in records]
    negatives = [score for r in records for _, score in r.negatives]
    margins = [r.positive_score - score for r in records for _, score in r.negatives]
    relative = [
        (r.positive_score - score) / abs(r.positive_score)
        for r in records
        if r.positive_score != 0
        for _, score in r.negatives
    ]
    return {
        "texts": len(records),
        "with_negatives": sum(1 for r in records if r.negatives),
        "without_negatives": sum(1 for r in records if not r.negatives),
        "negatives": len(negatives),
        "window_candidates": sum(r.candidates for r in records),
        "dropped_by_cross_lingual_guard": sum(r.dropped_cross_lingual for r in records),
        "positive_score": _stats(positives),
        "negative_score": _stats(negatives),
        "margin": _stats(margins),
        "relative_margin": _stats(relative),  # (positive - negative) / |positive|
    }


def mining_report(records: Sequence[MinedText], settings: dict[str, Any]) -> dict[str, Any]:
    """The report dict: ``settings`` (what was asked) plus totals and per-language summaries."""
    languages = sorted({r.language for r in records})
    return {
        **settings,
        "total": _summary(records),
        "by_language": {lang: _summary([r for r in records if r.language == lang]) for lang in languages},
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def mining_markdown(report: dict[str, Any]) -> str:
    """A human-readable version of :func:`mining_report`."""
    lines = [
        "# Hard-negative mining",
        "",
        f"- source: `{report['source']}`, model: `{report['model']}`, output: `{report['output']}`",
        f"- rank window {report['range_min']}:{report['range_max']}, relative margin "
        f"{report['relative_margin']}, absolute margin {report['absolute_margin']}, scores in "
        f"[{report['min_score']}, {report['max_score']}], "
        f"{report['num_negatives']} per text ({report['sampling']})",
        f"- guards: parallel id always; group {'on' if report['group_guard'] else 'off'}; "
        f"cross-lingual {'on' if report['cross_lingual_guard'] else 'off'}",
        f"- mined within each split (validation fraction {report['validation_fraction']}, seed "
        f"{report['seed']}): train with the same values so no held-out passage is a training negative",
    ]
    lines += [f"- note: {note}" for note in report.get("notes", [])]
    lines += [
        "",
        "| language | texts | with negatives | without | negatives | dropped (cross-lingual) "
        "| positive score (mean) | negative score (mean) | margin min | margin median "
        "| relative margin min |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [*report["by_language"].items(), ("all", report["total"])]
    for lang, row in rows:
        lines.append(
            f"| {lang} | {row['texts']} | {row['with_negatives']} | {row['without_negatives']} "
            f"| {row['negatives']} | {row['dropped_by_cross_lingual_guard']} "
            f"| {_fmt(row['positive_score']['mean'])} | {_fmt(row['negative_score']['mean'])} "
            f"| {_fmt(row['margin']['min'])} | {_fmt(row['margin']['median'])} "
            f"| {_fmt(row['relative_margin']['min'])} |"
        )
    return "\n".join(lines) + "\n"


def write_mining_report(report: dict[str, Any], json_path: Path, markdown_path: Path) -> None:
    """Write the report as JSON and as Markdown."""
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path.write_text(mining_markdown(report), encoding="utf-8")
