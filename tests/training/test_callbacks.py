"""The sampler-epoch callback: the training sampler's epoch follows the global step."""

from __future__ import annotations

import pytest
from transformers import TrainerState, TrainingArguments

from hybridir.training.callbacks import SamplerEpochCallback


class _Sampler:
    """Stands in for the training sampler: a length and an epoch."""

    epoch = 0

    def __len__(self) -> int:
        return 7

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@pytest.mark.parametrize(
    ("global_step", "accumulation", "epoch"), [(0, 1, 0), (6, 1, 0), (7, 1, 1), (9, 2, 2)]
)
def test_sampler_epoch_follows_the_global_step(global_step: int, accumulation: int, epoch: int) -> None:
    """A distributed run resumed mid-epoch gets the epoch's plan, not epoch 0's (accelerate's
    wrappers keep the Trainer's own ``set_epoch`` from the sampler then; checked by hand with
    two processes resuming at step 5 of 6 with 3 steps per epoch: weights identical)."""
    callback = SamplerEpochCallback(accumulation)
    callback.sampler = _Sampler()
    callback.on_epoch_begin(
        TrainingArguments(output_dir="unused"), TrainerState(global_step=global_step), None
    )
    assert callback.sampler.epoch == epoch
