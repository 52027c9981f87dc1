"""Dense scoring with the embedding cache: a hit gives identical arrays, a retrained model misses."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np

from hybridir.encoding.cache import EmbeddingCache
from hybridir.encoding.dense import DenseScorer, token_length_order
from hybridir.models.registry import load_scorer

QUERIES = ["Who wrote Hamlet?", "谁写了哈姆雷特？"]
CANDIDATES = ["Hamlet was written by William Shakespeare.", "莎士比亚写了《哈姆雷特》。", "The sky is blue."]


def test_second_prepare_is_a_cache_hit() -> None:
    scorer = load_scorer("multilingual-e5-small", show_progress=False)
    assert isinstance(scorer, DenseScorer)
    assert (scorer.query_prompt, scorer.passage_prompt) == ("query: ", "passage: ")
    key = f"toy-{uuid.uuid4().hex}"  # unique per run: the embedding cache outlives test sessions
    scorer.prepare(QUERIES, CANDIDATES, cache_key=key)
    first, hit_first = scorer.score_block(0, 2), scorer.cache_hit
    scorer.prepare(QUERIES, CANDIDATES, cache_key=key)
    assert not hit_first and scorer.cache_hit and scorer.timing["encode_s"] >= 0
    np.testing.assert_array_equal(scorer.score_block(0, 2), first)
    assert first.dtype == np.float32 and first.shape == (2, 3)
    assert first[0].argmax() == 0 and first[1].argmax() == 1


def _entry(weights: Path, key: str = "k") -> EmbeddingCache:
    return EmbeddingCache(
        model_identity=str(weights),
        weights=weights,
        prompts=("query: ", "passage: "),
        max_length=512,
        cache_key=key,
        queries=QUERIES,
        candidates=CANDIDATES,
    )


def test_cache_entry_changes_with_weights_and_texts(tmp_path: Path) -> None:
    weights = tmp_path / "model"
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"v1")
    entry = _entry(weights)
    entry.save(np.ones((2, 4), np.float32), np.zeros((3, 4), np.float32))
    loaded = _entry(weights).load()
    assert loaded is not None and loaded[0].shape == (2, 4)
    assert _entry(weights, key="other").directory != entry.directory
    (weights / "model.safetensors").write_bytes(b"v2, retrained")
    os.utime(weights / "model.safetensors", ns=(1, 1))
    assert _entry(weights).directory != entry.directory and _entry(weights).load() is None


def test_batches_follow_token_count_and_vectors_keep_the_input_order() -> None:
    scorer = load_scorer("multilingual-e5-small", show_progress=False, precision="fp32")
    assert isinstance(scorer, DenseScorer)
    model = scorer.model
    # characters and tokens disagree: the Chinese sentence is shorter in characters, longer in tokens
    texts = [
        "The sky is blue today.",
        "莎士比亚写了《哈姆雷特》。",
        "Hi",
        "Hamlet was written by William Shakespeare.",
    ]
    tokens = [len(ids) for ids in model.tokenizer(texts)["input_ids"]]
    assert len(texts[1]) < len(texts[0]) and tokens[1] > tokens[0]
    order = token_length_order(model, texts)
    assert [tokens[i] for i in order] == sorted(tokens, reverse=True)
    scorer.batch_size = 2  # batches of two: the order decides which texts share a batch
    vectors = scorer.encode(texts, "passage: ")
    one_by_one = np.stack([model.encode("passage: " + text, normalize_embeddings=True) for text in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)
    assert scorer.encode([], "passage: ").shape == (0, vectors.shape[1])
