"""The training driver: config -> data -> sampler -> sentence-transformers Trainer -> run folder.

Run folder layout (each stage's files, so every piece can be inspected or rerun alone)::

    <out>/config.yaml        resolved settings
    <out>/train_log.jsonl    loss / learning rate / eval loss per logging step
    <out>/batches.jsonl      with --log-batches: kind, source and (q lang, p lang, id) of every batch
    <out>/batches.rank{r}.jsonl  with --log-batches in a distributed run: rank r's slice of each batch
    <out>/checkpoints/       periodic Trainer checkpoints (resume from the latest complete one)
    <out>/model/             the final (best) model, a sentence-transformers folder
    <out>/summary.json       steps, losses, wall time, sources, realised kind and source mix, languages

Under ``torchrun`` / ``accelerate launch`` every process runs this driver; only rank 0 writes the
run files (the per-rank batch logs aside). See :mod:`hybridir.training.arguments` for how ranks
share each global batch.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sentence_transformers import SentenceTransformer
from transformers import EarlyStoppingCallback

from hybridir.core.files import atomic_folder, atomic_open, write_json
from hybridir.core.process import process_rank, world_size
from hybridir.data.training_sources import TrainingSource, load_training_sources, split_sources
from hybridir.errors import UserError
from hybridir.sampling.planner import BatchKind, BatchPlanner, strategy_kinds
from hybridir.sampling.sources import smallest_pool
from hybridir.sampling.weights import parse_language_weights
from hybridir.training.arguments import (
    build_loss,
    check_parallel_setup,
    training_arguments,
    validation_batch_size,
)
from hybridir.training.batch_log import (
    RankSliceLog,
    batch_records,
    sampling_summary,
)
from hybridir.training.callbacks import GracefulStopCallback, JsonlLogCallback, SamplerEpochCallback
from hybridir.training.checkpoints import Checkpoint, has_checkpoints, last_complete_checkpoint
from hybridir.training.config import TrainConfig, check_resumable
from hybridir.training.model_loading import load_model, merge_lora
from hybridir.training.pairs import build_pair_table, plan_sources
from hybridir.training.trainer import HybridBatchTrainer, SamplingPlan


def _make_plan(
    sources: list[TrainingSource], config: TrainConfig, split: str, batch_size: int | None
) -> SamplingPlan:
    """The table and planner of one split; ``batch_size`` None: the largest every pool can fill."""
    strategy = config.sampling
    table = build_pair_table(sources, strategy, config.hard_negatives, config.seed)
    planned = plan_sources(sources, table)
    if batch_size is None:
        kinds = strategy_kinds(strategy, config.alpha)
        smallest = smallest_pool(
            planned, BatchKind.X_X in kinds, BatchKind.X_X_MONO in kinds, BatchKind.X_Y in kinds
        )
        batch_size = validation_batch_size(smallest, config, world_size())
    try:
        planner = BatchPlanner(
            batch_size=batch_size,
            strategy=strategy,
            alpha=config.alpha,
            weighting=parse_language_weights(config.language_weights),
            seed=config.seed,
            sources=planned,
            source_weighting=parse_language_weights(config.source_weights, "source"),
        )
    except UserError as exc:
        raise UserError(f"{split} split: {exc}") from exc
    return SamplingPlan(planner, table)


def _source_summary(train: list[TrainingSource], validation: list[TrainingSource]) -> list[dict[str, Any]]:
    held = {source.name: len(source.corpus) for source in validation}
    return [
        {
            "name": source.name,
            "kind": source.kind.value,
            "languages": source.corpus.languages,
            "weight": source.weight,
            "train_examples": len(source.corpus),
            "validation_examples": held.get(source.name, 0),
        }
        for source in train
    ]


def _prepare_run_folder(out: Path, config: TrainConfig) -> Checkpoint | None:
    """Check the run folder against ``config.resume``; return the checkpoint to resume from."""
    if config.resume:
        last = last_complete_checkpoint(out / "checkpoints")
        saved_path = out / "config.yaml"
        if last is None or not saved_path.exists():
            raise UserError(
                f"nothing to resume in {out}: no complete checkpoint there; start a new run without resume",
                settings=("resume",),
            )
        check_resumable(yaml.safe_load(saved_path.read_text(encoding="utf-8")), config)
        return last
    if (out / "model").exists() or has_checkpoints(out / "checkpoints"):
        raise UserError(
            f"{out} already holds a run: resume it to continue, or choose a new output folder",
            settings=("resume", "out"),
        )
    return None


def _save_final_model(model: SentenceTransformer, out: Path) -> Path:
    """Merge LoRA adapters and save aside, then rename: ``<out>/model`` is never half-written."""
    merge_lora(model)
    final = out / "model"
    with atomic_folder(final) as staging:
        model.save(str(staging))
    return final


def _column_prompts(model: SentenceTransformer) -> dict[str, str]:
    """The model's query / passage prompts for the training columns that use them."""
    query_prompt = model.prompts.get("query", "")
    passage_prompt = model.prompts.get("passage", model.prompts.get("document", ""))
    prompts = {"anchor": query_prompt, "positive": passage_prompt, "negative": passage_prompt}
    return {column: text for column, text in prompts.items() if text}


