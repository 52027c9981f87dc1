"""FAISS search over sharded embeddings, for pools whose full score matrix does not fit in memory.

``flat`` (``IndexFlatIP``) is exact inner-product search and the default: on normalised vectors
it ranks exactly as cosine. ``ivf`` (``IndexIVFFlat``, ``nlist`` about ``4 * sqrt(n)`` lists,
spherical k-means on a sample, ``nprobe`` lists searched) and ``hnsw`` (``IndexHNSWFlat``,
``M`` links, ``efSearch`` beam) trade recall for speed; ``benchmarks/faiss_pool.py`` measures
how much. :class:`FaissScorer` puts the same machinery behind the
:class:`~hybridir.encoding.base.Scorer` protocol so the LAReQA evaluator can use it unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm.auto import tqdm

from hybridir.core.paths import cache_dir
from hybridir.core.settings import Choice
from hybridir.encoding.base import Scorer
from hybridir.encoding.cache import files_fingerprint
from hybridir.encoding.shards import EncodeFn, ShardedEmbeddings, encode_to_shards
from hybridir.errors import UserError


class IndexKind(Choice):
    """The FAISS index kinds: flat (exact), ivf and hnsw (approximate)."""

    FLAT = "flat"
    IVF = "ivf"
    HNSW = "hnsw"


INDEX_KINDS = tuple(kind.value for kind in IndexKind)
LARGE_POOL_CANDIDATES = 200_000  # above this, dense LAReQA-style scoring goes through shards + FAISS


@dataclass(frozen=True)
class IndexOptions:
    """How to index: ``kind`` is flat (exact), ivf or hnsw; the rest tune the approximate kinds."""

    kind: str = "flat"
    nlist: int | None = None  # ivf lists; default round(4 * sqrt(n))
    nprobe: int = 16  # ivf lists visited per query
    train_size: int | None = None  # ivf training sample; default 39 * nlist (FAISS's minimum)
    hnsw_m: int = 32  # hnsw links per node
    ef_search: int = 128  # hnsw search beam
    ef_construction: int = 80  # hnsw build beam
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise UserError(f"unknown index {self.kind!r}: choose one of {', '.join(INDEX_KINDS)}")


def default_nlist(count: int) -> int:
    """IVF list count: about ``4 * sqrt(count)``, at least 1 and at most ``count``."""
    return max(1, min(count, round(4 * math.sqrt(count))))


def _train_ivf(index: faiss.IndexIVFFlat, embeddings: ShardedEmbeddings, options: IndexOptions) -> None:
    """Train the IVF coarse quantizer (spherical k-means) on a uniform sample of the pool."""
    size = min(embeddings.count, options.train_size or 39 * index.nlist)
    rng = np.random.default_rng(options.seed)
    rows = np.sort(rng.choice(embeddings.count, size=size, replace=False))
    index.cp.spherical = True
    index.cp.seed = options.seed
    index.train(embeddings.take(rows))


def build_index(
    embeddings: ShardedEmbeddings, options: IndexOptions | None = None, show_progress: bool = True
) -> faiss.Index:
    """Build an inner-product index over every vector of ``embeddings``, adding shard by shard."""
    options = options or IndexOptions()
    dim, count = embeddings.dim, embeddings.count
    if options.kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif options.kind == "ivf":
        if count == 0:
            raise UserError(
                "an ivf index needs at least one vector: use index flat for an empty pool",
                settings=("index",),
            )
        nlist = min(options.nlist or default_nlist(count), count)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        _train_ivf(index, embeddings, options)
        index.nprobe = options.nprobe
    else:
        index = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = options.ef_construction
        index.hnsw.efSearch = options.ef_search
    shards = tqdm(
        embeddings,
        total=len(embeddings.shard_sizes),
        desc=f"indexing ({options.kind})",
        unit="shard",
        disable=not show_progress,
    )
    for _, shard in shards:
        index.add(np.ascontiguousarray(shard, dtype=np.float32))
    return index


def search(
    index: faiss.Index, queries: np.ndarray, k: int, block_size: int = 1024, show_progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` ``(scores, ids)`` of every query, best first, searched in blocks of queries.

    ``k`` is capped at the index size, so every returned id is a real vector (no ``-1`` padding
    from flat search; approximate kinds may still return ``-1`` when they find fewer than ``k``).
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    k = min(k, index.ntotal)
    scores = np.empty((len(queries), k), dtype=np.float32)
    ids = np.empty((len(queries), k), dtype=np.int64)
    starts = range(0, len(queries), block_size)
    for start in tqdm(starts, desc="searching", unit="block", disable=not show_progress or len(starts) < 2):
        stop = min(start + block_size, len(queries))
        scores[start:stop], ids[start:stop] = index.search(queries[start:stop], k)
    return scores, ids


class FaissScorer:
    """:class:`~hybridir.encoding.base.Scorer` that encodes candidates into disk shards and scores by
    exact FAISS inner-product search.

    ``score_block`` asks FAISS for all ``n`` candidates of each query and scatters the scores
    back into candidate order, so its rows equal ``queries @ candidates.T``; the shards under
    ``folder`` make the candidate encoding resumable and reusable across runs.
    """

    def __init__(
        self,
        encode_queries: EncodeFn,
        encode_candidates: EncodeFn,
        folder: Path,
        *,
        name: str,
        notes: list[str] | None = None,
        shard_size: int = 50_000,
        show_progress: bool = True,
    ) -> None:
        self.encode_queries = encode_queries
        self.encode_candidates = encode_candidates
        self.folder = Path(folder)
        self.name = name
        self.notes = [*(notes or []), "candidates encoded into disk shards and scored by exact FAISS search"]
        self.shard_size = shard_size
        self.show_progress = show_progress
        self.timing: dict[str, float] = {}
        self.embeddings: ShardedEmbeddings | None = None
        self.index: faiss.Index | None = None
        self._queries: np.ndarray | None = None

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Encode candidates into shards (resuming finished ones), index them, encode the queries."""
        started = time.perf_counter()
        pool = hashlib.sha1((cache_key or "").encode("utf-8")).hexdigest()[:16]
        self.embeddings = encode_to_shards(
            self.encode_candidates,
            candidates,
            self.folder / f"pool-{pool}",
            shard_size=self.shard_size,
            show_progress=self.show_progress,
        )
        self._queries = np.ascontiguousarray(self.encode_queries(list(queries)), dtype=np.float32)
        encoded = time.perf_counter()
        self.index = build_index(self.embeddings, show_progress=self.show_progress)
        self.timing = {"encode_s": encoded - started, "index_s": time.perf_counter() - encoded}

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Scores of queries ``start:stop`` against every candidate, in candidate order."""
        if self.index is None or self._queries is None:
            raise RuntimeError("call prepare() before score_block()")
        count = self.index.ntotal
        scores, ids = self.index.search(self._queries[start:stop], count)
        block = np.empty((stop - start, count), dtype=np.float32)
        np.put_along_axis(block, ids, scores, axis=1)
        return block


def encoders_of(scorer: Any) -> tuple[EncodeFn, EncodeFn] | None:
    """(query, passage) encode functions of a dense scorer, or ``None`` for one without vectors.

    A scorer with ``query_prompt``/``passage_prompt`` (``DenseScorer``) gets its prompts; one with
    a plain ``encode(texts)`` (``USEScorer``) uses it for both; BM25 has no encoder.
    """
    encode = getattr(scorer, "encode", None)
    if not callable(encode):
        return None
    if hasattr(scorer, "query_prompt") and hasattr(scorer, "passage_prompt"):
        return (
            lambda texts: encode(texts, scorer.query_prompt),
            lambda texts: encode(texts, scorer.passage_prompt),
        )
    return encode, encode


def encoder_key(scorer: Any) -> str:
    """sha1 of what a scorer's vectors depend on (identity, weight files, prompts, max length)."""
    model = getattr(scorer, "model", None)
    spec = {
        "identity": getattr(scorer, "identity", scorer.name),
        "weights": files_fingerprint(getattr(scorer, "weights", None)),
        "prompts": [getattr(scorer, "query_prompt", ""), getattr(scorer, "passage_prompt", "")],
        "max_length": getattr(model, "max_seq_length", None),
    }
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()


