"""The mining driver: training source + model -> mined parallel JSONL + report (``hybridir mine``).

The corpus is split as the trainer will split it (``split_by_group`` with the same validation
fraction and seed) and each split is mined against its own passages only, so no passage of a
held-out article becomes a training negative. The output keeps every example, its id, group and
order, so ``hybridir train --train <out>`` with the same fraction and seed holds out the same
articles.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hybridir.data.context import ContextMode
from hybridir.data.examples import TrainingCorpus, TrainingExample, split_by_group, write_jsonl
from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError
from hybridir.mining.report import mining_report, write_mining_report
from hybridir.mining.settings import MiningSettings


@dataclass
class MineConfig:
    """What to mine, with which model, and where to write it."""

    train: str
    out: str
    model: str = "multilingual-e5-small"
    data_dir: str | None = None
    languages: str | None = None
    context: str = "sentence"
    validation_fraction: float = 0.1
    batch_size: int = 64
    max_length: int | None = None
    show_progress: bool = True
    settings: MiningSettings = field(default_factory=MiningSettings)


def report_paths(out: Path) -> tuple[Path, Path]:
    """``<out>.report.json`` and ``<out>.report.md`` beside the mined file."""
    stem = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(stem + ".report.json"), out.with_name(stem + ".report.md")


def run_mining(config: MineConfig) -> dict[str, Any]:
    """Mine hard negatives for ``config.train``; write the JSONL and its report; return the report."""
    from hybridir.mining.miner import MinedText, mine_corpus  # sentence-transformers: only when mining
    from hybridir.models.registry import load_scorer

    config.settings.validate()
    out = Path(config.out)
    if out.is_dir():
        raise UserError(f"--out {out} is a folder: give the path of the JSONL file to write")
    corpus = load_training_corpus(
        config.train, config.languages, config.context, config.settings.seed, config.data_dir
    )
    train, validation = split_by_group(corpus, config.validation_fraction, config.settings.seed)
    scorer = load_scorer(
        config.model,
        batch_size=config.batch_size,
        max_length=config.max_length,
        show_progress=config.show_progress,
    )
    position = {id(example): index for index, example in enumerate(corpus.examples)}
    examples: list[TrainingExample] = list(corpus.examples)
    records: list[MinedText] = []
    for part in (train, validation):
        if not part.examples:
            continue
        mined, found = mine_corpus(part, scorer, config.settings, batch_size=config.batch_size)
        for original, new in zip(part.examples, mined.examples, strict=True):
            examples[position[id(original)]] = new
        records += found
    write_jsonl(TrainingCorpus(examples, corpus.languages), out)
    report = mining_report(
        records,
        {
            "source": config.train,
            "model": config.model,
            "output": str(out),
            "context": config.context,
            "languages": corpus.languages,
            "validation_fraction": config.validation_fraction,
            "train_examples": len(train),
            "validation_examples": len(validation),
            "notes": list(getattr(scorer, "notes", [])),
            **asdict(config.settings),
        },
    )
    write_mining_report(report, *report_paths(out))
    return report


def _optional_float(text: str) -> float | None:
    """A number, or ``none`` to switch a threshold off."""
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number or none, got {text!r}") from exc


def add_mine_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``hybridir mine`` (besides ``--train``)."""
    p.add_argument("--out", required=True, help="JSONL file to write (report: <out>.report.json and .md)")
    p.add_argument("--model", default="multilingual-e5-small", help="bm25, multilingual-e5-small, a run...")
    p.add_argument("--data-dir", help="folder of <lang>.json files (default: $HYBRIDIR_DATA or the cache)")
    p.add_argument("--languages", help="comma-separated subset of the training languages")
    p.add_argument("--context", default="sentence", choices=[mode.value for mode in ContextMode])
    p.add_argument("--seed", type=int, default=42, help="the training run's seed (same validation split)")
    p.add_argument(
        "--validation-fraction", type=float, default=0.1, help="the training run's: mined per split"
    )
    p.add_argument("--num-negatives", type=int, default=3, help="negatives kept per text")
    p.add_argument("--range-min", type=int, default=0, help="skip the candidates ranked above this")
    p.add_argument("--range-max", type=int, default=50, help="consider candidates up to this rank")
    p.add_argument("--relative-margin", type=_optional_float, default=0.05, help="n <= p - |p|*margin; none")
    p.add_argument("--absolute-margin", type=_optional_float, default=None, help="n + margin <= p")
    p.add_argument("--max-score", type=_optional_float, default=None, help="drop candidates scoring above")
    p.add_argument("--min-score", type=_optional_float, default=None, help="drop candidates scoring below")
    p.add_argument("--sampling", default="top", choices=("top", "random"))
    p.add_argument(
        "--group-guard",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="never mine a passage of the question's group (article: sibling questions)",
    )
    p.add_argument(
        "--cross-lingual-guard",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep a negative only if the margin also holds for the example's other-language questions",
    )
    p.add_argument("--keep-existing", action="store_true", help="append the data's own negatives")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-length", type=int, help="max tokens per text (default: the model's)")


def mine_from_arguments(args: argparse.Namespace) -> str:
    """Run ``hybridir mine`` from parsed flags; return the lines to print."""
    settings = MiningSettings(
        num_negatives=args.num_negatives,
        range_min=args.range_min,
        range_max=args.range_max,
        relative_margin=args.relative_margin,
        absolute_margin=args.absolute_margin,
        max_score=args.max_score,
        min_score=args.min_score,
        sampling=args.sampling,
        group_guard=args.group_guard,
        cross_lingual_guard=args.cross_lingual_guard,
        keep_existing=args.keep_existing,
        seed=args.seed,
    )
    config = MineConfig(
        train=args.train,
        out=args.out,
        model=args.model,
        data_dir=args.data_dir,
        languages=args.languages,
        context=args.context,
        validation_fraction=args.validation_fraction,
        batch_size=args.batch_size,
        max_length=args.max_length,
        settings=settings,
    )
    total = run_mining(config)["total"]
    return (
        f"mined {total['negatives']} negatives for {total['with_negatives']} of {total['texts']} texts "
        f"({total['without_negatives']} got none); wrote {args.out}\n"
        f"report: {report_paths(Path(args.out))[1]}"
    )
