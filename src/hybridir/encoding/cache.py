"""On-disk cache of query and candidate embeddings, so re-scoring a benchmark does not re-encode it.

An entry lives in ``cache_dir()/embeddings/<sha1>/`` as ``queries.npy`` and ``candidates.npy``.
The sha1 covers everything the vectors depend on: the model's identity, a fingerprint (relative
path, size, mtime) of its weight and config files, the prompts, the max length, how the texts
were batched (batching moves the vectors in their last bits), the caller's ``cache_key`` and a
digest of the texts. A model retrained into the same folder therefore
never hits a stale entry.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hybridir.core.files import atomic_folder
from hybridir.core.paths import cache_dir

_FINGERPRINT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".npz", ".onnx", ".json", ".model"}


def texts_digest(texts: Sequence[str]) -> str:
    """sha1 of a list of texts (order and boundaries included)."""
    digest = hashlib.sha1()
    digest.update(str(len(texts)).encode())
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()


def files_fingerprint(root: Path | None) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of the weight and config files under ``root`` (or of ``root``)."""
    if root is None or not root.exists():
        return []
    if root.is_file():
        stat = root.stat()
        return [(root.name, stat.st_size, stat.st_mtime_ns)]
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in _FINGERPRINT_SUFFIXES:
            stat = path.stat()
            entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return entries


class EmbeddingCache:
    """One cache entry: load or store the (queries, candidates) embedding pair."""

    def __init__(
        self,
        *,
        model_identity: str,
        weights: Path | None,
        prompts: tuple[str, str],
        max_length: int | None,
        batches: str = "",
        cache_key: str,
        queries: Sequence[str],
        candidates: Sequence[str],
    ) -> None:
        spec = {
            "model": model_identity,
            "weights": files_fingerprint(weights),
            "prompts": list(prompts),
            "max_length": max_length,
            "batches": batches,
            "cache_key": cache_key,
            "queries": texts_digest(queries),
            "candidates": texts_digest(candidates),
        }
        key = hashlib.sha1(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()
        self.directory = cache_dir() / "embeddings" / key
        self._spec = spec

    def load(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored pair, or ``None`` when the entry does not exist (or is unreadable)."""
        try:
            queries = np.load(self.directory / "queries.npy")
            candidates = np.load(self.directory / "candidates.npy")
        except (OSError, ValueError):
            return None
        return queries, candidates

    def save(self, queries: np.ndarray, candidates: np.ndarray) -> None:
        """Store the pair via a temporary folder renamed into place (no half-written entries)."""
        # keep_existing: an entry written meanwhile by another process has the same content.
        with atomic_folder(self.directory, keep_existing=True) as staging:
            np.save(staging / "queries.npy", queries)
            np.save(staging / "candidates.npy", candidates)
            (staging / "spec.json").write_text(json.dumps(self._spec, indent=1), encoding="utf-8")


def encode_with_cache(
    cache: EmbeddingCache | None, encode: Callable[[], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, bool, float]:
    """Load the pair from ``cache`` or run ``encode`` (and store it); returns it, hit flag, seconds.

    The seconds are the load time on a hit and the encoding time otherwise.
    """
    start = time.perf_counter()
    if cache is not None:
        stored = cache.load()
        if stored is not None:
            return stored[0], stored[1], True, time.perf_counter() - start
    queries, candidates = encode()
    seconds = time.perf_counter() - start
    if cache is not None:
        cache.save(queries, candidates)
    return queries, candidates, False, seconds
