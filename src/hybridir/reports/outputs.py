"""Writing a run folder's metrics.json, per_query.jsonl and report.md for any benchmark.

The atomic write and JSON rules are those of :mod:`hybridir.reports.lareqa_report`, so every
benchmark's files are written alike (a temporary file and a rename; NaN as null).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridir.reports.lareqa_report import _atomic_write, _to_json


def write_run_outputs(
    out_dir: str | Path, metrics: dict[str, Any], per_query: list[dict[str, Any]], report: str
) -> None:
    """Write ``metrics.json``, ``per_query.jsonl`` and ``report.md`` into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / "metrics.json", (_to_json(metrics, indent=2) + "\n").encode("utf-8"))
    lines = "".join(_to_json(record) + "\n" for record in per_query)
    _atomic_write(folder / "per_query.jsonl", lines.encode("utf-8"))
    _atomic_write(folder / "report.md", report.encode("utf-8"))


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric for a Markdown table; ``n/a`` when it could not be computed."""
    return "n/a" if value is None else f"{value:.{digits}f}"
