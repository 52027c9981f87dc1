"""Batch planning: which (example, question language, passage language) go together, from which source.

The planner is pure python/numpy and knows nothing of models or datasets: it sees only which
languages each example has, which source it belongs to, and which examples conflict, and
returns, per epoch, a list of :class:`PlannedBatch`. A sampler
(:mod:`hybridir.sampling.batch_sampler`) maps planned items to dataset rows.

Strategies (arXiv 2408.10536):

- ``x-x-mono``: the batch language L is drawn by the language weighting, then ``batch_size``
  examples that have L; every pair is (L, L).
- ``x-x``: ``batch_size`` examples; each pair gets one language drawn among its example's
  languages; the batch mixes languages.
- ``x-y``: ``batch_size`` examples with two or more languages; each pair draws a question
  language, then a different passage language, both among its example's languages.
- ``hybrid``: each batch is drawn whole as x-x-mono with probability ``alpha``, else as x-y.

Several sources: every batch comes from one source. The batch kind is drawn first (under
``hybrid`` with ``alpha``), then a source that can serve that kind, with probability given by
the source weighting (``size``: the paper's "sampled based on dataset size", where a source's
size is its number of examples usable for that kind; ``uniform``; ``temperature:T``) times the
source's own weight. With one source no draw is made, so single-source plans are unchanged.

Invariant: no two examples that conflict share a batch (see :mod:`hybridir.sampling.queue`):
an example with itself (its passages in different languages are translations of each other),
siblings of one paragraph, identical passage texts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

import numpy as np

from hybridir.errors import UserError
from hybridir.sampling.kinds import BatchKind, Item, PlannedBatch, Strategy, parse_strategy, strategy_kinds
from hybridir.sampling.queue import ConflictQueue, Keys
from hybridir.sampling.sources import PlanSource, SourcePools, check_sources
from hybridir.sampling.weights import LanguageWeighting, WeightingKind

__all__ = [
    "BatchKind",
    "BatchPlanner",
    "Item",
    "PlannedBatch",
    "Strategy",
    "parse_strategy",
    "strategy_kinds",
]


class _Chooser:
    """Draws one of several options with fixed-weight probabilities (cached per option subset)."""

    def __init__(self, weighting: LanguageWeighting, counts: dict[str, int]) -> None:
        self._weighting = weighting
        self._counts = counts
        self._cumulative: dict[tuple[str, ...], list[float]] = {}

    def choose(self, options: tuple[str, ...], u: float) -> str:
        """The option that uniform draw ``u`` in [0, 1) selects among sorted ``options``."""
        cumulative = self._cumulative.get(options)
        if cumulative is None:
            probabilities = self._weighting.probabilities(options, self._counts)
            cumulative = self._cumulative[options] = list(accumulate(probabilities.tolist()))
        return options[min(bisect_right(cumulative, u), len(options) - 1)]


class _EpochDraw:
    """The random state of one epoch: its generator and its shuffled queues (created on first use)."""

    def __init__(self, planner: BatchPlanner, rng: np.random.Generator) -> None:
        self._planner = planner
        self._rng = rng
        self._choosers = [_Chooser(planner.weighting, pools.language_counts) for pools in planner.pools]
        self._queues: dict[tuple[int, str], ConflictQueue] = {}

    def _take(self, pools: SourcePools, name: str, pool: np.ndarray) -> list[int]:
        key = (pools.position, name)
        if key not in self._queues:
            self._queues[key] = ConflictQueue(pool, self._rng, self._planner.keys_of)
        return self._queues[key].take(self._planner.batch_size)

    def batch(self, kind: BatchKind) -> PlannedBatch:
        serving = self._planner.serving[kind]
        position = serving[0]
        if len(serving) > 1:
            cumulative = self._planner.source_cumulative[kind]
            position = serving[min(bisect_right(cumulative, float(self._rng.random())), len(serving) - 1)]
        pools = self._planner.pools[position]
        if kind is BatchKind.X_X_MONO:
            return self._mono(pools)
        if kind is BatchKind.X_X:
            return self._same_language_pairs(pools)
        return self._cross(pools)

    def _mono(self, pools: SourcePools) -> PlannedBatch:
        language = self._choosers[pools.position].choose(pools.languages, float(self._rng.random()))
        indices = self._take(pools, f"lang:{language}", pools.language_pools[language])
        return PlannedBatch(
            BatchKind.X_X_MONO, tuple(Item(i, language, language) for i in indices), pools.position
        )

    def _same_language_pairs(self, pools: SourcePools) -> PlannedBatch:
        indices = self._take(pools, "all", pools.usable[1])
        draws = self._rng.random(len(indices)).tolist()
        chooser = self._choosers[pools.position]
        items = []
        for i, u in zip(indices, draws, strict=True):
            language = chooser.choose(self._planner.sorted_languages(i), u)
            items.append(Item(i, language, language))
        return PlannedBatch(BatchKind.X_X, tuple(items), pools.position)

    def _cross(self, pools: SourcePools) -> PlannedBatch:
        indices = self._take(pools, "multi", pools.usable[2])
        draws = self._rng.random((len(indices), 2)).tolist()
        chooser = self._choosers[pools.position]
        items = []
        for i, (u_question, u_passage) in zip(indices, draws, strict=True):
            languages = self._planner.sorted_languages(i)
            question = chooser.choose(languages, u_question)
            others = tuple(lang for lang in languages if lang != question)
            items.append(Item(i, question, chooser.choose(others, u_passage)))
        return PlannedBatch(BatchKind.X_Y, tuple(items), pools.position)


class BatchPlanner:
    """Plans the global batches of each epoch, deterministically in (seed, epoch).

    Args:
        example_languages: one source's examples' languages (position = example index); or
            pass ``sources`` instead.
        batch_size: the global batch size: pairs per forward batch on all devices (in-batch negatives).
        strategy: see :class:`Strategy` (a name is parsed with :func:`parse_strategy`).
        alpha: hybrid only: the probability that a batch is x-x-mono rather than x-y.
        weighting: how languages are drawn (batch language, question and passage languages).
        seed: with the epoch, seeds ``np.random.default_rng([seed, epoch])``.
        num_batches: batches per epoch; default floor(examples usable by the strategy / batch_size),
            where x-y (and hybrid with alpha = 0) can use only examples with two or more languages.
        conflict_keys: with ``example_languages``: per example, keys that keep examples sharing
            one out of the same batch (see :mod:`hybridir.sampling.queue`).
        sources: several sources (see :class:`PlanSource`); example indices run through them in
            order, so the first source's examples come first.
        source_weighting: how a batch's source is drawn among those serving its kind (default size).

    Raises :class:`UserError` at construction when the data cannot fill the batches.
    """

    def __init__(
        self,
        example_languages: Sequence[frozenset[str]] | None = None,
        batch_size: int = 32,
        strategy: Strategy | str = Strategy.HYBRID,
        alpha: float = 0.5,
        weighting: LanguageWeighting | None = None,
        seed: int = 0,
        num_batches: int | None = None,
        *,
        conflict_keys: Sequence[Keys] | None = None,
        sources: Sequence[PlanSource] | None = None,
        source_weighting: LanguageWeighting | None = None,
    ) -> None:
        if sources is None:
            if example_languages is None:
                raise ValueError("pass example_languages or sources")
            sources = [PlanSource("train", example_languages, conflict_keys=conflict_keys)]
        check_sources(sources)
        self.strategy = strategy if isinstance(strategy, Strategy) else parse_strategy(strategy)
        self.batch_size = batch_size
        self.alpha = alpha
        self.weighting = weighting or LanguageWeighting()
        self.source_weighting = source_weighting or LanguageWeighting(WeightingKind.SIZE)
        self.seed = seed
        self.sources = list(sources)
        self.pools: list[SourcePools] = []
        self._sorted: list[tuple[str, ...]] = []
        self.keys_of: list[Keys] = []
        for position, source in enumerate(self.sources):
            pools = SourcePools(position, source, len(self._sorted))
            self.pools.append(pools)
            self._sorted.extend(pools.sorted_languages)
            self.keys_of.extend(pools.keys())
        self.languages: tuple[str, ...] = tuple(sorted({lang for p in self.pools for lang in p.languages}))
        self.language_counts: dict[str, int] = {
            lang: sum(p.language_counts.get(lang, 0) for p in self.pools) for lang in self.languages
        }
        self.kinds = strategy_kinds(self.strategy, alpha) if self._valid_alpha() else ()
        self._validate()
        self.serving = {
            kind: [p.position for p in self.pools if self._serves(p, kind)] for kind in self.kinds
        }
        self.source_cumulative = {kind: self._source_cumulative(kind) for kind in self.kinds}
        usable = sum(len(self._usable_pool(p)) for p in self.pools)
        self.num_batches = usable // batch_size if num_batches is None else num_batches
        if self.num_batches < 1:
            raise UserError(f"the number of batches per epoch must be at least 1, got {self.num_batches}")

    @property
    def draws_mono(self) -> bool:
        """Whether single-language (x-x-mono) batches can occur."""
        return BatchKind.X_X_MONO in self.kinds

    @property
    def draws_cross(self) -> bool:
        """Whether x-y batches can occur."""
        return BatchKind.X_Y in self.kinds

    def sorted_languages(self, index: int) -> tuple[str, ...]:
        """The languages of example ``index``, sorted (so draws do not depend on set order)."""
        return self._sorted[index]

    def source_of(self, index: int) -> int:
        """Position of the source that example ``index`` belongs to."""
        return next(p.position for p in reversed(self.pools) if index >= p.offset)

    def source_probabilities(self, kind: BatchKind) -> dict[str, float]:
        """Probability of each source given a batch of ``kind`` (sources that cannot serve it: 0)."""
        weights = {
            self.pools[p].name: w for p, w in zip(self.serving[kind], self._source_weights(kind), strict=True)
        }
        total = sum(weights.values())
        return {p.name: weights.get(p.name, 0.0) / total for p in self.pools}

    def plan_epoch(self, epoch: int) -> list[PlannedBatch]:
        """The ``num_batches`` global batches of ``epoch``; the same (seed, epoch) gives the same list."""
        rng = np.random.default_rng([self.seed, epoch])
        draw = _EpochDraw(self, rng)
        if self.strategy is not Strategy.HYBRID:
            (kind,) = self.kinds
            return [draw.batch(kind) for _ in range(self.num_batches)]
        return [
            draw.batch(BatchKind.X_X_MONO if rng.random() < self.alpha else BatchKind.X_Y)
            for _ in range(self.num_batches)
        ]

    # --- which source serves what -------------------------------------------------------------

    def _serves(self, pools: SourcePools, kind: BatchKind) -> bool:
        return pools.serves_same_language if kind.same_language else pools.serves_cross_language

    def _usable_pool(self, pools: SourcePools) -> np.ndarray:
        """The examples of a source this strategy can use (only multi-language ones if it draws only x-y)."""
        served = [kind for kind in self.kinds if self._serves(pools, kind)]
        if not served:
            return pools.usable[1][:0]
        return pools.usable[2] if all(kind is BatchKind.X_Y for kind in served) else pools.usable[1]

    def _source_weights(self, kind: BatchKind) -> list[float]:
        sizes = [len(self.pools[p].usable[2 if kind is BatchKind.X_Y else 1]) for p in self.serving[kind]]
        return [
            self.pools[p].source.weight * self.source_weighting.weight(size)
            for p, size in zip(self.serving[kind], sizes, strict=True)
        ]

    def _source_cumulative(self, kind: BatchKind) -> list[float]:
        weights = self._source_weights(kind)
        total = sum(weights)
        return list(accumulate(w / total for w in weights))

    # --- validation -----------------------------------------------------------------------------

    def _valid_alpha(self) -> bool:
        return isinstance(self.alpha, (int, float)) and 0.0 <= self.alpha <= 1.0

    def _validate(self) -> None:
        """Own invariants (the training config checks the settings) first, then what the data can serve."""
        b = self.batch_size
        if b < 2:
            raise ValueError(f"a batch needs at least 2 pairs for in-batch negatives, got batch_size={b}")
        if not self._valid_alpha():
            raise ValueError(f"alpha is a probability in [0, 1], got {self.alpha}")
        if not (isinstance(self.seed, int) and self.seed >= 0):
            raise ValueError(f"the seed must be a non-negative integer, got {self.seed}")
        several = len(self.pools) > 1
        for pools in self.pools:
            prefix = f"source {pools.name}: " if several else ""
            served = [kind for kind in self.kinds if self._serves(pools, kind)]
            if several and not served:
                raise UserError(prefix + self._serves_nothing(pools), settings=("sampling", "alpha"))
            usable = pools.capacity(pools.usable[1], self.keys_of)
            if usable < b:
                raise UserError(
                    f"{prefix}only {usable} training examples{self._siblings_note(usable, len(pools))}, "
                    f"fewer than the batch size {b}: use a smaller batch size",
                    settings=("batch_size",),
                )
            if BatchKind.X_X_MONO in served:
                self._check_language_sizes(pools, prefix)
            if BatchKind.X_Y in served or (not several and self.draws_cross):
                self._check_cross_lingual(pools, prefix)
        for kind in self.kinds:
            if not any(self._serves(pools, kind) for pools in self.pools):
                if not several:
                    raise UserError(self._serves_nothing(self.pools[0]), settings=("sampling", "alpha"))
                raise UserError(
                    f"{self.strategy.value} draws {kind.value} batches, but none of the sources "
                    f"({', '.join(p.name for p in self.pools)}) can serve them: add a source that can, "
                    "or change the sampling or alpha",
                    settings=("sampling", "alpha"),
                )

    def _serves_nothing(self, pools: SourcePools) -> str:
        if not pools.serves_same_language:
            gives = "only cross-language (x-y) pairs"
            use = "sampling x-y or hybrid with alpha below 1"
        elif pools.source.cross_language:
            gives = f"only same-language pairs (it has the one language {', '.join(pools.languages)})"
            use = "sampling x-x, x-x-mono or hybrid with alpha above 0"
        else:
            gives = "only same-language pairs (monolingual QA)"
            use = "sampling x-x, x-x-mono or hybrid with alpha above 0"
        kinds = ", ".join(kind.value for kind in self.kinds)
        return f"it gives {gives}, but {self.strategy.value} draws only {kinds} batches: drop it or use {use}"

    @staticmethod
    def _siblings_note(capacity: int, size: int) -> str:
        return f" that share no paragraph or passage (of {size})" if capacity < size else ""

    def _check_language_sizes(self, pools: SourcePools, prefix: str) -> None:
        b = self.batch_size
        capacities = {lang: pools.capacity(pool, self.keys_of) for lang, pool in pools.language_pools.items()}
        small = [(lang, n) for lang, n in sorted(capacities.items(), key=lambda kv: kv[1]) if n < b]
        if small:
            listed = ", ".join(
                f"{lang} ({n} examples{self._siblings_note(n, pools.language_counts[lang])})"
                for lang, n in small
            )
            raise UserError(
                f"{prefix}{self.strategy.value} needs one-language batches of {b}, but {listed} cannot fill "
                f"one: use a smaller batch size or drop {', '.join(lang for lang, _ in small)} "
                "from the languages",
                settings=("batch_size", "languages"),
            )

    def _check_cross_lingual(self, pools: SourcePools, prefix: str) -> None:
        b = self.batch_size
        hybrid = self.strategy is Strategy.HYBRID
        instead, setting_name = ("alpha 1", "alpha") if hybrid else ("sampling x-x or x-x-mono", "sampling")
        if len(pools.languages) < 2:
            raise UserError(
                f"{prefix}{self.strategy.value} needs cross-lingual pairs, but the data has only the "
                f"language(s) {', '.join(pools.languages) or 'none'}: add languages "
                f"or use {instead}",
                settings=("languages", setting_name),
            )
        if not pools.source.cross_language:
            raise UserError(f"{prefix}{self._serves_nothing(pools)}", settings=("sampling", "alpha"))
        multi = pools.capacity(pools.usable[2], self.keys_of)
        if multi < b:
            note = self._siblings_note(multi, len(pools.usable[2]))
            raise UserError(
                f"{prefix}{self.strategy.value} needs examples in two or more languages, but only {multi} "
                f"have them{note}, fewer than the batch size {b}: use a smaller batch size or {instead}",
                settings=("batch_size", setting_name),
            )