def shard_root(scorer: Any) -> Path:
    """The cache folder for a scorer's shards: ``cache_dir()/shards/<encoder_key>``."""
    return cache_dir() / "shards" / encoder_key(scorer)


def make_large_pool_scorer(
    scorer: Any, folder: Path | None = None, shard_size: int = 50_000, show_progress: bool = True
) -> FaissScorer:
    """Wrap a dense scorer (``DenseScorer``, ``USEScorer``) so it scores through shards + FAISS."""
    encoders = encoders_of(scorer)
    if encoders is None:
        raise UserError(
            f"model {scorer.name} has no vector encoder: the shards + FAISS path is for dense models"
        )
    return FaissScorer(
        *encoders,
        folder or shard_root(scorer),
        name=scorer.name,
        notes=list(scorer.notes),
        shard_size=shard_size,
        show_progress=show_progress,
    )


def large_pool_scorer_if_needed(
    scorer: Scorer, candidates: Sequence[str], threshold: int = LARGE_POOL_CANDIDATES
) -> Scorer:
    """``scorer`` itself, or its shards + FAISS version when it is dense and the pool is large."""
    if len(candidates) < threshold or encoders_of(scorer) is None:
        return scorer
    return make_large_pool_scorer(scorer, show_progress=getattr(scorer, "show_progress", True))
