"""The training table the batch samplers index: one row per (example, question lang, passage lang).

The sentence-transformers Trainer feeds a ``datasets.Dataset`` through a DataLoader whose batch
sampler yields row indices. A parallel example can be used as any (question language, passage
language) pair, so the table holds one row for each pair that the chosen strategy can draw,
and ``row_index`` maps a planned item ``(example, q_lang, p_lang)`` to its row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from datasets import Dataset

from hybridir.data.parallel import ParallelCorpus
from hybridir.sampling.planner import Strategy


@dataclass
class PairTable:
    """The text table for the Trainer and the item -> row map for the sampler."""

    dataset: Dataset
    row_index: dict[tuple[int, str, str], int]


def _pairs_for(languages: list[str], strategy: Strategy) -> list[tuple[str, str]]:
    same = [(lang, lang) for lang in languages]
    cross = [(q, p) for q in languages for p in languages if q != p]
    if strategy in (Strategy.X_X, Strategy.X_X_MONO):
        return same
    if strategy is Strategy.X_Y:
        return cross
    return same + cross


def build_pair_table(
    corpus: ParallelCorpus, strategy: Strategy, hard_negatives: bool, seed: int
) -> PairTable:
    """Rows of (anchor question, positive passage[, negative passage]) for every drawable pair.

    An example without a hard negative in the passage language gets the positive passage of
    another example in that language (drawn with ``seed``), so every row has the same columns.
    """
    rng = random.Random(seed)
    positives_by_language: dict[str, list[tuple[int, str]]] = {}
    for index, example in enumerate(corpus.examples):
        for lang, text in example.texts.items():
            positives_by_language.setdefault(lang, []).append((index, text.positive))

    columns: dict[str, list[str]] = {"anchor": [], "positive": []}
    if hard_negatives:
        columns["negative"] = []
    row_index: dict[tuple[int, str, str], int] = {}
    for index, example in enumerate(corpus.examples):
        for q_lang, p_lang in _pairs_for(sorted(example.texts), strategy):
            row_index[(index, q_lang, p_lang)] = len(columns["anchor"])
            passage = example.texts[p_lang]
            columns["anchor"].append(example.texts[q_lang].question)
            columns["positive"].append(passage.positive)
            if hard_negatives:
                if passage.negatives:
                    negative = passage.negatives[rng.randrange(len(passage.negatives))]
                else:
                    pool = positives_by_language[p_lang]
                    other, negative = pool[rng.randrange(len(pool))]
                    while other == index and len(pool) > 1:
                        other, negative = pool[rng.randrange(len(pool))]
                columns["negative"].append(negative)
    return PairTable(Dataset.from_dict(columns), row_index)
