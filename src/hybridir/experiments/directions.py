"""The train -> test directions of a grid: which benchmark trains, which test, on which variants.

A direction is read from one ``directions`` entry of an experiment file::

    {train: mlqa-r, test: xquad-r}
    {train: mlqa-r, test: [xquad-r, cmrc2018, arcd, tatoeba]}   # extra tests after the main one
    {train: mlqa-r, test: [xquad-r, arcd], extra_tests_for: [wise-ft]}  # extra tests of some variants
    {train: xquad-r, test: mlqa-r, variants: [full, wise-ft]}    # only these variants' cells

Which names ``variants`` and ``extra_tests_for`` may hold is checked by the experiment, which
knows its variants (:meth:`hybridir.experiments.config.ExperimentConfig.validate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hybridir.errors import UserError


@dataclass(frozen=True)
class Direction:
    """Train on one benchmark, test on another (or the same), and on any ``extra_tests``.

    The label (and so every cell id) names only the main test, so adding extra tests to a
    grid, or narrowing ``variants`` and ``extra_tests_for``, keeps its finished cells.
    """

    train: str
    test: str
    extra_tests: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()  # the grid's variants that run in this direction; () = all
    extra_tests_for: tuple[str, ...] = ()  # the variants the extra tests run for; () = all

    @property
    def tests(self) -> tuple[str, ...]:
        return (self.test, *self.extra_tests)

    def runs(self, variant: str) -> bool:
        """Whether the direction has cells of ``variant``."""
        return not self.variants or variant in self.variants

    def extra_tests_of(self, variant: str) -> tuple[str, ...]:
        """The extra test benchmarks that the cells of ``variant`` are evaluated on."""
        chosen = not self.extra_tests_for or variant in self.extra_tests_for
        return self.extra_tests if chosen and self.runs(variant) else ()

    @property
    def label(self) -> str:
        return f"{self.train}-to-{self.test}"


def direction_to_dict(direction: Direction) -> dict[str, Any]:
    """A direction as the YAML entry it was read from (optional keys only when set)."""
    data: dict[str, Any] = {
        "train": direction.train,
        "test": list(direction.tests) if direction.extra_tests else direction.test,
    }
    for key in ("variants", "extra_tests_for"):
        if getattr(direction, key):
            data[key] = list(getattr(direction, key))
    return data


def parse_directions(raw: Any) -> list[Direction]:
    """Directions from YAML; ``test`` is one benchmark or a list (the first is the main test)."""
    shape = (
        "directions must be a list of {train: BENCHMARK, test: BENCHMARK or [BENCHMARK, ...]}, "
        "optionally with variants: [VARIANT, ...] and extra_tests_for: [VARIANT, ...]"
    )
    keys = {"train", "test", "variants", "extra_tests_for"}
    if not isinstance(raw, list) or not all(
        isinstance(d, dict) and {"train", "test"} <= set(d) <= keys for d in raw
    ):
        raise UserError(shape)
    directions = []
    for d in raw:
        tests = d["test"] if isinstance(d["test"], list) else [d["test"]]
        lists = [d.get(key) or [] for key in ("variants", "extra_tests_for")]
        if not tests or not all(isinstance(names, list) for names in lists):
            raise UserError(shape)
        variants, extra_for = (tuple(str(name) for name in names) for names in lists)
        directions.append(
            Direction(str(d["train"]), str(tests[0]), tuple(str(t) for t in tests[1:]), variants, extra_for)
        )
    return directions
