"""Directions: which variants run in a direction, which get its extra tests, and one-line errors."""

from __future__ import annotations

import pytest

from hybridir.errors import UserError
from hybridir.experiments.config import parse_experiment

GRID = {
    "train": {"max_steps": 2, "validation_fraction": 0.1},
    "strategies": ["hybrid"],
    "seeds": [1, 2],
    "recipes": {"lr": {"train": {"learning_rate": 1.0e-4}}, "lr-wise": {"wise_ft": {"of": "lr"}}},
}
NARROWED = [
    {"train": "mlqa-r", "test": ["xquad-r", "arcd", "tatoeba"], "extra_tests_for": ["lr-wise"]},
    {"train": "xquad-r", "test": "mlqa-r", "variants": ["full", "lr-wise"]},
]


def test_a_direction_runs_only_its_variants_and_extra_tests_only_for_some() -> None:
    experiment = parse_experiment({**GRID, "directions": NARROWED})
    forward, reverse = experiment.directions
    assert experiment.direction_variants(forward) == ["full", "lr", "lr-wise"]
    assert experiment.direction_variants(reverse) == ["full", "lr-wise"]
    ids = [cell.id for cell in experiment.cells()]
    assert len(ids) == (3 + 2) * 2
    assert "xquad-r-to-mlqa-r__lr__hybrid-a0.5__seed1" not in ids  # trained for lr-wise, not evaluated
    assert ids[0] == "mlqa-r-to-xquad-r__full__hybrid-a0.5__seed1"  # the ids do not change
    assert forward.extra_tests_of("lr-wise") == ("arcd", "tatoeba")
    assert forward.extra_tests_of("full") == () and reverse.extra_tests_of("full") == ()
    # a wise-ft cell whose base does not run there still trains through the base's cell
    wise = next(c for c in experiment.cells() if c.direction == reverse and c.variant == "lr-wise")
    assert experiment.training_cell(wise).id == "xquad-r-to-mlqa-r__lr__hybrid-a0.5__seed1"
    # experiment.yaml keeps the file's form; a plain direction writes no empty keys
    assert experiment.to_dict()["directions"] == NARROWED
    assert parse_experiment({**GRID, "directions": experiment.to_dict()["directions"]}).directions == [
        forward,
        reverse,
    ]
    plain = parse_experiment({**GRID, "directions": [{"train": "mlqa-r", "test": "xquad-r"}]})
    assert plain.to_dict()["directions"] == [{"train": "mlqa-r", "test": "xquad-r"}]
    assert plain.direction_variants(plain.directions[0]) == plain.variants


@pytest.mark.parametrize(
    ("direction", "message"),
    [
        ({"train": "mlqa-r", "test": "xquad-r", "variants": ["lora"]}, "variants names 'lora'"),
        ({"train": "mlqa-r", "test": "xquad-r", "variants": "full"}, "optionally with variants"),
        ({"train": "mlqa-r", "test": "xquad-r", "sample": 0.5}, "directions must be a list"),
        ({"train": "mlqa-r", "test": "xquad-r", "extra_tests_for": ["lr"]}, "lists no extra test"),
        (
            {"train": "mlqa-r", "test": ["xquad-r", "arcd"], "variants": ["full"], "extra_tests_for": ["lr"]},
            "extra_tests_for names 'lr', which it does not run: use some of full",
        ),
    ],
)
def test_bad_directions_are_one_line_errors(direction: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_experiment({**GRID, "directions": [direction]})
