"""The training driver: config -> data -> sampler -> sentence-transformers Trainer -> run folder.

Run folder layout (each stage's files, so every piece can be inspected or rerun alone)::

    <out>/config.yaml        resolved settings
    <out>/train_log.jsonl    loss / learning rate / eval loss per logging step
    <out>/batches.jsonl      with --log-batches: kind and (q lang, p lang, id) of every batch
    <out>/checkpoints/       periodic Trainer checkpoints (resume from the latest)
    <out>/model/             the final (best) model, a sentence-transformers folder
    <out>/summary.json       steps, losses, wall time, realised mono/cross ratio, language histogram
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
from transformers import EarlyStoppingCallback
from transformers.trainer_utils import get_last_checkpoint

from hybridir.data.parallel import ParallelCorpus, split_by_group
from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError
from hybridir.models.registry import resolve_model_path
from hybridir.sampling.batch_sampler import ParallelBatchSampler
from hybridir.sampling.planner import BatchPlanner, parse_strategy
from hybridir.sampling.weights import parse_language_weights
from hybridir.training.callbacks import GracefulStopCallback, JsonlLogCallback
from hybridir.training.config import TrainConfig, check_resumable
from hybridir.training.pairs import PairTable, build_pair_table


@dataclass
class SamplingPlan:
    """A planner and the table its items index, for one split."""

    planner: BatchPlanner
    table: PairTable


class ParallelTrainer(SentenceTransformerTrainer):
    """The sentence-transformers Trainer with our batch sampler for the train and eval splits."""

    def __init__(self, *args: Any, plans: dict[str, SamplingPlan], **kwargs: Any) -> None:
        self.plans = plans
        super().__init__(*args, **kwargs)

    def get_batch_sampler(
        self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0
    ):
        split = "train" if dataset is self.train_dataset else "eval"
        plan = self.plans[split]
        factory = ParallelBatchSampler.factory(plan.planner, plan.table.row_index)
        return factory(dataset, batch_size, drop_last, valid_label_columns, generator, seed)


def load_model(config: TrainConfig) -> tuple[SentenceTransformer, list[str]]:
    """Load the encoder to fine-tune, with query/passage prompts set for E5-style models."""
    path, notes = resolve_model_path(config.model)
    model = SentenceTransformer(path, device="cpu" if not _has_accelerator() else None)
    if "query" not in model.prompts and "e5" in config.model.lower():
        model.prompts = {"query": "query: ", "passage": "passage: "}
    model.max_seq_length = config.max_length
    if config.freeze_embeddings:
        model[0].auto_model.get_input_embeddings().requires_grad_(False)
    return model, notes


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available()


def _make_plan(corpus: ParallelCorpus, config: TrainConfig, split: str, batch_size: int) -> SamplingPlan:
    strategy = parse_strategy(config.sampling)
    try:
        planner = BatchPlanner(
            example_languages=[ex.languages for ex in corpus.examples],
            batch_size=batch_size,
            strategy=strategy,
            alpha=config.alpha,
            weighting=parse_language_weights(config.language_weights),
            seed=config.seed,
        )
    except UserError as exc:
        raise UserError(f"{split} split: {exc}") from exc
    return SamplingPlan(planner, build_pair_table(corpus, strategy, config.hard_negatives, config.seed))


def _validation_batch_size(corpus: ParallelCorpus, config: TrainConfig) -> int:
    """The training batch size, shrunk so every validation language fills a batch.

    The validation split is small (a tenth of the articles), so a one-language batch of the
    full size may not exist there; validation loss only has to be comparable between
    evaluations, which a fixed smaller batch keeps.
    """
    smallest = min(corpus.language_counts().values())
    return max(2, min(config.batch_size, smallest))


def _prepare_run_folder(out: Path, config: TrainConfig) -> str | None:
    """Check the run folder against ``--resume``; return the checkpoint to resume from."""
    checkpoints = out / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if config.resume:
        saved_path = out / "config.yaml"
        if last is None or not saved_path.exists():
            raise UserError(
                f"nothing to resume in {out}: no checkpoint there; drop --resume to start a new run"
            )
        check_resumable(yaml.safe_load(saved_path.read_text(encoding="utf-8")), config)
        return last
    if (out / "model").exists() or last is not None:
        raise UserError(f"{out} already holds a run: pass --resume to continue it, or choose a new --out")
    return None


def _batch_records(planner: BatchPlanner, corpus: ParallelCorpus, steps: int, accumulation: int):
    """Yield one record per micro-batch of the first ``steps`` optimizer steps, in order.

    The planner is deterministic in (seed, epoch), so this is exactly what the sampler fed.
    """
    epoch = 0
    while True:
        batches = planner.plan_epoch(epoch)
        steps_per_epoch = -(-len(batches) // accumulation)
        for position, batch in enumerate(batches):
            step = epoch * steps_per_epoch + position // accumulation + 1
            if step > steps:
                return
            yield {
                "step": step,
                "epoch": epoch,
                "kind": batch.kind.value,
                "items": [[q, p, corpus.examples[i].id] for i, q, p in batch.items],
            }
        epoch += 1


def _sampling_summary(records: list[dict]) -> dict[str, Any]:
    kinds = Counter(record["kind"] for record in records)
    questions = Counter(q for record in records for q, _, _ in record["items"])
    passages = Counter(p for record in records for _, p, _ in record["items"])
    total = max(1, sum(kinds.values()))
    return {
        "batches": sum(kinds.values()),
        "mono_fraction": kinds.get("mono", 0) / total,
        "cross_fraction": kinds.get("cross", 0) / total,
        "question_languages": dict(sorted(questions.items())),
        "passage_languages": dict(sorted(passages.items())),
    }


def _training_arguments(
    config: TrainConfig, out: Path, eval_batch_size: int | None, prompts: dict[str, str]
) -> SentenceTransformerTrainingArguments:
    has_validation = eval_batch_size is not None
    return SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=eval_batch_size or config.batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_ratio=config.warmup_ratio,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        bf16=config.bf16,
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
        dataloader_pin_memory=_has_accelerator(),
    )


def _save_final_model(model: SentenceTransformer, out: Path) -> Path:
    """Save to a temporary folder, then rename: ``<out>/model`` is never half-written."""
    final = out / "model"
    partial = out / "model.partial"
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return final


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def run_training(config: TrainConfig) -> Path:
    """Train one model as ``config`` says and return the run folder.

    Raises :class:`UserError` for bad data or settings, and after a graceful stop (Ctrl-C or
    SIGTERM), once the checkpoint of the step in flight is saved.
    """
    config.validate()
    out = Path(config.out)
    resume_from = _prepare_run_folder(out, config)
    corpus = load_training_corpus(
        config.train, config.languages, config.context, config.seed, config.data_dir
    )
    train_corpus, val_corpus = split_by_group(corpus, config.validation_fraction, config.seed)
    has_validation = len(val_corpus) > 0
    if has_validation and config.save_steps % config.eval_steps:
        raise UserError("--save-steps must be a multiple of --eval-steps, so the best checkpoint is kept")
    plans = {"train": _make_plan(train_corpus, config, "training", config.batch_size)}
    val_batch_size = _validation_batch_size(val_corpus, config) if has_validation else None
    if val_batch_size is not None:
        plans["eval"] = _make_plan(val_corpus, config, "validation", val_batch_size)

    model, notes = load_model(config)
    query_prompt = model.prompts.get("query", "")
    passage_prompt = model.prompts.get("passage", model.prompts.get("document", ""))
    prompts = {"anchor": query_prompt, "positive": passage_prompt, "negative": passage_prompt}
    prompts = {column: text for column, text in prompts.items() if text}
    scale = 1.0 / config.temperature
    if config.cached_loss:
        loss = CachedMultipleNegativesRankingLoss(model, scale=scale, mini_batch_size=config.mini_batch_size)
    else:
        loss = MultipleNegativesRankingLoss(model, scale=scale)

    out.mkdir(parents=True, exist_ok=True)
    config.save(out / "config.yaml")
    stopper = GracefulStopCallback()
    callbacks = [JsonlLogCallback(out / "train_log.jsonl"), stopper]
    if has_validation and config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = ParallelTrainer(
        model=model,
        args=_training_arguments(config, out, val_batch_size, prompts),
        train_dataset=plans["train"].table.dataset,
        eval_dataset=plans["eval"].table.dataset if has_validation else None,
        loss=loss,
        callbacks=callbacks,
        plans=plans,
    )
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    wall_s = time.perf_counter() - started
    steps = trainer.state.global_step

    if stopper.requested:
        raise UserError(
            f"stopped at step {steps}; checkpoint saved in {out / 'checkpoints'}: "
            "rerun the same command with --resume to continue"
        )
    records = list(
        _batch_records(plans["train"].planner, train_corpus, steps, config.gradient_accumulation_steps)
    )
    if config.log_batches:
        with (out / "batches.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    final = _save_final_model(trainer.model, out)
    pairs = steps * config.batch_size * config.gradient_accumulation_steps
    _write_json(
        out / "summary.json",
        {
            "model": config.model,
            "model_notes": notes,
            "final_model": str(final),
            "steps": steps,
            "train_loss": result.training_loss,
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_eval_loss": trainer.state.best_metric,
            "train_examples": len(train_corpus),
            "validation_examples": len(val_corpus),
            "validation_batch_size": val_batch_size,
            "wall_s": wall_s,
            "pairs_per_s": pairs / wall_s if wall_s > 0 else None,
            "resumed_from": resume_from,
            "sampling": {"strategy": config.sampling, "alpha": config.alpha, **_sampling_summary(records)},
        },
    )
    return out
