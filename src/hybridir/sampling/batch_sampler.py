"""The sentence-transformers batch sampler that feeds a :class:`BatchPlanner`'s batches to the Trainer.

Named after what it yields, the planned batches of any strategy (x-x, x-x-mono, x-y or hybrid).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from sentence_transformers.base.sampler import DefaultBatchSampler

from hybridir.core.process import world_size as current_world_size
from hybridir.sampling.planner import BatchPlanner, Item, PlannedBatch


class PlannedBatchSampler(DefaultBatchSampler):
    """Yields, per epoch, the dataset rows of the planner's global batches, in plan order.

    ``row_index`` maps a planned item ``(example index, question language, passage language)``
    to the row of the training dataset holding that pair. ``__len__`` is exact (the planner's
    ``num_batches``); ``set_epoch`` (from :class:`SetEpochMixin`, called by the Trainer) selects
    the epoch, and each epoch is a fresh plan from ``np.random.default_rng([seed, epoch])`` with
    the planner's seed, so the Trainer's ``generator`` and ``seed`` are not used. Every batch is
    full, so ``drop_last`` changes nothing.

    Distributed training (DDP): the planner plans GLOBAL batches from (seed, epoch), which every
    rank shares, so a batch's kind (x-x-mono or x-y) and, for mono, its language are decided once
    per global batch. The Trainer runs accelerate with ``split_batches=True``: every rank's
    DataLoader yields the same global batch (``batch_size`` here is the global batch size) and
    accelerate hands each rank a contiguous slice of it, so all ranks see the same kind and
    language at every step. (Sentence-transformers' default, ``split_batches=False``, instead
    gives each rank a different whole batch, so ranks would mix kinds and languages within one
    step.) The global batch size must therefore divide evenly by the number of processes.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
        *,
        planner: BatchPlanner,
        row_index: Mapping[Item, int],
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        if batch_size != planner.batch_size:
            raise ValueError(
                f"the DataLoader batch size {batch_size} differs from the planner's global batch size "
                f"{planner.batch_size}: with split_batches=True the Trainer's batch size is the global one"
            )
        self.planner = planner
        self.row_index = row_index
        self._plan: tuple[int, list[PlannedBatch]] | None = None
        self._check_rows(len(dataset))

    @classmethod
    def factory(
        cls, planner: BatchPlanner, row_index: Mapping[Item, int], world_size: int | None = None
    ) -> Callable[..., PlannedBatchSampler]:
        """A callable with the Trainer's batch-sampler signature that builds this sampler.

        The Trainer passes its DataLoader batch size: with ``split_batches=True`` that is the
        global batch, which must equal the planner's and divide by ``world_size`` (default: the
        size of the initialised process group, else the launcher's ``WORLD_SIZE``, else 1).
        """
        processes = current_world_size() if world_size is None else world_size
        if planner.batch_size % processes:
            raise ValueError(
                f"the global batch size {planner.batch_size} must divide evenly over {processes} processes"
            )

        def build(
            dataset: Any,
            batch_size: int,
            drop_last: bool,
            valid_label_columns: list[str] | None = None,
            generator: torch.Generator | None = None,
            seed: int = 0,
        ) -> PlannedBatchSampler:
            if processes > 1 and batch_size * processes == planner.batch_size:
                raise ValueError(
                    f"got the per-device batch size {batch_size}: run accelerate with split_batches=True "
                    f"and per_device_train_batch_size = the global batch size {planner.batch_size}"
                )
            return cls(
                dataset,
                batch_size,
                drop_last,
                valid_label_columns,
                generator,
                seed,
                planner=planner,
                row_index=row_index,
            )

        return build

    def planned_batches(self, epoch: int | None = None) -> list[PlannedBatch]:
        """The planned batches of ``epoch`` (default: the current one), e.g. to log kinds and languages."""
        epoch = self.epoch if epoch is None else epoch
        if self._plan is None or self._plan[0] != epoch:
            self._plan = (epoch, self.planner.plan_epoch(epoch))
        return self._plan[1]

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.planned_batches(self.epoch):
            yield [self.row_index[item] for item in batch.items]

    def __len__(self) -> int:
        return self.planner.num_batches

    def _check_rows(self, num_rows: int) -> None:
        """Fail early when ``row_index`` cannot serve the plan (checked on epoch 0's batches)."""
        for batch in self.planned_batches(0):
            for item in batch.items:
                row = self.row_index.get(item)
                if row is None:
                    raise ValueError(f"row_index has no row for planned item {item}: build it for this plan")
                if not 0 <= row < num_rows:
                    raise ValueError(f"row_index maps {item} to row {row}, beyond the dataset's {num_rows}")
