"""Several sources: one source per batch, the kinds each source serves, source weighting, errors."""

from __future__ import annotations

from collections import Counter

import pytest

from hybridir.errors import UserError
from hybridir.sampling.planner import BatchKind, BatchPlanner, Strategy
from hybridir.sampling.sources import PlanSource, smallest_pool
from hybridir.sampling.weights import parse_language_weights
from tests.sampling.checks import check_batches

PARALLEL = PlanSource("parallel", [frozenset({"en", "de", "es"})] * 300)
BITEXT = PlanSource("bitext", [frozenset({"en", "de", "sw"})] * 100, same_language=False)
NATIVE = PlanSource("native", [frozenset({"zh"})] * 50, cross_language=False)
SOURCES = [PARALLEL, BITEXT, NATIVE]


def _planner(strategy: Strategy = Strategy.HYBRID, sources=SOURCES, **kwargs) -> BatchPlanner:
    return BatchPlanner(batch_size=8, strategy=strategy, seed=3, sources=sources, **kwargs)


def _all_languages(planner: BatchPlanner) -> list[frozenset[str]]:
    return [langs for source in planner.sources for langs in source.example_languages]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_every_batch_comes_from_one_source_that_serves_its_kind(strategy: Strategy) -> None:
    sources = {
        Strategy.X_X: [PARALLEL, NATIVE],
        Strategy.X_X_MONO: [PARALLEL, NATIVE],
        Strategy.X_Y: [PARALLEL, BITEXT],
        Strategy.HYBRID: SOURCES,
    }[strategy]
    planner = _planner(strategy, sources, num_batches=600)
    batches = planner.plan_epoch(0)
    check_batches(batches, _all_languages(planner), planner)
    served: dict[str, set[BatchKind]] = {}
    for batch in batches:
        pools = planner.pools[batch.source]
        assert {planner.source_of(i) for i, _, _ in batch.items} == {batch.source}
        assert all(pools.offset <= i < pools.offset + len(pools) for i, _, _ in batch.items)
        served.setdefault(pools.name, set()).add(batch.kind)
    if strategy is Strategy.HYBRID:
        assert served == {
            "parallel": {BatchKind.X_X_MONO, BatchKind.X_Y},
            "bitext": {BatchKind.X_Y},
            "native": {BatchKind.X_X_MONO},
        }
    else:
        assert set(served) == {source.name for source in sources}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("size", {"parallel": 300 / 400, "bitext": 100 / 400}),
        ("uniform", {"parallel": 0.5, "bitext": 0.5}),
        ("temperature:2", {"parallel": 300**0.5 / (300**0.5 + 10), "bitext": 10 / (300**0.5 + 10)}),
    ],
)
def test_source_shares_follow_the_weighting(spec: str, expected: dict[str, float]) -> None:
    planner = _planner(
        Strategy.X_Y, [PARALLEL, BITEXT], source_weighting=parse_language_weights(spec), num_batches=4000
    )
    assert planner.source_probabilities(BatchKind.X_Y) == pytest.approx(expected)
    shares = Counter(planner.sources[batch.source].name for batch in planner.plan_epoch(0))
    for name, share in expected.items():
        assert abs(shares[name] / 4000 - share) < 5 * (share * (1 - share) / 4000) ** 0.5, (spec, shares)


def test_hybrid_draws_the_kind_first_then_a_source_that_serves_it() -> None:
    planner = _planner(Strategy.HYBRID, alpha=0.3, num_batches=4000)
    batches = planner.plan_epoch(0)
    kinds = Counter(batch.kind for batch in batches)
    assert abs(kinds[BatchKind.X_X_MONO] / 4000 - 0.3) < 5 * (0.21 / 4000) ** 0.5  # alpha is untouched
    mono = Counter(planner.sources[b.source].name for b in batches if b.kind is BatchKind.X_X_MONO)
    cross = Counter(planner.sources[b.source].name for b in batches if b.kind is BatchKind.X_Y)
    assert set(mono) == {"parallel", "native"} and set(cross) == {"parallel", "bitext"}
    assert abs(mono["native"] / sum(mono.values()) - 50 / 350) < 0.04  # size: usable examples per kind
    assert abs(cross["bitext"] / sum(cross.values()) - 100 / 400) < 0.04


def test_a_source_weight_multiplies_its_share() -> None:
    heavy = PlanSource("bitext", BITEXT.example_languages, same_language=False, weight=3.0)
    planner = _planner(Strategy.X_Y, [PARALLEL, heavy], source_weighting=parse_language_weights("uniform"))
    assert planner.source_probabilities(BatchKind.X_Y) == pytest.approx({"parallel": 0.25, "bitext": 0.75})


def test_one_source_plans_as_before() -> None:
    languages = [frozenset({"en", "de"})] * 40
    alone = BatchPlanner(languages, 8, Strategy.HYBRID, seed=2)
    wrapped = BatchPlanner(batch_size=8, seed=2, sources=[PlanSource("x", languages)])
    assert alone.plan_epoch(0) == wrapped.plan_epoch(0)


@pytest.mark.parametrize(
    ("strategy", "sources", "batch_size", "needles"),
    [
        (Strategy.X_X_MONO, [PARALLEL, BITEXT], 8, ["source bitext", "only cross-language", "x-y or"]),
        (Strategy.X_Y, [PARALLEL, NATIVE], 8, ["source native", "only same-language pairs"]),
        (Strategy.X_X_MONO, [BITEXT], 8, ["only cross-language"]),
        (Strategy.X_Y, [BITEXT], 200, ["only 100 training examples", "fewer than the batch size 200"]),
        (Strategy.HYBRID, [NATIVE, PlanSource("zh2", [frozenset({"zh"})] * 20, cross_language=False)], 8,
         ["draws x-y batches", "none of the sources"]),
        (Strategy.HYBRID, [PARALLEL, PlanSource("tiny", [frozenset({"ar"})] * 5, cross_language=False)], 8,
         ["source tiny", "only 5 training examples", "fewer than the batch size 8"]),
    ],
)  # fmt: skip
def test_sources_that_cannot_serve_are_one_line_errors(
    strategy: Strategy, sources: list[PlanSource], batch_size: int, needles: list[str]
) -> None:
    with pytest.raises(UserError) as info:
        BatchPlanner(batch_size=batch_size, strategy=strategy, sources=sources)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


def test_smallest_pool_counts_conflict_free_examples() -> None:
    keyed = PlanSource(
        "k", [frozenset({"en", "de"})] * 12, conflict_keys=[frozenset({i // 3}) for i in range(12)]
    )
    assert smallest_pool([keyed], same_language=False, mono=True, cross=True) == 4
    assert smallest_pool([keyed, NATIVE], same_language=True, mono=True, cross=False) == 4
