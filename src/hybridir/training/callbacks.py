"""Trainer callbacks: a JSONL step log, a clean stop on Ctrl-C / SIGTERM, the sampler's epoch."""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path
from types import FrameType

import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from hybridir.core.files import atomic_write
from hybridir.sampling.batch_sampler import PlannedBatchSampler


class JsonlLogCallback(TrainerCallback):
    """Append every logged dict (loss, learning rate, eval loss) to ``train_log.jsonl``.

    On resume, lines past the resumed step are dropped first, so the log of a resumed run
    reads like the log of an uninterrupted one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if state.is_world_process_zero and self.path.exists():
            kept = [
                line
                for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= state.global_step
            ]
            atomic_write(self.path, "".join(line + "\n" for line in kept))

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        if not state.is_world_process_zero or not logs:
            return
        record = {"step": state.global_step, "epoch": state.epoch, **logs}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class GracefulStopCallback(TrainerCallback):
    """Turn SIGINT/SIGTERM into "save a checkpoint at the end of this step, then stop".

    A killed run then loses at most the step in flight, and ``--resume`` continues it. In a
    distributed run the request is shared at every step end (one all-reduce of a flag), so all
    ranks stop after the same step even when the signal reaches them at different times.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def _request(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not in the main thread: keep default handling
                self._previous[signum] = signal.signal(signum, self._request)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            flag = torch.tensor([int(self.requested)], device=args.device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            self.requested = bool(flag.item())
        if self.requested:
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


class SamplerEpochCallback(TrainerCallback):
    """Set the training sampler's epoch at every epoch start, from the global step.

    The Trainer calls ``set_epoch`` itself, but not through the wrappers accelerate puts around
    the sampler when a distributed run resumes mid-epoch, which would replay epoch 0's plan; the
    epoch is ``global_step // steps_per_epoch`` (the Trainer's own arithmetic). The trainer hands
    over ``sampler`` when it builds the training DataLoader.
    """

    def __init__(self, accumulation: int) -> None:
        self.accumulation = accumulation
        self.sampler: PlannedBatchSampler | None = None

    def on_epoch_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if self.sampler is not None:
            steps_per_epoch = -(-len(self.sampler) // self.accumulation)
            self.sampler.set_epoch(state.global_step // steps_per_epoch)
