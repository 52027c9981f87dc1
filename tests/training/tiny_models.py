"""Tiny random-weight models for training tests: a dropout-free BERT encoder and a Qwen2 decoder.

The encoder uses the real XLM-R tokenizer (``tests.helpers.xlmr_tokenizer``). The decoder gets a
byte-level Qwen2 tokenizer (257 tokens, no merges): like the real Qwen2 tokenizer it adds no
special tokens, so the trainer must append EOS itself.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import pre_tokenizers
from transformers import (
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2Tokenizer,
)

from tests.helpers import build_tiny_model


def build_deterministic_encoder(folder: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide random BERT without dropout, as a sentence-transformers folder.

    Without dropout a step's loss and gradients depend only on the batch, so a run split over
    processes can be compared with a single-process run.
    """
    return build_tiny_model(folder, seed, dropout=0.0)


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
