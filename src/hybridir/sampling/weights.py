"""Language weighting: how often each language is drawn, from ``uniform | size | temperature:T``.

With ``n_L`` the number of training examples that have language ``L``:

- ``uniform``: p_L ∝ 1 (the paper's choice for the X-X-mono batch language);
- ``size``: p_L ∝ n_L (large languages dominate);
- ``temperature:T``: p_L ∝ n_L^(1/T), T > 0; T = 1 is ``size`` and T -> inf tends to
  ``uniform``, the usual way to up-sample low-resource languages without ignoring size.

Probabilities are always normalised over the subset of languages a draw can choose from
(all languages for a batch language, an example's own languages for a pair).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from hybridir.errors import UserError


class WeightingKind(str, Enum):
    """The weighting schemes ``--language-weights`` accepts."""

    UNIFORM = "uniform"
    SIZE = "size"
    TEMPERATURE = "temperature"


@dataclass(frozen=True)
class LanguageWeighting:
    """A language weighting scheme; ``temperature`` only matters for ``TEMPERATURE``."""

    kind: WeightingKind = WeightingKind.UNIFORM
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise UserError(f"the weighting temperature must be positive and finite, got {self.temperature}")

    def weight(self, count: int) -> float:
        """Unnormalised weight of a language with ``count`` examples."""
        if self.kind is WeightingKind.UNIFORM:
            return 1.0
        if self.kind is WeightingKind.SIZE:
            return float(count)
        return float(count) ** (1.0 / self.temperature)

    def probabilities(self, languages: Sequence[str], counts: Mapping[str, int]) -> np.ndarray:
        """Normalised probabilities over ``languages`` (in that order), from per-language counts."""
        if not languages:
            raise ValueError("cannot weight an empty set of languages")
        weights = np.array([self.weight(counts[lang]) for lang in languages], dtype=float)
        total = weights.sum()
        if not total > 0:
            raise ValueError(f"languages {list(languages)} have no examples to weight")
        return weights / total

    def __str__(self) -> str:
        if self.kind is WeightingKind.TEMPERATURE:
            return f"temperature:{self.temperature:g}"
        return self.kind.value


def parse_language_weights(spec: str, what: str = "language") -> LanguageWeighting:
    """Parse ``uniform``, ``size`` or ``temperature:T``, or raise a one-line :class:`UserError`.

    ``what`` names the weighted things in messages; sources (``--source-weights``) are weighted
    by the same schemes, with a source's number of usable examples as its count.
    """
    name, _, value = spec.strip().lower().partition(":")
    hint = "use uniform, size or temperature:T with T > 0 (e.g. temperature:2)"
    if name in (WeightingKind.UNIFORM.value, WeightingKind.SIZE.value) and not value:
        return LanguageWeighting(WeightingKind(name))
    if name != WeightingKind.TEMPERATURE.value:
        raise UserError(f"unknown {what} weighting {spec!r}: {hint}")
    try:
        temperature = float(value)
    except ValueError:
        raise UserError(f"{what} weighting {spec!r} needs a number after 'temperature:': {hint}") from None
    if not (math.isfinite(temperature) and temperature > 0):
        raise UserError(f"{what} weighting {spec!r} needs a positive, finite temperature: {hint}")
    return LanguageWeighting(WeightingKind.TEMPERATURE, temperature)