@dataclass(frozen=True)
class RunFacts:
    """What the run folder's summary reports about the model and the data, beside the Trainer's state."""

    model_notes: list[str]
    data_notes: list[str]
    train_sources: list[TrainingSource]
    val_sources: list[TrainingSource]
    val_batch_size: int | None
    processes: int


def _write_run_files(
    out: Path,
    config: TrainConfig,
    trainer: HybridBatchTrainer,
    planner: BatchPlanner,
    example_ids: list[str],
    facts: RunFacts,
    *,
    train_loss: float,
    wall_s: float,
    first_step: int,
    resumed_from: str | None,
) -> None:
    """Rank 0's files of a finished run: the batch log, the final model, summary.json."""
    steps = trainer.state.global_step
    records = list(batch_records(planner, example_ids, steps, config.gradient_accumulation_steps))
    if config.log_batches:
        with atomic_open(out / "batches.jsonl") as handle:
            handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    final = _save_final_model(trainer.model, out)
    pairs = (steps - first_step) * config.batch_size * config.gradient_accumulation_steps
    write_json(
        out / "summary.json",
        {
            "model": config.model,
            "model_notes": facts.model_notes,
            "final_model": str(final),
            "steps": steps,
            "train_loss": train_loss,
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_eval_loss": trainer.state.best_metric,
            "train_examples": len(example_ids),
            "validation_examples": sum(len(source.corpus) for source in facts.val_sources),
            "sources": _source_summary(facts.train_sources, facts.val_sources),
            "data_notes": facts.data_notes,
            "validation_batch_size": facts.val_batch_size,
            "processes": facts.processes,
            "wall_s": wall_s,
            "pairs_per_s": pairs / wall_s if wall_s > 0 else None,
            "resumed_from": resumed_from,
            "sampling": {
                "strategy": config.sampling,
                "alpha": config.alpha,
                "source_weights": config.source_weights,
                **sampling_summary(records),
            },
        },
    )


def run_training(config: TrainConfig) -> Path:
    """Train one model as ``config`` says and return the run folder.

    Raises :class:`UserError` for bad data or settings, and after a graceful stop (Ctrl-C or
    SIGTERM), once the checkpoint of the step in flight is saved.
    """
    config.validate()
    processes, rank = world_size(), process_rank()
    check_parallel_setup(config, processes)
    out = Path(config.out)
    checkpoint = _prepare_run_folder(out, config)
    resume_from = str(checkpoint.path) if checkpoint else None
    sources = load_training_sources(
        config.train, config.languages, config.context, config.seed, config.data_dir
    )
    train_sources, val_sources = split_sources(sources, config.validation_fraction, config.seed)
    notes_data = [note for source in sources for note in source.notes]
    example_ids = [ex.id for source in train_sources for ex in source.corpus.examples]
    has_validation = bool(val_sources)
    if has_validation and config.save_steps % config.eval_steps:
        raise UserError(
            "save_steps must be a multiple of eval_steps, so the best checkpoint is kept",
            settings=("save_steps", "eval_steps"),
        )
    plans = {"train": _make_plan(train_sources, config, "training", config.batch_size)}
    val_batch_size = None
    if has_validation:
        plans["eval"] = _make_plan(val_sources, config, "validation", None)
        val_batch_size = plans["eval"].planner.batch_size

    model, notes = load_model(config)

    out.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        config.save(out / "config.yaml")
    slice_log = None
    if config.log_batches and processes > 1:
        slice_log = RankSliceLog(
            out,
            rank,
            processes,
            example_ids,
            [source.name for source in train_sources],
            config.gradient_accumulation_steps,
        )
        if resume_from is None:
            slice_log.path.unlink(missing_ok=True)
    stopper = GracefulStopCallback()
    epoch_callback = SamplerEpochCallback(config.gradient_accumulation_steps)
    callbacks = [JsonlLogCallback(out / "train_log.jsonl"), stopper, epoch_callback]
    if has_validation and config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = HybridBatchTrainer(
        model=model,
        args=training_arguments(config, out, val_batch_size, _column_prompts(model)),
        train_dataset=plans["train"].table.dataset,
        eval_dataset=plans["eval"].table.dataset if has_validation else None,
        loss=build_loss(model, config, processes),
        callbacks=callbacks,
        plans=plans,
        epoch_callback=epoch_callback,
        slice_log=slice_log,
    )
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    wall_s = time.perf_counter() - started
    steps = trainer.state.global_step
    if slice_log is not None:
        slice_log.finalize(steps)

    if stopper.requested:
        raise UserError(
            f"stopped at step {steps}; checkpoint saved in {out / 'checkpoints'}: "
            "rerun the same command with resume set to continue",
            settings=("resume",),
        )
    if rank == 0:
        _write_run_files(
            out,
            config,
            trainer,
            plans["train"].planner,
            example_ids,
            RunFacts(notes, notes_data, train_sources, val_sources, val_batch_size, processes),
            train_loss=result.training_loss,
            wall_s=wall_s,
            first_step=checkpoint.step if checkpoint else 0,
            resumed_from=resume_from,
        )
    trainer.accelerator.wait_for_everyone()
    return out
