"""Hard-negative mining for parallel training data, through sentence-transformers' ``mine_hard_negatives``.

For each passage language ``y``, the questions of ``y`` are ranked against the passages of ``y``
by ``mine_hard_negatives`` (rank window ``range_min:range_max``, absolute or relative margin
below the positive's score, ``max_score``; the positive itself is never a candidate). The
library takes a SentenceTransformer; :class:`ScorerAsModel` lets any prepared
:class:`~hybridir.encoding.base.Scorer` (dense, BM25, USE) stand in for one, and is where the
id and group guards act: a passage of the question's own parallel id (or, with
``group_guard``, of its group: sibling questions of the same article) scores ``-inf``, so it is
never a candidate and never takes a place in the rank window.

Written by hand, because no library does it: the cross-lingual guard. A negative of
language ``y`` is also used with the example's questions in every other language ``x`` (an x-y
pair), so it is kept only if the margin rule holds for those questions too:
``s(q_x, n)`` must stay below ``s(q_x, positive_y)`` by the same margin.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from datasets import Dataset
from sentence_transformers.util import mine_hard_negatives
from tqdm.auto import tqdm

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.encoding.base import Scorer
from hybridir.mining.pool import MiningPool, build_pool
from hybridir.mining.settings import MiningSettings, within_margin


class ScoreRows:
    """Score rows of a prepared scorer for any set of question rows, one block at a time."""

    def __init__(self, scorer: Scorer, block_size: int) -> None:
        self.scorer = scorer
        self.block_size = block_size

    def rows(self, rows: np.ndarray, columns: slice) -> np.ndarray:
        """Scores of question ``rows`` (any order) against ``columns``: shape ``(len(rows), n_columns)``."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((rows.size, columns.stop - columns.start), dtype=np.float32)
        order = np.argsort(rows, kind="stable")
        position = 0
        while position < order.size:
            first = rows[order[position]]
            end = position
            while end < order.size and rows[order[end]] - first < self.block_size:
                end += 1
            last = rows[order[end - 1]]
            block = np.asarray(self.scorer.score_block(int(first), int(last) + 1), dtype=np.float32)
            chosen = order[position:end]
            out[chosen] = block[rows[chosen] - first, columns]
            position = end
        return out


class ScorerAsModel:
    """What ``mine_hard_negatives`` needs of a SentenceTransformer, over a prepared scorer.

    Its "embeddings" are question-row or passage-column numbers (one float each) and
    ``similarity`` looks their scores up, with the forbidden passages of each question (see
    :meth:`MiningPool.forbidden_columns`) at ``-inf``.
    """

    device = torch.device("cpu")

    def __init__(self, pool: MiningPool, scores: ScoreRows, language: str, group_guard: bool) -> None:
        self.pool = pool
        self.scores = scores
        self.language = language
        self.columns = pool.columns[language]
        self.group_guard = group_guard
        self._rows = {
            pool.questions[r]: r for r, lang in enumerate(pool.question_language) if lang == language
        }

    def encode_query(self, texts: Sequence[str], **_: object) -> np.ndarray:
        return np.array([[self._rows[t]] for t in texts], dtype=np.float64)

    def encode_document(self, texts: Sequence[str], **_: object) -> np.ndarray:
        cols = self.pool.col_of[self.language]
        return np.array([[cols[t] - self.columns.start] for t in texts], dtype=np.float64)

    def _row_scores(self, queries: object) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(queries, dtype=np.float64)[:, 0].astype(np.int64)
        scores = self.scores.rows(rows, self.columns)
        for i, row in enumerate(rows):
            scores[i, self.pool.forbidden_columns(int(row), self.group_guard) - self.columns.start] = -np.inf
        return rows, scores

    def similarity(self, queries: object, documents: object) -> torch.Tensor:
        _, scores = self._row_scores(queries)
        cols = np.asarray(documents, dtype=np.float64)[:, 0].astype(np.int64)
        return torch.from_numpy(np.ascontiguousarray(scores[:, cols]))

    def similarity_pairwise(self, queries: object, documents: object) -> torch.Tensor:
        rows = np.asarray(queries, dtype=np.float64)[:, 0].astype(np.int64)
        cols = np.asarray(documents, dtype=np.float64)[:, 0].astype(np.int64)
        scores = self.scores.rows(rows, self.columns)
        return torch.from_numpy(scores[np.arange(rows.size), cols])


@dataclass
class MinedText:
    """What mining found for one (example, passage language)."""

    example: int
    language: str
    positive_score: float
    negatives: list[tuple[str, float]] = field(default_factory=list)
    candidates: int = 0  # candidates the library left in the window, before the cross-lingual guard
    dropped_cross_lingual: int = 0


