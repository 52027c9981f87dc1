"""Invariants a planned epoch must satisfy, shared by the planner and sampler tests."""

from __future__ import annotations

from collections import Counter

from hybridir.sampling.planner import BatchKind, BatchPlanner, PlannedBatch, Strategy


def draws(strategy: Strategy, alpha: float) -> tuple[bool, bool]:
    """(mono batches possible, x-y batches possible), from the strategy's definition."""
    mono = strategy is Strategy.X_X_MONO or (strategy is Strategy.HYBRID and alpha > 0)
    cross = strategy is Strategy.X_Y or (strategy is Strategy.HYBRID and alpha < 1)
    return mono, cross


def expected_error(
    example_languages: list[frozenset[str]], batch_size: int, strategy: Strategy, alpha: float
) -> bool:
    """Whether the data cannot fill the strategy's batches, computed independently of the planner."""
    mono, cross = draws(strategy, alpha)
    counts = Counter(lang for langs in example_languages for lang in langs)
    multi = sum(len(langs) >= 2 for langs in example_languages)
    too_small = len(example_languages) < batch_size
    mono_short = mono and any(n < batch_size for n in counts.values())
    cross_short = cross and (len(counts) < 2 or multi < batch_size)
    return too_small or mono_short or cross_short


def check_batches(
    batches: list[PlannedBatch], example_languages: list[frozenset[str]], planner: BatchPlanner
) -> None:
    """Every invariant a planned epoch must satisfy, whatever the strategy."""
    assert len(batches) == planner.num_batches
    for batch in batches:
        indices = [i for i, _, _ in batch.items]
        assert len(indices) == planner.batch_size
        assert len(set(indices)) == len(indices), "an example appears twice in one batch"
        for i, question, passage in batch.items:
            assert question in example_languages[i] and passage in example_languages[i]
        if batch.kind.same_language:
            assert all(q == p for _, q, p in batch.items)
            if batch.kind is BatchKind.X_X_MONO:
                assert len({q for _, q, _ in batch.items}) == 1, "a mono batch mixes languages"
        else:
            assert all(q != p for _, q, p in batch.items)
    kinds = {batch.kind for batch in batches}
    expected = {
        Strategy.X_X: {BatchKind.X_X},
        Strategy.X_X_MONO: {BatchKind.X_X_MONO},
        Strategy.X_Y: {BatchKind.X_Y},
        Strategy.HYBRID: {BatchKind.X_X_MONO, BatchKind.X_Y},
    }[planner.strategy]
    assert kinds <= expected
