"""A stage in a process of its own: its result and its errors come back."""

from __future__ import annotations

import os

import pytest

from hybridir.core.process import in_fresh_process, process_rank, world_size
from hybridir.errors import UserError


def _pid_and_sum(a: int, b: int = 0) -> tuple[int, int]:
    return os.getpid(), a + b


def _refuse(message: str) -> None:
    raise UserError(message)


def test_a_fresh_process_returns_the_result() -> None:
    pid, total = in_fresh_process(_pid_and_sum, 2, b=3)
    assert total == 5
    assert pid != os.getpid()


def test_a_user_error_there_is_raised_here() -> None:
    with pytest.raises(UserError, match="bad input: fix it"):
        in_fresh_process(_refuse, "bad input: fix it")


def test_rank_and_world_size_come_from_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    assert (world_size(), process_rank()) == (4, 2)
