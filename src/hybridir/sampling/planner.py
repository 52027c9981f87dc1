"""Batch planning for parallel data: which (example, question language, passage language) go together.

The planner is pure python/numpy and knows nothing of models or datasets: it sees only which
languages each example has, and returns, per epoch, a list of :class:`PlannedBatch`. A sampler
(:mod:`hybridir.sampling.batch_sampler`) maps planned items to dataset rows.

Strategies (arXiv 2408.10536):

- ``x-x-mono``: the batch language L is drawn by the language weighting, then ``batch_size``
  examples that have L; every pair is (L, L).
- ``x-x``: ``batch_size`` examples; each pair gets one language drawn among its example's
  languages; the batch mixes languages.
- ``x-y``: ``batch_size`` examples with two or more languages; each pair draws a question
  language, then a different passage language, both among its example's languages.
- ``hybrid``: each batch is drawn whole as x-x-mono with probability ``alpha``, else as x-y.

Invariant: no example appears twice in a batch. Its passages in different languages are
translations of each other, so each copy would be a false in-batch negative for the other.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import accumulate

import numpy as np

from hybridir.errors import UserError
from hybridir.sampling.weights import LanguageWeighting

Item = tuple[int, str, str]


class Strategy(str, Enum):
    """How pairs and batches are formed (see the module docstring)."""

    X_X = "x-x"
    X_X_MONO = "x-x-mono"
    X_Y = "x-y"
    HYBRID = "hybrid"


class BatchKind(str, Enum):
    """MONO: every pair has question and passage in the same language; CROSS: in different ones.

    Under ``x-x-mono`` and ``hybrid`` a MONO batch is also one language throughout; under ``x-x``
    its pairs are same-language but the batch mixes languages.
    """

    MONO = "mono"
    CROSS = "cross"


@dataclass(frozen=True)
class PlannedBatch:
    """One global batch: its kind and its items (example index, question language, passage language)."""

    kind: BatchKind
    items: tuple[Item, ...]


def parse_strategy(name: str) -> Strategy:
    """Parse a ``--sampling`` value, or raise a one-line :class:`UserError`."""
    try:
        return Strategy(name.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise UserError(f"unknown sampling strategy {name!r}: use one of {choices}") from None


class _ShuffledQueue:
    """Serves example indices in shuffled passes over a pool, reshuffling when a pass runs out.

    ``take`` never returns an index twice: when a new pass starts mid-batch, indices already
    in the batch are deferred to the front of the queue, so each pass still serves every
    index exactly once. The pool must hold at least as many indices as any ``take`` asks for.
    """

    def __init__(self, pool: np.ndarray, rng: np.random.Generator) -> None:
        self._pool = pool
        self._rng = rng
        self._queue: deque[int] = deque()

    def take(self, n: int) -> list[int]:
        batch: list[int] = []
        chosen: set[int] = set()
        deferred: list[int] = []
        while len(batch) < n:
            if not self._queue:
                self._queue.extend(self._rng.permutation(self._pool).tolist())
            index = self._queue.popleft()
            if index in chosen:
                deferred.append(index)
            else:
                batch.append(index)
                chosen.add(index)
        self._queue.extendleft(reversed(deferred))
        return batch


class _LanguageChooser:
    """Draws a language from a subset with the weighting's probabilities (cached per subset)."""

    def __init__(self, weighting: LanguageWeighting, counts: dict[str, int]) -> None:
        self._weighting = weighting
        self._counts = counts
        self._cumulative: dict[tuple[str, ...], list[float]] = {}

    def choose(self, languages: tuple[str, ...], u: float) -> str:
        """The language that uniform draw ``u`` in [0, 1) selects among sorted ``languages``."""
        cumulative = self._cumulative.get(languages)
        if cumulative is None:
            probabilities = self._weighting.probabilities(languages, self._counts)
            cumulative = self._cumulative[languages] = list(accumulate(probabilities.tolist()))
        return languages[min(bisect_right(cumulative, u), len(languages) - 1)]


