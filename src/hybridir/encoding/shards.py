"""Embeddings of a large pool written to disk in float32 ``.npy`` shards, read back memory-mapped.

A pool too large to encode in one sitting (a MIRACL corpus: 10^5 to 10^7 passages) is encoded
shard by shard. Each shard is written to a temporary name and renamed when complete, and a
``manifest.json`` records the text count, shard sizes, dimension and a fingerprint of the
texts, so a rerun after a crash skips the finished shards and encodes only the rest; a
changed text list starts over. Readers open the shards with ``np.load(mmap_mode="r")``, so
iterating a pool costs one shard of memory at most.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from hybridir.core.files import atomic_open, atomic_write
from hybridir.encoding.cache import texts_digest

MANIFEST = "manifest.json"
_FORMAT = 1
_CHUNK = 1024  # texts per encode_fn call: keeps the progress bar moving inside a shard

EncodeFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class ShardedEmbeddings:
    """A finished set of shards: ``count`` vectors of ``dim`` float32 values in order."""

    folder: Path
    count: int
    dim: int
    shard_sizes: tuple[int, ...]
    fingerprint: str

    @classmethod
    def open(cls, folder: Path) -> ShardedEmbeddings:
        """Open a folder written by :func:`encode_to_shards` (raises ``ValueError`` if unfinished)."""
        manifest = _read_manifest(folder)
        if manifest is None or not manifest.get("complete"):
            raise ValueError(f"{folder} holds no finished shards: run encode_to_shards into it first")
        return cls(
            folder,
            manifest["count"],
            manifest["dim"],
            tuple(manifest["shard_sizes"]),
            manifest["fingerprint"],
        )

    def __len__(self) -> int:
        return self.count

    @property
    def offsets(self) -> list[int]:
        """Index of the first vector of each shard."""
        return [int(x) for x in np.cumsum((0, *self.shard_sizes[:-1]))] if self.shard_sizes else []

    def shard(self, index: int) -> np.ndarray:
        """Shard ``index`` as a read-only memory map of shape ``(size, dim)``."""
        return np.load(_shard_path(self.folder, index), mmap_mode="r")

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(offset, memory-mapped shard)`` pairs in order."""
        for index, offset in enumerate(self.offsets):
            yield offset, self.shard(index)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The vectors at sorted global indices ``rows``, gathered shard by shard into memory."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((rows.size, self.dim), dtype=np.float32)
        bounds = np.searchsorted(rows, [*self.offsets, self.count])
        for index, offset in enumerate(self.offsets):
            lo, hi = bounds[index], bounds[index + 1]
            if hi > lo:
                out[lo:hi] = self.shard(index)[rows[lo:hi] - offset]
        return out

    def load(self) -> np.ndarray:
        """All vectors as one in-memory array (for pools that fit)."""
        if not self.count:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.concatenate([np.asarray(shard) for _, shard in self])


def _shard_path(folder: Path, index: int) -> Path:
    return folder / f"shard-{index:05d}.npy"


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == _FORMAT else None


def _write_manifest(folder: Path, manifest: dict) -> None:
    atomic_write(folder / MANIFEST, json.dumps(manifest, indent=1))


def _finished(path: Path, size: int, dim: int | None) -> bool:
    """Whether ``path`` is a complete float32 shard of ``size`` rows and ``dim`` columns."""
    if dim is None or not path.is_file():
        return False
    try:
        array = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return False
    return array.dtype == np.float32 and array.shape == (size, dim)


def _encode_shard(encode_fn: EncodeFn, texts: Sequence[str], bar: tqdm) -> np.ndarray:
    """Encode ``texts`` in chunks into one float32 ``(len(texts), dim)`` array."""
    parts = []
    for start in range(0, len(texts), _CHUNK):
        chunk = list(texts[start : start + _CHUNK])
        vectors = np.asarray(encode_fn(chunk), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(chunk):
            raise ValueError(f"encode_fn gave shape {vectors.shape} for {len(chunk)} texts")
        parts.append(vectors)
        bar.update(len(chunk))
    return np.concatenate(parts)


def encode_to_shards(
    encode_fn: EncodeFn,
    texts: Sequence[str],
    folder: Path,
    shard_size: int = 50_000,
    dim: int | None = None,
    show_progress: bool = True,
) -> ShardedEmbeddings:
    """Encode ``texts`` with ``encode_fn`` into float32 shards under ``folder``; resumable.

    A rerun with the same texts and ``shard_size`` keeps every finished shard; different texts
    or shard size discard the old shards. ``dim`` is only needed for an empty ``texts``.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be positive, got {shard_size}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    count = len(texts)
    sizes = [min(shard_size, count - start) for start in range(0, count, shard_size)]
    fingerprint = texts_digest(texts)
    manifest = _read_manifest(folder)
    plan = {"format": _FORMAT, "count": count, "shard_sizes": sizes, "fingerprint": fingerprint}
    stale = manifest is None or any(manifest.get(key) != value for key, value in plan.items())
    if stale or (dim is not None and manifest["dim"] not in (None, dim)):
        for old in folder.glob("shard-*.npy*"):
            old.unlink()
        manifest = {**plan, "dim": dim, "complete": False}
        _write_manifest(folder, manifest)
    dim = manifest["dim"] if manifest["dim"] is not None else dim
    if count == 0 and dim is None:
        raise ValueError("dim is needed to encode an empty list of texts")

    offsets = np.cumsum([0, *sizes])
    with tqdm(total=count, desc=f"encoding {folder.name}", unit="text", disable=not show_progress) as bar:
        for index, size in enumerate(sizes):
            path = _shard_path(folder, index)
            if _finished(path, size, dim):
                bar.update(size)
                continue
            vectors = _encode_shard(encode_fn, texts[offsets[index] : offsets[index + 1]], bar)
            if dim is None:
                dim = int(vectors.shape[1])
                _write_manifest(folder, {**manifest, "dim": dim})
            elif vectors.shape[1] != dim:
                raise ValueError(f"encode_fn gave {vectors.shape[1]}-dim vectors, the shards hold {dim}")
            with atomic_open(path, "wb") as handle:
                np.save(handle, vectors)
    _write_manifest(folder, {**manifest, "dim": dim, "complete": True})
    return ShardedEmbeddings.open(folder)
