"""This process's place in a distributed run (``torchrun`` / ``accelerate launch``), and running
a pipeline stage in a process of its own.

The process group, once initialised, is the authority; before that (when a driver checks its
settings) the launcher's environment is.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

Result = TypeVar("Result")


def _group_initialised() -> bool:
    import torch.distributed

    return torch.distributed.is_available() and torch.distributed.is_initialized()


def world_size() -> int:
    """Number of training processes (1 when not launched as several)."""
    if _group_initialised():
        import torch.distributed

        return torch.distributed.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def process_rank() -> int:
    """This process's global rank (0 when not launched as several)."""
    if _group_initialised():
        import torch.distributed

        return torch.distributed.get_rank()
    return int(os.environ.get("RANK", "0"))


def in_fresh_process(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run ``function(*args, **kwargs)`` in a new, spawned Python process; return its result.

    A stage that follows a training in the same process (the quickstart's evaluations) inherits
    its memory (several GB); in a process of its own it starts clean and gives the memory back
    when it ends, as Tevatron's stage drivers do. An exception raised there (a
    :class:`~hybridir.errors.UserError` included) is raised here; output goes to the same
    terminal. ``function`` and its arguments must be picklable (module-level, plain data).
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()
