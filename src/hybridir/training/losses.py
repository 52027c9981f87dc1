"""InfoNCE losses that encode each batch in length-sorted micro-batches: no padding waste, same loss.

The sentence-transformers collator pads every column of a batch to its longest text. In MLQA-R
batches of 32 (question, positive, hard negative) that makes about 2.4 padded tokens per real
one. Here the rows of a batch are sorted by token count, cut into micro-batches, and each
micro-batch is trimmed to its own longest row before the forward pass (sentence-transformers'
``_create_minibatch`` does the trimming); the embeddings are put back in the original order and
the loss is computed over the whole batch, with one backward. The loss and its gradients equal
the plain computation (tested to 1e-5 on a tiny model with dropout off; with dropout on, the
dropout masks differ, not the expectation).

Written here because sentence-transformers chunks batches (``mini_batch_size``,
``mini_batch_num_tokens``) but never reorders them by length, so its chunks stay as padded as the
column. Sorting needs right padding (the trailing pad columns are what a chunk drops); the
encoders and the decoder embedders this project loads pad on the right.

- :class:`LengthSortedMNRL`: every column (anchor, positive, negative) of the batch goes into one
  pool of rows when their features combine (``merge_feature_batches``), else each column is sorted
  alone; micro-batches of ``micro_batch_size`` rows.
- :class:`LengthSortedCachedMNRL`: the GradCache loss with each column sorted before it is cut into
  its ``mini_batch_size`` chunks, and the cached embeddings unsorted before the loss.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from sentence_transformers.base.losses.gradcache import (
    _create_minibatch,
    _get_batch_size,
    _minibatch_ranges,
)
from sentence_transformers.base.losses.merged_forward import merge_feature_batches
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from torch import Tensor, nn


def sort_rows_by_length(features: dict[str, Any]) -> tuple[dict[str, Any], Tensor]:
    """``features`` with its rows in descending token count, and the inverse permutation.

    Every tensor indexed by row is permuted; batch metadata (e.g. ``prompt_length`` as an int)
    is kept. ``sorted_rows[inverse]`` gives back the original order.
    """
    rows = _get_batch_size(features)
    lengths = features["attention_mask"].sum(dim=1)
    order = torch.argsort(lengths, descending=True, stable=True)
    permuted = {
        key: value[order] if isinstance(value, Tensor) and value.shape[:1] == (rows,) else value
        for key, value in features.items()
    }
    return permuted, torch.argsort(order)


def embed_length_sorted(model: nn.Module, features: dict[str, Any], micro_batch_size: int) -> Tensor:
    """Sentence embeddings of every row of ``features``, encoded in trimmed, length-sorted chunks."""
    sorted_features, inverse = sort_rows_by_length(features)
    chunks = [
        model(_create_minibatch(sorted_features, begin, end))["sentence_embedding"]
        for begin, end in _minibatch_ranges(sorted_features, micro_batch_size)
    ]
    return torch.cat(chunks)[inverse]


def embed_columns_length_sorted(
    model: nn.Module, columns: list[dict[str, Any]], micro_batch_size: int
) -> list[Tensor]:
    """One embedding tensor per column, all columns sorted together when their features combine."""
    merged = merge_feature_batches(columns) if len(columns) > 1 else None
    if merged is None:
        return [embed_length_sorted(model, column, micro_batch_size) for column in columns]
    embeddings = embed_length_sorted(model, merged, micro_batch_size)
    return list(embeddings.reshape(len(columns), -1, *embeddings.shape[1:]).unbind(0))


class LengthSortedMNRL(MultipleNegativesRankingLoss):
    """MultipleNegativesRankingLoss whose forward encodes in length-sorted micro-batches."""

    def __init__(self, model: nn.Module, *, micro_batch_size: int, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.micro_batch_size = micro_batch_size

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor) -> Tensor:
        embeddings = embed_columns_length_sorted(self.model, list(sentence_features), self.micro_batch_size)
        return self.compute_loss_from_embeddings(embeddings, labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "micro_batch_size": self.micro_batch_size}


class LengthSortedCachedMNRL(CachedMultipleNegativesRankingLoss):
    """CachedMultipleNegativesRankingLoss whose mini-batches are cut from length-sorted columns.

    :meth:`forward` hands the GradCache machinery each column in sorted order (its cached
    embeddings, replayed forwards and backward hook all see that order), and keeps the inverse
    permutations for :meth:`calculate_loss`, which restores the original order before scoring.
    """

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor) -> Tensor:
        columns = [sort_rows_by_length(features) for features in sentence_features]
        self._inverses = [inverse for _, inverse in columns]
        return super().forward([features for features, _ in columns], labels)

    def calculate_loss(
        self, reps: list[list[Tensor]], labels: Tensor | None = None, *, with_backward: bool = False
    ) -> Tensor:
        columns = [torch.cat(column)[inverse] for column, inverse in zip(reps, self._inverses, strict=True)]
        if not with_backward:
            return super().calculate_loss([[column] for column in columns], labels)
        # The parent back-propagates chunk by chunk, and a shared index op would be freed after the
        # first chunk: score detached copies, then route their gradients through the unsort once.
        leaves = [column.detach().requires_grad_() for column in columns]
        loss = super().calculate_loss([[leaf] for leaf in leaves], labels, with_backward=True)
        torch.autograd.backward(columns, [leaf.grad for leaf in leaves])
        return loss
