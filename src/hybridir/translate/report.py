"""The translation report: what was translated or cached, and what each filter rejected, per language.

A report is a plain JSON-able dict so shard reports merge by summing their counts::

    {"config": {...}, "skipped": {"unanswerable": 3}, "shards": [0], "examples_in": 120,
     "examples_out": 118,
     "languages": {"de": {"translated": 410, "cached": 0, "examples_kept": 117, "examples_dropped": 3,
                          "without_negative": 1,
                          "rejected": {"question": {"empty": 0, ...}, "positive": {...}, "negative": {...}}}}}

``rejected`` counts every filter that fires (one text can fail several). A language of an example
is dropped when its question or positive fails any enabled filter; a failing negative is replaced
by another sentence of the paragraph, or left out (``without_negative``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hybridir.core.files import atomic_write, write_json
from hybridir.translate.filters import FILTERS

ROLES = ("question", "positive", "negative")


def new_report(config: dict[str, Any], skipped: dict[str, int], shard: int, languages: Sequence[str]) -> dict:
    """An empty report for one run (one shard)."""
    return {
        "config": config,
        "skipped": dict(skipped),
        "shards": [shard],
        "examples_in": 0,
        "examples_out": 0,
        "languages": {
            lang: {
                "translated": 0,
                "cached": 0,
                "examples_kept": 0,
                "examples_dropped": 0,
                "without_negative": 0,
                "rejected": {role: dict.fromkeys(FILTERS, 0) for role in ROLES},
            }
            for lang in languages
        },
    }


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def merge_reports(reports: Iterable[dict]) -> dict:
    """One report for several shards: counts summed, configuration and skipped counts from the first."""
    reports = list(reports)
    merged = json.loads(json.dumps(reports[0]))
    for report in reports[1:]:
        merged["shards"] += report["shards"]
        merged["examples_in"] += report["examples_in"]
        merged["examples_out"] += report["examples_out"]
        _add(merged["languages"], report["languages"])
    merged["shards"].sort()
    return merged


def to_markdown(report: dict) -> str:
    """A human-readable summary of a report."""
    config = report["config"]
    skipped = ", ".join(f"{why}: {n}" for why, n in sorted(report["skipped"].items())) or "none"
    lines = [
        "# Translation report",
        "",
        f"- input: `{config['input']}`; model: `{config['model']}`; source: {config['source_language']}",
        f"- context: {config['context']}; filters: {', '.join(config['filters']) or 'none'}; "
        f"shards: {len(report['shards'])} of {config['num_shards']}",
        f"- questions skipped while reading: {skipped}",
        f"- examples: {report['examples_in']} in, {report['examples_out']} written "
        "(an example is written when at least one translation survives the filters)",
        "",
        "Filter columns count questions and positives rejected (a text can fail several filters).",
        "",
        "| language | translated | from cache | kept | dropped | no negative | "
        + " | ".join(FILTERS)
        + " | negatives rejected |",
        "|---" * (7 + len(FILTERS)) + "|",
    ]
    for lang, stats in report["languages"].items():
        rejected = stats["rejected"]
        per_filter = [str(rejected["question"][f] + rejected["positive"][f]) for f in FILTERS]
        negatives = sum(rejected["negative"].values())
        cells = [
            lang,
            stats["translated"],
            stats["cached"],
            stats["examples_kept"],
            stats["examples_dropped"],
            stats["without_negative"],
            *per_filter,
            negatives,
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, json_path: Path, markdown: bool = True) -> None:
    """Write ``report`` as JSON (and Markdown beside it, same stem, ``.md``)."""
    write_json(json_path, report)
    if markdown:
        atomic_write(json_path.with_suffix(".md"), to_markdown(report))


def read_report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
