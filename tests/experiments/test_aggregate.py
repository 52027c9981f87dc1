"""Summary aggregation on a fake finished grid: seed statistics, paired tests, splits, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridir.evaluation.catalogue import MONO_MAP, MULTI_MAP, RANK_DISTANCE
from hybridir.experiments import aggregate
from hybridir.experiments.aggregate import summarize
from hybridir.experiments.config import Cell, baseline_dir, cell_dir, parse_experiment
from hybridir.experiments.records import Progress, StageCost, TableRow
from hybridir.experiments.report import write_outputs
from tests.experiments.fakes import scores, synthetic_benchmark, write_eval

LANGUAGES = ["en", "de", "el"]


@pytest.fixture(autouse=True)
def _trained_on_en_de(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake direction trains on en and de, so el is an unseen test language."""
    monkeypatch.setattr(aggregate, "train_languages", lambda experiment, benchmark: ["en", "de"])


def _experiment(**changes):
    settings = {
        "name": "fake",
        "train": {"max_steps": 2},
        "strategies": ["x-x-mono", "x-y", "hybrid"],
        "alphas": [0.5],
        "seeds": [1, 2],
        "directions": [{"train": "mlqa-r", "test": "xquad-r"}],
        "baselines": ["bm25"],
        "significance": {"permutations": 999},
    }
    settings.update(changes)
    return parse_experiment(settings)


def _fill(experiment, out: Path, boosts: dict[str, float], skip: tuple[str, ...] = ()) -> dict[str, dict]:
    """Write fake evaluations: arms share each seed's scores unless boosted ("arm" or "variant/arm")."""
    benchmark = synthetic_benchmark(LANGUAGES, n_ids=40)
    tag = experiment.eval.tag("xquad-r")
    written = {}
    for cell in experiment.cells():
        if cell.id in skip:
            continue
        boost = boosts.get(f"{cell.variant}/{cell.arm.label}", boosts.get(cell.arm.label, 0.0))
        written[cell.id] = write_eval(
            cell_dir(out, cell) / tag, benchmark, scores(benchmark, cell.seed, boost)
        )
    write_eval(baseline_dir(out, "bm25") / tag, benchmark, scores(benchmark, 99))
    return written


def _row(summary, model: str, subset: str = "all", variant: str = "full") -> TableRow:
    return next(r for r in summary.rows if (r.model, r.subset, r.variant) == (model, subset, variant))


def test_seed_statistics_and_tests_against_the_reference(tmp_path: Path) -> None:
    experiment = _experiment()
    written = _fill(experiment, tmp_path, {"x-x-mono": 0.4})
    summary = summarize(experiment, tmp_path)
    assert summary.progress == Progress(cells=6, finished=6, missing=[])
    assert [r.subset for r in summary.rows if r.model == "hybrid-a0.5"] == ["all", "seen", "unseen"]

    hybrid, xy, mono = (_row(summary, m) for m in ("hybrid-a0.5", "x-y", "x-x-mono"))
    maps = [written[f"mlqa-r-to-xquad-r__full__hybrid-a0.5__seed{s}"]["monolingual"]["map"] for s in (1, 2)]
    assert hybrid.metrics[MONO_MAP].mean == pytest.approx(np.mean(maps))
    assert hybrid.metrics[MONO_MAP].std == pytest.approx(np.std(maps, ddof=1))
    assert hybrid.tests == {}
    for key, test in xy.tests.items():
        assert test.p == 1.0 and test.difference == pytest.approx(0.0, abs=1e-12), key
        assert not test.significant
    test = mono.tests[MONO_MAP]
    assert test.difference == pytest.approx(mono.metrics[MONO_MAP].mean - hybrid.metrics[MONO_MAP].mean)
    assert test.difference > 0 and test.p == pytest.approx(1 / 1000) and test.significant
    assert mono.tests[RANK_DISTANCE].difference < 0
    assert test.p_holm >= test.p

    seen = _row(summary, "hybrid-a0.5", "seen")
    assert seen.languages == ["en", "de"]
    per_seed = [
        np.mean(
            [
                written[f"mlqa-r-to-xquad-r__full__hybrid-a0.5__seed{s}"]["multilingual"]["by_language"][x]
                for x in ("en", "de")
            ]
        )
        for s in (1, 2)
    ]
    assert seen.metrics[MULTI_MAP].mean == pytest.approx(np.mean(per_seed))
    baseline = _row(summary, "bm25")
    assert baseline.kind == "baseline" and baseline.metrics[MONO_MAP].std is None


