"""The training table the batch samplers index: one row per (example, question lang, passage lang).

The sentence-transformers Trainer feeds a ``datasets.Dataset`` through a DataLoader whose batch
sampler yields row indices. A parallel example can be used as any (question language, passage
language) pair its source allows (a bitext line only across languages, monolingual QA only
within its language), so the table holds one row for each pair that the chosen strategy can
draw, and ``row_index`` maps a planned item ``(example, q_lang, p_lang)`` to its row. Examples
of several sources are indexed one source after the other, as the planner indexes them.

The table also gives each example its conflict keys (see :mod:`hybridir.sampling.queue`): its
paragraphs, its positive texts, and those of its hard negatives that are some example's
positive (two rows sharing a negative is harmless, so other negatives are no key). Two
examples that share one (siblings of a paragraph, identical positives, one's negative being the
other's positive) are kept out of one batch by the planner.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from datasets import Dataset

from hybridir.data.examples import TrainingCorpus
from hybridir.data.training_sources import SourceKind, TrainingSource
from hybridir.sampling.planner import Item, Strategy
from hybridir.sampling.sources import PlanSource


@dataclass
class PairTable:
    """The text table for the Trainer, the item -> row map for the sampler, and conflict keys."""

    dataset: Dataset
    row_index: dict[Item, int]
    conflict_keys: list[frozenset[Hashable]]


def _pairs_for(languages: list[str], strategy: Strategy, kind: SourceKind) -> list[tuple[str, str]]:
    same = [(lang, lang) for lang in languages] if kind.same_language else []
    cross = [(q, p) for q in languages for p in languages if q != p] if kind.cross_language else []
    if strategy in (Strategy.X_X, Strategy.X_X_MONO):
        return same
    if strategy is Strategy.X_Y:
        return cross
    return same + cross


def as_sources(data: TrainingCorpus | Sequence[TrainingSource]) -> list[TrainingSource]:
    """One parallel-QA source for a bare corpus; sources as they are."""
    if isinstance(data, TrainingCorpus):
        return [TrainingSource("train", SourceKind.PARALLEL_QA, data)]
    return list(data)


def plan_sources(sources: Sequence[TrainingSource], table: PairTable) -> list[PlanSource]:
    """The planner's view of ``sources``, with the table's conflict keys."""
    plan, offset = [], 0
    for source in sources:
        n = len(source.corpus)
        plan.append(
            PlanSource(
                source.name,
                [ex.languages for ex in source.corpus.examples],
                same_language=source.kind.same_language,
                cross_language=source.kind.cross_language,
                weight=source.weight,
                conflict_keys=table.conflict_keys[offset : offset + n],
            )
        )
        offset += n
    return plan


def _fallback_negative(pool: list[tuple[int, str]], positive: str, rng: random.Random) -> str:
    """Another example's positive, never the same text as ``positive`` (unless no other exists)."""
    for _ in range(4 * len(pool)):
        _, negative = pool[rng.randrange(len(pool))]
        if negative != positive:
            return negative
    return next((text for _, text in pool if text != positive), pool[0][1])


def build_pair_table(
    data: TrainingCorpus | Sequence[TrainingSource], strategy: Strategy, hard_negatives: bool, seed: int
) -> PairTable:
    """Rows of (anchor question, positive passage[, negative passage]) for every drawable pair.

    An example without a hard negative in the passage language gets the positive passage of
    another example of its source in that language (drawn with ``seed``), so every row has the
    same columns; that text becomes a conflict key of both examples.
    """
    rng = random.Random(seed)
    columns: dict[str, list[str]] = {"anchor": [], "positive": []}
    if hard_negatives:
        columns["negative"] = []
    row_index: dict[Item, int] = {}
    conflict_keys: list[frozenset[Hashable]] = []
    offset = 0
    for source in as_sources(data):
        examples = source.corpus.examples
        positives_by_language: dict[str, list[tuple[int, str]]] = {}
        for index, example in enumerate(examples):
            for lang, text in example.texts.items():
                positives_by_language.setdefault(lang, []).append((index, text.positive))
        positive_texts = {text for pool in positives_by_language.values() for _, text in pool}
        for index, example in enumerate(examples):
            keys: set[Hashable] = {("p", paragraph) for paragraph in example.paragraphs}
            keys.update(("t", text.positive) for text in example.texts.values())
            for q_lang, p_lang in _pairs_for(sorted(example.texts), strategy, source.kind):
                row_index[Item(offset + index, q_lang, p_lang)] = len(columns["anchor"])
                passage = example.texts[p_lang]
                columns["anchor"].append(example.texts[q_lang].question)
                columns["positive"].append(passage.positive)
                if hard_negatives:
                    if passage.negatives:
                        negative = passage.negatives[rng.randrange(len(passage.negatives))]
                    else:
                        negative = _fallback_negative(positives_by_language[p_lang], passage.positive, rng)
                    columns["negative"].append(negative)
                    if negative in positive_texts:  # a batch-mate's positive: a false negative
                        keys.add(("t", negative))
            conflict_keys.append(frozenset(keys))
        offset += len(examples)
    return PairTable(Dataset.from_dict(columns), row_index, conflict_keys)
