"""Settings declared once: ranges, choices and flags come from the dataclass fields."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from hybridir.core.settings import (
    Choice,
    Range,
    add_arguments,
    check_settings,
    coerce_choices,
    flag_hint,
    given,
    plain_values,
    setting,
)
from hybridir.errors import UserError


class Colour(Choice):
    RED = "red"
    BLUE = "blue"


@dataclass
class Example:
    name: str = setting(help="a required name")
    colour: Colour = setting(Colour.RED, "which colour")
    ratio: float = setting(0.5, "a share", at_least=0, below=1)
    count: int = setting(3, "how many", at_least=1)
    size: int | None = setting(None, "optional size", above=0)
    loud: bool | None = setting(None, "shout")

    def __post_init__(self) -> None:
        coerce_choices(self)


@pytest.mark.parametrize(
    ("bounds", "text"),
    [
        (Range(at_least=0, at_most=1), "in [0, 1]"),
        (Range(at_least=0, below=1), "in [0, 1)"),
        (Range(above=0), "positive"),
        (Range(above=2), "above 2"),
        (Range(at_least=-1), "at least -1"),
        (Range(below=3), "below 3"),
    ],
)
def test_range_reads_as_a_phrase(bounds: Range, text: str) -> None:
    assert str(bounds) == text


def test_range_rejects_non_finite_values() -> None:
    assert not Range(above=0).contains(float("nan"))
    assert not Range(above=0).contains(float("inf"))
    assert Range(above=0).contains(1e-9)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ratio": 1.0}, "--ratio must be in [0, 1), got 1"),
        ({"count": 0}, "--count must be at least 1, got 0"),
        ({"count": 1.5}, "--count must be an integer, got 1.5"),
        ({"count": True}, "--count must be an integer, got True"),
        ({"ratio": "x"}, "--ratio must be a number, got 'x'"),
        ({"size": 0}, "--size must be positive, got 0"),
        ({"colour": "green"}, "--colour must be red or blue, got 'green'"),
    ],
)
def test_check_settings_gives_one_line_errors(values: dict, message: str) -> None:
    example = Example(name="n", **values)
    with pytest.raises(UserError) as info:
        check_settings(example)
    assert str(info.value) == message


def test_valid_settings_pass_and_choices_become_enums() -> None:
    example = Example(name="n", colour=" Blue ", size=None)
    check_settings(example)
    assert example.colour is Colour.BLUE and f"{example.colour}" == "blue"
    assert plain_values(example)["colour"] == "blue"


def test_flags_are_generated_from_the_fields() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, Example, skip=("size",))
    args = parser.parse_args(["--name", "n", "--colour", "blue", "--count", "4", "--no-loud"])
    assert given(args, Example) == {"name": "n", "colour": "blue", "count": 4, "loud": False}
    assert given(parser.parse_args(["--name", "n"]), Example) == {"name": "n"}
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --name has no default, so it is required
    with pytest.raises(SystemExit):
        parser.parse_args(["--name", "n", "--size", "2"])  # skipped
    ratio = next(action for action in parser._actions if action.dest == "ratio")
    assert ratio.help == "a share (default: 0.5; in [0, 1))"


@dataclass(frozen=True)
class Frozen:
    margin: float | None = setting(0.05, "a margin; none: off", at_least=0)
    models: list[str] | None = setting(None, "several models", several=True, metavar="MODEL")
    colour: Colour = setting(Colour.RED, "which colour")

    def __post_init__(self) -> None:
        coerce_choices(self)


def test_optional_numbers_take_none_and_several_takes_a_list() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, Frozen)
    assert given(parser.parse_args(["--margin", "none"]), Frozen) == {"margin": None}
    assert given(parser.parse_args(["--margin", "0.2"]), Frozen) == {"margin": 0.2}
    assert given(parser.parse_args([]), Frozen) == {}
    assert given(parser.parse_args(["--models", "a", "b"]), Frozen) == {"models": ["a", "b"]}
    with pytest.raises(SystemExit):
        parser.parse_args(["--margin", "wide"])
    assert Frozen(colour="blue").colour is Colour.BLUE  # choices coerced on a frozen dataclass too
    with pytest.raises(UserError, match="--margin must be at least 0, got -1"):
        check_settings(Frozen(margin=-1))


def test_flag_hint_gives_the_flags_of_the_settings_an_error_names() -> None:
    assert flag_hint(UserError("batch too big", settings=("batch_size",)).settings) == " (flag --batch-size)"
    assert flag_hint(("batch_size", "alpha")) == " (flags --batch-size, --alpha)"
    assert flag_hint(UserError("no settings").settings) == ""
