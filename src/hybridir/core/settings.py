"""Settings declared once, on a config dataclass: help, range and choices live on each field.

A field made with :func:`setting` carries its help text and, for a number, its allowed range in
``field(metadata=...)`` (the way transformers' and sentence-transformers' training arguments
carry their help); a field typed with an enum has the enum's values as its choices. From that
one declaration :func:`check_settings` validates an instance (a one-line :class:`UserError`
naming the flag) and :func:`add_arguments` generates the command-line flags, so no setting is
documented or checked twice. Written by hand: ``HfArgumentParser`` knows no ranges, and the
bottom layer must not import transformers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from hybridir.errors import UserError

_MISSING = dataclasses.MISSING


class Choice(str, Enum):
    """Base of a setting's choices: a str enum that prints as its value (StrEnum needs Python 3.11)."""

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric setting; ``None`` bounds are open-ended."""

    at_least: float | None = None
    above: float | None = None
    at_most: float | None = None
    below: float | None = None

    def contains(self, value: float) -> bool:
        return (
            math.isfinite(value)
            and (self.at_least is None or value >= self.at_least)
            and (self.above is None or value > self.above)
            and (self.at_most is None or value <= self.at_most)
            and (self.below is None or value < self.below)
        )

    def __str__(self) -> str:
        low = f"[{self.at_least:g}" if self.at_least is not None else None
        low = f"({self.above:g}" if self.above is not None else low
        high = f"{self.at_most:g}]" if self.at_most is not None else None
        high = f"{self.below:g})" if self.below is not None else high
        if low and high:
            return f"in {low}, {high}"
        if self.above == 0 and not high:
            return "positive"
        named = (
            ("at least", self.at_least),
            ("above", self.above),
            ("at most", self.at_most),
            ("below", self.below),
        )
        return next((f"{word} {bound:g}" for word, bound in named if bound is not None), "a finite number")


def setting(
    default: Any = _MISSING,
    help: str = "",
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    below: float | None = None,
    repeatable: bool = False,
    several: bool = False,
    metavar: str | None = None,
    flag: bool = True,
    required_flag: bool = False,
) -> Any:
    """A dataclass field with its help and range; ``repeatable`` makes its flag ``action=append``.

    ``several`` makes the flag take one or more values (``nargs="+"``, a list); ``metavar`` names
    its value in ``--help``. ``flag=False`` keeps a setting off the command line (set by code or
    config files only); ``required_flag`` makes the flag required even though the dataclass has a
    default.
    """
    bounds = Range(at_least, above, at_most, below)
    metadata = {
        "help": help,
        "range": bounds if bounds != Range() else None,
        "repeatable": repeatable,
        "several": several,
        "metavar": metavar,
        "flag": flag,
        "required_flag": required_flag,
    }
    return dataclasses.field(default=default, metadata=metadata)


class _Unset:
    """What an optional number's flag gives for ``none`` / ``off``: set to None, not "not given"."""

    def __repr__(self) -> str:
        return "none"


SET_TO_NONE = _Unset()


