"""The Trainer that feeds planned batches (x-x, x-x-mono, x-y, hybrid) to sentence-transformers.

:class:`HybridBatchTrainer` swaps the Trainer's batch sampler for one that yields each split's
planned global batches in plan order (see :mod:`hybridir.sampling`); everything else (loss,
optimizer, checkpoints, distributed set-up) is sentence-transformers' and transformers' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sentence_transformers import SentenceTransformerTrainer

from hybridir.sampling.planner import BatchPlanner
from hybridir.training.batch_log import RankSliceLog, SliceLoggingBatchSampler
from hybridir.training.callbacks import SamplerEpochCallback
from hybridir.training.pairs import PairTable


@dataclass
class SamplingPlan:
    """A planner and the table its items index, for one split."""

    planner: BatchPlanner
    table: PairTable


class HybridBatchTrainer(SentenceTransformerTrainer):
    """The sentence-transformers Trainer drawing its train and eval batches from our batch planner.

    ``slice_log`` (distributed runs with ``--log-batches``) records each rank's training slices;
    ``epoch_callback`` receives the training sampler to keep its epoch right on resume.
    """

    def __init__(
        self,
        *args: Any,
        plans: dict[str, SamplingPlan],
        epoch_callback: SamplerEpochCallback | None = None,
        slice_log: RankSliceLog | None = None,
        **kwargs: Any,
    ) -> None:
        self.plans = plans
        self.epoch_callback = epoch_callback
        self.slice_log = slice_log
        super().__init__(*args, **kwargs)

    def get_batch_sampler(
        self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0
    ):
        split = "train" if dataset is self.train_dataset else "eval"
        plan = self.plans[split]
        factory = SliceLoggingBatchSampler.factory(plan.planner, plan.table.row_index)
        sampler = factory(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        if split == "train":
            sampler.slice_log = self.slice_log
            if self.epoch_callback is not None:
                self.epoch_callback.sampler = sampler
        return sampler
