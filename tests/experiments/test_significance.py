"""The paired sign-flip randomization test and Holm's correction on known cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridir.experiments.significance import holm, paired_randomization_test


def test_identical_runs_give_p_one() -> None:
    a = np.random.default_rng(0).random(200)
    assert paired_randomization_test(a, a.copy(), 1000) == 1.0
    assert paired_randomization_test(np.zeros(5), np.zeros(5), 1000) == 1.0


def test_a_shifted_run_gives_the_smallest_p() -> None:
    a = np.random.default_rng(1).random(300)
    assert paired_randomization_test(a + 0.05, a, 999) == pytest.approx(1 / 1000)
    assert paired_randomization_test(a, a + 0.05, 999) == pytest.approx(1 / 1000)


def test_noise_alone_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.random(300), rng.random(300)
    assert paired_randomization_test(a, b, 2000) > 0.05


def test_p_approaches_the_exact_sign_flip_distribution() -> None:
    diffs = np.array([0.3, -0.1, 0.2, 0.25, 0.05, -0.15])
    observed = abs(diffs.sum())
    flips = [abs(np.dot(signs, diffs)) for signs in itertools.product((-1, 1), repeat=diffs.size)]
    exact = np.mean([f >= observed - 1e-12 for f in flips])
    estimate = paired_randomization_test(diffs, np.zeros_like(diffs), 20000, seed=3)
    assert estimate == pytest.approx(exact, abs=0.01)


def test_the_test_is_symmetric_and_seeded() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.random(100), rng.random(100) + 0.02
    p = paired_randomization_test(a, b, 3000, seed=5)
    assert paired_randomization_test(b, a, 3000, seed=5) == p
    assert paired_randomization_test(a, b, 3000, seed=5) == p


def test_holm_known_cases() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([0.02]) == pytest.approx([0.02])
    assert holm([]) == []


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30))
def test_holm_never_lowers_p_and_keeps_the_order(pvalues: list[float]) -> None:
    adjusted = holm(pvalues)
    assert all(raw <= adj + 1e-12 and adj <= 1.0 for raw, adj in zip(pvalues, adjusted, strict=True))
    for i, j in itertools.combinations(range(len(pvalues)), 2):
        if pvalues[i] < pvalues[j]:
            assert adjusted[i] <= adjusted[j] + 1e-12
