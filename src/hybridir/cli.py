"""Command line: parses arguments, calls one stage driver, prints. No logic lives here.

Every :class:`UserError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

from hybridir.errors import UserError

PREPARED = ("xquad-r", "mlqa-r")  # what `hybridir data prepare` readies when no name is given
DATA_SETS = ("xquad-r", "mlqa-r", "miracl", "tatoeba", "cmrc2018", "arcd")


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a model on XQuAD-R, MLQA-R, Tatoeba, CMRC 2018, ARCD, MIRACL or your own collection",
    )
    p.add_argument(
        "--model", required=True, help="multilingual-e5-small, bm25, use-m3, an ST name, or a run folder"
    )
    p.add_argument(
        "--benchmark",
        default="xquad-r",
        help="xquad-r, mlqa-r, tatoeba, cmrc2018, arcd, miracl, or a folder with corpus.jsonl, "
        "queries.jsonl and qrels.tsv",
    )
    p.add_argument("--out", required=True, help="folder for metrics.json, report.md, per_query.jsonl")
    p.add_argument("--data-dir", help="folder of <lang>.json files (default: $HYBRIDIR_DATA or the cache)")
    p.add_argument("--languages", help="comma-separated subset, e.g. en,de,zh (queries and pool)")
    p.add_argument("--context", default="sentence", choices=("sentence", "paragraph"))
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-length", type=int, help="max tokens per text (default: the model's)")
    p.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "bf16", "fp32"),
        help="dense encoding precision (auto: bf16 autocast where the hardware does bf16 natively)",
    )
    miracl = p.add_argument_group("MIRACL")
    miracl.add_argument(
        "--corpus", help="MIRACL corpus: JSONL (docid, title, text) or a folder of <lang>.jsonl"
    )
    miracl.add_argument("--index", default="flat", choices=("flat", "ivf", "hnsw"), help="FAISS index kind")
    miracl.add_argument("--nprobe", type=int, default=16, help="IVF lists searched per query")
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> None:
    if args.benchmark == "miracl":
        _run_miracl(args)
        return
    from hybridir.drivers.evaluate import EvalConfig, run_eval

    metrics, summary = run_eval(
        EvalConfig(
            model=args.model,
            benchmark=args.benchmark,
            out=args.out,
            data_dir=args.data_dir,
            languages=args.languages,
            context=args.context,
            batch_size=args.batch_size,
            max_length=args.max_length,
            precision=args.precision,
        )
    )
    print(summary)
    for note in metrics["notes"]:
        print(f"note: {note}")
    print(f"wrote {Path(args.out) / 'metrics.json'} and {Path(args.out) / 'report.md'}")


def _run_miracl(args: argparse.Namespace) -> None:
    from hybridir.drivers.miracl import run_miracl_eval

    metrics = run_miracl_eval(
        args.model,
        args.languages,
        Path(args.out),
        Path(args.corpus) if args.corpus else None,
        data_dir=args.data_dir,
        batch_size=args.batch_size,
        index=args.index,
        nprobe=args.nprobe,
        max_length=args.max_length,
    )
    print(json.dumps(metrics["mean"], indent=2))
    for note in metrics.get("notes", []):
        print(f"note: {note}")
    print(f"wrote {Path(args.out) / 'metrics.json'} and {Path(args.out) / 'report.md'}")


_TRAIN_HELP = {
    "train": "a training source, repeatable: benchmark name (mlqa-r, xquad-r), parallel JSONL file, "
    "folder of <lang>.json or of bitext <lang>.txt, or LANG:FILE.json (SQuAD in one language)",
    "source_weights": "size | uniform | temperature:T: how each batch's source is drawn (size: the paper's)",
    "sampling": "x-x | x-x-mono | x-y | hybrid",
    "alpha": "hybrid: probability that a batch is x-x-mono (else x-y)",
    "language_weights": "uniform | size | temperature:T",
    "batch_size": "global batch size (pairs per optimizer step)",
    "cached_loss": "GradCache-style loss: large batches in fixed memory",
    "bf16": "bf16 autocast (default: on where the hardware does bf16 natively; --no-bf16 for fp32)",
    "length_sorted": "encode each batch in length-sorted micro-batches (same loss, no padding waste)",
    "micro_batch_size": "rows per length-sorted micro-batch",
    "freeze_embeddings": "freeze the token-embedding matrix (faster on CPU)",
    "resume": "continue the run in --out from its latest checkpoint",
    "log_batches": "write every batch's kind and (q lang, p lang, id) to batches.jsonl",
    "pooling": "auto | mean | lasttoken | cls (auto: the model's own, last token for decoder LLMs)",
    "query_instruction": "prefix for queries of instruction-tuned LLM embedders",
    "lora_r": "LoRA rank (0 = train all weights); adapters are merged into the saved model",
    "lora_target_modules": "modules LoRA adapts, comma-separated or all-linear",
    "gradient_checkpointing": "recompute activations in the backward pass to save memory",
    "temperature": "InfoNCE temperature on cosine scores (scale = 1 / temperature)",
    "context": "sentence | paragraph: a positive is the answer sentence, or it plus its paragraph",
    "validation_fraction": "share of articles held out for the validation loss (early stopping)",
}


def _add_train(sub: argparse._SubParsersAction) -> None:
    from hybridir.training.config import TrainConfig

    p = sub.add_parser("train", help="fine-tune an encoder with x-x, x-x-mono, x-y or hybrid batches")
    p.add_argument("--config", help="YAML file of settings; flags override it")
    for field in fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = field.type if isinstance(field.type, type) else str(field.type)
        if field.name == "train":
            p.add_argument(flag, dest="train", action="append", default=None, help=_TRAIN_HELP["train"])
        elif kind in (bool, "bool", "bool | None"):
            p.add_argument(
                flag,
                dest=field.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=_TRAIN_HELP.get(field.name),
            )
        else:
            caster = {"int": int, "float": float}.get(str(kind), str)
            p.add_argument(flag, dest=field.name, type=caster, default=None, help=_TRAIN_HELP.get(field.name))
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> None:
    from hybridir.training.config import TrainConfig, build_config, read_yaml
    from hybridir.training.run import run_training

    overrides = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    if overrides["train"] is not None and len(overrides["train"]) == 1:
        overrides["train"] = overrides["train"][0]  # one source stays a string in config.yaml
    config = build_config(read_yaml(args.config) if args.config else {}, overrides)
    run = run_training(config)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    for note in summary.get("data_notes", []):
        print(f"note: {note}")
    print(f"trained model in {run / 'model'}; summary in {run / 'summary.json'}")


def _add_quickstart(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quickstart", help="train hybrid on MLQA-R, compare with zero-shot on XQuAD-R")
    p.add_argument("--out", default="runs/quickstart")
    p.add_argument("--max-steps", type=int, default=None, help="training steps (default: the quickstart's)")
    p.add_argument("--languages", default=None, help="restrict the XQuAD-R evaluation, e.g. en,de,el")
    p.set_defaults(func=_run_quickstart)


def _run_quickstart(args: argparse.Namespace) -> None:
    from hybridir.drivers.quickstart import run_quickstart

    print(run_quickstart(Path(args.out), max_steps=args.max_steps, languages=args.languages))


def _add_experiment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment", help="run a resumable grid of trainings and evaluations, then report")
    p.add_argument("config", help="experiment YAML, e.g. configs/experiments/sampling.yaml")
    p.add_argument("--out", required=True, help="grid folder; rerun the same command to resume")
    p.add_argument("--report-only", action="store_true", help="rebuild the report from finished cells")
    p.add_argument(
        "--reuse",
        action="append",
        default=[],
        metavar="DIR",
        help="another grid's --out: its finished cells with the same settings are linked in, not retrained",
    )
    p.set_defaults(func=_run_experiment)


def _run_experiment(args: argparse.Namespace) -> None:
    from hybridir.experiments.runner import run_experiment

    report = run_experiment(args.config, args.out, report_only=args.report_only, reuse=args.reuse)
    print(f"report: {report}")


def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="print a Markdown table comparing eval output folders")
    p.add_argument("runs", nargs="+", help="folders written by `hybridir eval` (label=folder to rename)")
    p.add_argument("--unseen", default=None, help="languages to report separately, e.g. el,ru,th,tr")
    p.set_defaults(func=_run_compare)


def _run_compare(args: argparse.Namespace) -> None:
    from hybridir.reports.comparison import comparison_markdown, read_metrics

    results = {}
    for spec in args.runs:
        label, _, folder = spec.rpartition("=") if "=" in spec else (Path(spec).name, "", spec)
        results[label] = read_metrics(Path(folder))
    print(
        comparison_markdown(results, unseen_languages=(args.unseen or "").split(",") if args.unseen else ())
    )


def _add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="download or copy benchmark data into the cache")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    download = data_sub.add_parser("download", help="download a data set from its public source")
    download.add_argument("name", choices=DATA_SETS)
    download.add_argument("--to", help="target root folder (default: the user cache)")
    download.set_defaults(func=_run_download)
    prepare = data_sub.add_parser(
        "prepare", help="make data sets ready (default XQuAD-R, MLQA-R): download, else copy"
    )
    prepare.add_argument("names", nargs="*", default=[], metavar="NAME", help=", ".join(DATA_SETS))
    prepare.add_argument("--fallback", help="local folder laid out like shared/data, used when offline")
    prepare.set_defaults(func=_run_prepare)


def _run_download(args: argparse.Namespace) -> None:
    from hybridir.data.sources import download

    print(f"{args.name} is in {download(args.name, Path(args.to) if args.to else None)}")


def _run_prepare(args: argparse.Namespace) -> None:
    from hybridir.data.sources import prepare_benchmarks

    names = tuple(args.names) or PREPARED
    for line in prepare_benchmarks(names, Path(args.fallback) if args.fallback else None):
        print(line)


def _add_translate(sub: argparse._SubParsersAction) -> None:
    from hybridir.translate.cli_args import add_translate_arguments

    p = sub.add_parser("translate", help="machine-translate English QA data into parallel training data")
    add_translate_arguments(p)
    p.set_defaults(func=_run_translate)


def _run_translate(args: argparse.Namespace) -> None:
    from hybridir.translate.cli_args import run_from_arguments

    print(run_from_arguments(args))


def _add_mine(sub: argparse._SubParsersAction) -> None:
    from hybridir.drivers.mine import add_mine_arguments

    p = sub.add_parser("mine", help="mine hard negatives (dense model or BM25) into a parallel JSONL file")
    p.add_argument("--train", required=True, help=_TRAIN_HELP["train"])
    add_mine_arguments(p)
    p.set_defaults(func=_run_mine)


def _run_mine(args: argparse.Namespace) -> None:
    from hybridir.drivers.mine import mine_from_arguments

    print(mine_from_arguments(args))


def _add_merge(sub: argparse._SubParsersAction) -> None:
    from hybridir.drivers.merge import add_merge_arguments

    p = sub.add_parser(
        "merge", help="WiSE-FT interpolation with the zero-shot model, or checkpoint averaging"
    )
    add_merge_arguments(p)
    p.set_defaults(func=_run_merge)


def _run_merge(args: argparse.Namespace) -> None:
    from hybridir.drivers.merge import merge_from_arguments

    print(merge_from_arguments(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hybridir",
        description="Hybrid batch training and evaluation for multilingual dense retrieval.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    adders: Sequence[Callable[[argparse._SubParsersAction], None]] = (
        _add_eval,
        _add_train,
        _add_quickstart,
        _add_experiment,
        _add_compare,
        _add_data,
        _add_translate,
        _add_mine,
        _add_merge,
    )
    for add in adders:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as exc:
        print(f"hybridir: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridir: interrupted; finished work is kept (rerun training with --resume)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
