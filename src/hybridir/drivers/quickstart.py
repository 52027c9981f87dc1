"""The quickstart: train a hybrid model on MLQA-R, interpolate it with the zero-shot model
(WiSE-FT, the ratio chosen on MLQA-R's held-out articles), then compare it with the zero-shot
model on XQuAD-R.

This is the project's recipe (configs/recipes/README.md) cut to the quickstart's time: MLQA-R
alone, the same number of training pairs as the recipe's 240 steps of 16, fewer WiSE-FT ratios.
XQuAD-R is a zero-shot transfer for a model trained on MLQA-R: other articles, and four
languages (el, ru, th, tr) that MLQA-R does not have. Rerunning continues where it stopped:
a finished training or merge is reused, an interrupted training resumes, and the zero-shot
embeddings are cached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridir.core.files import atomic_write, read_text, write_json
from hybridir.core.process import in_fresh_process
from hybridir.drivers.evaluate import EvalConfig, run_lareqa_eval
from hybridir.drivers.merge import choose_ratio
from hybridir.drivers.train import run_training
from hybridir.reports.comparison import comparison_markdown
from hybridir.training.checkpoints import resumable
from hybridir.training.config import TrainConfig

BASE_MODEL = "multilingual-e5-small"
QUICKSTART_STEPS = 120  # 376 s of training on a 2-core CPU with frozen token embeddings (README)
UNSEEN_LANGUAGES = ("el", "ru", "th", "tr")  # in XQuAD-R, not in MLQA-R
# WiSE-FT ratios scored on validation: where the recipe grid's choices fell (0.7-1, docs/results.md 8)
QUICKSTART_RATIOS = (0.7, 0.8, 0.9, 1.0)


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
    """Train (or reuse / resume), merge, evaluate both models, write comparison files; return the table.

    Each stage runs in a process of its own (as Tevatron's stage drivers do): the training's
    memory is given back before the evaluations start.
    """
    train_dir = out / "hybrid-mlqa-r"
    config = quickstart_config(train_dir, max_steps or QUICKSTART_STEPS)
    if not (train_dir / "model").exists():
        config.resume = resumable(train_dir)
        in_fresh_process(run_training, config)
    merged_dir = out / "hybrid-wise-ft"
    if not ((merged_dir / "model").is_dir() and (merged_dir / "interpolation.json").is_file()):
        in_fresh_process(choose_ratio, str(train_dir), QUICKSTART_RATIOS, merged_dir)
    ratio = json.loads(read_text(merged_dir / "interpolation.json"))["ratio"]
    results: dict[str, dict[str, Any]] = {}
    runs = (
        ("zero-shot", "zero-shot", BASE_MODEL),
        ("hybrid + WiSE-FT", "hybrid-wise-ft", str(merged_dir / "model")),
    )
    for label, folder, model in runs:
        evaluation = EvalConfig(
            model=model, benchmark="xquad-r", out=str(out / f"xquad-r-{folder}"), languages=languages
        )
        results[label] = in_fresh_process(run_lareqa_eval, evaluation)
    table = comparison_markdown(results, unseen_languages=UNSEEN_LANGUAGES)
    notes = {note for metrics in results.values() for note in metrics["notes"]}
    notes.add(
        f"hybrid + WiSE-FT: (1 - r) * zero-shot + r * hybrid, r = {ratio:g} chosen on MLQA-R's held-out "
        f"articles from {', '.join(f'{r:g}' for r in QUICKSTART_RATIOS)} ({merged_dir / 'interpolation.md'})"
    )
    table += "".join(f"\n\nnote: {note}" for note in sorted(notes))
    atomic_write(out / "comparison.md", table + "\n")
    summary = {label: {k: v for k, v in m.items() if k != "timing"} for label, m in results.items()}
    write_json(out / "comparison.json", summary | {"wise_ft_ratio": ratio}, ensure_ascii=True)
    return table
