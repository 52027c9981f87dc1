import logging
from pathlib import Path

import pytest

from hybridir.training.arguments import training_arguments
from hybridir.training.config import TrainConfig


@pytest.mark.parametrize(("ratio", "steps", "warmup"), [(0.1, 120, 12), (0.1, 125, 13), (0.0, 50, 0)])
def test_warmup_is_the_same_fraction_of_the_steps(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, ratio: float, steps: int, warmup: int
) -> None:
    """--warmup-ratio reaches transformers 5 as a fractional warmup_steps (ceil of ratio x steps),
    not through the deprecated warmup_ratio."""
    with caplog.at_level(logging.WARNING):
        args = training_arguments(TrainConfig(warmup_ratio=ratio), tmp_path, None, {})
    assert "warmup_ratio" not in caplog.text
    assert args.warmup_ratio is None
    assert args.get_warmup_steps(steps) == warmup
