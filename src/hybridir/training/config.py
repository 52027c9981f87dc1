"""The typed training configuration: defaults, YAML files with CLI overrides, validation.

Precedence is defaults < YAML file < command-line flags. The resolved config is saved as
``config.yaml`` in the run folder, and ``--resume`` refuses a config that changes anything
that would alter the batch order or the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from hybridir.core.files import atomic_write
from hybridir.core.precision import native_bf16
from hybridir.errors import UserError
from hybridir.sampling.weights import parse_language_weights

# Settings that may differ between a run and its resumption without changing its result.
POOLING_CHOICES = ("auto", "mean", "lasttoken", "cls")
RESUME_FREE_FIELDS = frozenset({"resume", "log_batches", "save_steps", "save_total_limit", "logging_steps"})


@dataclass
class TrainConfig:
    """Everything that defines a training run (paper defaults where the paper gives them)."""

    # One source or a list (see hybridir.data.training_sources): a benchmark name, [LANG:]PATH of a
    # parallel JSONL file, a folder of <lang>.json or of bitext <lang>.txt, or a SQuAD file; or a
    # mapping {path, language, languages, weight}.
    train: str | list = "mlqa-r"
    source_weights: str = "size"  # size | uniform | temperature:T: how a batch's source is drawn
    out: str = "runs/train"
    model: str = "multilingual-e5-small"
    data_dir: str | None = None
    languages: str | None = None  # comma-separated subset of the training languages
    context: str = "sentence"  # sentence | paragraph: how a positive passage is built
    sampling: str = "hybrid"  # x-x | x-x-mono | x-y | hybrid
    alpha: float = 0.5  # hybrid: probability that a batch is x-x-mono
    language_weights: str = "uniform"  # uniform | size | temperature:T
    batch_size: int = 32  # global batch size (pairs per step, across all devices)
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    max_length: int = 128  # tokens, for questions and passages alike
    temperature: float = 0.05  # InfoNCE temperature on cosine scores (scale = 1 / temperature)
    hard_negatives: bool = True
    gradient_accumulation_steps: int = 1
    cached_loss: bool = False  # GradCache-style loss: big batches in fixed memory
    mini_batch_size: int = 16  # chunk size of the cached loss
    # bf16 autocast; unset = where the hardware does bf16 natively (hybridir.core.precision). Set true,
    # with LoRA the frozen base weights are also loaded in bf16.
    bf16: bool | None = None
    length_sorted: bool = True  # encode each batch in length-sorted micro-batches: no padding waste
    micro_batch_size: int = 16  # rows per length-sorted micro-batch (the cached loss uses mini_batch_size)
    pooling: str = "auto"  # auto | mean | lasttoken | cls (auto: see training/model_loading.py)
    query_instruction: str = ""  # prefix for questions, e.g. for LLM embedders; "" = the model's prompts
    lora_r: int = 0  # LoRA rank; 0 = full fine-tuning
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_target_modules: str = "all-linear"  # comma-separated module names, or all-linear
    gradient_checkpointing: bool = False  # recompute activations in backward: less memory, more compute
    freeze_embeddings: bool = False  # freeze the token-embedding matrix (most of a small model's weights)
    validation_fraction: float = 0.1  # share of articles held out for validation loss
    eval_steps: int = 50
    early_stopping_patience: int = 3  # evaluations without improvement before stopping; 0 = off
    save_steps: int = 50
    save_total_limit: int = 2
    logging_steps: int = 10
    seed: int = 42
    log_batches: bool = False
    resume: bool = False

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for settings that cannot work."""
        sources = [self.train] if isinstance(self.train, str) else self.train
        if not isinstance(sources, list) or not sources:
            raise UserError("--train needs at least one source (a list in YAML)")
        if not all(isinstance(item, (str, Mapping)) for item in sources):
            raise UserError(
                "each train source is a string ([LANG:]PATH or a benchmark) or a mapping with a path"
            )
        parse_language_weights(self.source_weights, "source")
        if not 0.0 <= self.alpha <= 1.0:
            raise UserError(f"--alpha must be in [0, 1], got {self.alpha}: 1 = all x-x-mono, 0 = all x-y")
        if self.context not in ("sentence", "paragraph"):
            raise UserError(f"--context must be sentence or paragraph, got {self.context!r}")
        if self.batch_size < 2:
            raise UserError(f"--batch-size must be at least 2 for in-batch negatives, got {self.batch_size}")
        if self.temperature <= 0:
            raise UserError(f"--temperature must be positive, got {self.temperature}")
        if self.max_steps <= 0 and self.epochs <= 0:
            raise UserError("set --epochs > 0 or --max-steps > 0")
        if self.pooling not in POOLING_CHOICES:
            raise UserError(f"--pooling must be one of {', '.join(POOLING_CHOICES)}, got {self.pooling!r}")
        if self.lora_r < 0 or self.lora_alpha <= 0:
            raise UserError("--lora-r must be >= 0 (0 = no LoRA) and --lora-alpha positive")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise UserError(f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise UserError(f"--validation-fraction must be in [0, 1), got {self.validation_fraction}")
        for name in (
            "eval_steps",
            "save_steps",
            "logging_steps",
            "gradient_accumulation_steps",
            "mini_batch_size",
            "micro_batch_size",
        ):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1")

    def use_bf16(self, device: str) -> bool:
        """Whether training autocasts to bf16 on ``device``: as set, or where bf16 is native."""
        return self.bf16 if self.bf16 is not None else native_bf16(device)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        atomic_write(path, yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping of config fields, or raise a one-line :class:`UserError`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a mapping of settings, e.g. 'alpha: 0.5'")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def build_config(
    yaml_values: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Merge defaults, YAML values and CLI overrides (``None`` means "not given"), then validate."""
    known = {f.name for f in fields(TrainConfig)}
    merged: dict[str, Any] = {}
    for source in (yaml_values or {}, {k: v for k, v in (overrides or {}).items() if v is not None}):
        unknown = sorted(set(source) - known)
        if unknown:
            raise UserError(f"unknown training setting {unknown[0]!r}: see `hybridir train --help`")
        merged.update(source)
    try:
        config = TrainConfig(**merged)
    except TypeError as exc:
        raise UserError(f"bad training settings: {exc}") from exc
    config.validate()
    return config


def check_resumable(saved: dict[str, Any], current: TrainConfig) -> None:
    """Refuse to resume a run whose saved config differs in a setting that changes the result."""
    for key, value in current.to_dict().items():
        if key in RESUME_FREE_FIELDS or key not in saved:
            continue
        if saved[key] != value:
            raise UserError(
                f"cannot resume: {key} was {saved[key]!r} in the saved run and is {value!r} now; "
                "rerun with the same settings or use a new --out"
            )
