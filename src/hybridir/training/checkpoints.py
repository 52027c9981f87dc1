"""Which Trainer checkpoint a run can resume from: the last *complete* one.

The Trainer writes ``checkpoints/checkpoint-<step>/`` in place, ``trainer_state.json`` last
(after the weights, the optimizer, the scheduler and the RNG states). A process killed outright
while saving (SIGKILL from the OOM killer, a power cut) leaves a folder without it, or with a
truncated one. Such a folder is reported in one line and removed, and the run resumes from the
checkpoint before it; the Trainer deletes older checkpoints only after a new one is complete, so
that one is still there.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

_CHECKPOINT = re.compile(rf"^{PREFIX_CHECKPOINT_DIR}-(\d+)$")
_STATE_FILE = "trainer_state.json"


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint folder and the optimizer step it was saved at."""

    path: Path
    step: int


def _saved_step(folder: Path) -> int | None:
    """The step recorded in ``folder``'s trainer state, or None when it is missing or unreadable."""
    try:
        state = json.loads((folder / _STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    step = state.get("global_step") if isinstance(state, dict) else None
    return step if isinstance(step, int) else None


def has_checkpoints(folder: Path) -> bool:
    """Whether ``folder`` (a run's ``checkpoints/``) holds any checkpoint folder, complete or not."""
    return folder.is_dir() and any(_CHECKPOINT.match(path.name) for path in folder.iterdir())


def resumable(run: Path) -> bool:
    """Whether the run folder ``run`` holds a complete checkpoint to continue from: the one test
    behind "resume if checkpoints exist" (the quickstart, the experiment runner)."""
    return last_complete_checkpoint(run / "checkpoints") is not None


def last_complete_checkpoint(folder: Path) -> Checkpoint | None:
    """The newest complete checkpoint in ``folder``; incomplete newer ones are noted and removed."""
    if not folder.is_dir():
        return None
    found = sorted(
        ((int(match.group(1)), path) for path in folder.iterdir() if (match := _CHECKPOINT.match(path.name))),
        reverse=True,
    )
    for step, path in found:
        if path.is_dir() and _saved_step(path) == step:
            return Checkpoint(path, step)
        print(
            f"hybridir: note: {path.name} is incomplete (no readable {_STATE_FILE}: the run was killed "
            "while saving it); removed, resuming from the checkpoint before it",
            file=sys.stderr,
        )
        shutil.rmtree(path, ignore_errors=True)  # other ranks may be removing it too
    return None
