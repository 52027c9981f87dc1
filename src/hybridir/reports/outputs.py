"""Writing a run folder's metrics.json, per_query.jsonl and report.md for any benchmark.

Every benchmark's files are written alike: atomically (:func:`hybridir.core.files.atomic_write`)
and as plain JSON with NaN as null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.files import atomic_write


def json_safe(value: Any) -> Any:
    """Plain-JSON version of ``value``: numpy types unwrapped, NaN/inf as null, paths as text."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def to_json(value: Any, indent: int | None = None) -> str:
    """JSON text of ``value``; only values that plain JSON rejects go through :func:`json_safe`."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    except (TypeError, ValueError):
        return json.dumps(json_safe(value), ensure_ascii=False, indent=indent)


def write_run_outputs(
    out_dir: str | Path, metrics: dict[str, Any], per_query: list[dict[str, Any]], report: str
) -> None:
    """Write ``metrics.json``, ``per_query.jsonl`` and ``report.md`` into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "metrics.json", (to_json(metrics, indent=2) + "\n").encode("utf-8"))
    lines = "".join(to_json(record) + "\n" for record in per_query)
    atomic_write(folder / "per_query.jsonl", lines.encode("utf-8"))
    atomic_write(folder / "report.md", report.encode("utf-8"))


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric for a Markdown table; ``n/a`` when it could not be computed."""
    return "n/a" if value is None else f"{value:.{digits}f}"
