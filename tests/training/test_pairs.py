"""The pair table: pairs each source kind allows, conflict keys, and the sibling rule through the
planner and two ranks' slices (accelerate's split_batches), for every strategy."""

from __future__ import annotations

import torch
from accelerate.data_loader import BatchSamplerShard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.data.training_sources import SourceKind, TrainingSource
from hybridir.errors import UserError
from hybridir.sampling.batch_sampler import PlannedBatchSampler
from hybridir.sampling.planner import BatchPlanner, Strategy
from hybridir.training.pairs import build_pair_table, plan_sources


def _example(i: int, languages: str, positive: str, paragraph: str = "") -> TrainingExample:
    texts = {lang: TrainingText(f"q{i}-{lang}", f"{positive}-{lang}") for lang in languages.split(",")}
    return TrainingExample(f"id{i}", f"g{i}", texts, (paragraph,) if paragraph else ())


def test_each_source_kind_gets_only_its_pairs() -> None:
    corpus = TrainingCorpus([_example(i, "en,de", f"p{i}") for i in range(4)])
    sources = [
        TrainingSource("qa", SourceKind.PARALLEL_QA, corpus),
        TrainingSource("bitext", SourceKind.BITEXT, corpus),
        TrainingSource("native", SourceKind.MONOLINGUAL_QA, TrainingCorpus([_example(9, "zh", "z")] * 1)),
    ]
    table = build_pair_table(sources, Strategy.HYBRID, hard_negatives=False, seed=0)
    pairs = {(i // 4 if i < 8 else 2, q, p) for i, q, p in table.row_index}
    assert pairs == {
        (0, "en", "en"), (0, "de", "de"), (0, "en", "de"), (0, "de", "en"),
        (1, "en", "de"), (1, "de", "en"),
        (2, "zh", "zh"),
    }  # fmt: skip
    assert len(table.conflict_keys) == 9


def test_identical_positives_and_negatives_become_shared_keys() -> None:
    examples = [_example(0, "en", "same"), _example(1, "en", "same"), _example(2, "en", "other", "par")]
    examples.append(TrainingExample("id3", "g", {"en": TrainingText("q", "x", ("other-en",))}, ("par",)))
    table = build_pair_table(TrainingCorpus(examples), Strategy.X_X, hard_negatives=True, seed=0)
    keys = table.conflict_keys
    assert keys[0] & keys[1]  # the same positive text under two ids
    assert keys[2] & keys[3]  # one's negative is the other's positive, and one paragraph
    negatives = table.dataset["negative"]
    assert all(n != p for n, p in zip(negatives, table.dataset["positive"], strict=True))


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    paragraphs=st.lists(st.integers(1, 4), min_size=8, max_size=24),
    duplicates=st.integers(0, 6),
    strategy=st.sampled_from(list(Strategy)),
    seed=st.integers(0, 1000),
)
def test_no_two_ranks_slices_hold_false_negatives(
    paragraphs: list[int], duplicates: int, strategy: Strategy, seed: int
) -> None:
    examples = []
    for p, size in enumerate(paragraphs):
        for _ in range(size):
            i = len(examples)
            positive = "dup" if i < duplicates else f"pos{i}"  # identical positive texts across ids
            examples.append(_example(i, "en,de,es", positive, f"par{p}"))
    table = build_pair_table(TrainingCorpus(examples), strategy, hard_negatives=True, seed=seed)
    try:
        planner = BatchPlanner(batch_size=4, strategy=strategy, seed=seed, sources=plan_sources(
            [TrainingSource("t", SourceKind.PARALLEL_QA, TrainingCorpus(examples))], table))  # fmt: skip
    except UserError:
        return
    sampler = PlannedBatchSampler.factory(planner, table.row_index, world_size=2)(
        list(range(len(table.dataset))), 4, False, None, torch.Generator(), 0
    )
    positives, negatives = table.dataset["positive"], table.dataset["negative"]
    anchors = table.dataset["anchor"]
    shards = [
        BatchSamplerShard(sampler, num_processes=2, process_index=r, split_batches=True) for r in (0, 1)
    ]
    for left, right in zip(*shards, strict=True):
        rows = left + right  # what the loss sees after gathering both ranks' embeddings
        ids = [anchors[row].split("-")[0] for row in rows]
        assert len(set(ids)) == len(ids)
        paragraph_of = [examples[int(i[1:])].paragraphs for i in ids]
        assert len({p for ps in paragraph_of for p in ps}) == len(rows), "siblings in one global batch"
        texts = [positives[row] for row in rows]
        assert len(set(texts)) == len(texts), "identical positives in one global batch"
        assert not {negatives[row] for row in rows} & set(texts), "a hard negative is a batch-mate's positive"