def _mine_language(
    pool: MiningPool, scores: ScoreRows, language: str, settings: MiningSettings, batch_size: int
) -> dict[tuple[str, str], tuple[float, list[tuple[str, float]]]]:
    """``(question, positive) -> (positive score, [(candidate, score), ...])`` for one passage language."""
    anchors, positives = [], []
    for example in pool.corpus.examples:
        text = example.texts.get(language)
        if text is not None:
            anchors.append(text.question)
            positives.append(text.positive)
    mined = mine_hard_negatives(
        Dataset.from_dict({"anchor": anchors, "positive": positives}),
        ScorerAsModel(pool, scores, language, settings.group_guard),  # type: ignore[arg-type]
        corpus=pool.pool_texts(language),
        range_min=settings.range_min,
        range_max=settings.range_max,
        max_score=settings.max_score,
        min_score=settings.min_score,
        absolute_margin=settings.absolute_margin,
        relative_margin=settings.relative_margin,
        num_negatives=settings.range_max - settings.range_min,  # the whole window: guards come after
        sampling_strategy="top",
        output_format="labeled-list",
        output_scores=True,
        batch_size=batch_size,
        faiss_batch_size=settings.block_size,
        verbose=False,
    )
    found = {}
    for anchor, documents, values in zip(mined["anchor"], mined["positive"], mined["scores"], strict=True):
        negatives = list(zip(documents[1:], map(float, values[1:]), strict=True))
        found[(anchor, documents[0])] = (float(values[0]), negatives)
    return found


def _cross_lingual_guard(
    pool: MiningPool, scores: ScoreRows, mined: dict[tuple[int, str], MinedText], settings: MiningSettings
) -> None:
    """Drop every candidate of language ``y`` that breaks the margin for the example's other questions."""
    everything = slice(0, len(pool.passages))
    rows = list(range(len(pool.questions)))
    starts = range(0, len(rows), settings.block_size)
    for start in tqdm(starts, desc="cross-lingual guard", unit="block"):
        block_rows = np.arange(start, min(start + settings.block_size, len(rows)))
        block = scores.rows(block_rows, everything)
        for local, row in enumerate(block_rows):
            x = pool.question_language[row]
            for example in pool.question_owners[row]:
                for y in pool.corpus.examples[example].texts:
                    found = mined.get((example, y))
                    if y == x or found is None or not found.negatives:
                        continue
                    cols = [pool.col_of[y][text] for text, _ in found.negatives]
                    positive = block[local, pool.positive_col(example, y)]
                    keep = within_margin(block[local, cols], positive, settings)
                    found.dropped_cross_lingual += int((~keep).sum())
                    found.negatives = [n for n, k in zip(found.negatives, keep, strict=True) if k]


def mine_corpus(
    corpus: TrainingCorpus, scorer: Scorer, settings: MiningSettings, batch_size: int = 64
) -> tuple[TrainingCorpus, list[MinedText]]:
    """Mine negatives for every text of ``corpus``; return the new corpus and what was found per text.

    Each text's ``negatives`` become the mined ones (plus its own with ``keep_existing``); a
    text with none mined gets an empty list (the trainer then uses another example's positive).
    """
    settings.validate()
    pool = build_pool(corpus)
    scorer.prepare(pool.questions, pool.passages)
    scores = ScoreRows(scorer, settings.block_size)
    mined: dict[tuple[int, str], MinedText] = {}
    for language in tqdm(corpus.languages, desc="mining", unit="language"):
        found = _mine_language(pool, scores, language, settings, batch_size)
        for index, example in enumerate(corpus.examples):
            text = example.texts.get(language)
            if text is None:
                continue
            positive_score, candidates = found.get((text.question, text.positive), (None, []))
            if positive_score is None:  # no candidate survived: score the positive for the report
                row = pool.row_of[(index, language)]
                col = pool.positive_col(index, language)
                positive_score = float(scores.rows(np.array([row]), slice(col, col + 1))[0, 0])
            mined[(index, language)] = MinedText(index, language, positive_score, candidates, len(candidates))
    if settings.cross_lingual_guard and len(corpus.languages) > 1:
        _cross_lingual_guard(pool, scores, mined, settings)
    rng = random.Random(settings.seed)
    examples = []
    for index, example in enumerate(corpus.examples):
        texts = {}
        for language, text in example.texts.items():
            found = mined[(index, language)]
            if settings.sampling == "random" and len(found.negatives) > settings.num_negatives:
                found.negatives = sorted(
                    rng.sample(found.negatives, settings.num_negatives), key=lambda n: -n[1]
                )
            found.negatives = found.negatives[: settings.num_negatives]
            negatives = [n for n, _ in found.negatives]
            if settings.keep_existing:
                negatives += [n for n in text.negatives if n not in negatives and n != text.positive]
            texts[language] = TrainingText(text.question, text.positive, tuple(negatives))
        examples.append(TrainingExample(example.id, example.group, texts))
    return TrainingCorpus(examples, corpus.languages), [mined[key] for key in sorted(mined)]
