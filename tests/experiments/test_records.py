"""The summary's records: summary.json layout, JSON round trip, Holm within a family of tests."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridir.evaluation.catalogue import CROSS_MAP, MONO_MAP, RANK_DISTANCE
from hybridir.experiments.records import (
    ARM,
    BASELINE,
    ChosenRatio,
    Cost,
    CrossMatrix,
    DeltaRow,
    LanguageRow,
    PairedTest,
    Progress,
    Quantiles,
    Spread,
    StageCost,
    Stats,
    TableRow,
)
from hybridir.experiments.significance import holm

TEST = PairedTest(difference=0.02, p=0.01, p_holm=0.03, significant=True)


def _through_json(record):
    """``record`` written as summary.json text and read back."""
    return type(record).from_json(json.loads(json.dumps(record.to_json())))


RECORDS = [
    Stats.of([0.5, None, 0.7]),
    Spread(0.25, None),
    TEST,
    PairedTest(difference=None, p=1.0, p_holm=1.0, significant=False),
    TableRow(
        "mlqa-r-to-xquad-r",
        "full",
        "seen",
        ["en", "de"],
        "x-y",
        ARM,
        "x-y",
        None,
        [1, 2],
        {MONO_MAP: Stats.of([0.5, 0.6]), RANK_DISTANCE: Stats.of([12.0, 10.0])},
        {MONO_MAP: TEST},
    ),
    TableRow("d", "full", "all", None, "bm25", BASELINE, None, None, [], {MONO_MAP: Stats.of([0.1])}, {}),
    LanguageRow("d", "full", "x-y", ARM, CROSS_MAP, {"en": Spread(0.4, 0.01), "de": Spread(None, None)}),
    CrossMatrix("d", "full", "x-y", ARM, ["en", "de"], [[0.5, 0.4], [None, 0.6]]),
    DeltaRow("d", "starved", "full", "hybrid-a0.5", "de", MONO_MAP, 0.5, -0.1, 0.02, [1, 2], TEST),
    Quantiles("d", "full", "x-y", (1.0, 2.0, 3.5, 8.0, 20.0)),
    Progress(6, 5, ["d__full__x-y__seed2"]),
    Cost(StageCost(2, 30.0, 15.0), StageCost(1, 4.0, 4.0), StageCost(0, 0, None), 5.0, 39.0),
    ChosenRatio("d", "wise-ft", "hybrid-a0.5", 1, 0.5, "mean", 0.61, 0.58),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_records_read_back_from_summary_json(record) -> None:
    assert _through_json(record) == record


def test_records_write_summary_json_layout() -> None:
    row = RECORDS[4].to_json()
    assert list(row) == [
        "direction",
        "variant",
        "subset",
        "languages",
        "model",
        "kind",
        "sampling",
        "alpha",
        "seeds",
        "metrics",
        "tests",
    ]
    assert row["metrics"]["mono_map"] == {
        "mean": 0.55,
        "std": pytest.approx(0.0707, abs=1e-4),
        "values": [0.5, 0.6],
    }
    assert row["tests"] == {"mono_map": {"difference": 0.02, "p": 0.01, "p_holm": 0.03, "significant": True}}
    assert list(RECORDS[8].to_json()) == [
        "direction",
        "variant",
        "base",
        "model",
        "languages",
        "metric",
        "full",
        "delta_mean",
        "delta_std",
        "seeds",
        "difference",
        "p",
        "p_holm",
        "significant",
    ]
    assert "difference" not in RECORDS[3].to_json()
    assert RECORDS[9].to_json() == {
        "direction": "d",
        "variant": "full",
        "model": "x-y",
        "p10": 1.0,
        "p25": 2.0,
        "p50": 3.5,
        "p75": 8.0,
        "p90": 20.0,
    }


def test_stats_ignore_missing_runs() -> None:
    stats = Stats.of([0.5, None, 0.7])
    assert stats.mean == pytest.approx(0.6) and stats.std == pytest.approx(0.1414, abs=1e-4)
    assert stats.values == [0.5, None, 0.7]
    assert Stats.of([0.5]).std is None and Stats.of([None]).mean is None


def test_a_family_of_tests_is_holm_adjusted_together() -> None:
    raw = [(0.1, 0.01), (None, 0.04), (-0.2, 0.03)]
    tests = PairedTest.family(raw, level=0.05)
    assert [t.p_holm for t in tests] == holm([0.01, 0.04, 0.03])
    assert [(t.difference, t.p) for t in tests] == raw
    assert [t.significant for t in tests] == [True, False, False]  # 0.03, 0.06, 0.06 after Holm


def test_quantiles_of_no_values_are_nan() -> None:
    empty = Quantiles.of("d", "full", "x-y", np.array([np.nan]))
    assert all(np.isnan(empty.points))
    values = Quantiles.of("d", "full", "x-y", np.array([1.0, 2.0, np.nan, 3.0]))
    assert values.points[2] == 2.0
