"""Run-folder outputs of a LAReQA evaluation: files, keys, tables, heatmap, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.reports.lareqa_report import format_summary_table, write_lareqa_outputs
from tests.evaluation.toy import SCORES, MatrixScorer, toy_benchmark

OUTPUTS = {"metrics.json", "per_query.jsonl", "report.md", "crosslingual_map.png"}


def _toy_outputs() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES), show_progress=False)
    metrics = {
        "benchmark": "toy",
        "model": "matrix-model",
        "context": "paragraph",
        "languages": ["en", "de", "es"],
        **result.to_metrics_dict(),
        "timing": {"score_s": result.score_s},
        "notes": ["weights rounded to 4 bits"],
    }
    return metrics, result.per_query


def test_outputs_are_written_with_their_content(tmp_path: Path) -> None:
    metrics, per_query = _toy_outputs()
    out = tmp_path / "run" / "eval"
    write_lareqa_outputs(out, metrics, per_query)
    assert {p.name for p in out.iterdir()} == OUTPUTS  # no temporary files left behind

    written = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(metrics))
    assert written["crosslingual"]["by_pair"]["en"]["es"] == 1.0

    lines = (out / "per_query.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == per_query

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "`matrix-model`" in report and "`paragraph`" in report
    assert "- weights rounded to 4 bits" in report
    assert (
        "| mono mAP | mono R@1 | cross mAP | cross R@1 | multi mAP | multi R@10 | rank distance |" in report
    )
    assert "| 0.667 | 0.333 | 0.639 | 0.333 |" in report
    assert "| en | 0.750 | 0.500 | 0.875 | 0.750 |" in report  # per-language row
    assert "| es | 0.333 | 0.500 | 0.500 |" in report  # cross matrix row, diagonal = mono
    assert "2 (question, target language) pairs had no answer" in report

    png = (out / "crosslingual_map.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


def test_nan_becomes_null_and_missing_pairs_show_as_na(tmp_path: Path) -> None:
    metrics, per_query = _toy_outputs()
    metrics["monolingual"]["map"] = float("nan")
    del metrics["crosslingual"]["by_pair"]["es"]
    per_query = [*per_query, {"question": np.int64(9), "ap": np.float32(0.5), "rank_distance": float("nan")}]
    write_lareqa_outputs(tmp_path, metrics, per_query)
    assert json.loads((tmp_path / "metrics.json").read_text())["monolingual"]["map"] is None
    last = json.loads((tmp_path / "per_query.jsonl").read_text().splitlines()[-1])
    assert last == {"question": 9, "ap": 0.5, "rank_distance": None}
    assert "| es | n/a | n/a | 0.500 |" in (tmp_path / "report.md").read_text()


def test_failed_write_keeps_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, per_query = _toy_outputs()
    write_lareqa_outputs(tmp_path, metrics, per_query)
    before = (tmp_path / "metrics.json").read_bytes()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_lareqa_outputs(tmp_path, {**metrics, "model": "other"}, per_query)
    assert (tmp_path / "metrics.json").read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} == OUTPUTS


def test_summary_table_for_the_terminal() -> None:
    metrics, _ = _toy_outputs()
    table = format_summary_table(metrics)
    lines = table.splitlines()
    assert lines[0] == "toy: matrix-model (context: paragraph)"
    assert lines[2].split() == ["monolingual", "0.667", "0.333", "(R@1)"]
    assert lines[3].split() == ["cross-lingual", "0.639", "0.333", "(R@1)"]
    assert lines[4].split()[:3] == ["multilingual", f"{metrics['multilingual']['map']:.3f}", "1.000"]
    assert lines[5].split() == ["rank", "distance", "3.5"]
