"""The experiment file (YAML) and its expansion into grid cells with stable ids.

A cell is one training run: (direction, data variant, arm, seed), where an arm is a sampling
strategy with its alpha. Every cell shares the ``train`` settings (step budget, data, batch
size), so cells differ only along the axes. Example::

    name: sampling
    train: {model: multilingual-e5-small, batch_size: 16, max_steps: 40, freeze_embeddings: true}
    strategies: [x-x-mono, x-y, hybrid]
    alphas: [0.5]                   # one hybrid arm per alpha
    seeds: [1, 2, 3]
    directions: [{train: mlqa-r, test: xquad-r}, {train: xquad-r, test: mlqa-r}]
    # or several test benchmarks: the first (LAReQA) gets the full analysis, the others
    # (cmrc2018, arcd, tatoeba) their headline metrics with the same seeds and paired test:
    #   directions: [{train: mlqa-r, test: [xquad-r, cmrc2018, arcd, tatoeba]}]
    # and, to spend less, only some variants in a direction (see experiments.directions)
    reference: hybrid-a0.5          # the arm every other arm is tested against
    baselines: [untrained, bm25, use-m3]
    train_fraction_by_language: {hi: 0.1}   # optional: adds a "starved" variant beside "full"
    extra_sources: [../shared/data/ntrex-128]  # optional: adds a "sources" variant: full + these
    recipes: {wise-ft: {wise_ft: {of: full}}}  # optional: recipe variants, see experiments.recipes
    eval: {sample_fraction: 0.25}
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from hybridir.core.files import atomic_write
from hybridir.core.precision import Precision, default_device_precision
from hybridir.data.context import ContextMode
from hybridir.data.native_qa import NATIVE_SETS
from hybridir.data.sources import LAREQA_BENCHMARKS
from hybridir.errors import UserError
from hybridir.experiments.directions import Direction, direction_to_dict, parse_directions
from hybridir.experiments.recipes import Recipe, check_recipe_bases, check_train_sources, parse_recipes
from hybridir.languages import split_language_list
from hybridir.sampling.kinds import Strategy
from hybridir.training.config import TrainConfig, build_config, read_yaml

TATOEBA = "tatoeba"
EXTRA_TESTS = (*NATIVE_SETS, TATOEBA)  # further test benchmarks a direction may list
UNTRAINED = "untrained"  # baseline name for the grid's base model, before training
FULL, STARVED, SOURCES = "full", "starved", "sources"
# Set per cell by the grid, so the shared ``train`` settings must not hold them.
CELL_FIELDS = frozenset({"train", "out", "sampling", "alpha", "seed", "resume", "data_dir"})


@dataclass(frozen=True)
class Arm:
    """A sampling strategy with its alpha (alpha only matters for hybrid)."""

    sampling: str
    alpha: float | None = None

    @property
    def label(self) -> str:
        return (
            f"{Strategy.HYBRID.value}-a{self.alpha:g}" if self.sampling == Strategy.HYBRID else self.sampling
        )


@dataclass(frozen=True)
class Cell:
    """One training run of the grid; ``id`` names its folder and never depends on list order."""

    direction: Direction
    variant: str
    arm: Arm
    seed: int

    @property
    def id(self) -> str:
        return f"{self.direction.label}__{self.variant}__{self.arm.label}__seed{self.seed}"


@dataclass(frozen=True)
class EvalOptions:
    """How every cell and baseline is evaluated (the same for all, so they are comparable)."""

    languages: str | None = None
    context: str = ContextMode.SENTENCE.value
    batch_size: int = 64
    sample_fraction: float = 1.0  # < 1: a seeded sample of paragraphs of the test benchmark
    sample_seed: int = 0
    precision: str = Precision.AUTO.value  # encoding: auto (mixed where bf16 is native) | mixed | bf16 | fp32

    def tag(self, benchmark: str) -> str:
        """Folder name of an evaluation; it changes whenever the evaluated data or encoding would."""
        parts = [f"eval-{benchmark}"]
        if self.context != ContextMode.SENTENCE:
            parts.append(self.context)
        if self.languages:
            parts.append("+".join(split_language_list(self.languages) or []))
        if self.sample_fraction < 1.0:
            parts.append(f"sample{self.sample_fraction:g}s{self.sample_seed}")
        return "-".join(parts) + self._encoding_suffix()

    def extra_tag(self, benchmark: str) -> str:
        """Folder name of an extra test's evaluation (whole benchmark, all its languages)."""
        paragraph = self.context != ContextMode.SENTENCE and benchmark != TATOEBA
        context = f"-{ContextMode.PARAGRAPH.value}" if paragraph else ""
        return f"eval-{benchmark}{context}{self._encoding_suffix()}"

    def _encoding_suffix(self) -> str:
        """``-mixed`` / ``-fp32``: the precision the encoding resolves to; none for plain bf16, the
        encoding of every grid archived before mixed precision existed, so their folders still match."""
        encoding = default_device_precision(self.precision)
        return "" if encoding is Precision.BF16 else f"-{encoding.value}"


