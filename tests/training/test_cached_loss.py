"""The cached (GradCache-style) loss gives the uncached loss's value and gradients, chunk by chunk.

Both sides use sentence-transformers' own losses here (``length_sorted=False``); the
length-sorted variants are checked against them in ``test_losses.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hybridir.training.arguments import build_loss
from hybridir.training.config import TrainConfig
from hybridir.training.model_loading import load_model

TRIPLETS = [
    (
        f"query: question {i} about item {i * 7}?",
        f"passage: item {i * 7} is answer {i}.",
        f"passage: not {i}.",
    )
    for i in range(10)
]


def _loss_and_grads(encoder: Path, **changes) -> tuple[float, dict[str, torch.Tensor]]:
    config = TrainConfig(model=str(encoder), max_length=32, **changes)
    model, _ = load_model(config)
    model.train()
    loss_fn = build_loss(model, config, processes=1)
    features = [model.preprocess(list(column)) for column in zip(*TRIPLETS, strict=True)]
    loss = loss_fn(features, None)
    loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return loss.item(), grads


def test_cached_loss_matches_uncached_gradients(deterministic_encoder: Path) -> None:
    loss, grads = _loss_and_grads(deterministic_encoder, length_sorted=False)
    cached_loss, cached_grads = _loss_and_grads(
        deterministic_encoder, length_sorted=False, cached_loss=True, mini_batch_size=3
    )
    assert cached_loss == pytest.approx(loss, rel=1e-6)
    assert grads.keys() == cached_grads.keys()
    assert any(g.abs().max() > 0 for g in grads.values())
    for name, grad in grads.items():  # within 1e-5 of each tensor's largest gradient (float32 sums)
        tolerance = 1e-5 * grad.abs().max().item() + 1e-10
        torch.testing.assert_close(cached_grads[name], grad, rtol=0, atol=tolerance, msg=name)
