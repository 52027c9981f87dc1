"""Trainer arguments and the loss, set up for one process or for data-parallel training.

Under ``torchrun --nproc-per-node N`` (or ``accelerate launch``) every process runs the same
``hybridir train``. The planner plans GLOBAL batches from (seed, epoch), identical on every rank;
accelerate runs with ``split_batches=True``, so each rank's DataLoader yields the global batch
and keeps its contiguous ``1/N`` slice. ``--batch-size`` therefore stays the global batch, the
Trainer's ``per_device_train_batch_size`` is set to it (with ``split_batches`` accelerate reads
that as the size before splitting), and the loss gathers every rank's embeddings
(``gather_across_devices``) so in-batch negatives span the whole global batch, as on one device.
"""

from __future__ import annotations

from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

from hybridir.errors import UserError
from hybridir.training.config import TrainConfig
from hybridir.training.losses import LengthSortedCachedMNRL, LengthSortedMNRL
from hybridir.training.model_loading import has_accelerator


def check_parallel_setup(config: TrainConfig, processes: int) -> None:
    """Refuse set-ups in which ranks could not share one global batch."""
    config.check_processes(processes)
    if processes == 1 and has_accelerator() and torch.cuda.device_count() > 1:
        raise UserError(
            f"{torch.cuda.device_count()} GPUs are visible to one process: launch one process per GPU "
            "(`torchrun --nproc-per-node N -m hybridir.cli train ...`) or set CUDA_VISIBLE_DEVICES to one GPU"
        )


def validation_batch_size(smallest_language: int, config: TrainConfig, processes: int) -> int:
    """The training batch size, shrunk so every validation language fills a batch.

    The validation split is small (a tenth of the articles), so a one-language batch of the
    full size may not exist there; validation loss only has to be comparable between
    evaluations, which a fixed smaller batch keeps. It stays a multiple of the process count.
    """
    size = min(config.batch_size, smallest_language)
    size -= size % processes
    if size < 2:
        raise UserError(
            f"the validation split's smallest language has {smallest_language} examples, too few for a "
            f"batch over {processes} processes: raise the validation fraction or set it to 0",
            settings=("validation_fraction",),
        )
    return size


def build_loss(model: SentenceTransformer, config: TrainConfig, processes: int) -> torch.nn.Module:
    """InfoNCE with in-batch negatives (cached for big batches), gathered across ranks when distributed.

    With ``length_sorted`` (the default) each batch is encoded in length-sorted micro-batches
    (:mod:`hybridir.training.losses`): the same loss and gradients with far less padding.
    """
    options = {"scale": 1.0 / config.temperature, "gather_across_devices": processes > 1}
    if config.cached_loss:
        cached = LengthSortedCachedMNRL if config.length_sorted else CachedMultipleNegativesRankingLoss
        return cached(model, mini_batch_size=config.mini_batch_size, **options)
    if config.length_sorted:
        return LengthSortedMNRL(model, micro_batch_size=config.micro_batch_size, **options)
    return MultipleNegativesRankingLoss(model, **options)


def training_arguments(
    config: TrainConfig, out: Path, eval_batch_size: int | None, prompts: dict[str, str]
) -> SentenceTransformerTrainingArguments:
    """Trainer arguments; batch sizes are global (see the module docstring)."""
    has_validation = eval_batch_size is not None
    return SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=eval_batch_size or config.batch_size,
        accelerator_config={"split_batches": True},
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,  # transformers 5: a float below 1 is a fraction of the steps
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        bf16=config.use_bf16("cuda" if has_accelerator() else "cpu"),
        eval_strategy="steps" if has_validation else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        load_best_model_at_end=has_validation,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_steps=config.logging_steps,
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
        prompts=prompts or None,
        disable_tqdm=False,
        dataloader_pin_memory=has_accelerator(),
        use_cpu=not has_accelerator(),  # also what lets --bf16 (autocast) run on a CPU
    )
