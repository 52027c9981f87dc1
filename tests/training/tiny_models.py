"""Tiny random-weight models for training tests: a dropout-free BERT encoder and a Qwen2 decoder.

The encoder uses the real XLM-R tokenizer (``tests.helpers.TOKENIZER_FILE``). The decoder gets a
byte-level Qwen2 tokenizer (257 tokens, no merges): like the real Qwen2 tokenizer it adds no
special tokens, so the trainer must append EOS itself.
"""

from __future__ import annotations

from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from tokenizers import pre_tokenizers
from transformers import (
    BertConfig,
    BertModel,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2Tokenizer,
    XLMRobertaTokenizerFast,
)

from tests.helpers import TOKENIZER_FILE


def build_deterministic_encoder(folder: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide random BERT without dropout, as a sentence-transformers folder.

    Without dropout a step's loss and gradients depend only on the batch, so a run split over
    processes can be compared with a single-process run.
    """
    torch.manual_seed(seed)
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(TOKENIZER_FILE))
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    backbone = folder / "backbone"
    BertModel(config).save_pretrained(backbone)
    tokenizer.save_pretrained(backbone)
    transformer = Transformer(str(backbone), max_seq_length=64)
    model = SentenceTransformer(
        modules=[transformer, Pooling(32, pooling_mode="mean"), Normalize()],
        device="cpu",
        prompts={"query": "query: ", "passage": "passage: "},
    )
    model.save(str(folder / "model"))
    return folder / "model"


def build_tiny_decoder(folder: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide random Qwen2 causal LM with a plain tokenizer (no sentence-transformers files)."""
    torch.manual_seed(seed)
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {"<|endoftext|>": 0, **{char: index + 1 for index, char in enumerate(alphabet)}}
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[])
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
