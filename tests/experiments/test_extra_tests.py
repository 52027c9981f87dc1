"""Extra test benchmarks of a grid: config, per-unit contributions, seed means and paired tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridir.drivers.tatoeba import per_query_records as tatoeba_records
from hybridir.errors import UserError
from hybridir.evaluation.tatoeba import score_pair, summarise
from hybridir.experiments.config import Cell, baseline_dir, cell_dir, parse_experiment, read_experiment
from hybridir.experiments.extra_tests import (
    METRICS,
    ExtraRow,
    extra_test_rows,
    extra_test_tables,
    extra_zero_shot_table,
)

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "experiments"
GRID = {
    "train": {"max_steps": 2},
    "strategies": ["x-x-mono", "hybrid"],
    "seeds": [1, 2],
    "directions": [{"train": "mlqa-r", "test": ["xquad-r", "arcd", "tatoeba"]}],
    "baselines": ["bm25"],
    "significance": {"permutations": 200},
    "eval": {"precision": "bf16"},  # plain bf16: evaluation folders without a precision suffix
}


def test_config_lists_several_tests_and_keeps_cell_ids() -> None:
    experiment = parse_experiment(GRID)
    direction = experiment.directions[0]
    assert (direction.test, direction.extra_tests) == ("xquad-r", ("arcd", "tatoeba"))
    assert experiment.cells()[0].id == "mlqa-r-to-xquad-r__full__x-x-mono__seed1"  # as with one test
    assert experiment.to_dict()["directions"] == [{"train": "mlqa-r", "test": ["xquad-r", "arcd", "tatoeba"]}]
    assert experiment.eval.extra_tag("arcd") == "eval-arcd"
    with pytest.raises(UserError, match="unknown extra test benchmark 'squad'"):
        parse_experiment({**GRID, "directions": [{"train": "mlqa-r", "test": ["xquad-r", "squad"]}]})
    with pytest.raises(UserError, match="test first on"):
        parse_experiment({**GRID, "directions": [{"train": "mlqa-r", "test": ["arcd", "xquad-r"]}]})
    with pytest.raises(UserError, match="twice"):
        parse_experiment({**GRID, "directions": [{"train": "mlqa-r", "test": ["xquad-r", "arcd", "arcd"]}]})


def test_native_grid_config_is_valid() -> None:
    experiment = read_experiment(CONFIGS / "native.yaml")
    assert experiment.directions[0].extra_tests == ("cmrc2018", "arcd", "tatoeba")
    assert [arm.label for arm in experiment.arms] == ["x-x-mono", "x-y", "hybrid-a0.5"]


def _tatoeba_run(seed: int, quality: float) -> list[dict]:
    """Per-query records of a made-up Tatoeba run: two languages of 3 and 5 pairs."""
    rng = np.random.default_rng(seed)
    results = []
    for language, size in (("de", 3), ("te", 5)):
        similarity = rng.random((size, size)) + quality * np.eye(size)
        results.append(score_pair(language, similarity, similarity.T))
    return results


def test_tatoeba_contributions_add_up_to_the_reported_accuracy() -> None:
    results = _tatoeba_run(0, 0.3)
    records = [r for result in results for r in tatoeba_records(result)]
    accuracy = summarise(results)["accuracy"]
    by_key = {metric.key: sum(metric.contributions(records).values()) for metric in METRICS["tatoeba"]}
    assert by_key["accuracy"] == pytest.approx(accuracy["mean"])
    assert by_key["accuracy_to_en"] == pytest.approx(accuracy["xx->en"])
    assert by_key["accuracy_from_en"] == pytest.approx(accuracy["en->xx"])


def _write(folder: Path, records: list[dict]) -> None:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text("{}")
    (folder / "per_query.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def _native(ap: list[float]) -> list[dict]:
    return [
        {"level": "sentence", "qid": f"q{i}", "ap": v, "recall@1": float(v == 1.0)} for i, v in enumerate(ap)
    ] + [{"level": "passage", "qid": f"q{i}", "nDCG@10": v, "Recall@100": 1.0} for i, v in enumerate(ap)]


def test_rows_seed_means_and_paired_test(tmp_path: Path) -> None:
    experiment = parse_experiment(GRID)
    direction = experiment.directions[0]
    arms = {arm.label: arm for arm in experiment.arms}
    strong, weak = [1.0] * 30, [1.0] * 10 + [0.5] * 20
    for seed in (1, 2):
        for label, ap, quality in (("hybrid-a0.5", strong, 5.0), ("x-x-mono", weak, 0.0)):
            folder = cell_dir(tmp_path, Cell(direction, "full", arms[label], seed))
            _write(folder / "eval-arcd", _native(ap))
            records = [r for result in _tatoeba_run(seed, quality) for r in tatoeba_records(result)]
            _write(folder / "eval-tatoeba", records)
    _write(baseline_dir(tmp_path, "bm25") / "eval-arcd", _native([0.25] * 30))
    rows = extra_test_rows(experiment, tmp_path)
    arcd = {(r.model, r.metric.key): r for r in rows if r.benchmark == "arcd"}
    assert arcd[("hybrid-a0.5", "sentence_map")].stats.mean == pytest.approx(1.0)
    assert arcd[("x-x-mono", "sentence_map")].stats.mean == pytest.approx((10 + 20 * 0.5) / 30)
    assert arcd[("x-x-mono", "sentence_map")].stats.std == 0.0
    assert arcd[("x-x-mono", "sentence_map")].test.significant  # 20 of 30 questions lose 0.5
    assert arcd[("hybrid-a0.5", "sentence_map")].test is None  # the reference is not tested
    assert arcd[("bm25", "sentence_map")].stats.mean == pytest.approx(0.25)
    assert arcd[("bm25", "sentence_map")].kind == "baseline"
    tatoeba = {(r.model, r.metric.key): r for r in rows if r.benchmark == "tatoeba"}
    assert tatoeba[("hybrid-a0.5", "accuracy")].stats.mean == pytest.approx(1.0)  # the diagonal wins
    assert tatoeba[("x-x-mono", "accuracy")].stats.mean < 1.0
    table = "\n".join(extra_test_tables(rows, "hybrid-a0.5", "†"))
    assert "### mlqa-r-to-xquad-r, full data: arcd" in table
    assert "| **hybrid-a0.5** | 1.000 ± 0.000 |" in table


def test_rows_read_back_from_summary_json(tmp_path: Path) -> None:
    experiment = parse_experiment(GRID)
    direction = experiment.directions[0]
    for arm, ap in zip(experiment.arms, ([1.0] * 10 + [0.5] * 10, [1.0] * 20), strict=True):
        for seed in (1, 2):
            _write(cell_dir(tmp_path, Cell(direction, "full", arm, seed)) / "eval-arcd", _native(ap))
    _write(baseline_dir(tmp_path, "bm25") / "eval-arcd", _native([0.25] * 20))
    rows = extra_test_rows(experiment, tmp_path)
    assert {r.test is None for r in rows} == {True, False}  # tested arms, the reference, the baseline
    written = [json.loads(json.dumps(row.to_json())) for row in rows]
    assert [ExtraRow.from_json(row) for row in written] == rows
    tested = next(row for row in written if "p" in row)
    assert list(tested) == [
        "direction",
        "variant",
        "benchmark",
        "model",
        "kind",
        "metric",
        "label",
        "mean",
        "std",
        "values",
        "p",
        "p_holm",
        "significant",
    ]


def test_a_recipe_grid_tests_each_arm_against_the_zero_shot_model(tmp_path: Path) -> None:
    grid = {
        **GRID,
        "strategies": ["hybrid"],
        "baselines": ["untrained", "bm25"],
        "train": {"max_steps": 2, "validation_fraction": 0.1},
        "directions": [{"train": "mlqa-r", "test": ["xquad-r", "arcd"], "extra_tests_for": ["wise"]}],
        "recipes": {"wise": {"wise_ft": {"of": "full"}}},
    }
    experiment = parse_experiment(grid)
    direction, arm = experiment.directions[0], experiment.arms[0]
    for seed in (1, 2):
        _write(cell_dir(tmp_path, Cell(direction, "wise", arm, seed)) / "eval-arcd", _native([1.0] * 30))
        # full's extra tests are not asked for: a stray evaluation there is not read
        _write(cell_dir(tmp_path, Cell(direction, "full", arm, seed)) / "eval-arcd", _native([0.0] * 30))
    _write(baseline_dir(tmp_path, "untrained") / "eval-arcd", _native([1.0] * 10 + [0.5] * 20))
    _write(baseline_dir(tmp_path, "bm25") / "eval-arcd", _native([0.25] * 30))
    rows = extra_test_rows(experiment, tmp_path)
    assert {r.variant for r in rows} == {"wise"}
    by_model = {(r.model, r.metric.key): r for r in rows}
    against = by_model[("hybrid-a0.5", "sentence_map")].zero_shot
    assert against.difference == pytest.approx(1.0 - 20 / 30) and against.significant
    assert by_model[("hybrid-a0.5", "passage_recall100")].zero_shot.difference == 0.0
    assert by_model[("untrained", "sentence_map")].zero_shot is None
    assert [ExtraRow.from_json(json.loads(json.dumps(r.to_json()))) for r in rows] == rows
    table = "\n".join(extra_zero_shot_table(rows, "†"))
    assert (
        "| mlqa-r-to-xquad-r | wise | arcd | hybrid-a0.5 | sentence mAP | 0.667 | +0.333 ± 0.000 † |" in table
    )
    # a grid without recipes keeps its tables as they were: no zero-shot tests
    plain = parse_experiment(
        {**grid, "recipes": {}, "directions": [{"train": "mlqa-r", "test": ["xquad-r", "arcd"]}]}
    )
    assert all(r.zero_shot is None for r in extra_test_rows(plain, tmp_path))
