"""Validation retrieval: the held-out articles of a run's training data, scored like a LAReQA benchmark.

Choices made on this split (an interpolation ratio, a recipe setting) never look at a test
benchmark. The split is the one the run trained with: its saved ``config.yaml`` names the
sources, languages, context, seed and validation fraction, and
:func:`~hybridir.data.training_sources.split_sources` with those values holds out the same
articles. The questions of the held-out examples are ranked against
every passage they hold (positives and listed negatives) in every language; a question's
relevant passages are its example's positives in all languages, so mono-, cross- and
multilingual mAP and rank distance come out as in :mod:`hybridir.evaluation.lareqa`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.settings import Choice
from hybridir.data.examples import TrainingCorpus
from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question
from hybridir.data.training_sources import SourceKind, load_training_sources, split_sources
from hybridir.encoding.base import Scorer
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.training.config import TrainConfig, build_config, read_yaml


class Criterion(Choice):
    """What a choice on validation maximises: one setting's mAP, or the mean of those the split has."""

    MEAN = "mean"
    MONOLINGUAL = "monolingual"
    CROSSLINGUAL = "crosslingual"
    MULTILINGUAL = "multilingual"


CRITERIA = tuple(criterion.value for criterion in Criterion)


def run_config(run: Path) -> TrainConfig:
    """The resolved settings a run folder was trained with (its ``config.yaml``)."""
    path = run / "config.yaml"
    if not path.is_file():
        raise UserError(f"{run} has no config.yaml: give the run folder written by `hybridir train`")
    values = read_yaml(path)
    values["resume"] = False
    return build_config(values)


def validation_split(config: TrainConfig) -> TrainingCorpus:
    """The examples ``config``'s run held out for validation, or a :class:`UserError` when there are none.

    With several train sources the split is taken per source, as the trainer takes it, and the
    held-out examples of the parallel-QA sources are pooled (ids prefixed by source name): the
    kind of data LAReQA measures. Bitext and monolingual QA still shape the training and its
    validation loss, but not a retrieval choice made here.
    """
    sources = load_training_sources(
        config.train, config.languages, config.context, config.seed, config.data_dir
    )
    _, held_out = split_sources(sources, config.validation_fraction, config.seed)
    parallel = [source for source in held_out if source.kind is SourceKind.PARALLEL_QA]
    if not parallel:
        raise UserError(
            f"the run held out no validation articles of parallel QA (validation_fraction "
            f"{config.validation_fraction}): a ratio can only be chosen on a validation split, "
            "never on a test benchmark"
        )
    if len(parallel) == 1:
        return parallel[0].corpus
    examples = [
        replace(example, id=f"{source.name}/{example.id}", group=f"{source.name}/{example.group}")
        for source in parallel
        for example in source.corpus.examples
    ]
    languages = sorted({lang for source in parallel for lang in source.corpus.languages})
    return TrainingCorpus(examples, languages)


def parallel_benchmark(corpus: TrainingCorpus, name: str = "validation") -> LareqaBenchmark:
    """``corpus`` as a LAReQA benchmark: each passage text once per language, positives relevant."""
    questions: list[Question] = []
    candidates: list[Candidate] = []
    column: dict[tuple[str, str], int] = {}
    for lang in corpus.languages:
        for example in corpus.examples:
            text = example.texts.get(lang)
            if text is None:
                continue
            for passage in (text.positive, *text.negatives):
                if (lang, passage) not in column:
                    column[(lang, passage)] = len(candidates)
                    candidates.append(Candidate(lang, passage, "", example.group, 0))
    relevant = []
    for lang in corpus.languages:
        for example in corpus.examples:
            if lang in example.texts:
                questions.append(Question(example.id, lang, example.texts[lang].question))
                answers = {column[(other, t.positive)] for other, t in example.texts.items()}
                relevant.append(np.array(sorted(answers), dtype=np.int64))
    return LareqaBenchmark(name, list(corpus.languages), questions, candidates, relevant)


def score_validation(benchmark: LareqaBenchmark, scorer: Scorer) -> dict[str, Any]:
    """Mono-, cross- and multilingual mAP and rank distance of ``scorer`` on ``benchmark``."""
    scorer.prepare([q.text for q in benchmark.questions], benchmark.candidate_texts("sentence"))
    metrics = evaluate_lareqa(benchmark, scorer, show_progress=False).to_metrics_dict()
    return {
        "monolingual_map": metrics["monolingual"]["map"],
        "crosslingual_map": metrics["crosslingual"]["map"],
        "multilingual_map": metrics["multilingual"]["map"],
        "rank_distance": metrics["language_bias"]["rank_distance"],
    }