class _EpochDraw:
    """The random state of one epoch: its generator and its shuffled queues (created on first use)."""

    def __init__(self, planner: BatchPlanner, rng: np.random.Generator) -> None:
        self._planner = planner
        self._rng = rng
        self._chooser = _LanguageChooser(planner.weighting, planner.language_counts)
        self._queues: dict[str, _ShuffledQueue] = {}

    def _queue(self, name: str, pool: np.ndarray) -> _ShuffledQueue:
        if name not in self._queues:
            self._queues[name] = _ShuffledQueue(pool, self._rng)
        return self._queues[name]

    def mono(self) -> PlannedBatch:
        p = self._planner
        language = self._chooser.choose(p.languages, float(self._rng.random()))
        indices = self._queue(f"lang:{language}", p.examples_with(language)).take(p.batch_size)
        return PlannedBatch(BatchKind.MONO, tuple((i, language, language) for i in indices))

    def same_language_pairs(self) -> PlannedBatch:
        p = self._planner
        indices = self._queue("all", p.usable_examples(min_languages=1)).take(p.batch_size)
        draws = self._rng.random(len(indices)).tolist()
        items = []
        for i, u in zip(indices, draws, strict=True):
            language = self._chooser.choose(p.sorted_languages(i), u)
            items.append((i, language, language))
        return PlannedBatch(BatchKind.MONO, tuple(items))

    def cross(self) -> PlannedBatch:
        p = self._planner
        indices = self._queue("multi", p.usable_examples(min_languages=2)).take(p.batch_size)
        draws = self._rng.random((len(indices), 2)).tolist()
        items = []
        for i, (u_question, u_passage) in zip(indices, draws, strict=True):
            languages = p.sorted_languages(i)
            question = self._chooser.choose(languages, u_question)
            others = tuple(lang for lang in languages if lang != question)
            items.append((i, question, self._chooser.choose(others, u_passage)))
        return PlannedBatch(BatchKind.CROSS, tuple(items))


