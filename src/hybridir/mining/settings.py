"""What a mining run is asked for: rank window, margin rule, guards, and the margin rule itself.

Kept apart from :mod:`hybridir.mining.miner` so the command line can read the settings without
importing sentence-transformers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybridir.errors import UserError

SAMPLING = ("top", "random")


@dataclass(frozen=True)
class MiningSettings:
    """The rank window, the margin rule, the guards and how many negatives each text keeps."""

    num_negatives: int = 3
    range_min: int = 0
    range_max: int = 50
    relative_margin: float | None = 0.05
    absolute_margin: float | None = None
    max_score: float | None = None
    min_score: float | None = None  # e.g. > 0 with BM25: a candidate sharing no piece is no hard negative
    sampling: str = "top"  # top: the highest-scoring candidates left; random: drawn among them
    group_guard: bool = True
    cross_lingual_guard: bool = True
    keep_existing: bool = False  # append the data's own negatives after the mined ones
    seed: int = 42
    block_size: int = 256  # question rows per score block

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for settings that cannot work."""
        if self.num_negatives < 1:
            raise UserError(f"--num-negatives must be at least 1, got {self.num_negatives}")
        if self.range_min < 0 or self.range_max <= self.range_min:
            raise UserError(
                f"rank window needs 0 <= --range-min < --range-max, got {self.range_min} and {self.range_max}"
            )
        if self.num_negatives > self.range_max - self.range_min:
            raise UserError(
                f"--num-negatives {self.num_negatives} does not fit the rank window "
                f"{self.range_min}:{self.range_max}: widen the window or mine fewer"
            )
        for name in ("relative_margin", "absolute_margin"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UserError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
        if self.sampling not in SAMPLING:
            raise UserError(f"--sampling must be top or random, got {self.sampling!r}")
        if self.block_size < 1:
            raise UserError(f"block size must be positive, got {self.block_size}")


def within_margin(negative: np.ndarray, positive: np.ndarray | float, settings: MiningSettings) -> np.ndarray:
    """Whether each negative score obeys the margin rule below its positive's score.

    The same rule as ``mine_hard_negatives``: drop ``n`` when ``n + absolute_margin > p``, when
    ``n > p - |p| * relative_margin``, when ``n > max_score`` or when ``n < min_score``.
    """
    negative = np.asarray(negative, dtype=np.float64)
    positive = np.asarray(positive, dtype=np.float64)
    keep = np.isfinite(negative)
    if settings.absolute_margin is not None:
        keep &= negative + settings.absolute_margin <= positive
    if settings.relative_margin is not None:
        keep &= negative <= positive - np.abs(positive) * settings.relative_margin
    if settings.max_score is not None:
        keep &= negative <= settings.max_score
    if settings.min_score is not None:
        keep &= negative >= settings.min_score
    return keep
