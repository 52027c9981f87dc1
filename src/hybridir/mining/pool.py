"""The texts a mining run scores: every question and, per language, the passage pool it mines from.

A corpus is flattened once so that one :class:`~hybridir.encoding.base.Scorer` can prepare all
texts: question rows and passage columns are ordered by language, so each language's rows and
columns are contiguous. The pool of a language holds every passage the data has in it (the
positives and any listed negatives), each text once, with the examples and groups it belongs
to, so that the false-negative guards can exclude a passage by parallel id or by group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hybridir.data.examples import TrainingCorpus


@dataclass
class MiningPool:
    """Question rows and passage columns of a corpus, with their owners.

    ``question_owners[r]`` lists the examples whose question in that row's language is that
    text (identical questions share a row); ``id_columns[e]`` holds the columns of example
    ``e``'s positives and ``group_columns[g]`` every column that an example of group ``g``
    lists as positive or negative.
    """

    corpus: TrainingCorpus
    questions: list[str] = field(default_factory=list)
    question_language: list[str] = field(default_factory=list)
    question_owners: list[list[int]] = field(default_factory=list)
    row_of: dict[tuple[int, str], int] = field(default_factory=dict)
    passages: list[str] = field(default_factory=list)
    passage_language: list[str] = field(default_factory=list)
    id_columns: dict[int, set[int]] = field(default_factory=dict)
    group_columns: dict[str, set[int]] = field(default_factory=dict)
    columns: dict[str, slice] = field(default_factory=dict)
    col_of: dict[str, dict[str, int]] = field(default_factory=dict)

    def pool_texts(self, language: str) -> list[str]:
        """The passages of ``language``, in column order."""
        return self.passages[self.columns[language]]

    def positive_col(self, example: int, language: str) -> int:
        """Global column of an example's positive in ``language``."""
        return self.col_of[language][self.corpus.examples[example].texts[language].positive]

    def forbidden_columns(self, row: int, group_guard: bool) -> np.ndarray:
        """Columns of the row's language that may not be a negative for question ``row``.

        Always the passages of the row's own examples (their positives: translations share an
        id); with ``group_guard`` also every passage of their groups (sibling questions).
        """
        owners = self.question_owners[row]
        banned: set[int] = set()
        for example in owners:
            banned |= self.id_columns[example]
            if group_guard:
                banned |= self.group_columns[self.corpus.examples[example].group]
        span = self.columns[self.question_language[row]]
        return np.array(sorted(c for c in banned if span.start <= c < span.stop), dtype=np.int64)


def build_pool(corpus: TrainingCorpus) -> MiningPool:
    """Flatten ``corpus`` into question rows and per-language passage pools (see :class:`MiningPool`)."""
    pool = MiningPool(corpus)
    for lang in corpus.languages:
        question_row: dict[str, int] = {}
        start = len(pool.passages)
        cols: dict[str, int] = {}
        for index, example in enumerate(corpus.examples):
            text = example.texts.get(lang)
            if text is None:
                continue
            row = question_row.get(text.question)
            if row is None:
                row = question_row[text.question] = len(pool.questions)
                pool.questions.append(text.question)
                pool.question_language.append(lang)
                pool.question_owners.append([])
            pool.question_owners[row].append(index)
            pool.row_of[(index, lang)] = row
            for passage, is_positive in ((text.positive, True), *((n, False) for n in text.negatives)):
                col = cols.get(passage)
                if col is None:
                    col = cols[passage] = len(pool.passages)
                    pool.passages.append(passage)
                    pool.passage_language.append(lang)
                if is_positive:
                    pool.id_columns.setdefault(index, set()).add(col)
                pool.group_columns.setdefault(example.group, set()).add(col)
        pool.columns[lang] = slice(start, len(pool.passages))
        pool.col_of[lang] = cols
    return pool
