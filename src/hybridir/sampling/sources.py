"""What the planner knows of each training source: its examples' languages, the batch kinds it can
serve, its weight, and which of its examples conflict (see :mod:`hybridir.sampling.queue`).

A source is one data set of a run (a translated QA set, a bitext corpus, native QA in one
language). Every batch comes from one source. A source serves same-language batches (x-x,
x-x-mono) when ``same_language`` is set and cross-language ones (x-y) when ``cross_language``
is set and it has two or more languages; a bitext line, for instance, is never paired with
itself, so bitext serves only x-y.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from hybridir.sampling.queue import Keys, independent_count


@dataclass(frozen=True)
class PlanSource:
    """One source as the planner sees it.

    Args:
        name: how errors and batch logs name it.
        example_languages: the languages of each of its examples.
        same_language: whether its examples may be paired with themselves in one language.
        cross_language: whether its examples may be paired across two of their languages.
        weight: multiplies the source weighting's weight (``--source-weights``) of this source.
        conflict_keys: per example, keys such that two examples sharing one never meet in a
            batch (paragraph ids, passage texts); ``None``: only an example with itself.
    """

    name: str
    example_languages: Sequence[frozenset[str]]
    same_language: bool = True
    cross_language: bool = True
    weight: float = 1.0
    conflict_keys: Sequence[Keys] | None = None


class SourcePools:
    """A source's example pools in the planner's global indexing (its examples from ``offset``)."""

    def __init__(self, position: int, source: PlanSource, offset: int) -> None:
        self.position = position
        self.source = source
        self.name = source.name
        self.offset = offset
        self.sorted_languages = [tuple(sorted(languages)) for languages in source.example_languages]
        self.languages: tuple[str, ...] = tuple(
            sorted({lang for langs in self.sorted_languages for lang in langs})
        )
        pools: dict[str, list[int]] = {lang: [] for lang in self.languages}
        for index, langs in enumerate(self.sorted_languages):
            for lang in langs:
                pools[lang].append(offset + index)
        self.language_pools = {lang: np.array(indices, dtype=np.int64) for lang, indices in pools.items()}
        self.language_counts = {lang: len(indices) for lang, indices in pools.items()}
        self.usable = {
            n: np.array(
                [offset + i for i, langs in enumerate(self.sorted_languages) if len(langs) >= n],
                dtype=np.int64,
            )
            for n in (1, 2)
        }

    def __len__(self) -> int:
        return len(self.sorted_languages)

    @property
    def serves_same_language(self) -> bool:
        return self.source.same_language

    @property
    def serves_cross_language(self) -> bool:
        return self.source.cross_language and len(self.languages) >= 2

    def keys(self) -> list[Keys]:
        """Global conflict keys of its examples: the global index, plus its own keys tagged by source."""
        own = self.source.conflict_keys
        result: list[Keys] = []
        for index in range(len(self)):
            extra: frozenset[Hashable] = frozenset()
            if own is not None:
                extra = frozenset((self.position, key) for key in own[index])
            result.append(frozenset({self.offset + index}) | extra)
        return result

    def capacity(self, pool: np.ndarray, keys_of: Sequence[Keys]) -> int:
        """Examples of ``pool`` that fit in one conflict-free batch (greedy lower bound)."""
        return independent_count(pool.tolist(), keys_of)


def check_sources(sources: Sequence[PlanSource]) -> None:
    """Plain errors for sources the planner cannot index."""
    if not sources:
        raise ValueError("the planner needs at least one source")
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique, got {names}")
    for source in sources:
        if source.conflict_keys is not None and len(source.conflict_keys) != len(source.example_languages):
            raise ValueError(f"source {source.name}: one set of conflict keys per example expected")
        if not (np.isfinite(source.weight) and source.weight > 0):
            raise ValueError(f"source {source.name}: weight must be positive and finite, got {source.weight}")


def smallest_pool(sources: Sequence[PlanSource], same_language: bool, mono: bool, cross: bool) -> int:
    """The fewest conflict-free examples any pool offers that batches could be drawn from.

    ``same_language`` / ``mono`` / ``cross``: whether x-x, x-x-mono and x-y batches are drawn.
    Used to shrink a validation batch until every pool fills one.
    """
    sizes = []
    for position, source in enumerate(sources):
        pools = SourcePools(position, source, 0)
        keys = pools.keys()
        if pools.serves_same_language and same_language:
            sizes.append(pools.capacity(pools.usable[1], keys))
        if pools.serves_same_language and mono:
            sizes.extend(pools.capacity(pool, keys) for pool in pools.language_pools.values())
        if pools.serves_cross_language and cross:
            sizes.append(pools.capacity(pools.usable[2], keys))
    return min(sizes, default=0)