def _number_or_none(number: type) -> Any:
    """An argparse type for an optional number: ``none`` (or ``off``) sets it to None."""

    def parse(text: str) -> Any:
        if text.strip().lower() in ("none", "off"):
            return SET_TO_NONE
        try:
            return number(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected a number or none, got {text!r}") from exc

    return parse


def flag_name(name: str) -> str:
    """The command-line flag of a setting: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def flag_hint(settings: Iterable[str]) -> str:
    """`` (flag --x)`` / `` (flags --x, --y)`` for an error about ``settings``; empty for none."""
    flags = [flag_name(name) for name in settings]
    return f" ({'flag' if len(flags) == 1 else 'flags'} {', '.join(flags)})" if flags else ""


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap(hint: Any) -> tuple[Any, ...]:
    """The member types of ``hint`` (``int | None`` -> ``(int, NoneType)``)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _enum_of(hint: Any) -> type[Enum] | None:
    return next((t for t in _unwrap(hint) if isinstance(t, type) and issubclass(t, Enum)), None)


def choice_list(enum: type[Enum]) -> str:
    """``a or b`` / ``one of a, b or c``: an enum's values for a message."""
    values = [str(member.value) for member in enum]
    listed = " or ".join(values) if len(values) < 3 else ", ".join(values[:-1]) + " or " + values[-1]
    return listed if len(values) < 3 else f"one of {listed}"


def coerce_choices(config: Any) -> None:
    """Turn valid strings of enum-typed fields into their enum (invalid ones stay, for the check)."""
    for field in dataclasses.fields(config):
        enum = _enum_of(_hints(type(config))[field.name])
        value = getattr(config, field.name)
        if enum is not None and isinstance(value, str) and not isinstance(value, enum):
            with contextlib.suppress(ValueError):
                object.__setattr__(config, field.name, enum(value.strip().lower()))  # frozen ones too


def check_settings(config: Any) -> None:
    """Check every choice and numeric range declared on ``config``'s fields (one-line UserError).

    The message names the flag, or the field itself for a setting that has no flag.
    """
    for field in dataclasses.fields(config):
        hint = _hints(type(config))[field.name]
        value = getattr(config, field.name)
        flag = flag_name(field.name) if field.metadata.get("flag", True) else field.name
        enum = _enum_of(hint)
        optional = value is None and type(None) in _unwrap(hint)
        if enum is not None and not optional and not isinstance(value, enum):
            raise UserError(f"{flag} must be {choice_list(enum)}, got {value!r}")
        bounds = field.metadata.get("range")
        if bounds is None or value is None:
            continue
        integer = int in _unwrap(hint) and float not in _unwrap(hint)
        number = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not number:
            raise UserError(f"{flag} must be {'an integer' if integer else 'a number'}, got {value!r}")
        if not bounds.contains(value):
            raise UserError(f"{flag} must be {bounds}, got {value:g}")


def plain_values(config: Any) -> dict[str, Any]:
    """``asdict`` with enum members as their values (for YAML, JSON and comparisons)."""
    return {
        key: value.value if isinstance(value, Enum) else value
        for key, value in dataclasses.asdict(config).items()
    }


def add_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, cls: type, skip: Iterable[str] = ()
) -> None:
    """One flag per field of dataclass ``cls`` (except ``skip``), from its type and metadata.

    Every flag defaults to ``None`` ("not given"), so the dataclass default applies unless the
    flag is set; ``bool`` fields get ``--x / --no-x``, enum fields show their values, fields
    without a default (or marked ``required_flag``) are required.
    """
    skipped = set(skip)
    for field in dataclasses.fields(cls):
        if field.name in skipped or not field.metadata.get("flag", True):
            continue
        hint = _hints(cls)[field.name]
        members = _unwrap(hint)
        enum = _enum_of(hint)
        notes = [f"{field.metadata['range']}"] if field.metadata.get("range") else []
        required = field.default is _MISSING or field.metadata.get("required_flag")
        if not required and field.default not in (None, "") and bool not in members:
            notes.insert(0, f"default: {field.default}")
        help_text = field.metadata.get("help", "") + (f" ({'; '.join(notes)})" if notes else "")
        options: dict[str, Any] = {"dest": field.name, "default": None, "help": help_text}
        if required:
            options["required"] = True
        if bool in members:
            options["action"] = argparse.BooleanOptionalAction
        elif field.metadata.get("repeatable"):
            options["action"] = "append"
        elif enum is not None:
            options["metavar"] = "{" + ",".join(str(member.value) for member in enum) + "}"
        else:
            number = next((t for t in (int, float) if t in members), None)
            optional = number is not None and type(None) in members
            options["type"] = _number_or_none(number) if optional else number or str
        if field.metadata.get("several"):
            options["nargs"] = "+"
        if field.metadata.get("metavar"):
            options["metavar"] = field.metadata["metavar"]
        parser.add_argument(flag_name(field.name), **options)


def help_of(cls: type, name: str) -> str:
    """The help text declared on field ``name`` of dataclass ``cls`` (for a flag another command shares)."""
    return next(f.metadata.get("help", "") for f in dataclasses.fields(cls) if f.name == name)


def given(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The flags of ``cls``'s fields that were set on the command line (``None`` = not given;
    ``none`` given to an optional number = set to None)."""
    return {
        field.name: None if getattr(args, field.name) is SET_TO_NONE else getattr(args, field.name)
        for field in dataclasses.fields(cls)
        if getattr(args, field.name, None) is not None
    }
