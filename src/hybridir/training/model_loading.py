"""The encoder to fine-tune: sentence-transformers folders, plain encoders, and LLM embedders.

- A sentence-transformers model (it has ``modules.json``) keeps its modules; ``--pooling`` other
  than ``auto`` replaces its pooling mode.
- A plain Hugging Face model becomes Transformer + Pooling + Normalize. ``auto`` pooling is the
  last token for decoder-only models (causal LMs such as Qwen2, Llama, Mistral) and the mean for
  encoders. A decoder's tokenizer pads on the right and appends EOS to every text, so the pooled
  last token is one the model sees after the whole input, whatever the batch's padding.
- ``--lora-r`` > 0 injects LoRA adapters (peft, through the transformers integration that
  sentence-transformers checkpoints use); :func:`merge_lora` folds them into the base weights
  before the final save, so ``<run>/model`` loads as a plain model.
- ``--bf16`` (set, not auto) with LoRA also loads the frozen base weights in bf16 (never updated, so
  fp32 master copies would only cost memory); the adapters stay fp32.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from transformers import AutoConfig, PretrainedConfig, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
)

from hybridir.core.paths import hub_offline
from hybridir.errors import UserError
from hybridir.models.registry import resolve_model_path
from hybridir.training.config import TrainConfig


def has_accelerator() -> bool:
    """Whether a CUDA device is visible (CPU otherwise)."""
    return torch.cuda.is_available()


def load_model(config: TrainConfig) -> tuple[SentenceTransformer, list[str]]:
    """Load the encoder as ``config`` says: modules, prompts, frozen parts, LoRA, checkpointing.

    On GPUs each process loads onto its own device (``LOCAL_RANK``), so a distributed run never
    stacks every rank's copy of a large model on GPU 0 first.
    """
    path, notes = resolve_model_path(config.model)
    bf16_base = config.bf16 is True and config.lora_r > 0
    model_kwargs: dict[str, Any] = {"dtype": torch.bfloat16} if bf16_base else {}
    device = f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if has_accelerator() else "cpu"
    if _is_sentence_transformers_model(path):
        model = SentenceTransformer(path, device=device, model_kwargs=model_kwargs or None)
        if config.pooling != "auto":
            _replace_pooling(model, str(config.pooling))
    else:
        model = _build_from_plain_model(path, config, model_kwargs, device)
    _set_prompts(model, config)
    model.max_seq_length = config.max_length
    backbone = model[0].auto_model
    if config.freeze_embeddings:
        backbone.get_input_embeddings().requires_grad_(False)
    if config.lora_r > 0:
        _add_lora(model, config)
    if config.gradient_checkpointing:
        backbone.activation_checkpointing_enable()
    return model, notes


def _is_sentence_transformers_model(path: str) -> bool:
    """Whether ``path`` (a local folder or a hub name) holds a sentence-transformers model."""
    folder = Path(path)
    if folder.is_dir():
        return (folder / "modules.json").is_file()
    from huggingface_hub import file_exists, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(path, "modules.json"), str):
        return True
    if hub_offline():
        return False
    try:
        return file_exists(path, "modules.json")
    except Exception:  # no network: the folder resolution already vouched for the name
        return False


def is_decoder_only(hf_config: PretrainedConfig) -> bool:
    """A causal LM without a masked-LM variant (Qwen2, Llama, Mistral, Gemma; not BERT or XLM-R)."""
    model_type = hf_config.model_type
    return (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )


def _build_from_plain_model(
    path: str, config: TrainConfig, model_kwargs: dict[str, Any], device: str
) -> SentenceTransformer:
    decoder = is_decoder_only(AutoConfig.from_pretrained(path, local_files_only=hub_offline()))
    pooling = str(config.pooling) if config.pooling != "auto" else ("lasttoken" if decoder else "mean")
    transformer = Transformer(path, max_seq_length=config.max_length, model_kwargs=model_kwargs or None)
    if decoder:
        tokenizer = transformer.tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "right"
        append_eos(tokenizer)
    modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling), Normalize()]
    return SentenceTransformer(modules=modules, device=device)


def append_eos(tokenizer: PreTrainedTokenizerBase) -> None:
    """Make ``tokenizer`` end every text with its EOS token, keeping a leading BOS if it adds one.

    Uses the tokenizer's ``add_bos_token`` / ``add_eos_token`` switches (transformers'
    tokenizers backend), which rebuild its post-processor; the result is saved in
    ``tokenizer.json`` and so survives a reload. Anything else becomes a one-line error.
    """
    eos_id, bos_id = tokenizer.eos_token_id, tokenizer.bos_token_id
    if eos_id is None:
        raise UserError("the decoder's tokenizer has no EOS token: last-token pooling needs one to pool at")
    probe = "a b"
    before = tokenizer(probe)["input_ids"]
    if before[-1:] == [eos_id]:
        return
    tokenizer.add_bos_token = bos_id is not None and before[:1] == [bos_id]
    tokenizer.add_eos_token = True
    if tokenizer(probe)["input_ids"] != [*before, eos_id]:
        raise UserError(
            f"could not make the {type(tokenizer).__name__} tokenizer append its EOS token for "
            "last-token pooling: use a model whose tokenizer does, or pooling mean",
            settings=("pooling",),
        )


def _replace_pooling(model: SentenceTransformer, mode: str) -> None:
    for index, module in enumerate(model):
        if isinstance(module, Pooling):
            model[index] = Pooling(module.embedding_dimension, pooling_mode=mode)
            return
    raise UserError(f"pooling {mode}: the model has no pooling module to change", settings=("pooling",))


def _set_prompts(model: SentenceTransformer, config: TrainConfig) -> None:
    """Query/passage prompts: ``--query-instruction``, else the model's own, else E5's for E5 models."""
    prompts = dict(model.prompts)
    if config.query_instruction:
        passage = prompts.get("passage", prompts.get("document", ""))
        prompts.update(query=config.query_instruction, passage=passage)
    elif "query" not in prompts and "e5" in config.model.lower():
        prompts.update(query="query: ", passage="passage: ")
    model.prompts = prompts


def _add_lora(model: SentenceTransformer, config: TrainConfig) -> None:
    """Inject LoRA adapters (named "default") and keep their weights in fp32 on a bf16 base."""
    from peft import LoraConfig
    from peft.functional import cast_adapter_dtype

    targets = config.lora_target_modules.strip()
    model.add_adapter(
        LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=targets if targets == "all-linear" else [t.strip() for t in targets.split(",")],
        )
    )
    cast_adapter_dtype(model[0].auto_model, adapter_name="default")


def merge_lora(model: SentenceTransformer) -> None:
    """Fold the LoRA deltas into the base weights and remove the adapter layers, in place.

    Afterwards the backbone saves (and loads) as a plain transformers model.
    """
    from peft.tuners.tuners_utils import BaseTunerLayer

    backbone = model[0].auto_model
    if not getattr(backbone, "_hf_peft_config_loaded", False):
        return
    for name, module in list(backbone.named_modules()):
        if isinstance(module, BaseTunerLayer):
            module.merge()
            parent_name, _, child_name = name.rpartition(".")
            setattr(backbone.get_submodule(parent_name), child_name, module.get_base_layer())
    backbone.delete_adapter(list(backbone.peft_config))
