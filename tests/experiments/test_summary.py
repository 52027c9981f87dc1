"""A grid's summary read back from summary.json: every section, and files older than a section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.experiments import aggregate
from hybridir.experiments.aggregate import summarize
from hybridir.experiments.config import baseline_dir, cell_dir, parse_experiment
from hybridir.experiments.report import render_report, write_outputs
from hybridir.experiments.summary import Summary
from tests.experiments.fakes import scores, synthetic_benchmark, write_eval


@pytest.fixture
def grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A finished fake grid with starved and sources variants and a baseline (el unseen)."""
    monkeypatch.setattr(aggregate, "train_languages", lambda experiment, benchmark: ["en", "de"])
    experiment = parse_experiment(
        {
            "name": "fake",
            "train": {"max_steps": 2},
            "strategies": ["x-y", "hybrid"],
            "seeds": [1, 2],
            "directions": [{"train": "mlqa-r", "test": "xquad-r"}],
            "baselines": ["bm25"],
            "train_fraction_by_language": {"de": 0.1},
            "extra_sources": ["bitext"],
            "significance": {"permutations": 199},
        }
    )
    benchmark = synthetic_benchmark(["en", "de", "el"], n_ids=20)
    tag = experiment.eval.tag("xquad-r")
    for cell in experiment.cells():
        boost = 0.3 if cell.variant != "full" and cell.arm.label == "x-y" else 0.0
        write_eval(cell_dir(tmp_path, cell) / tag, benchmark, scores(benchmark, cell.seed, boost))
    write_eval(baseline_dir(tmp_path, "bm25") / tag, benchmark, scores(benchmark, 99))
    return experiment, tmp_path


def test_summary_reads_back_from_its_json(grid) -> None:
    experiment, out = grid
    write_outputs(experiment, out)
    payload = json.loads((out / "summary.json").read_text())
    summary = Summary.from_json(payload)
    assert summary.rows and summary.imbalance and summary.added_sources and summary.figures
    assert summary.to_json() == payload
    assert summary == Summary.from_json(summary.to_json())
    written = summarize(experiment, out)
    assert summary.rows == written.rows and summary.cost == written.cost
    assert render_report(summary, experiment) == (out / "report.md").read_text()


def test_a_file_older_than_a_section_reads_it_as_empty(grid) -> None:
    experiment, out = grid
    write_outputs(experiment, out)
    payload = json.loads((out / "summary.json").read_text())
    del payload["extra_tests"], payload["added_sources"]
    summary = Summary.from_json(payload)
    assert summary.extra_tests == [] and summary.added_sources == []
    assert summary.imbalance == Summary.from_json(json.loads((out / "summary.json").read_text())).imbalance
