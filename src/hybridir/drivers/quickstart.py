"""The quickstart: train a hybrid model on MLQA-R, then compare it with the zero-shot model on XQuAD-R.

XQuAD-R is a zero-shot transfer for a model trained on MLQA-R: other articles, and four
languages (el, ru, th, tr) that MLQA-R does not have. Rerunning continues where it stopped:
a finished training is reused, an interrupted one resumes, and the zero-shot embeddings are
cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridir.core.files import atomic_write, write_json
from hybridir.core.process import in_fresh_process
from hybridir.drivers.evaluate import EvalConfig, run_lareqa_eval
from hybridir.drivers.train import run_training
from hybridir.reports.comparison import comparison_markdown
from hybridir.training.checkpoints import resumable
from hybridir.training.config import TrainConfig

BASE_MODEL = "multilingual-e5-small"
QUICKSTART_STEPS = 120  # 376 s of training on a 2-core CPU with frozen token embeddings (README)
UNSEEN_LANGUAGES = ("el", "ru", "th", "tr")  # in XQuAD-R, not in MLQA-R


def quickstart_config(out: Path, max_steps: int) -> TrainConfig:
    """The quickstart's training settings: paper hyper-parameters, CPU-sized batch and steps."""
    return TrainConfig(
        train="mlqa-r",
        out=str(out),
        model=BASE_MODEL,
        sampling="hybrid",
        alpha=0.5,
        batch_size=32,
        max_steps=max_steps,
        max_length=128,
        freeze_embeddings=True,
        validation_fraction=0.1,
        eval_steps=40,
        save_steps=40,
        logging_steps=5,
        log_batches=True,
    )


def run_quickstart(out: Path, max_steps: int | None = None, languages: str | None = None) -> str:
    """Train (or reuse / resume), evaluate both models, write comparison files; return the table.

    Each stage runs in a process of its own (as Tevatron's stage drivers do): the training's
    memory is given back before the evaluations start.
    """
    train_dir = out / "hybrid-mlqa-r"
    config = quickstart_config(train_dir, max_steps or QUICKSTART_STEPS)
    if not (train_dir / "model").exists():
        config.resume = resumable(train_dir)
        in_fresh_process(run_training, config)
    results: dict[str, dict[str, Any]] = {}
    for label, model in (("zero-shot", BASE_MODEL), ("hybrid", str(train_dir))):
        evaluation = EvalConfig(
            model=model, benchmark="xquad-r", out=str(out / f"xquad-r-{label}"), languages=languages
        )
        results[label] = in_fresh_process(run_lareqa_eval, evaluation)
    table = comparison_markdown(results, unseen_languages=UNSEEN_LANGUAGES)
    notes = sorted({note for metrics in results.values() for note in metrics["notes"]})
    table += "".join(f"\n\nnote: {note}" for note in notes)
    atomic_write(out / "comparison.md", table + "\n")
    summary = {label: {k: v for k, v in m.items() if k != "timing"} for label, m in results.items()}
    write_json(out / "comparison.json", summary, ensure_ascii=True)
    return table
