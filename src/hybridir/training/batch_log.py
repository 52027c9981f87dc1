"""Batch logs: which pairs each optimizer step trained on, for the whole batch and per process.

``batches.jsonl`` (written by rank 0 after training) replays the planner, which is deterministic
in (seed, epoch), so it is exactly the sequence of global batches the sampler fed. In a
distributed run each rank also writes ``batches.rank{r}.jsonl`` while its sampler yields: rank
r's contiguous slice of every global batch, the part accelerate hands it under
``split_batches=True``. Comparing the rank files step by step shows that all ranks trained on
one batch of one kind, one source (and, for x-x-mono, one language) at every step.

Each record names the batch ``kind`` (``x-x``, ``x-x-mono`` or ``x-y``), its ``source`` and its
items as (question language, passage language, example id within the source).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hybridir.core.files import atomic_write
from hybridir.sampling.batch_sampler import PlannedBatchSampler
from hybridir.sampling.planner import BatchKind, BatchPlanner, Item, PlannedBatch


def optimizer_step(epoch: int, position: int, num_batches: int, accumulation: int) -> int:
    """The 1-based optimizer step that trains micro-batch ``position`` of ``epoch``."""
    steps_per_epoch = -(-num_batches // accumulation)
    return epoch * steps_per_epoch + position // accumulation + 1


def _items(items: tuple[Item, ...], example_ids: Sequence[str]) -> list[list[str]]:
    """(question language, passage language, example id) of each planned item."""
    return [[item.question_language, item.passage_language, example_ids[item.example]] for item in items]


def batch_records(
    planner: BatchPlanner, example_ids: Sequence[str], steps: int, accumulation: int
) -> Iterator[dict[str, Any]]:
    """Yield one record per micro-batch of the first ``steps`` optimizer steps, in order."""
    epoch = 0
    while True:
        for position, batch in enumerate(planner.plan_epoch(epoch)):
            step = optimizer_step(epoch, position, planner.num_batches, accumulation)
            if step > steps:
                return
            yield {
                "step": step,
                "epoch": epoch,
                "kind": batch.kind.value,
                "source": planner.sources[batch.source].name,
                "items": _items(batch.items, example_ids),
            }
        epoch += 1


def sampling_summary(records: list[dict]) -> dict[str, Any]:
    """Realised batch-kind and source mix, and question/passage language histograms of ``records``.

    ``mono_fraction`` is the share of same-language batches (x-x and x-x-mono), ``cross_fraction``
    that of x-y batches; ``kind_mix`` and ``source_mix`` give each kind's and source's share.
    """
    kinds = Counter(record["kind"] for record in records)
    sources = Counter(record["source"] for record in records)
    questions = Counter(q for record in records for q, _, _ in record["items"])
    passages = Counter(p for record in records for _, p, _ in record["items"])
    total = max(1, sum(kinds.values()))
    cross = kinds.get(BatchKind.X_Y.value, 0)
    return {
        "batches": sum(kinds.values()),
        "mono_fraction": (sum(kinds.values()) - cross) / total,
        "cross_fraction": cross / total,
        "kind_mix": {kind: n / total for kind, n in sorted(kinds.items())},
        "source_mix": {source: n / total for source, n in sorted(sources.items())},
        "question_languages": dict(sorted(questions.items())),
        "passage_languages": dict(sorted(passages.items())),
    }


class RankSliceLog:
    """Appends this rank's slice of each global batch to ``batches.rank{rank}.jsonl``.

    Records are keyed by (epoch, position in the epoch); :meth:`finalize` drops what a resumed
    run replayed and what the DataLoader fetched ahead past the last step.
    """

    def __init__(
        self,
        out: Path,
        rank: int,
        world_size: int,
        example_ids: Sequence[str],
        source_names: Sequence[str],
        accumulation: int,
    ) -> None:
        self.path = out / f"batches.rank{rank}.jsonl"
        self.rank = rank
        self.world_size = world_size
        self.example_ids = example_ids
        self.source_names = source_names
        self.accumulation = accumulation

    def write(self, epoch: int, position: int, num_batches: int, batch: PlannedBatch) -> None:
        share = len(batch.items) // self.world_size
        start, end = self.rank * share, (self.rank + 1) * share
        record = {
            "step": optimizer_step(epoch, position, num_batches, self.accumulation),
            "epoch": epoch,
            "position": position,
            "rank": self.rank,
            "world_size": self.world_size,
            "kind": batch.kind.value,
            "source": self.source_names[batch.source],
            "global_size": len(batch.items),
            "slice": [start, end],
            "items": _items(batch.items[start:end], self.example_ids),
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def finalize(self, steps: int) -> None:
        """Keep one record per micro-batch of steps 1..``steps``, in training order."""
        if not self.path.exists():
            return
        records: dict[tuple[int, int], str] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["step"] <= steps:
                records[(record["epoch"], record["position"])] = line
        atomic_write(self.path, "".join(records[key] + "\n" for key in sorted(records)))


class SliceLoggingBatchSampler(PlannedBatchSampler):
    """A :class:`PlannedBatchSampler` that also logs this rank's slice of every batch it yields."""

    slice_log: RankSliceLog | None = None

    def __iter__(self) -> Iterator[list[int]]:
        for position, batch in enumerate(self.planned_batches(self.epoch)):
            if self.slice_log is not None:
                self.slice_log.write(self.epoch, position, len(self), batch)
            yield [self.row_index[item] for item in batch.items]
