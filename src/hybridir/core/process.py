"""This process's place in a distributed run (``torchrun`` / ``accelerate launch``).

The process group, once initialised, is the authority; before that (when a driver checks its
settings) the launcher's environment is.
"""

from __future__ import annotations

import os


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
