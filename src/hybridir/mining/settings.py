"""What mining is asked for: rank window, margin rule, guards, and the margin rule itself.

Kept apart from :mod:`hybridir.mining.miner` so the command line can read the settings without
importing sentence-transformers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybridir.core.settings import Choice, check_settings, coerce_choices, setting
from hybridir.errors import UserError


class NegativeSampling(Choice):
    """Which of the candidates left after the margin rule become the negatives."""

    TOP = "top"  # the highest-scoring ones
    RANDOM = "random"  # drawn among them (seeded)


@dataclass(frozen=True)
class MiningSettings:
    """The rank window, the margin rule, the guards and how many negatives each text keeps.

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir mine`` flags are generated from them.
    """

    num_negatives: int = setting(3, "negatives kept per text", at_least=1)
    range_min: int = setting(0, "skip the candidates ranked above this", at_least=0)
    range_max: int = setting(50, "consider candidates up to this rank")
    relative_margin: float | None = setting(0.05, "keep n <= p - |p| * margin; none: off", at_least=0)
    absolute_margin: float | None = setting(None, "keep n + margin <= p", at_least=0)
    max_score: float | None = setting(None, "drop candidates scoring above this")
    # e.g. > 0 with BM25: a candidate sharing no piece is no hard negative
    min_score: float | None = setting(None, "drop candidates scoring below this")
    sampling: NegativeSampling = setting(
        NegativeSampling.TOP, "top: the highest-scoring candidates left; random: drawn among them"
    )
    group_guard: bool = setting(
        True, "never mine a passage of the question's group (article: sibling questions)"
    )
    cross_lingual_guard: bool = setting(
        True, "keep a negative only if the margin also holds for the example's other-language questions"
    )
    keep_existing: bool = setting(False, "append the data's own negatives after the mined ones")
    seed: int = setting(42, "the training run's seed (same validation split)", at_least=0)
    block_size: int = setting(256, "question rows per score block", at_least=1, flag=False)

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for settings that cannot work."""
        check_settings(self)
        if self.range_max <= self.range_min:
            raise UserError(
                f"rank window needs 0 <= --range-min < --range-max, got {self.range_min} and {self.range_max}"
            )
        if self.num_negatives > self.range_max - self.range_min:
            raise UserError(
                f"--num-negatives {self.num_negatives} does not fit the rank window "
                f"{self.range_min}:{self.range_max}: widen the window or mine fewer"
            )


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