def test_report_marks_significant_rows_and_draws_figures(tmp_path: Path) -> None:
    experiment = _experiment(strategies=["hybrid"], alphas=[0.0, 0.5, 1.0])
    _fill(experiment, tmp_path, {"hybrid-a1": 0.4})
    report = write_outputs(experiment, tmp_path).read_text()
    lines = {line.split(" |")[0]: line for line in report.splitlines() if line.startswith("| hybrid")}
    assert "†" in lines["| hybrid-a1"] and "†" not in lines["| hybrid-a0"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {Path(f).name for f in summary["figures"]} >= {
        "mlqa-r-to-xquad-r__full__alpha.png",
        "mlqa-r-to-xquad-r__full__languages.png",
        "mlqa-r-to-xquad-r__full__crosslingual.png",
        "mlqa-r-to-xquad-r__full__crosslingual_vs_reference.png",
        "mlqa-r-to-xquad-r__full__rank_distance.png",
    }
    assert all((tmp_path / f).stat().st_size > 0 for f in summary["figures"])


def test_a_partial_grid_gives_a_partial_summary(tmp_path: Path) -> None:
    experiment = _experiment()
    missing = Cell(experiment.directions[0], "full", experiment.arms[0], 2).id
    _fill(experiment, tmp_path, {}, skip=(missing,))
    summary = summarize(experiment, tmp_path)
    assert summary.progress.missing == [missing]
    assert _row(summary, "x-x-mono").seeds == [1]
    assert f"5 of 6 evaluated; missing: {missing}" in write_outputs(experiment, tmp_path).read_text()


def test_imbalance_rows_compare_starved_with_full(tmp_path: Path) -> None:
    experiment = _experiment(strategies=["x-y", "hybrid"], train_fraction_by_language={"de": 0.1})
    _fill(experiment, tmp_path, {"starved/hybrid-a0.5": 0.4})
    summary = summarize(experiment, tmp_path)
    assert {(r.model, r.languages) for r in summary.imbalance} == {
        (arm, languages) for arm in ("x-y", "hybrid-a0.5") for languages in ("de", "others")
    }
    for row in summary.imbalance:
        if row.model == "x-y":
            assert row.delta_mean == pytest.approx(0.0) and row.test.p == 1.0 and not row.test.significant
        else:
            assert row.delta_mean > 0 and row.test.significant
            assert row.delta_std is not None
    assert "## Language imbalance" in write_outputs(experiment, tmp_path).read_text()
    figure = tmp_path / "figures" / f"{experiment.directions[0].label}__imbalance.png"
    assert figure.stat().st_size > 0


def test_cost_counts_every_baseline_evaluation_and_the_latest_run_of_a_stage(tmp_path: Path) -> None:
    records = [
        ("baseline:bm25", "eval:xquad-r", "done", 2.0),
        ("baseline:bm25", "eval:mlqa-r", "done", 3.0),
        ("c1", "train", "failed", 50.0),
        ("c1", "train", "resumed", 100.0),
        ("c1", "eval:xquad-r", "done", 10.0),
        ("c1-wise-ft", "merge", "done", 7.0),
        ("c2", "train", "reused", 0.0),
        ("c2", "eval:xquad-r", "skipped", 0.0),
    ]
    lines = [json.dumps({"cell": c, "stage": st, "status": s, "seconds": sec}) for c, st, s, sec in records]
    (tmp_path / "cells.jsonl").write_text("\n".join(lines) + "\n")
    cost = aggregate._cost(tmp_path)
    assert cost.train == StageCost(cells=1, total_s=100.0, mean_s=100.0)
    assert cost.merge == StageCost(cells=1, total_s=7.0, mean_s=7.0)
    assert cost.eval == StageCost(cells=1, total_s=10.0, mean_s=10.0)
    assert cost.baselines_total_s == 5.0 and cost.total_s == 122.0
