"""Dense retrieval with a sentence-transformers model: cosine of normalised embeddings.

Queries get the model's query prompt and candidates its passage prompt. Encoding is left to
``SentenceTransformer.encode`` (it sorts by length and shows progress), under bf16 autocast when
``precision`` is bf16 or mixed (:mod:`hybridir.core.precision`; mixed, the default where the
hardware does bf16 natively, keeps the last two layers in fp32 and every XQuAD-R metric within
0.002 of fp32, see docs/performance.md); embeddings are cached on disk when the caller names a
``cache_key`` (see :mod:`hybridir.encoding.cache`), keyed by the precision too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hybridir.core.precision import FP32_TAIL_LAYERS, Precision, autocast
from hybridir.encoding.cache import EmbeddingCache, encode_with_cache

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class DenseScorer:
    """:class:`~hybridir.encoding.base.Scorer` over a loaded :class:`SentenceTransformer`.

    ``identity`` names the model in cache keys (a hub name or resolved path) and ``weights``
    is the folder whose files fingerprint it, so a retrained model never reads stale vectors.
    After :meth:`prepare`, ``timing["encode_s"]`` holds the encoding (or cache load) seconds
    and ``cache_hit`` says which it was.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        *,
        name: str,
        identity: str,
        weights: Path | None = None,
        query_prompt: str = "",
        passage_prompt: str = "",
        batch_size: int = 64,
        max_length: int | None = None,
        show_progress: bool = True,
        notes: list[str] | None = None,
        precision: Precision = Precision.FP32,
    ) -> None:
        self.model = model
        self.name = name
        self.identity = identity
        self.weights = weights
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.max_length = max_length
        if max_length is not None:
            model.max_seq_length = max_length
        self.show_progress = show_progress
        self.precision = precision
        self.notes = list(notes or [])
        if precision is Precision.BF16:
            self.notes.append("encoded under bf16 autocast (pass --precision fp32 for fp32 encoding)")
        elif precision is Precision.MIXED:
            self.notes.append(
                f"encoded under bf16 autocast, the last {FP32_TAIL_LAYERS} layers in fp32"
                " (pass --precision fp32 for fp32 encoding)"
            )
        self.timing: dict[str, float] = {}
        self.cache_hit = False
        self._queries: np.ndarray | None = None
        self._candidates: np.ndarray | None = None

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        """L2-normalised float32 embeddings of ``texts`` with ``prompt`` prepended."""
        with autocast(self.precision, self.model):
            vectors = self.model.encode(
                texts,
                prompt=prompt or None,
                batch_size=self.batch_size,
                show_progress_bar=self.show_progress,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Encode queries and candidates, or load them from the embedding cache."""
        cache = None
        if cache_key is not None:
            fp32 = self.precision is Precision.FP32
            cache = EmbeddingCache(
                model_identity=self.identity if fp32 else f"{self.identity}|{self.precision.value}",
                weights=self.weights,
                prompts=(self.query_prompt, self.passage_prompt),
                max_length=self.model.max_seq_length,
                cache_key=cache_key,
                queries=queries,
                candidates=candidates,
            )
        self._queries, self._candidates, self.cache_hit, seconds = encode_with_cache(
            cache,
            lambda: (self.encode(queries, self.query_prompt), self.encode(candidates, self.passage_prompt)),
        )
        self.timing = {"encode_s": seconds}

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Cosine scores of queries ``start:stop`` against every candidate."""
        if self._queries is None or self._candidates is None:
            raise RuntimeError("call prepare() before score_block()")
        return self._queries[start:stop] @ self._candidates.T
