"""The flags of ``hybridir translate`` and the step from parsed flags to :func:`run_translate`."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridir.data.context import ContextMode
from hybridir.translate.filters import FILTERS
from hybridir.translate.pipeline import TranslateConfig, run_translate
from hybridir.translate.report import read_report


def add_translate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``translate`` flags to ``parser``."""
    add = parser.add_argument
    add("--input", required=True, help="SQuAD JSON, parallel *.jsonl, or a datasets name[:split]")
    add("--model", required=True, help="seq2seq translation model: NLLB-200, M2M-100 or opus-mt")
    add("--languages", required=True, help="target ISO 639-1 codes, e.g. de,es,ar,zh")
    add("--out", required=True, type=Path, help="folder for train.jsonl and translate_report.*")
    add("--source-language", default="en", help="language of the input (default en)")
    add("--batch-size", type=int, default=32, help="texts per generate call")
    add("--max-length", type=int, default=256, help="max tokens in and out; longer is truncated")
    add("--num-beams", type=int, help="beam size (default: the model's generation config)")
    add("--limit", type=int, help="translate only the first N questions (trials)")
    add("--num-shards", type=int, default=1, help="split the job over K processes or GPUs")
    add("--shard-index", type=int, default=0, help="which shard this process runs (0..K-1)")
    add("--context", default="sentence", choices=[mode.value for mode in ContextMode])
    add("--filters", default=",".join(FILTERS), help=f"comma-separated ({', '.join(FILTERS)})")
    for name in FILTERS:
        add(f"--no-filter-{name.replace('_', '-')}", action="store_true", help=f"turn off the {name} filter")
    add("--device", help="cuda, cuda:1, cpu (default: cuda when available)")
    add("--cache", type=Path, help="translation cache file (default: in $HYBRIDIR_CACHE)")
    add("--seed", type=int, default=0, help="seed of the hard-negative choice")


def config_from_arguments(args: argparse.Namespace) -> TranslateConfig:
    """A :class:`TranslateConfig` from parsed flags (``--no-filter-*`` removes from ``--filters``)."""
    off = {name for name in FILTERS if getattr(args, f"no_filter_{name}")}
    filters = [name.strip() for name in args.filters.split(",") if name.strip() and name.strip() not in off]
    return TranslateConfig(
        input=args.input,
        model=args.model,
        languages=args.languages,
        out=args.out,
        source_language=args.source_language,
        batch_size=args.batch_size,
        max_length=args.max_length,
        limit=args.limit,
        num_shards=args.num_shards,
        shard_index=args.shard_index,
        context=args.context,
        filters=filters,
        device=args.device,
        num_beams=args.num_beams,
        cache_path=args.cache,
        seed=args.seed,
    )


def run_from_arguments(args: argparse.Namespace) -> str:
    """Run the job the flags describe; returns a one-line summary for the terminal."""
    config = config_from_arguments(args)
    path = run_translate(config)
    if path.name != "train.jsonl":
        return f"wrote {path}; train.jsonl is merged when the last of the {config.num_shards} shards finishes"
    report = read_report(Path(config.out) / "translate_report.json")
    kept = ", ".join(f"{lang} {s['examples_kept']}" for lang, s in report["languages"].items())
    return (
        f"wrote {path}: {report['examples_out']} of {report['examples_in']} questions (kept per language: "
        f"{kept}); report in {Path(config.out) / 'translate_report.md'}"
    )
