"""LLM embedders on a tiny random Qwen2: last-token pooling, EOS, instruction, LoRA merged on save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer, processors
from transformers import AutoConfig, AutoTokenizer, BertConfig, PreTrainedTokenizerFast

from hybridir.drivers.train import run_training
from hybridir.models.registry import load_scorer
from hybridir.training.config import TrainConfig
from hybridir.training.model_loading import append_eos, is_decoder_only, load_model, merge_lora
from tests.helpers import xlmr_tokenizer
from tests.training.tiny_models import build_tiny_decoder

INSTRUCTION = "Instruct: retrieve the answer\nQuery: "


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_decoder(tmp_path_factory.mktemp("qwen2"))


def test_decoder_detection(decoder: Path) -> None:
    assert is_decoder_only(AutoConfig.from_pretrained(decoder))
    assert not is_decoder_only(BertConfig())


def test_append_eos_keeps_a_bos_and_survives_a_reload(tmp_path: Path) -> None:
    backend = Tokenizer.from_str(xlmr_tokenizer().backend_tokenizer.to_str())  # a copy, made Llama-like:
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", 0)]
    )  # BOS only
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>")
    plain = tokenizer("hello world")["input_ids"]
    append_eos(tokenizer)
    assert tokenizer("hello world")["input_ids"] == [*plain, tokenizer.eos_token_id]
    assert len(tokenizer("hello world " * 20, truncation=True, max_length=8)["input_ids"]) == 8
    tokenizer.save_pretrained(tmp_path)
    assert AutoTokenizer.from_pretrained(tmp_path)("hello world")["input_ids"] == [
        *plain,
        tokenizer.eos_token_id,
    ]


def test_plain_decoder_loads_as_last_token_embedder(decoder: Path) -> None:
    model, _ = load_model(TrainConfig(model=str(decoder), max_length=64, query_instruction=INSTRUCTION))
    assert [type(module).__name__ for module in model] == ["Transformer", "Pooling", "Normalize"]
    assert model[1].pooling_mode == "lasttoken"
    tokenizer = model[0].tokenizer
    assert tokenizer.padding_side == "right"
    assert tokenizer("hello")["input_ids"][-1] == tokenizer.eos_token_id
    assert model.prompts["query"] == INSTRUCTION
    # right padding must not change an embedding: the pooled EOS sits before the padding
    alone = model.encode(["short"], convert_to_tensor=True)
    padded = model.encode(["short", "a much longer text that forces padding"], convert_to_tensor=True)
    torch.testing.assert_close(padded[0], alone[0], rtol=1e-4, atol=1e-5)


def test_bf16_lora_keeps_a_bf16_base_and_fp32_adapters(decoder: Path) -> None:
    model, _ = load_model(TrainConfig(model=str(decoder), lora_r=4, bf16=True))
    dtypes = {
        ("lora_" in name, parameter.dtype, parameter.requires_grad)
        for name, parameter in model.named_parameters()
    }
    assert dtypes == {(False, torch.bfloat16, False), (True, torch.float32, True)}


def test_merged_lora_gives_the_adapted_embeddings(decoder: Path, tmp_path: Path) -> None:
    model, _ = load_model(TrainConfig(model=str(decoder), max_length=64, lora_r=4, lora_dropout=0.0))
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    torch.manual_seed(0)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # zero at init: give the adapters an effect to merge
            parameter.data.normal_(0, 0.5)
    model.eval()
    texts = ["who wrote it?", "Wer hat es geschrieben?"]
    adapted = model.encode(texts, convert_to_tensor=True)
    merge_lora(model)
    assert not any("lora_" in name for name, _ in model.named_parameters())
    torch.testing.assert_close(model.encode(texts, convert_to_tensor=True), adapted, rtol=1e-4, atol=1e-5)
    model.save(str(tmp_path / "merged"))
    reloaded = SentenceTransformer(str(tmp_path / "merged"), device="cpu")
    torch.testing.assert_close(reloaded.encode(texts, convert_to_tensor=True), adapted, rtol=1e-4, atol=1e-5)


def test_lora_run_trains_saves_merged_and_evaluates(shared_data: Path, decoder: Path, tmp_path: Path) -> None:
    config = TrainConfig(
        model=str(decoder),
        out=str(tmp_path / "run"),
        languages="en,de,es",
        batch_size=4,
        max_steps=3,
        max_length=128,  # byte-level tokens: the instruction alone is 39
        learning_rate=1e-3,
        warmup_ratio=0.0,
        validation_fraction=0.0,
        save_steps=2,
        logging_steps=1,
        seed=7,
        query_instruction=INSTRUCTION,
        lora_r=4,
        lora_alpha=8,
        gradient_checkpointing=True,
        bf16=True,
    )
    run = run_training(config)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 3
    losses = [json.loads(line)["loss"] for line in (run / "train_log.jsonl").read_text().splitlines()[:3]]
    assert all(np.isfinite(losses))
    assert (run / "checkpoints" / "checkpoint-2" / "adapter_config.json").is_file()  # checkpoints: adapters
    merged = load_file(str(run / "model" / "model.safetensors"))
    assert not any("lora" in key or "base_layer" in key for key in merged)
    base = load_file(str(decoder / "model.safetensors"))
    key = "layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged[key].float(), base[f"model.{key}"].float())  # the adapters were merged

    scorer = load_scorer(str(run), show_progress=False)
    assert scorer.query_prompt == INSTRUCTION
    assert scorer.model[1].pooling_mode == "lasttoken"
    assert scorer.model[0].tokenizer("hi")["input_ids"][-1] == scorer.model[0].tokenizer.eos_token_id
    scorer.prepare(
        ["Who wrote Faust?", "Wo liegt Madrid?"], ["Goethe wrote Faust.", "Madrid liegt in Spanien."]
    )
    scores = scorer.score_block(0, 2)
    assert scores.shape == (2, 2) and np.isfinite(scores).all()
    assert not np.allclose(scores[0], scores[1])
