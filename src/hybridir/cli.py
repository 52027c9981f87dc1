"""Command line: parses arguments, calls one stage driver, prints. No logic lives here.

Every :class:`UserError` becomes one line on stderr and exit code 2; the flags of the settings it
names (``UserError(..., settings=...)``) are added here, the one place that knows the flags.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hybridir.errors import UserError

if TYPE_CHECKING:
    from hybridir.drivers.evaluate import EvalConfig
    from hybridir.translate.pipeline import TranslateConfig


def _add_eval(sub: argparse._SubParsersAction) -> None:
    from hybridir.core.settings import add_arguments
    from hybridir.drivers.evaluate import EvalConfig

    p = sub.add_parser(
        "eval",
        help="score a model on XQuAD-R, MLQA-R, Tatoeba, CMRC 2018, ARCD, MIRACL or your own collection",
    )
    add_arguments(p, EvalConfig)
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> None:
    from hybridir.core.settings import given
    from hybridir.drivers.evaluate import EvalConfig, run_eval

    config = EvalConfig(**given(args, EvalConfig))
    if config.benchmark == "miracl":
        config.validate()
        _run_miracl(config)
        return
    metrics, summary = run_eval(config)
    print(summary)
    for note in metrics["notes"]:
        print(f"note: {note}")
    print(f"wrote {Path(args.out) / 'metrics.json'} and {Path(args.out) / 'report.md'}")


def _run_miracl(config: EvalConfig) -> None:
    from hybridir.drivers.miracl import run_miracl_eval

    metrics = run_miracl_eval(
        config.model,
        config.languages,
        Path(config.out),
        Path(config.corpus) if config.corpus else None,
        data_dir=config.data_dir,
        batch_size=config.batch_size,
        index=str(config.index),
        nprobe=config.nprobe,
        max_length=config.max_length,
    )
    print(json.dumps(metrics["mean"], indent=2))
    for note in metrics.get("notes", []):
        print(f"note: {note}")
    print(f"wrote {Path(config.out) / 'metrics.json'} and {Path(config.out) / 'report.md'}")


def _add_train(sub: argparse._SubParsersAction) -> None:
    from hybridir.core.settings import add_arguments
    from hybridir.training.config import TrainConfig

    p = sub.add_parser("train", help="fine-tune an encoder with x-x, x-x-mono, x-y or hybrid batches")
    p.add_argument("--config", help="YAML file of settings; flags override it")
    add_arguments(p, TrainConfig)
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> None:
    from hybridir.core.settings import given
    from hybridir.drivers.train import run_training
    from hybridir.training.config import TrainConfig, build_config, read_yaml

    overrides = given(args, TrainConfig)
    if "train" in overrides and len(overrides["train"]) == 1:
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
        help="another grid's --out: its finished cells and zero-shot baselines with the same settings "
        "are linked in, not run again",
    )
    p.add_argument(
        "--archive",
        metavar="DIR",
        default=None,
        help="keep the grid's small outputs (metrics, per-query values, summaries; no models) in DIR "
        "after every cell, to commit; copy DIR back to --out on a fresh machine to continue the grid",
    )
    p.set_defaults(func=_run_experiment)


def _run_experiment(args: argparse.Namespace) -> None:
    from hybridir.experiments.runner import run_experiment

    report = run_experiment(
        args.config, args.out, report_only=args.report_only, reuse=args.reuse, archive=args.archive
    )
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
    from hybridir.data.sources import SOURCES

    p = sub.add_parser("data", help="download or copy benchmark data into the cache")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    download = data_sub.add_parser("download", help="download a data set from its public source")
    download.add_argument("name", choices=tuple(SOURCES))
    download.add_argument("--to", help="target root folder (default: the user cache)")
    download.set_defaults(func=_run_download)
    prepare = data_sub.add_parser(
        "prepare", help="make data sets ready (default XQuAD-R, MLQA-R): download, else copy"
    )
    prepare.add_argument("names", nargs="*", default=[], metavar="NAME", help=", ".join(SOURCES))
    prepare.add_argument("--fallback", help="local folder laid out like shared/data, used when offline")
    prepare.set_defaults(func=_run_prepare)


def _run_download(args: argparse.Namespace) -> None:
    from hybridir.data.sources import download

    print(f"{args.name} is in {download(args.name, Path(args.to) if args.to else None)}")


def _run_prepare(args: argparse.Namespace) -> None:
    from hybridir.data.sources import LAREQA_BENCHMARKS, prepare_benchmarks

    names = tuple(args.names) or LAREQA_BENCHMARKS  # the default: XQuAD-R and MLQA-R
    for line in prepare_benchmarks(names, Path(args.fallback) if args.fallback else None):
        print(line)


def _add_translate(sub: argparse._SubParsersAction) -> None:
    from hybridir.core.settings import add_arguments
    from hybridir.translate.filters import FILTERS
    from hybridir.translate.pipeline import TranslateConfig

    p = sub.add_parser("translate", help="machine-translate English QA data into parallel training data")
    add_arguments(p, TranslateConfig)
    for name in FILTERS:  # shorthands for removing one filter from --filters
        p.add_argument(
            f"--no-filter-{name.replace('_', '-')}", action="store_true", help=f"turn off the {name} filter"
        )
    p.set_defaults(func=_run_translate)


def _translate_config(args: argparse.Namespace) -> TranslateConfig:
    """A :class:`TranslateConfig` from parsed flags (``--no-filter-*`` removes from ``--filters``)."""
    from hybridir.core.settings import given
    from hybridir.translate.filters import FILTERS
    from hybridir.translate.pipeline import TranslateConfig

    config = TranslateConfig(**given(args, TranslateConfig))
    off = {name for name in FILTERS if getattr(args, f"no_filter_{name}")}
    config.filters = [name for name in config.filter_names() if name not in off]
    return config


def _run_translate(args: argparse.Namespace) -> None:
    from hybridir.translate.pipeline import run_translate
    from hybridir.translate.report import read_report

    config = _translate_config(args)
    path = run_translate(config)
    if path.name != "train.jsonl":
        print(f"wrote {path}; train.jsonl is merged when the last of the {config.num_shards} shards finishes")
        return
    report = read_report(Path(config.out) / "translate_report.json")
    kept = ", ".join(f"{lang} {s['examples_kept']}" for lang, s in report["languages"].items())
    print(
        f"wrote {path}: {report['examples_out']} of {report['examples_in']} questions (kept per language: "
        f"{kept}); report in {Path(config.out) / 'translate_report.md'}"
    )


def _add_mine(sub: argparse._SubParsersAction) -> None:
    from hybridir.core.settings import add_arguments
    from hybridir.drivers.mine import MineConfig
    from hybridir.mining.settings import MiningSettings

    p = sub.add_parser("mine", help="mine hard negatives (dense model or BM25) into a parallel JSONL file")
    add_arguments(p, MineConfig)
    add_arguments(p.add_argument_group("mining"), MiningSettings)
    p.set_defaults(func=_run_mine)


def _run_mine(args: argparse.Namespace) -> None:
    from hybridir.core.settings import given
    from hybridir.drivers.mine import MineConfig, report_paths, run_mining
    from hybridir.mining.settings import MiningSettings

    config = MineConfig(**given(args, MineConfig), settings=MiningSettings(**given(args, MiningSettings)))
    total = run_mining(config)["total"]
    print(
        f"mined {total['negatives']} negatives for {total['with_negatives']} of {total['texts']} texts "
        f"({total['without_negatives']} got none); wrote {config.out}"
    )
    print(f"report: {report_paths(Path(config.out))[1]}")


def _add_merge(sub: argparse._SubParsersAction) -> None:
    from hybridir.core.settings import add_arguments
    from hybridir.drivers.merge import MergeConfig

    p = sub.add_parser(
        "merge", help="WiSE-FT interpolation with the zero-shot model, or checkpoint averaging"
    )
    add_arguments(p, MergeConfig)
    p.set_defaults(func=_run_merge)


def _run_merge(args: argparse.Namespace) -> None:
    from hybridir.core.settings import given
    from hybridir.drivers.merge import MergeConfig, run_merge

    print(run_merge(MergeConfig(**given(args, MergeConfig))))


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
        from hybridir.core.settings import flag_hint

        print(f"hybridir: error: {exc}{flag_hint(exc.settings)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridir: interrupted; finished work is kept (rerun training with --resume)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
