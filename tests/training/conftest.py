"""Training-test fixtures: one intra-op thread, and a dropout-free tiny encoder shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tests.training.tiny_models import build_deterministic_encoder


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from two threads, and two threads fighting other jobs for two
    shared cores made a training step several times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def deterministic_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT without dropout (see :func:`build_deterministic_encoder`)."""
    return build_deterministic_encoder(tmp_path_factory.mktemp("encoder"))
