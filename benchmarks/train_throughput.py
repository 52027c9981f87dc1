"""Training throughput: `hybridir train` against a plain sentence-transformers run, in one process.

Both runs fine-tune the same model on MLQA-R with the same batch size, steps, max length,
InfoNCE scale and (question, positive, hard negative) rows; the plain run uses
MultipleNegativesRankingLoss in fp32 with sentence-transformers' default batch sampler over
same-language rows, ours the hybrid sampler with its defaults (length-sorted micro-batches, bf16
autocast where the CPU does bf16 natively). ``--ablate`` adds `hybridir train` with each speed-up
alone and with neither. Pairs per second counts only the Trainer's training loop (model loading
and the final save are excluded on both sides). Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/train_throughput.py [--steps 8] [--ablate]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

from hybridir.data.readers import load_training_corpus
from hybridir.drivers.train import run_training
from hybridir.models.registry import resolve_model_path
from hybridir.sampling.planner import Strategy
from hybridir.training.config import TrainConfig
from hybridir.training.pairs import build_pair_table


def plain_run(model_name: str, args: argparse.Namespace, workdir: Path) -> float:
    """Pairs/s of sentence-transformers' own recipe: MNRL, default sampler, same-language rows."""
    path, _ = resolve_model_path(model_name)
    model = SentenceTransformer(path, device="cpu")
    model.max_seq_length = args.max_length
    if args.freeze_embeddings:
        model[0].auto_model.get_input_embeddings().requires_grad_(False)
    corpus = load_training_corpus("mlqa-r", seed=args.seed)
    table = build_pair_table(corpus, Strategy.X_X, hard_negatives=True, seed=args.seed)
    prompts = {"anchor": "query: ", "positive": "passage: ", "negative": "passage: "}
    training_args = SentenceTransformerTrainingArguments(
        output_dir=str(workdir / "plain"),
        per_device_train_batch_size=args.batch_size,
        max_steps=args.steps,
        learning_rate=3e-5,
        weight_decay=0.01,
        warmup_ratio=0.1,
        save_strategy="no",
        report_to="none",
        seed=args.seed,
        prompts=prompts if "e5" in model_name else None,
        dataloader_pin_memory=False,
        logging_steps=args.steps,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=training_args,
        train_dataset=table.dataset,
        loss=MultipleNegativesRankingLoss(model, scale=20.0),
    )
    began = time.perf_counter()
    trainer.train()
    return args.steps * args.batch_size / (time.perf_counter() - began)


def hybrid_run(model_name: str, args: argparse.Namespace, workdir: Path, **changes: bool | int) -> float:
    """Pairs/s of `hybridir train` (hybrid sampler) with the same settings, from its summary."""
    config = TrainConfig(
        train="mlqa-r",
        out=str(workdir / ("hybrid-" + "-".join(f"{k}={v}" for k, v in changes.items()))),
        model=model_name,
        sampling="hybrid",
        batch_size=args.batch_size,
        max_steps=args.steps,
        max_length=args.max_length,
        freeze_embeddings=args.freeze_embeddings,
        validation_fraction=0.0,
        save_steps=10 * args.steps,
        eval_steps=10 * args.steps,
        logging_steps=args.steps,
        seed=args.seed,
        **changes,
    )
    summary = json.loads((run_training(config) / "summary.json").read_text())
    return summary["pairs_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--freeze-embeddings", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--ablate", action="store_true", help="also time each speed-up alone")
    parser.add_argument("--micro-batch-sizes", default="", help="also time these, e.g. 8,32")
    parser.add_argument("--skip-plain", action="store_true", help="time only hybridir arms (no ratio)")
    args = parser.parse_args()
    arms: dict[str, dict] = {"hybridir train (defaults)": {}}
    for size in filter(None, args.micro_batch_sizes.split(",")):
        arms[f"  defaults, micro-batch {size}"] = {"micro_batch_size": int(size)}
    if args.ablate:
        arms |= {
            "  fp32, no length sorting": {"bf16": False, "length_sorted": False},
            "  fp32, length-sorted": {"bf16": False, "length_sorted": True},
            "  bf16, no length sorting": {"bf16": True, "length_sorted": False},
        }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        plain = None if args.skip_plain else plain_run(args.model, args, workdir)
        ours = {label: hybrid_run(args.model, args, workdir, **changes) for label, changes in arms.items()}
    print(
        f"model {args.model}, batch {args.batch_size}, {args.steps} steps, max length {args.max_length}, "
        f"frozen token embeddings: {args.freeze_embeddings}, micro-batch {TrainConfig.micro_batch_size}"
    )
    if plain is not None:
        print(f"{'sentence-transformers MNRL, fp32, default sampler':52} {plain:6.2f} pairs/s")
    for label, value in ours.items():
        ratio = f"   ratio to plain {value / plain:.3f}" if plain else ""
        print(f"{label:52} {value:6.2f} pairs/s{ratio}")


if __name__ == "__main__":
    main()
