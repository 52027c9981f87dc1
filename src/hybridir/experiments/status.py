"""A grid's ``cells.jsonl``: one JSON line per stage run, kept across runs (its history).

The runner writes it; the aggregation reads it for the measured cost. A line names its cell
(a cell id, or ``baseline:NAME``), its stage (``train``, ``merge`` or ``eval:BENCHMARK``), what happened
and how many seconds it took, with extra fields where they say more (``error``, ``source``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hybridir.core.settings import Choice

BASELINE_PREFIX = "baseline:"  # the cell name of a zero-shot baseline: baseline:NAME
TRAIN, MERGE, EVAL = "train", "merge", "eval"  # stage kinds; an evaluation stage is eval:BENCHMARK


class Status(Choice):
    """What a stage did: ran, was skipped (its output exists), resumed, was linked in, or failed."""

    DONE = "done"
    SKIPPED = "skipped"
    RESUMED = "resumed"
    REUSED = "reused"
    FAILED = "failed"

    @property
    def worked(self) -> bool:
        """Whether the stage did its work here (so its seconds are a cost of this grid)."""
        return self in (Status.DONE, Status.RESUMED)


def baseline_cell(name: str) -> str:
    return f"{BASELINE_PREFIX}{name}"


def eval_stage(benchmark: str) -> str:
    return f"{EVAL}:{benchmark}"


@dataclass(frozen=True)
class StageRecord:
    """One line of cells.jsonl (the fields the aggregation reads)."""

    cell: str
    stage: str
    status: Status
    seconds: float

    @property
    def baseline(self) -> bool:
        return self.cell.startswith(BASELINE_PREFIX)

    @property
    def kind(self) -> str:
        """TRAIN, MERGE or EVAL."""
        return self.stage.split(":")[0]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageRecord:
        return cls(data["cell"], data["stage"], Status(data["status"]), data["seconds"])


@dataclass
class StatusLog:
    """Appends one JSON line per stage to ``cells.jsonl`` (the grid's history across runs)."""

    path: Path

    def write(self, cell: str, stage: str, status: str, seconds: float = 0.0, **extra: Any) -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cell": cell,
            "stage": stage,
            "status": str(Status(status)),
            "seconds": round(seconds, 1),
            **extra,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def read_status(path: Path) -> list[StageRecord]:
    """The lines of a cells.jsonl, oldest first; none when the grid has not run a stage yet."""
    if not path.is_file():
        return []
    return [StageRecord.from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
