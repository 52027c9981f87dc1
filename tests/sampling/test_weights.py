"""Language weighting: parsing of ``uniform | size | temperature:T`` and the probabilities it gives."""

from __future__ import annotations

import numpy as np
import pytest

from hybridir.errors import UserError
from hybridir.sampling.weights import LanguageWeighting, WeightingKind, parse_language_weights

COUNTS = {"en": 900, "de": 100, "sw": 25}


def test_parse_accepts_the_three_schemes() -> None:
    assert parse_language_weights("uniform") == LanguageWeighting(WeightingKind.UNIFORM)
    assert parse_language_weights(" Size ") == LanguageWeighting(WeightingKind.SIZE)
    assert parse_language_weights("temperature:2.5") == LanguageWeighting(WeightingKind.TEMPERATURE, 2.5)
    assert str(parse_language_weights("temperature:2")) == "temperature:2"
    assert str(parse_language_weights("size")) == "size"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "uniformly",
        "size:2",
        "temperature",
        "temperature:",
        "temperature:x",
        "temperature:0",
        "temperature:-1",
        "temperature:inf",
    ],
)
def test_bad_specs_raise_one_line_user_errors(spec: str) -> None:
    with pytest.raises(UserError) as info:
        parse_language_weights(spec)
    message = str(info.value)
    assert "\n" not in message
    assert "temperature:T" in message


def test_probabilities_follow_the_scheme_over_the_given_subset() -> None:
    languages = ["en", "de", "sw"]
    np.testing.assert_allclose(
        parse_language_weights("uniform").probabilities(languages, COUNTS), [1 / 3] * 3
    )
    np.testing.assert_allclose(
        parse_language_weights("size").probabilities(languages, COUNTS), [900 / 1025, 100 / 1025, 25 / 1025]
    )
    np.testing.assert_allclose(
        parse_language_weights("temperature:2").probabilities(languages, COUNTS), [30 / 45, 10 / 45, 5 / 45]
    )
    np.testing.assert_allclose(parse_language_weights("size").probabilities(["de", "sw"], COUNTS), [0.8, 0.2])


def test_temperature_one_is_size_and_large_temperature_tends_to_uniform() -> None:
    languages = list(COUNTS)
    size = parse_language_weights("size").probabilities(languages, COUNTS)
    np.testing.assert_allclose(parse_language_weights("temperature:1").probabilities(languages, COUNTS), size)
    hot = parse_language_weights("temperature:1000").probabilities(languages, COUNTS)
    np.testing.assert_allclose(hot, [1 / 3] * 3, atol=0.01)
