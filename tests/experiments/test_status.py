"""cells.jsonl: the runner's stage lines, read back by the aggregation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.experiments.status import (
    EVAL,
    TRAIN,
    StageRecord,
    Status,
    StatusLog,
    baseline_cell,
    eval_stage,
    read_status,
)


def test_lines_written_are_read_back(tmp_path: Path) -> None:
    path = tmp_path / "cells.jsonl"
    assert read_status(path) == []
    log = StatusLog(path)
    log.write(baseline_cell("bm25"), eval_stage("xquad-r"), Status.DONE, 2.04)
    log.write("c1", TRAIN, "resumed", 100.0)
    log.write("c1", TRAIN, Status.FAILED, 3.0, error="boom")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["done", "resumed", "failed"]
    assert lines[0]["cell"] == "baseline:bm25" and lines[0]["stage"] == "eval:xquad-r"
    assert lines[0]["seconds"] == 2.0 and lines[2]["error"] == "boom" and "time" in lines[0]
    records = read_status(path)
    assert records[0] == StageRecord("baseline:bm25", "eval:xquad-r", Status.DONE, 2.0)
    assert records[0].baseline and records[0].kind == EVAL and not records[1].baseline
    assert [r.status.worked for r in records] == [True, True, False]


def test_an_unknown_status_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        StatusLog(tmp_path / "cells.jsonl").write("c1", TRAIN, "finished")
    assert not (tmp_path / "cells.jsonl").exists()
