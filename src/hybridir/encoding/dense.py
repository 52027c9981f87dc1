"""Dense retrieval with a sentence-transformers model: cosine of normalised embeddings.

Queries get the model's query prompt and candidates its passage prompt. Texts are batched by
token count (:func:`token_length_order`) and each batch is encoded by
``SentenceTransformer.encode``, under bf16 autocast when ``precision`` is bf16 or mixed
(:mod:`hybridir.core.precision`; mixed, the default where the hardware does bf16 natively, keeps
the last six layers in fp32 and every XQuAD-R metric within 0.002 of fp32, see
docs/performance.md); embeddings are cached on disk when the caller names a ``cache_key`` (see
:mod:`hybridir.encoding.cache`), keyed by the precision and the batching too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from hybridir.core.precision import FP32_TAIL_LAYERS, Precision, autocast, fp32_tail
from hybridir.encoding.cache import EmbeddingCache, encode_with_cache

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def token_length_order(model: SentenceTransformer, texts: list[str]) -> np.ndarray:
    """Indices of ``texts``, longest first by token count (as truncated to the model's max length);
    by characters, as ``SentenceTransformer.encode`` itself sorts, for a model without a tokenizer.

    ``SentenceTransformer.encode`` sorts by characters, and a Chinese or Thai sentence has far
    more tokens per character than an English one, so across languages its batches pad a lot: on
    all of XQuAD-R's languages at batch 64, character-sorted batches of candidates hold 1.71x the
    padded tokens of token-sorted ones (questions 1.38x). One extra pass of the fast tokenizer
    (about 0.2 s per 3,000 sentences) buys that back; docs/performance.md has the measurement.
    """
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        return np.argsort([-len(text) for text in texts], kind="stable")
    encoded = tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return np.argsort([-len(ids) for ids in encoded], kind="stable")


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
            count = len(fp32_tail(model, FP32_TAIL_LAYERS))
            tail = f"the last {count} layers in fp32" if count else "no layer in fp32 (no fp32 weights)"
            self.notes.append(
                f"encoded under bf16 autocast, {tail} (pass --precision fp32 for fp32 encoding)"
            )
        self.timing: dict[str, float] = {}
        self.cache_hit = False
        self._queries: np.ndarray | None = None
        self._candidates: np.ndarray | None = None

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        """L2-normalised float32 embeddings of ``texts`` with ``prompt`` prepended, in batches of
        similar token count (:func:`token_length_order`), returned in the order of ``texts``."""
        if not texts:
            return np.zeros((0, self.model.get_embedding_dimension() or 0), dtype=np.float32)
        order = token_length_order(self.model, [prompt + text for text in texts])
        batches = []
        with (
            autocast(self.precision, self.model),
            tqdm(total=len(texts), desc="Encoding", unit="text", disable=not self.show_progress) as progress,
        ):
            for start in range(0, len(texts), self.batch_size):
                rows = order[start : start + self.batch_size]
                batches.append(
                    self.model.encode(
                        [texts[row] for row in rows],
                        prompt=prompt or None,
                        batch_size=self.batch_size,
                        show_progress_bar=False,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                    )
                )
                progress.update(len(rows))
        vectors = np.empty((len(texts), batches[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(batches)
        return vectors

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
                batches=f"{self.batch_size} by token count",
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
