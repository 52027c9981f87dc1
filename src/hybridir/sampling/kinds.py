"""The vocabulary of batch planning: strategies, batch kinds, planned batches and their items.

A planned :class:`Item` is ``(example index, question language, passage language)``; a batch is of one
kind: ``x-x`` (same-language pairs, languages mixed), ``x-x-mono`` (one language throughout) or
``x-y`` (question and passage in different languages). See :mod:`hybridir.sampling.planner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from hybridir.core.settings import Choice
from hybridir.errors import UserError


class Item(NamedTuple):
    """One planned pair: an example (its index in the source's corpus) in two languages.

    A tuple, so ``index, question, passage = item`` unpacks it and it equals (and hashes as) the
    plain tuple ``(index, question_language, passage_language)``.
    """

    example: int
    question_language: str
    passage_language: str


class Strategy(Choice):
    """How pairs and batches are formed (see the module docstring)."""

    X_X = "x-x"
    X_X_MONO = "x-x-mono"
    X_Y = "x-y"
    HYBRID = "hybrid"


class BatchKind(str, Enum):
    """X_X: same-language pairs, languages mixed; X_X_MONO: one language throughout; X_Y: cross-language."""

    X_X = "x-x"
    X_X_MONO = "x-x-mono"
    X_Y = "x-y"

    @property
    def same_language(self) -> bool:
        return self is not BatchKind.X_Y


@dataclass(frozen=True)
class PlannedBatch:
    """One global batch: its kind, items (example index, question language, passage language), source."""

    kind: BatchKind
    items: tuple[Item, ...]
    source: int = 0  # position of the source in the planner's ``sources``


def parse_strategy(name: str) -> Strategy:
    """Parse a ``--sampling`` value, or raise a one-line :class:`UserError`."""
    try:
        return Strategy(name.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise UserError(f"unknown sampling strategy {name!r}: use one of {choices}") from None


def strategy_kinds(strategy: Strategy, alpha: float) -> tuple[BatchKind, ...]:
    """The batch kinds ``strategy`` draws (hybrid: x-x-mono unless alpha = 0, x-y unless alpha = 1)."""
    if strategy is Strategy.X_X:
        return (BatchKind.X_X,)
    if strategy is Strategy.X_X_MONO:
        return (BatchKind.X_X_MONO,)
    if strategy is Strategy.X_Y:
        return (BatchKind.X_Y,)
    return tuple(
        kind for kind, drawn in ((BatchKind.X_X_MONO, alpha > 0), (BatchKind.X_Y, alpha < 1)) if drawn
    )