class BatchPlanner:
    """Plans the global batches of each epoch, deterministically in (seed, epoch).

    Args:
        example_languages: the languages of each example; position = example index.
        batch_size: the global batch size: pairs per forward batch on all devices (in-batch negatives).
        strategy: see :class:`Strategy` (a name is parsed with :func:`parse_strategy`).
        alpha: hybrid only: the probability that a batch is x-x-mono rather than x-y.
        weighting: how languages are drawn (batch language, question and passage languages).
        seed: with the epoch, seeds ``np.random.default_rng([seed, epoch])``.
        num_batches: batches per epoch; default floor(examples usable by the strategy / batch_size),
            where x-y (and hybrid with alpha = 0) can use only examples with two or more languages.

    Raises :class:`UserError` at construction when the data cannot fill the batches.
    """

    def __init__(
        self,
        example_languages: Sequence[frozenset[str]],
        batch_size: int,
        strategy: Strategy | str = Strategy.HYBRID,
        alpha: float = 0.5,
        weighting: LanguageWeighting | None = None,
        seed: int = 0,
        num_batches: int | None = None,
    ) -> None:
        self.strategy = strategy if isinstance(strategy, Strategy) else parse_strategy(strategy)
        self.batch_size = batch_size
        self.alpha = alpha
        self.weighting = weighting or LanguageWeighting()
        self.seed = seed
        self._sorted = [tuple(sorted(languages)) for languages in example_languages]
        self.languages: tuple[str, ...] = tuple(sorted({lang for langs in self._sorted for lang in langs}))
        pools: dict[str, list[int]] = {lang: [] for lang in self.languages}
        for index, langs in enumerate(self._sorted):
            for lang in langs:
                pools[lang].append(index)
        self._pools = {lang: np.array(indices, dtype=np.int64) for lang, indices in pools.items()}
        self.language_counts: dict[str, int] = {lang: len(indices) for lang, indices in pools.items()}
        self._usable = {
            n: np.array([i for i, langs in enumerate(self._sorted) if len(langs) >= n], dtype=np.int64)
            for n in (1, 2)
        }
        self._validate()
        usable = len(self.usable_examples(min_languages=2 if self.draws_cross and not self.draws_mono else 1))
        self.num_batches = usable // batch_size if num_batches is None else num_batches
        if self.num_batches < 1:
            raise UserError(f"the number of batches per epoch must be at least 1, got {self.num_batches}")

    @property
    def draws_mono(self) -> bool:
        """Whether single-language (x-x-mono) batches can occur."""
        return self.strategy is Strategy.X_X_MONO or (self.strategy is Strategy.HYBRID and self.alpha > 0)

    @property
    def draws_cross(self) -> bool:
        """Whether x-y batches can occur."""
        return self.strategy is Strategy.X_Y or (self.strategy is Strategy.HYBRID and self.alpha < 1)

    def sorted_languages(self, index: int) -> tuple[str, ...]:
        """The languages of example ``index``, sorted (so draws do not depend on set order)."""
        return self._sorted[index]

    def examples_with(self, language: str) -> np.ndarray:
        """Indices of the examples that have ``language``."""
        return self._pools[language]

    def usable_examples(self, min_languages: int) -> np.ndarray:
        """Indices of the examples with at least ``min_languages`` (1 or 2) languages."""
        return self._usable[min_languages]

    def plan_epoch(self, epoch: int) -> list[PlannedBatch]:
        """The ``num_batches`` global batches of ``epoch``; the same (seed, epoch) gives the same list."""
        rng = np.random.default_rng([self.seed, epoch])
        draw = _EpochDraw(self, rng)
        if self.strategy is Strategy.X_X:
            return [draw.same_language_pairs() for _ in range(self.num_batches)]
        if self.strategy is Strategy.X_X_MONO:
            return [draw.mono() for _ in range(self.num_batches)]
        if self.strategy is Strategy.X_Y:
            return [draw.cross() for _ in range(self.num_batches)]
        return [draw.mono() if rng.random() < self.alpha else draw.cross() for _ in range(self.num_batches)]

    def _validate(self) -> None:
        b = self.batch_size
        if b < 2:
            raise UserError(f"--batch-size must be at least 2 for in-batch negatives, got {b}")
        if not (isinstance(self.alpha, (int, float)) and 0.0 <= self.alpha <= 1.0):
            raise UserError(f"--alpha must be in [0, 1], got {self.alpha}: 1 = all x-x-mono, 0 = all x-y")
        if not (isinstance(self.seed, int) and self.seed >= 0):
            raise UserError(f"--seed must be a non-negative integer, got {self.seed}")
        usable = len(self.usable_examples(min_languages=1))
        if usable < b:
            raise UserError(
                f"only {usable} training examples, fewer than the batch size {b}: use a smaller --batch-size"
            )
        if self.draws_mono:
            self._check_language_sizes()
        if self.draws_cross:
            self._check_cross_lingual()

    def _check_language_sizes(self) -> None:
        b = self.batch_size
        small = [(lang, n) for lang, n in sorted(self.language_counts.items(), key=lambda kv: kv[1]) if n < b]
        if small:
            listed = ", ".join(f"{lang} ({n} examples)" for lang, n in small)
            raise UserError(
                f"{self.strategy.value} needs one-language batches of {b}, but {listed} cannot fill one: "
                f"use a smaller --batch-size or drop {', '.join(lang for lang, _ in small)} with --languages"
            )

    def _check_cross_lingual(self) -> None:
        b = self.batch_size
        instead = "--alpha 1" if self.strategy is Strategy.HYBRID else "--sampling x-x or x-x-mono"
        if len(self.languages) < 2:
            raise UserError(
                f"{self.strategy.value} needs cross-lingual pairs, but the data has only the language(s) "
                f"{', '.join(self.languages) or 'none'}: add languages with --languages or use {instead}"
            )
        multi = len(self.usable_examples(min_languages=2))
        if multi < b:
            raise UserError(
                f"{self.strategy.value} needs examples in two or more languages, but only {multi} have them, "
                f"fewer than the batch size {b}: use a smaller --batch-size or {instead}"
            )
