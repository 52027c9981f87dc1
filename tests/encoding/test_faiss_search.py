"""FAISS search over shards: exact equals numpy, IVF/HNSW recall is sane, and the LAReQA evaluator gives
identical metrics through the in-memory dense path and the shards + FAISS path on real XQuAD-R."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hybridir.data.lareqa import load_lareqa
from hybridir.encoding.dense import DenseScorer
from hybridir.encoding.faiss_search import (
    FaissScorer,
    IndexOptions,
    build_index,
    default_nlist,
    large_pool_scorer_if_needed,
    make_large_pool_scorer,
    search,
)
from hybridir.encoding.shards import encode_to_shards
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.models.bm25 import BM25Scorer


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _clustered(rng: np.random.Generator, n: int, dim: int, centres: int = 50) -> np.ndarray:
    """Unit vectors around random centres: the structure IVF relies on (real embeddings have it)."""
    vectors = _unit(rng, centres, dim)[rng.integers(0, centres, n)] + 0.3 * _unit(rng, n, dim)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _shards(vectors: np.ndarray, folder: Path, shard_size: int = 1000) -> Any:
    texts = [str(i) for i in range(len(vectors))]
    return encode_to_shards(
        lambda chunk: vectors[[int(t) for t in chunk]],
        texts,
        folder,
        shard_size=shard_size,
        show_progress=False,
    )


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)]))


def test_exact_search_equals_numpy_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pool, queries = _unit(rng, 4500, 32), _unit(rng, 70, 32)
    index = build_index(_shards(pool, tmp_path / "pool"), show_progress=False)
    assert index.ntotal == 4500
    scores, ids = search(index, queries, k=50, block_size=16, show_progress=False)
    brute = queries @ pool.T
    expected = np.argsort(-brute, axis=1, kind="stable")[:, :50]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(brute, expected, axis=1), atol=1e-6)
    _, capped_ids = search(index, queries[:2], k=10**6, show_progress=False)
    assert capped_ids.shape == (2, 4500) and (capped_ids >= 0).all()


def test_ivf_and_hnsw_recall_against_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pool = _clustered(rng, 6000, 32)
    queries = _clustered(np.random.default_rng(2), 100, 32)
    embeddings = _shards(pool, tmp_path / "pool")
    _, exact = search(build_index(embeddings, show_progress=False), queries, 100, show_progress=False)
    ivf_index = build_index(embeddings, IndexOptions(kind="ivf", nprobe=8), show_progress=False)
    assert ivf_index.nlist == default_nlist(6000) == 310
    _, ivf = search(ivf_index, queries, 100, show_progress=False)
    ivf_index.nprobe = ivf_index.nlist  # every list visited: exact again
    _, ivf_all = search(ivf_index, queries, 100, show_progress=False)
    hnsw_index = build_index(embeddings, IndexOptions(kind="hnsw"), show_progress=False)
    _, hnsw = search(hnsw_index, queries, 100, show_progress=False)
    assert 0.5 < _recall(ivf, exact) < _recall(ivf_all, exact) == pytest.approx(1.0)
    assert _recall(hnsw, exact) > 0.9
    with pytest.raises(UserError, match="unknown index"):
        IndexOptions(kind="lsh")


def hashed_ngrams(texts: list[str], dim: int = 256) -> np.ndarray:
    """A cheap deterministic encoder: signed hashing of character 3-grams into ``dim`` buckets.

    Its vectors are small integers, so every dot product is exact in float32 whatever the
    summation order (numpy's matmul vs FAISS's own kernels): the paths must agree to the bit.
    """
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f" {text.lower()} "
        for i in range(len(padded) - 2):
            code = zlib.crc32(padded[i : i + 3].encode("utf-8"))
            out[row, code % dim] += 1.0 if code >> 31 else -1.0
    return out


class HashedNgramModel:
    """Stands in for a SentenceTransformer inside DenseScorer (same encode keywords)."""

    def __init__(self, normalise: bool) -> None:
        self.normalise = normalise
        self.max_seq_length = 128

    def encode(self, texts: list[str], prompt: str | None = None, **_: Any) -> np.ndarray:
        vectors = hashed_ngrams([(prompt or "") + text for text in texts])
        if self.normalise:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
        return vectors


def _dense(normalise: bool) -> DenseScorer:
    return DenseScorer(
        HashedNgramModel(normalise),
        name="hashed-ngrams",
        identity=f"hashed-ngrams-{normalise}",
        query_prompt="query: ",
        passage_prompt="passage: ",
        show_progress=False,
    )


@pytest.mark.parametrize("normalise", [False, True])
def test_lareqa_metrics_match_through_shards_and_faiss(
    shared_data: Path, tmp_path: Path, normalise: bool
) -> None:
    benchmark = load_lareqa("xquad-r", languages="en,de")
    queries = [q.text for q in benchmark.questions]
    candidates = benchmark.candidate_texts()

    in_memory = _dense(normalise)
    in_memory.prepare(queries, candidates)
    expected = evaluate_lareqa(benchmark, in_memory, show_progress=False).to_metrics_dict()

    large = make_large_pool_scorer(
        _dense(normalise), folder=tmp_path / "shards", shard_size=700, show_progress=False
    )
    assert isinstance(large, FaissScorer)
    large.prepare(queries, candidates, cache_key="xquad-r|en,de")
    assert large.embeddings is not None and len(large.embeddings.shard_sizes) > 1
    got = evaluate_lareqa(benchmark, large, show_progress=False).to_metrics_dict()
    if normalise:  # float vectors: FAISS's and numpy's sgemm round the last bit differently, which
        # flips near-ties among the many ~0 scores of unrelated texts (deep cross-lingual ranks)
        for setting in ("monolingual", "crosslingual", "multilingual"):
            assert got[setting]["map"] == pytest.approx(expected[setting]["map"], abs=1e-4)
    else:  # integer-valued scores: both paths compute the same numbers, so metrics are identical
        np.testing.assert_array_equal(large.score_block(0, 64), in_memory.score_block(0, 64))
        assert got == expected
    assert expected["monolingual"]["map"] > 0.15  # the toy encoder is weak but not random


def test_large_pool_switch_keeps_small_pools_and_lexical_scorers() -> None:
    dense = _dense(normalise=True)
    assert large_pool_scorer_if_needed(dense, ["x"] * 10) is dense
    assert isinstance(large_pool_scorer_if_needed(dense, ["x"] * 10, threshold=5), FaissScorer)
    bm25 = BM25Scorer(show_progress=False)
    assert large_pool_scorer_if_needed(bm25, ["x"] * 10, threshold=5) is bm25
    with pytest.raises(UserError, match="no vector encoder"):
        make_large_pool_scorer(bm25)
