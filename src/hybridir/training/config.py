"""The typed training configuration: defaults, YAML files with CLI overrides, validation.

Precedence is defaults < YAML file < command-line flags. The resolved config is saved as
``config.yaml`` in the run folder, and ``--resume`` refuses a config that changes anything
that would alter the batch order or the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from hybridir.core.files import atomic_write
from hybridir.core.precision import native_bf16
from hybridir.core.settings import Choice, check_settings, coerce_choices, plain_values, setting
from hybridir.data.context import ContextMode
from hybridir.errors import UserError
from hybridir.sampling.kinds import Strategy
from hybridir.sampling.weights import parse_language_weights

# Settings that may differ between a run and its resumption without changing its result.
RESUME_FREE_FIELDS = frozenset({"resume", "log_batches", "save_steps", "save_total_limit", "logging_steps"})


class Pooling(Choice):
    """How token embeddings become one vector (``auto``: see :mod:`hybridir.training.model_loading`)."""

    AUTO = "auto"
    MEAN = "mean"
    LASTTOKEN = "lasttoken"
    CLS = "cls"


@dataclass
class TrainConfig:
    """Everything that defines a training run (paper defaults where the paper gives them).

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir train`` flags are generated from them and :meth:`validate` checks them.
    """

    # One source or a list (see hybridir.data.training_sources); in YAML an item may also be a
    # mapping {path, language, languages, weight}.
    train: str | list = setting(
        "mlqa-r",
        "a training source, repeatable: benchmark name (mlqa-r, xquad-r), parallel JSONL file, "
        "folder of <lang>.json or of bitext <lang>.txt, or LANG:FILE.json (SQuAD in one language)",
        repeatable=True,
    )
    source_weights: str = setting(
        "size", "size | uniform | temperature:T: how each batch's source is drawn (size: the paper's)"
    )
    out: str = setting("runs/train", "run folder: model, checkpoints, config.yaml, summary.json")
    model: str = setting("multilingual-e5-small", "model to fine-tune: a hub name, an ST folder or a run")
    data_dir: str | None = setting(
        None, "folder of the benchmark files (default: $HYBRIDIR_DATA or the cache)"
    )
    languages: str | None = setting(None, "comma-separated subset of the training languages, e.g. en,de")
    context: ContextMode = setting(
        ContextMode.SENTENCE, "a positive is the answer sentence, or it followed by its paragraph"
    )
    sampling: Strategy = setting(Strategy.HYBRID, "how batches are formed (see hybridir.sampling)")
    alpha: float = setting(
        0.5,
        "hybrid: probability that a batch is x-x-mono, else x-y (1 = all x-x-mono)",
        at_least=0,
        at_most=1,
    )
    language_weights: str = setting("uniform", "uniform | size | temperature:T: how languages are drawn")
    batch_size: int = setting(
        32, "global batch size: pairs per optimizer step across all devices (in-batch negatives)", at_least=2
    )
    learning_rate: float = setting(3e-5, "peak learning rate (AdamW, linear decay)", above=0)
    weight_decay: float = setting(0.01, "AdamW weight decay", at_least=0)
    warmup_ratio: float = setting(
        0.1, "share of the steps spent warming the learning rate up", at_least=0, below=1
    )
    epochs: float = setting(1.0, "training epochs (ignored when --max-steps is set)", at_least=0)
    max_steps: int = setting(-1, "optimizer steps; > 0 overrides --epochs, -1 = use --epochs", at_least=-1)
    max_length: int = setting(128, "tokens per question and per passage", at_least=1)
    temperature: float = setting(
        0.05, "InfoNCE temperature on cosine scores (scale = 1 / temperature)", above=0
    )
    hard_negatives: bool = setting(True, "add each pair's hard negative passage to the batch")
    gradient_accumulation_steps: int = setting(1, "batches per optimizer step", at_least=1)
    cached_loss: bool = setting(False, "GradCache-style loss: large batches in fixed memory")
    mini_batch_size: int = setting(16, "rows per chunk of the cached loss", at_least=1)
    bf16: bool | None = setting(
        None,
        "bf16 autocast (default: on where the hardware does bf16 natively; --no-bf16 for fp32); "
        "with LoRA also loads the frozen base weights in bf16",
    )
    length_sorted: bool = setting(
        True, "encode each batch in length-sorted micro-batches (same loss, no padding)"
    )
    micro_batch_size: int = setting(
        16, "rows per length-sorted micro-batch (the cached loss: --mini-batch-size)", at_least=1
    )
    pooling: Pooling = setting(Pooling.AUTO, "auto: the model's own, last token for decoder LLMs")
    query_instruction: str = setting(
        "", "prefix for queries of instruction-tuned LLM embedders ('': the model's prompts)"
    )
    lora_r: int = setting(
        0, "LoRA rank (0 = train all weights); adapters are merged into the saved model", at_least=0
    )
    lora_alpha: int = setting(32, "LoRA scaling numerator", above=0)
    lora_dropout: float = setting(0.1, "dropout on the LoRA path", at_least=0, below=1)
    lora_target_modules: str = setting("all-linear", "modules LoRA adapts, comma-separated or all-linear")
    gradient_checkpointing: bool = setting(False, "recompute activations in the backward pass to save memory")
    freeze_embeddings: bool = setting(
        False, "freeze the token-embedding matrix (most of a small model's weights)"
    )
    validation_fraction: float = setting(
        0.1,
        "share of articles held out for the validation loss (early stopping); 0 = none",
        at_least=0,
        below=1,
    )
    eval_steps: int = setting(50, "steps between validation losses", at_least=1)
    early_stopping_patience: int = setting(
        3, "evaluations without improvement before stopping; 0 = off", at_least=0
    )
    save_steps: int = setting(50, "steps between checkpoints", at_least=1)
    save_total_limit: int = setting(2, "checkpoints kept (the best one is kept too)", at_least=1)
    logging_steps: int = setting(10, "steps between logged losses", at_least=1)
    seed: int = setting(42, "seeds the batch plan, the data split and the model's initialisation", at_least=0)
    log_batches: bool = setting(False, "write every batch's kind and (q lang, p lang, id) to batches.jsonl")
    resume: bool = setting(False, "continue the run in --out from its latest complete checkpoint")

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for settings that cannot work."""
        sources = [self.train] if isinstance(self.train, str) else self.train
        if not isinstance(sources, list) or not sources:
            raise UserError("--train needs at least one source (a list in YAML)")
        if not all(isinstance(item, (str, Mapping)) for item in sources):
            raise UserError(
                "each train source is a string ([LANG:]PATH or a benchmark) or a mapping with a path"
            )
        check_settings(self)
        parse_language_weights(self.source_weights, "source")
        parse_language_weights(self.language_weights)
        if self.max_steps <= 0 and self.epochs <= 0:
            raise UserError("set --epochs > 0 or --max-steps > 0")

    def check_processes(self, processes: int) -> None:
        """Refuse a global batch that the ``processes`` ranks could not share evenly."""
        if self.batch_size % processes:
            raise UserError(
                f"--batch-size {self.batch_size} is the global batch and must divide evenly over "
                f"{processes} processes: use a multiple of {processes}"
            )

    def use_bf16(self, device: str) -> bool:
        """Whether training autocasts to bf16 on ``device``: as set, or where bf16 is native."""
        return self.bf16 if self.bf16 is not None else native_bf16(device)

    def to_dict(self) -> dict[str, Any]:
        return plain_values(self)

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
                "rerun with the same settings or use a new output folder",
                settings=("out",),
            )
