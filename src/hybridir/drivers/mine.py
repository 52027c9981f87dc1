"""The mining driver: training source + model -> mined parallel JSONL + report (``hybridir mine``).

The corpus is split as the trainer will split it (``split_by_group`` with the same validation
fraction and seed) and each split is mined against its own passages only, so no passage of a
held-out article becomes a training negative. The output keeps every example, its id, group and
order, so ``hybridir train --train <out>`` with the same fraction and seed holds out the same
articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridir.core.settings import check_settings, coerce_choices, help_of, plain_values, setting
from hybridir.data.context import ContextMode
from hybridir.data.examples import TrainingCorpus, TrainingExample, split_by_group, write_jsonl
from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError
from hybridir.mining.report import mining_report, write_mining_report
from hybridir.mining.settings import MiningSettings
from hybridir.training.config import TrainConfig


@dataclass
class MineConfig:
    """What to mine, with which model, and where to write it.

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir mine`` flags are generated from them and from those of :class:`MiningSettings`.
    """

    train: str = setting(help=help_of(TrainConfig, "train"))
    out: str = setting(help="JSONL file to write (report: <out>.report.json and .md)")
    model: str = setting("multilingual-e5-small", "bm25, multilingual-e5-small, a run folder, ...")
    data_dir: str | None = setting(None, "folder of <lang>.json files (default: $HYBRIDIR_DATA or the cache)")
    languages: str | None = setting(None, "comma-separated subset of the training languages")
    context: ContextMode = setting(
        ContextMode.SENTENCE, "a passage is the answer sentence, or it followed by its paragraph"
    )
    validation_fraction: float = setting(
        0.1, "the training run's validation fraction: each split is mined apart", at_least=0, below=1
    )
    batch_size: int = setting(64, "texts per encoding batch", at_least=1)
    max_length: int | None = setting(None, "max tokens per text (default: the model's)", at_least=1)
    show_progress: bool = setting(True, "progress bars", flag=False)
    settings: MiningSettings = field(default_factory=MiningSettings, metadata={"flag": False})

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for a setting that cannot work."""
        check_settings(self)
        self.settings.validate()
        if Path(self.out).is_dir():
            raise UserError(f"--out {self.out} is a folder: give the path of the JSONL file to write")


def report_paths(out: Path) -> tuple[Path, Path]:
    """``<out>.report.json`` and ``<out>.report.md`` beside the mined file."""
    stem = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(stem + ".report.json"), out.with_name(stem + ".report.md")


def run_mining(config: MineConfig) -> dict[str, Any]:
    """Mine hard negatives for ``config.train``; write the JSONL and its report; return the report."""
    from hybridir.mining.miner import MinedText, mine_corpus  # sentence-transformers: only when mining
    from hybridir.models.registry import load_scorer

    config.validate()
    out = Path(config.out)
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
            "context": str(config.context),
            "languages": corpus.languages,
            "validation_fraction": config.validation_fraction,
            "train_examples": len(train),
            "validation_examples": len(validation),
            "notes": list(getattr(scorer, "notes", [])),
            **plain_values(config.settings),
        },
    )
    write_mining_report(report, *report_paths(out))
    return report
