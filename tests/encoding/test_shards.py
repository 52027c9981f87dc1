"""Sharded encoding: memory-mapped shards in order, resumable after a crash, restarted on new texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridir.encoding.shards import MANIFEST, ShardedEmbeddings, encode_to_shards

TEXTS = [f"text number {i}" for i in range(25)]


def _vectors(texts: list[str]) -> np.ndarray:
    """A deterministic 3-dim vector per text: (number, length, 1)."""
    return np.array([[float(t.split()[-1]), len(t), 1.0] for t in texts], dtype=np.float32)


class Recorder:
    """An encode_fn that records what it encoded and can fail after some calls (a 'kill')."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.seen: list[str] = []
        self.calls = 0
        self.fail_after = fail_after

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed mid-way")
        self.calls += 1
        self.seen.extend(texts)
        return _vectors(texts)


def test_shards_are_memory_mapped_and_in_order(tmp_path: Path) -> None:
    embeddings = encode_to_shards(_vectors, TEXTS, tmp_path / "pool", shard_size=10, show_progress=False)
    assert embeddings.shard_sizes == (10, 10, 5) and embeddings.dim == 3 and len(embeddings) == 25
    assert embeddings.offsets == [0, 10, 20]
    shard = embeddings.shard(1)
    assert isinstance(shard, np.memmap) and shard.dtype == np.float32
    np.testing.assert_array_equal(embeddings.load(), _vectors(TEXTS))
    np.testing.assert_array_equal(embeddings.take(np.array([0, 9, 10, 24])), _vectors(TEXTS)[[0, 9, 10, 24]])
    manifest = json.loads((tmp_path / "pool" / MANIFEST).read_text())
    assert manifest["complete"] and manifest["count"] == 25 and manifest["shard_sizes"] == [10, 10, 5]
    assert ShardedEmbeddings.open(tmp_path / "pool") == embeddings


def test_rerun_after_a_crash_encodes_only_the_missing_shards(tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    crashing = Recorder(fail_after=1)  # shard 0 finishes, shard 1 dies
    with pytest.raises(KeyboardInterrupt):
        encode_to_shards(crashing, TEXTS, folder, shard_size=10, show_progress=False)
    assert crashing.seen == TEXTS[:10]
    assert sorted(p.name for p in folder.glob("shard-*")) == ["shard-00000.npy"]  # no partial file
    with pytest.raises(ValueError, match="no finished shards"):
        ShardedEmbeddings.open(folder)

    resumed = Recorder()
    embeddings = encode_to_shards(resumed, TEXTS, folder, shard_size=10, show_progress=False)
    assert resumed.seen == TEXTS[10:]
    np.testing.assert_array_equal(embeddings.load(), _vectors(TEXTS))

    again = Recorder()
    encode_to_shards(again, TEXTS, folder, shard_size=10, show_progress=False)
    assert again.seen == []


def test_changed_texts_or_shard_size_start_over(tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    encode_to_shards(_vectors, TEXTS, folder, shard_size=10, show_progress=False)
    changed = [*TEXTS[:-1], "text number 99"]
    recorder = Recorder()
    embeddings = encode_to_shards(recorder, changed, folder, shard_size=10, show_progress=False)
    assert recorder.seen == changed
    np.testing.assert_array_equal(embeddings.load(), _vectors(changed))
    resized = Recorder()
    resized_embeddings = encode_to_shards(resized, changed, folder, shard_size=7, show_progress=False)
    assert resized_embeddings.shard_sizes == (7, 7, 7, 4)
    assert resized.seen == changed and len(list(folder.glob("shard-*.npy"))) == 4


def test_empty_pool_needs_dim_and_bad_encoder_is_caught(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dim"):
        encode_to_shards(_vectors, [], tmp_path / "empty", show_progress=False)
    empty = encode_to_shards(_vectors, [], tmp_path / "empty2", dim=3, show_progress=False)
    assert empty.load().shape == (0, 3)
    with pytest.raises(ValueError, match="shape"):
        encode_to_shards(lambda texts: np.zeros(3), TEXTS, tmp_path / "bad", show_progress=False)
