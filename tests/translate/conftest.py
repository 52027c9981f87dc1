"""Tiny random-weight translation models built in the test (no hub), and a hand-written SQuAD file.

The models translate into gibberish, which is enough to test caching, resumption, sharding and
the answer-sentence bookkeeping; the filters are tested on hand-written strings.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sentencepiece as spm
import torch
from transformers import (
    M2M100Config,
    M2M100ForConditionalGeneration,
    M2M100Tokenizer,
    MarianConfig,
    MarianMTModel,
    MarianTokenizer,
)

CORPUS = [
    "The Eiffel Tower was built in 1889 for the World's Fair.",
    "Gustave Eiffel's company designed and built the tower.",
    "It was the tallest structure in the world until 1930.",
    "Paris is the capital and most populous city of France.",
    "The Seine flows through the city from east to west.",
    "When was the tower built? Who designed it? How tall is it?",
    "Der Turm wurde 1889 gebaut. El perro corre por la calle.",
]

SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Eiffel_Tower",
            "paragraphs": [
                {
                    "context": "The Eiffel Tower was built in 1889 for the World's Fair. Gustave Eiffel's "
                    "company designed and built the tower. It was the tallest structure in the world "
                    "until 1930.",
                    "qas": [
                        {"id": "q1", "question": "When was the Eiffel Tower built?",
                         "answers": [{"text": "1889", "answer_start": 30}]},
                        {"id": "q2", "question": "Whose company designed the tower?",
                         "answers": [{"text": "Gustave Eiffel's", "answer_start": 57}]},
                        {"id": "q3", "question": "Until when was it the tallest structure in the world?",
                         "answers": [{"text": "1930", "answer_start": 160}]},
                        {"id": "q4", "question": "What is the tower made of?", "answers": [],
                         "is_impossible": True},
                    ],
                }
            ],
        },
        {
            "title": "Paris",
            "paragraphs": [
                {
                    "context": "Paris is the capital and most populous city of France. The Seine flows "
                    "through the city from east to west.",
                    "qas": [
                        {"id": "q5", "question": "What is the capital of France?",
                         "answers": [{"text": "Paris", "answer_start": 0}]},
                        {"id": "q6", "question": "Which river flows through Paris?",
                         "answers": [{"text": "The Seine", "answer_start": 55}]},
                    ],
                },
                {
                    "context": "Paris hosted the Summer Olympics in 1900, 1924 and 2024.",
                    "qas": [
                        {"id": "q7", "question": "When did Paris host the Olympics?",
                         "answers": [{"text": "1900", "answer_start": 36}]},
                    ],
                },
            ],
        },
    ],
}  # fmt: skip

# The answer-bearing sentence of each answerable question of SQUAD.
ANSWER_SENTENCES = {
    "q1": "The Eiffel Tower was built in 1889 for the World's Fair.",
    "q2": "Gustave Eiffel's company designed and built the tower.",
    "q3": "It was the tallest structure in the world until 1930.",
    "q5": "Paris is the capital and most populous city of France.",
    "q6": "The Seine flows through the city from east to west.",
    "q7": "Paris hosted the Summer Olympics in 1900, 1924 and 2024.",
}


def _sentencepiece(folder: Path, names: tuple[str, ...]) -> list[str]:
    """Train a tiny BPE model on CORPUS, save it under ``names``, return its pieces."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 3),
        model_writer=model,
        vocab_size=80,
        model_type="bpe",
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    for name in names:
        (folder / name).write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _vocab(specials: list[str], pieces: list[str]) -> dict[str, int]:
    vocab = {token: i for i, token in enumerate(specials)}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    return vocab


def _small(config_class: type, vocab_size: int, **ids: int) -> object:
    """A 1-layer, 16-wide config; a large init spread makes outputs depend on the input."""
    return config_class(
        vocab_size=vocab_size, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=128,
        init_std=0.5, **ids,
    )  # fmt: skip


def build_tiny_m2m100(folder: Path) -> Path:
    """A random-weight M2M-100 model (100 languages, ISO codes) with its own sentencepiece tokenizer."""
    folder.mkdir(parents=True)
    pieces = _sentencepiece(folder, ("sentencepiece.bpe.model",))
    (folder / "vocab.json").write_text(json.dumps(_vocab(["<s>", "<pad>", "</s>", "<unk>"], pieces)))
    tokenizer = M2M100Tokenizer(str(folder / "vocab.json"), str(folder / "sentencepiece.bpe.model"))
    tokenizer.save_pretrained(folder)
    size = max(tokenizer.convert_tokens_to_ids(list(tokenizer.lang_code_to_token.values()))) + 9
    torch.manual_seed(0)
    config = _small(
        M2M100Config, size, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2
    )
    M2M100ForConditionalGeneration(config).save_pretrained(folder)
    return folder


def build_tiny_marian(folder: Path) -> Path:
    """A random-weight English-to-German MarianMT model; the folder is named like opus-mt-en-de."""
    folder.mkdir(parents=True)
    pieces = _sentencepiece(folder, ("source.spm", "target.spm"))
    vocab = _vocab(["</s>", "<unk>", "<pad>"], pieces)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json"),
        source_lang="en", target_lang="de",
    )  # fmt: skip
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = _small(
        MarianConfig,
        len(vocab),
        pad_token_id=2,
        eos_token_id=0,
        decoder_start_token_id=2,
        forced_eos_token_id=0,
    )
    MarianMTModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_m2m100(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_m2m100(tmp_path_factory.mktemp("models") / "tiny-m2m100")


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("models") / "opus-mt-en-de")


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    return path


@pytest.fixture
def generate_calls(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Count the rows each ``generate`` call translates; set ``fail_after`` to crash after N calls."""
    state: dict = {"rows": [], "fail_after": None}
    for model_class in (M2M100ForConditionalGeneration, MarianMTModel):
        original = model_class.generate

        def counting(self: object, *args: object, _original: object = original, **kwargs: object) -> object:
            if state["fail_after"] is not None and len(state["rows"]) >= state["fail_after"]:
                raise RuntimeError("simulated crash")
            state["rows"].append(int(kwargs["input_ids"].shape[0]))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(model_class, "generate", counting)
    return state


@pytest.fixture(autouse=True)
def _one_torch_thread() -> object:
    """Tiny models run fastest on one thread; on a busy 2-core machine more threads only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
