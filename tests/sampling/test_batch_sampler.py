"""The sentence-transformers-facing sampler: row indices, epochs, DataLoader use, DDP slicing, real data."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from accelerate.data_loader import BatchSamplerShard
from torch.utils.data import DataLoader

from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError
from hybridir.sampling.batch_sampler import PlannedBatchSampler
from hybridir.sampling.planner import BatchKind, BatchPlanner, Item, Strategy
from tests.sampling.checks import check_batches

CORPUS = [frozenset({"en", "de", "es"} if i % 3 else {"en", "de"}) for i in range(60)]


def _row_index(example_languages: list[frozenset[str]]) -> dict[Item, int]:
    """One row per (example, question language, passage language), as the training table has."""
    items = [
        Item(i, q, p)
        for i, langs in enumerate(example_languages)
        for q in sorted(langs)
        for p in sorted(langs)
    ]
    return {item: row for row, item in enumerate(items)}


def _sampler(strategy: Strategy = Strategy.HYBRID, batch_size: int = 6) -> PlannedBatchSampler:
    planner = BatchPlanner(CORPUS, batch_size, strategy, seed=5)
    row_index = _row_index(CORPUS)
    return PlannedBatchSampler.factory(planner, row_index)(
        list(range(len(row_index))), batch_size, False, None, torch.Generator(), 0
    )


@pytest.mark.parametrize("strategy", list(Strategy))
def test_yields_the_rows_of_the_planned_batches(strategy: Strategy) -> None:
    sampler = _sampler(strategy)
    item_of = {row: item for item, row in sampler.row_index.items()}
    batches = list(sampler)
    assert len(batches) == len(sampler) == sampler.planner.num_batches == 60 // 6
    planned = sampler.planned_batches()
    assert [[item_of[row] for row in rows] for rows in batches] == [list(b.items) for b in planned]
    check_batches(planned, CORPUS, sampler.planner)


def test_set_epoch_reshuffles_and_replays() -> None:
    sampler = _sampler()
    first = list(sampler)
    sampler.set_epoch(1)
    assert sampler.planned_batches() == sampler.planned_batches(1)
    second = list(sampler)
    assert second != first
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert list(_sampler()) == first


def test_works_as_a_dataloader_batch_sampler() -> None:
    sampler = _sampler()
    rows = torch.arange(len(sampler.row_index))
    loader = DataLoader(rows, batch_sampler=sampler)
    loaded = [batch.tolist() for batch in loader]
    assert len(loader) == len(sampler)
    assert loaded == list(sampler)


def test_split_batches_gives_every_rank_a_slice_of_the_same_batch() -> None:
    """The DDP design: with accelerate's split_batches, all ranks share each step's kind and language."""
    sampler = _sampler(batch_size=8)
    item_of = {row: item for item, row in sampler.row_index.items()}
    shards = [
        BatchSamplerShard(sampler, num_processes=2, process_index=r, split_batches=True) for r in (0, 1)
    ]
    steps = list(zip(*shards, strict=True))
    assert len(steps) == len(sampler)
    for (left, right), batch in zip(steps, sampler.planned_batches(), strict=True):
        assert [item_of[row] for row in left + right] == list(batch.items)
        assert len(left) == len(right) == 4
        if batch.kind is BatchKind.X_X_MONO:
            assert {item_of[row][1] for row in left} == {item_of[row][1] for row in right}


def test_factory_checks_the_global_batch_size_against_the_processes() -> None:
    planner = BatchPlanner(CORPUS, 6, Strategy.HYBRID)
    row_index = _row_index(CORPUS)
    rows = list(range(len(row_index)))
    with pytest.raises(ValueError, match="divide evenly over 4 processes"):
        PlannedBatchSampler.factory(planner, row_index, world_size=4)
    build = PlannedBatchSampler.factory(planner, row_index, world_size=2)
    assert len(build(rows, 6, False, None, None, 0)) == planner.num_batches
    with pytest.raises(ValueError, match="split_batches=True"):
        build(rows, 3, False, None, None, 0)
    with pytest.raises(ValueError, match="global batch size 6"):
        PlannedBatchSampler.factory(planner, row_index)(rows, 5, False, None, None, 0)


def test_rejects_a_row_index_that_cannot_serve_the_plan() -> None:
    planner = BatchPlanner(CORPUS, 6, Strategy.X_Y)
    same_language_only = {
        (i, q, q): i * 3 + k for i, langs in enumerate(CORPUS) for k, q in enumerate(sorted(langs))
    }
    with pytest.raises(ValueError, match="no row for planned item"):
        PlannedBatchSampler.factory(planner, same_language_only)(list(range(180)), 6, False)
    with pytest.raises(ValueError, match="beyond the dataset"):
        PlannedBatchSampler.factory(planner, _row_index(CORPUS))(list(range(10)), 6, False)


def test_real_mlqa_r_structure_with_hybrid_batches_of_32(shared_data: Path) -> None:
    corpus = load_training_corpus("mlqa-r")
    example_languages = [ex.languages for ex in corpus.examples]
    planner = BatchPlanner(example_languages, 32, Strategy.HYBRID, alpha=0.5, seed=42)
    assert planner.language_counts["es"] == 500
    assert planner.num_batches == len(corpus) // 32
    epochs = [planner.plan_epoch(epoch) for epoch in range(3)]
    for batches in epochs:
        check_batches(batches, example_languages, planner)
    mono_languages = {b.items[0][1] for batches in epochs for b in batches if b.kind is BatchKind.X_X_MONO}
    assert len(mono_languages) >= 5
    row_index = _row_index(example_languages)
    sampler = PlannedBatchSampler.factory(planner, row_index)(list(range(len(row_index))), 32, False)
    assert all(len(rows) == 32 for rows in DataLoader(list(range(len(row_index))), batch_sampler=sampler))
    with pytest.raises(UserError, match=r"es \(500 examples\)"):
        BatchPlanner(example_languages, 501, Strategy.X_X_MONO)
