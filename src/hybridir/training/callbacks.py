"""Trainer callbacks: a JSONL step log, and a clean stop with a checkpoint on Ctrl-C / SIGTERM."""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path
from types import FrameType

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class JsonlLogCallback(TrainerCallback):
    """Append every logged dict (loss, learning rate, eval loss) to ``train_log.jsonl``.

    On resume, lines past the resumed step are dropped first, so the log of a resumed run
    reads like the log of an uninterrupted one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if self.path.exists():
            kept = [
                line
                for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= state.global_step
            ]
            self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

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

    A killed run then loses at most the step in flight, and ``--resume`` continues it.
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
        if self.requested:
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
