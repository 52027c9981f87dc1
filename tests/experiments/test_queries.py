"""Per-query contributions reproduce the evaluator's macro-averaged metrics exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridir.evaluation.catalogue import METRICS
from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.experiments.queries import QueryTable, contributions, mean_table, metric_value
from tests.evaluation.toy import SCORES, MatrixScorer, toy_benchmark
from tests.experiments.fakes import scores, synthetic_benchmark, write_eval


@pytest.mark.parametrize("languages", [None, ["en"], ["de", "es"]])
def test_contributions_sum_to_the_metric_on_the_toy_benchmark(languages: list[str] | None) -> None:
    result = evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES), show_progress=False)
    metrics = result.to_metrics_dict()
    table = QueryTable.from_records(result.per_query)
    for spec in METRICS:
        weights = contributions(table, spec, languages)
        total = weights.per_query(table.values[spec.field]).sum()
        assert total == pytest.approx(metric_value(metrics, spec, languages), abs=1e-12), spec.key
    headline = metric_value(metrics, METRICS[1])
    assert headline == pytest.approx(metrics["crosslingual"]["map"])


def test_one_unit_per_query_in_the_chosen_languages() -> None:
    benchmark = synthetic_benchmark(["en", "de", "el"], n_ids=4)
    result = evaluate_lareqa(benchmark, MatrixScorer(scores(benchmark, 0)), show_progress=False)
    table = QueryTable.from_records(result.per_query)
    cross = contributions(table, METRICS[1], ["en", "el"])
    assert cross.unit_names.size == 8
    assert sorted({name.split("\t")[0] for name in cross.unit_names}) == ["el", "en"]


def test_tables_read_sorted_and_average(tmp_path: Path) -> None:
    benchmark = synthetic_benchmark(["en", "de"], n_ids=3)
    write_eval(tmp_path / "a", benchmark, scores(benchmark, 1))
    write_eval(tmp_path / "b", benchmark, scores(benchmark, 2))
    a, b = (
        QueryTable.read(tmp_path / "a" / "per_query.jsonl"),
        QueryTable.read(tmp_path / "b" / "per_query.jsonl"),
    )
    assert len(a) == len((tmp_path / "a" / "per_query.jsonl").read_text().splitlines())
    assert a.same_records(b)
    mean = mean_table([a, b])
    np.testing.assert_allclose(mean.values["ap"], (a.values["ap"] + b.values["ap"]) / 2)
    assert np.isnan(mean.values["rank_distance"][a.setting != "multilingual"]).all()
    other = synthetic_benchmark(["en", "de"], n_ids=2)
    write_eval(tmp_path / "c", other, scores(other, 1))
    with pytest.raises(ValueError, match="different records"):
        mean_table([a, QueryTable.read(tmp_path / "c" / "per_query.jsonl")])
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metric_value(metrics, METRICS[0], ["de"]) == pytest.approx(
        metrics["monolingual"]["by_language"]["de"]
    )
