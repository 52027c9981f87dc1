"""The Markdown report and terminal summary of a Tatoeba evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hybridir.evaluation.tatoeba import FROM_ENGLISH, TO_ENGLISH
from hybridir.languages import language_name
from hybridir.reports.outputs import fmt

PROTOCOL = (
    "LASER / XTREME Tatoeba protocol: for each sentence, the nearest neighbour among the "
    "other side's sentences of that pair by the model's score (cosine for dense models; no margin "
    "scoring); accuracy in each direction"
)


def render_tatoeba_report(metrics: Mapping[str, Any]) -> str:
    """One row per language (name, pairs, both directions, mean) and the averages."""
    average = metrics["accuracy"]
    lines = [
        f"# Tatoeba bitext retrieval: {metrics['model']}",
        "",
        f"- Protocol: {PROTOCOL}.",
        f"- Languages ({len(metrics['languages'])}): {', '.join(metrics['languages'])}",
        "",
        f"| language | name | pairs | {TO_ENGLISH} | {FROM_ENGLISH} | mean |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for language, row in metrics["by_language"].items():
        lines.append(
            f"| {language} | {language_name(language)} | {metrics['pairs'][language]} | "
            f"{fmt(row[TO_ENGLISH])} | {fmt(row[FROM_ENGLISH])} | {fmt(row['mean'])} |"
        )
    lines.append(
        f"| **average** | | | {fmt(average[TO_ENGLISH])} | {fmt(average[FROM_ENGLISH])} | "
        f"{fmt(average['mean'])} |"
    )
    notes = metrics.get("notes") or []
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def format_tatoeba_summary(metrics: Mapping[str, Any]) -> str:
    """Three lines for the terminal: the average accuracy in each direction and both."""
    average = metrics["accuracy"]
    return "\n".join(
        [
            f"tatoeba: {metrics['model']} ({len(metrics['languages'])} languages)",
            f"accuracy {TO_ENGLISH}  {fmt(average[TO_ENGLISH])}",
            f"accuracy {FROM_ENGLISH}  {fmt(average[FROM_ENGLISH])}",
            f"accuracy mean   {fmt(average['mean'])}",
        ]
    )
