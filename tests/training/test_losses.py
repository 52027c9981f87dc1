"""Length-sorted micro-batch encoding gives the plain loss and gradients, with less padding.

The tiny model runs in float64, so the 1e-5 bound tests the algorithm (order, trimming, unsorting),
not float32 summation order, which alone moves large summed gradients by about 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hybridir.training.arguments import build_loss
from hybridir.training.config import TrainConfig
from hybridir.training.losses import LengthSortedCachedMNRL, LengthSortedMNRL, sort_rows_by_length
from hybridir.training.model_loading import load_model

# Lengths vary a lot within each column, as in real batches, so sorting changes every chunk.
TRIPLETS = [
    (
        f"query: question {i} about item {i * 7}?" + " and more" * (i % 4),
        f"passage: item {i * 7} is answer {i}." + " filler words here" * ((i * 5) % 7),
        f"passage: not {i}." + " other" * ((i * 3) % 5),
    )
    for i in range(11)
]


def _loss_grads_tokens(encoder: Path, **changes) -> tuple[float, dict[str, torch.Tensor], int, object]:
    config = TrainConfig(model=str(encoder), max_length=64, bf16=False, **changes)
    model, _ = load_model(config)
    model.double()  # float64: rounding-order differences vanish, any algorithmic difference would not
    model.train()
    loss_fn = build_loss(model, config, processes=1)
    tokens = []
    hook = (
        model[0]
        .auto_model.get_input_embeddings()
        .register_forward_pre_hook(lambda _module, args: tokens.append(args[0].numel()))
    )
    features = [model.preprocess(list(column)) for column in zip(*TRIPLETS, strict=True)]
    loss = loss_fn(features, None)
    loss.backward()
    hook.remove()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return loss.item(), grads, sum(tokens), loss_fn


@pytest.mark.parametrize(
    "changes",
    [
        {"micro_batch_size": 3},
        {"micro_batch_size": 64},  # one chunk: sorting and unsorting alone
        {"cached_loss": True, "mini_batch_size": 3},
        {"hard_negatives": False, "micro_batch_size": 2},
    ],
    ids=["micro-3", "one-chunk", "cached-3", "pairs-micro-2"],
)
def test_length_sorted_loss_equals_the_plain_loss(deterministic_encoder: Path, changes: dict) -> None:
    plain_changes = {"hard_negatives": changes.get("hard_negatives", True)}
    loss, grads, plain_tokens, plain_fn = _loss_grads_tokens(
        deterministic_encoder, length_sorted=False, **plain_changes
    )
    sorted_loss, sorted_grads, sorted_tokens, sorted_fn = _loss_grads_tokens(deterministic_encoder, **changes)
    assert isinstance(sorted_fn, LengthSortedCachedMNRL if changes.get("cached_loss") else LengthSortedMNRL)
    assert not isinstance(plain_fn, (LengthSortedMNRL, LengthSortedCachedMNRL))
    assert abs(sorted_loss - loss) <= 1e-5
    assert grads.keys() == sorted_grads.keys()
    assert any(g.abs().max() > 0 for g in grads.values())
    for name, grad in grads.items():
        assert (sorted_grads[name] - grad).abs().max().item() <= 1e-5, name
    if changes.get("micro_batch_size", 3) < len(TRIPLETS):
        assert sorted_tokens < plain_tokens * (2 if changes.get("cached_loss") else 1)


def test_sorting_keeps_metadata_and_inverts() -> None:
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    features = {"input_ids": torch.arange(12).reshape(3, 4), "attention_mask": mask, "prompt_length": 2}
    permuted, inverse = sort_rows_by_length(features)
    assert permuted["attention_mask"].sum(1).tolist() == [4, 2, 1]
    assert permuted["prompt_length"] == 2
    assert torch.equal(permuted["input_ids"][inverse], features["input_ids"])