@dataclass(frozen=True)
class SignificanceOptions:
    """Paired randomization test settings: permutations, its seed, and the level after Holm."""

    permutations: int = 10000
    seed: int = 0
    level: float = 0.05


@dataclass
class ExperimentConfig:
    """A whole grid: shared training settings plus the axes, baselines and evaluation options."""

    name: str
    train: dict[str, Any]
    strategies: list[str]
    seeds: list[int]
    directions: list[Direction]
    alphas: list[float] = field(default_factory=lambda: [0.5])
    reference: str = "hybrid-a0.5"
    baselines: list[str] = field(default_factory=list)
    train_fraction_by_language: dict[str, float] = field(default_factory=dict)
    # more --train sources (strings or mappings, see hybridir.data.training_sources) trained on
    # beside the direction's benchmark in the "sources" variant, with the same step budget
    extra_sources: list[Any] = field(default_factory=list)
    recipes: list[Recipe] = field(default_factory=list)  # more variants: recipe pieces (recipes.py)
    data_seed: int = 0  # hard negatives and the starved subset are drawn once with this seed
    eval: EvalOptions = field(default_factory=EvalOptions)
    significance: SignificanceOptions = field(default_factory=SignificanceOptions)
    keep_checkpoints: bool = False  # False: delete a cell's checkpoints once its model is saved

    @property
    def arms(self) -> list[Arm]:
        arms: list[Arm] = []
        for strategy in self.strategies:
            if strategy == Strategy.HYBRID:
                arms.extend(Arm(Strategy.HYBRID.value, float(alpha)) for alpha in self.alphas)
            else:
                arms.append(Arm(strategy))
        return arms

    @property
    def variants(self) -> list[str]:
        return [*self.data_variants, *(recipe.name for recipe in self.recipes)]

    @property
    def data_variants(self) -> list[str]:
        """The variants that differ in training data (full, starved, sources), before any recipe."""
        extra = [STARVED] if self.train_fraction_by_language else []
        return [FULL, *extra, *([SOURCES] if self.extra_sources else [])]

    def direction_variants(self, direction: Direction) -> list[str]:
        """The variants with cells in ``direction``, in the grid's order."""
        return [variant for variant in self.variants if direction.runs(variant)]

    def recipe(self, variant: str) -> Recipe | None:
        """The recipe behind a variant name, None for a data variant."""
        return next((recipe for recipe in self.recipes if recipe.name == variant), None)

    def training_cell(self, cell: Cell) -> Cell:
        """The cell whose training ``cell`` uses: itself, or for a wise-ft recipe the cell it merges."""
        recipe = self.recipe(cell.variant)
        if recipe is None or recipe.trains:
            return cell
        return Cell(cell.direction, recipe.wise_ft_of, cell.arm, cell.seed)

    def data_variant(self, variant: str) -> str:
        """The data variant whose data ``variant`` trains on (a wise-ft recipe: its models')."""
        recipe = self.recipe(variant)
        if recipe is None:
            return variant
        return recipe.data if recipe.trains else self.data_variant(recipe.wise_ft_of)

    def added_sources(self, variant: str) -> list[Any]:
        """The train sources a training variant uses beside the direction's data file: its recipe's
        ``sources``, else ``extra_sources`` for the sources data, else none."""
        recipe = self.recipe(variant)
        if recipe is not None and recipe.sources:
            return list(recipe.sources)
        return list(self.extra_sources) if self.data_variant(variant) == SOURCES else []

    def train_settings(self, variant: str) -> dict[str, Any]:
        """The shared ``train`` settings with a training recipe's overrides."""
        recipe = self.recipe(variant)
        return {**self.train, **(recipe.train if recipe is not None else {})}

    @property
    def base_model(self) -> str:
        return str(self.train.get("model", TrainConfig.model))

    def cells(self) -> list[Cell]:
        """Every cell, direction-major then seed-major, so a grid killed early has finished whole
        directions first and, within one, whole seeds: every variant and arm of a seed, which
        is what a paired comparison needs."""
        return [
            Cell(direction, variant, arm, seed)
            for direction in self.directions
            for seed in self.seeds
            for variant in self.direction_variants(direction)
            for arm in self.arms
        ]

    def baseline_model(self, name: str) -> str:
        """The model to evaluate for a baseline name (``untrained`` is the grid's base model)."""
        return self.base_model if name == UNTRAINED else name

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for a grid that cannot run or compare."""
        if not self.strategies or not self.seeds or not self.directions:
            raise UserError("an experiment needs at least one strategy, one seed and one direction")
        unknown = sorted(set(self.strategies) - {strategy.value for strategy in Strategy})
        if unknown:
            raise UserError(f"unknown strategy {unknown[0]!r}: use {', '.join(s.value for s in Strategy)}")
        if any(not 0.0 <= float(alpha) <= 1.0 for alpha in self.alphas):
            raise UserError("alphas must lie in [0, 1]: 1 = x-x-mono only, 0 = x-y only")
        labels = [arm.label for arm in self.arms]
        if len(set(labels)) != len(labels) or len(set(self.seeds)) != len(self.seeds):
            raise UserError("strategies, alphas and seeds must not repeat")
        if self.reference not in labels:
            raise UserError(f"reference {self.reference!r} is not an arm of the grid: use one of {labels}")
        for direction in self.directions:
            for name in (direction.train, direction.test):
                if name not in LAREQA_BENCHMARKS:
                    raise UserError(
                        f"unknown benchmark {name!r} in directions: train on and test first on "
                        f"{', '.join(LAREQA_BENCHMARKS)}"
                    )
            for name in direction.extra_tests:
                if name not in EXTRA_TESTS:
                    raise UserError(
                        f"unknown extra test benchmark {name!r}: after the first test, "
                        f"use {', '.join(EXTRA_TESTS)}"
                    )
            if len(set(direction.tests)) != len(direction.tests):
                raise UserError(f"direction {direction.label} lists a test benchmark twice")
            self._check_direction_variants(direction)
        for lang, fraction in self.train_fraction_by_language.items():
            if not 0.0 <= float(fraction) < 1.0:
                raise UserError(f"train_fraction_by_language[{lang}] must be in [0, 1), got {fraction}")
        check_train_sources(self.extra_sources, "extra_sources")
        if not 0.0 < self.eval.sample_fraction <= 1.0:
            raise UserError(f"eval sample_fraction must be in (0, 1], got {self.eval.sample_fraction}")
        if self.eval.precision not in {p.value for p in Precision}:
            raise UserError(f"eval precision must be auto, mixed, bf16 or fp32, got {self.eval.precision!r}")
        if self.significance.permutations < 100:
            raise UserError("significance permutations must be at least 100")
        shared = sorted(CELL_FIELDS & set(self.train))
        if shared:
            raise UserError(
                f"train setting {shared[0]!r} is set per cell by the grid: remove it from 'train' "
                "(data comes from the directions; set HYBRIDIR_DATA for the data folder)"
            )
        build_config(self.train)  # unknown or invalid training settings fail before any work
        check_recipe_bases(self.recipes, self.data_variants)
        for recipe in self.recipes:
            settings = build_config(self.train_settings(recipe.name if recipe.trains else recipe.wise_ft_of))
            if not recipe.trains and settings.validation_fraction <= 0:
                raise UserError(
                    f"recipe {recipe.name} chooses its WiSE-FT ratio on the validation split of "
                    f"{recipe.wise_ft_of}'s training: set validation_fraction above 0 in train"
                )

    def _check_direction_variants(self, direction: Direction) -> None:
        """A direction's ``variants`` and ``extra_tests_for`` must name variants it runs."""
        for key, names, allowed in (
            ("variants", direction.variants, self.variants),
            ("extra_tests_for", direction.extra_tests_for, self.direction_variants(direction)),
        ):
            unknown = [name for name in names if name not in allowed]
            if unknown:
                raise UserError(
                    f"direction {direction.label}: {key} names {unknown[0]!r}, which it does not run: "
                    f"use some of {', '.join(allowed)}"
                )
        if direction.extra_tests_for and not direction.extra_tests:
            raise UserError(
                f"direction {direction.label} sets extra_tests_for but lists no extra test: "
                "add them after the main test (test: [xquad-r, cmrc2018, ...]) or remove it"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``experiment.yaml`` and ``summary.json``."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["directions"] = [direction_to_dict(d) for d in self.directions]
        recipes = data.pop("recipes")  # written only when set, so older grids' files stay as they were
        if recipes:
            data["recipes"] = {recipe.name: recipe.to_dict() for recipe in recipes}
        data["eval"] = {f.name: getattr(self.eval, f.name) for f in fields(self.eval)}
        data["significance"] = {f.name: getattr(self.significance, f.name) for f in fields(self.significance)}
        return data


def _section(raw: Any, cls: type, where: str) -> Any:
    """Build an options dataclass from a YAML mapping, naming unknown keys."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a mapping")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UserError(f"unknown {where} setting {unknown[0]!r}: use {', '.join(sorted(known))}")
    return cls(**raw)


def parse_experiment(data: dict[str, Any]) -> ExperimentConfig:
    """Turn a YAML mapping into a validated :class:`ExperimentConfig`."""
    known = {f.name for f in fields(ExperimentConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(f"unknown experiment setting {unknown[0]!r}: use {', '.join(sorted(known))}")
    values = dict(data)
    values["name"] = str(values.get("name", "experiment"))
    values["train"] = {str(k).replace("-", "_"): v for k, v in (values.get("train") or {}).items()}
    values["directions"] = parse_directions(values.get("directions"))
    values["recipes"] = parse_recipes(values.get("recipes"), {FULL, STARVED, SOURCES})
    values["eval"] = _section(values.get("eval"), EvalOptions, "eval")
    values["significance"] = _section(values.get("significance"), SignificanceOptions, "significance")
    try:
        config = ExperimentConfig(**values)
    except TypeError as exc:
        raise UserError(f"bad experiment file: {exc}") from exc
    config.validate()
    return config


def read_experiment(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment YAML file."""
    return parse_experiment(read_yaml(path))


def write_experiment(config: ExperimentConfig, path: Path) -> None:
    atomic_write(path, yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True))


def cell_dir(out: Path, cell: Cell) -> Path:
    """Folder of one cell: ``train/`` and one folder per evaluation."""
    return out / "cells" / cell.id


def baseline_dir(out: Path, name: str) -> Path:
    """Folder of one zero-shot baseline's evaluations."""
    return out / "baselines" / name.replace("/", "_")


def cell_train_config(config: ExperimentConfig, cell: Cell, data_path: Path, out: Path) -> TrainConfig:
    """The training settings of one cell: shared settings (with its recipe's) plus its data,
    strategy, alpha and seed. A wise-ft cell's training is that of :meth:`~ExperimentConfig.training_cell`."""
    cell = config.training_cell(cell)
    added = config.added_sources(cell.variant)
    settings = {
        **config.train_settings(cell.variant),
        "train": [str(data_path), *added] if added else str(data_path),
        "languages": None,  # already applied when the grid wrote the data file
        "out": str(out),
        "sampling": cell.arm.sampling,
        "seed": cell.seed,
    }
    if cell.arm.alpha is not None:
        settings["alpha"] = cell.arm.alpha
    return build_config(settings)
