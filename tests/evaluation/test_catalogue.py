"""The metric catalogue reads what the LAReQA evaluator writes, and each headline is the mean of
its per-language values (the macro average the reports restate per language)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridir.evaluation.catalogue import METRIC_BY_KEY, METRICS
from hybridir.evaluation.lareqa import evaluate_lareqa
from tests.evaluation.toy import SCORES, MatrixScorer, toy_benchmark


def test_every_entry_is_in_the_evaluators_metrics() -> None:
    result = evaluate_lareqa(toy_benchmark(), MatrixScorer(SCORES), show_progress=False)
    metrics = result.to_metrics_dict()
    fields = {field for record in result.per_query for field in record}
    settings = {record["setting"] for record in result.per_query}
    for metric in METRICS:
        per_language = metric.per_language(metrics)
        assert per_language, metric.key
        assert metric.headline(metrics) == pytest.approx(np.mean(list(per_language.values())), abs=1e-12)
        assert metric.field in fields and metric.setting in settings
    assert len(METRIC_BY_KEY) == len(METRICS)
    assert [m.key for m in METRICS if m.lower_is_better] == ["rank_distance"]
