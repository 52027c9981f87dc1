"""Run-folder outputs of a LAReQA evaluation: metrics.json, per_query.jsonl, report.md, a heatmap.

Every file is written to a temporary name in the run folder and renamed into place, so a
reader (or a crashed run) never sees a half-written final file.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hybridir.core.files import atomic_write
from hybridir.evaluation.catalogue import (
    BY_PAIR,
    CROSS_MAP,
    CROSS_R1,
    CROSSLINGUAL,
    MONO_MAP,
    MONO_R1,
    MULTI_MAP,
    MULTI_RK,
    RANK_DISTANCE,
    Metric,
)
from hybridir.reports.outputs import fmt, write_run_outputs

# The order of the summary row and of the per-language columns.
REPORT_METRICS = (MONO_MAP, MONO_R1, CROSS_MAP, CROSS_R1, MULTI_MAP, MULTI_RK, RANK_DISTANCE)

CONTEXT_MODES = {
    "sentence": "each candidate sentence is encoded alone",
    "paragraph": "each candidate sentence is encoded followed by its paragraph, as in LAReQA",
}


def _by_language(metrics: Mapping[str, Any], metric: Metric) -> Mapping[str, float]:
    """A metric's per-query-language values; empty when the section has none."""
    return metrics[metric.section].get(metric.by_language, {})


def _languages(metrics: Mapping[str, Any]) -> list[str]:
    """Languages in the caller's order, else those the metrics mention, sorted."""
    if metrics.get("languages"):
        return list(metrics["languages"])
    present = set(MONO_MAP.per_language(metrics)) | set(metrics[CROSSLINGUAL][BY_PAIR])
    return sorted(present)


def _summary_cells(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(header, value) pairs of the headline row."""
    return [(metric.label, fmt(metric.headline(metrics), metric.digits)) for metric in REPORT_METRICS]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def cross_matrix(metrics: Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """Languages and the query-by-target mAP matrix (diagonal: monolingual; NaN: no queries)."""
    languages = _languages(metrics)
    by_pair = metrics[CROSSLINGUAL][BY_PAIR]
    mono = MONO_MAP.per_language(metrics)
    matrix = np.full((len(languages), len(languages)), np.nan)
    for i, source in enumerate(languages):
        for j, target in enumerate(languages):
            value = mono.get(source) if i == j else by_pair.get(source, {}).get(target)
            if value is not None:
                matrix[i, j] = value
    return languages, matrix


def render_report(metrics: Mapping[str, Any]) -> str:
    """The Markdown report: run facts, summary row, per-language table and the cross-lingual matrix."""
    context = metrics.get("context")
    lines = [f"# LAReQA evaluation: {metrics.get('benchmark', 'benchmark')}", ""]
    lines.append(f"- Model: `{metrics.get('model', 'unknown')}`")
    if context is not None:
        lines.append(f"- Candidate context mode: `{context}`: {CONTEXT_MODES.get(context, 'as given')}")
    lines.append(f"- Languages: {', '.join(_languages(metrics))}")
    if "num_questions" in metrics:
        lines.append(f"- Questions: {metrics['num_questions']}, candidates: {metrics.get('num_candidates')}")
    timing = metrics.get("timing") or {}
    if timing:
        shown = (
            f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in timing.items()
        )
        lines.append("- Timing (seconds): " + ", ".join(shown))
    lines += ["", "## Model notes", ""]
    lines += [f"- {note}" for note in metrics.get("notes") or []] or ["- none"]

    summary = _summary_cells(metrics)
    lines += ["", "## Summary", "", *_table([h for h, _ in summary], [[v for _, v in summary]])]

    rows = [
        [lang, *(fmt(_by_language(metrics, metric).get(lang), metric.digits) for metric in REPORT_METRICS)]
        for lang in _languages(metrics)
    ]
    header = ["query language", *(metric.label for metric in REPORT_METRICS)]
    lines += ["", "## Per query language", "", *_table(header, rows)]
    lines += ["", "Cross-lingual columns average over the target languages of each query language."]

    languages, matrix = cross_matrix(metrics)
    matrix_rows = [
        [source] + [fmt(None if np.isnan(v) else float(v)) for v in matrix[i]]
        for i, source in enumerate(languages)
    ]
    lines += ["", "## Cross-lingual mAP (rows: query language, columns: candidate language)", ""]
    lines += _table(["query \\ target", *languages], matrix_rows)
    lines += ["", "The diagonal is the monolingual mAP; n/a marks a pair without questions."]
    skipped = metrics[CROSSLINGUAL].get("skipped")
    lines += [
        "",
        "## Protocol",
        "",
        "Average precision over the full ranking (not @k); ties are broken pessimistically (a",
        "non-relevant candidate with the same score ranks first). Each setting is the mean over its",
        "questions; headline figures are unweighted means over query languages, for cross-lingual",
        "over target languages first. Rank distance is the highest minus the lowest rank of a",
        "question's answers in the multilingual pool (lower is better).",
    ]
    if skipped:
        lines += ["", f"{skipped} (question, target language) pairs had no answer and were skipped."]
    return "\n".join(lines) + "\n"


def render_heatmap(metrics: Mapping[str, Any]) -> bytes:
    """PNG bytes of the cross-lingual mAP matrix with each value written in its cell."""
    languages, matrix = cross_matrix(metrics)
    size = max(4.0, 0.6 * len(languages) + 2.0)
    figure = Figure(figsize=(size + 1.0, size))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(matrix), cmap="viridis", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="mAP", shrink=0.8)
    axes.set_xticks(range(len(languages)), languages)
    axes.set_yticks(range(len(languages)), languages)
    axes.set_xlabel("candidate language")
    axes.set_ylabel("query language")
    benchmark, model = metrics.get("benchmark", ""), metrics.get("model", "")
    title = f"{benchmark} cross-lingual mAP (diagonal: monolingual)\n{model}"
    axes.set_title(title, fontsize=9)
    for (i, j), value in np.ndenumerate(matrix):
        if not np.isnan(value):
            color = "black" if value > 0.6 else "white"
            axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def write_lareqa_outputs(
    out_dir: str | Path, metrics: dict[str, Any], per_query: list[dict[str, Any]]
) -> None:
    """Write metrics.json, per_query.jsonl, report.md and crosslingual_map.png into ``out_dir``.

    ``metrics`` is written as given (NaN becomes null), with whatever the caller added to it
    (benchmark, model, context, languages, timing, notes); the report states those it finds.
    """
    write_run_outputs(out_dir, metrics, per_query, render_report(metrics))
    atomic_write(Path(out_dir) / "crosslingual_map.png", render_heatmap(metrics))


def format_summary_table(metrics: Mapping[str, Any]) -> str:
    """A plain-text summary for the terminal: one line per setting, then the rank distance."""
    title = f"{metrics.get('benchmark', 'LAReQA')}: {metrics.get('model', '')}".rstrip(": ")
    if metrics.get("context"):
        title += f" (context: {metrics['context']})"
    rows = [
        ("setting", "mAP", "recall"),
        *(
            (
                setting,
                fmt(average.headline(metrics)),
                f"{fmt(recall.headline(metrics))} ({recall.value.replace('recall', 'R')})",
            )
            for setting, average, recall in (
                ("monolingual", MONO_MAP, MONO_R1),
                ("cross-lingual", CROSS_MAP, CROSS_R1),
                ("multilingual", MULTI_MAP, MULTI_RK),
            )
        ),
        (RANK_DISTANCE.label, fmt(RANK_DISTANCE.headline(metrics), RANK_DISTANCE.digits), ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    body = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join([title, *body])
