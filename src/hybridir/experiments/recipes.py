"""Recipe variants of a grid: named changes to the training recipe, each measured against a base.

An experiment's ``recipes`` mapping adds one data variant per entry beside ``full``, trained on
the same data with the same seeds and arms, so each piece of a recipe gets a paired test::

    recipes:
      lr-1e-4: {train: {learning_rate: 1.0e-4}}       # full, with these training settings
      lora: {train: {lora_r: 16, learning_rate: 2.0e-4}}
      sources-lr-1e-4: {train: {learning_rate: 1.0e-4}, data: sources}
      bitext-11: {train: {}, sources: [{path: ntrex-128, languages: "ar,de,el,en"}]}
      wise-ft: {wise_ft: {of: full, ratios: [0, 0.25, 0.5, 0.75, 1]}}

A ``train`` recipe overrides the shared ``train`` settings and trains on the data of ``data``
(a data variant of the grid: ``full``, the default, ``sources`` or ``starved``), and is compared
with that variant. With ``sources`` it trains on the direction's data plus those train sources
instead of the grid's ``extra_sources``: another set of added data, measured as its own piece.
A ``wise_ft`` recipe trains nothing: it interpolates the models of the variant it names
(``of``) with the zero-shot model, the ratio chosen on that training's validation split
(:func:`hybridir.evaluation.interpolation.select_ratio`, never a test set), and is compared with
that variant. Either kind may name another base for the recipe table with ``compare_with`` (a
variant listed before it), say 60 steps of 64 against 240 steps of 16, the same pairs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hybridir.errors import UserError

WISE_FT_FOLDER = "wise-ft"  # in a wise-ft cell's folder: the chosen model and interpolation.json
# Settings a recipe must not change: the grid sets them per cell, or they define the data
# the recipe is compared on (a recipe that changes them is another grid, not a piece).
FIXED_BY_GRID = frozenset({"train", "out", "sampling", "alpha", "seed", "resume", "data_dir", "languages"})


@dataclass(frozen=True)
class Recipe:
    """One recipe variant: training-setting overrides, or WiSE-FT of another variant's models."""

    name: str
    train: Mapping[str, Any] = field(default_factory=dict)
    data: str = "full"  # the data variant a training recipe trains on (config.FULL by default)
    sources: tuple[Any, ...] = ()  # train sources added to the direction's data, if not extra_sources
    compare_with: str | None = None  # the base in the recipe table, if not ``data`` or ``wise_ft_of``
    wise_ft_of: str | None = None  # the variant whose trained models are interpolated
    ratios: tuple[float, ...] = ()
    criterion: str = "mean"

    @property
    def trains(self) -> bool:
        """Whether the variant trains models of its own (a wise-ft variant uses another's)."""
        return self.wise_ft_of is None

    def to_dict(self) -> dict[str, Any]:
        """The YAML entry it was read from (for ``experiment.yaml`` and ``summary.json``)."""
        entry: dict[str, Any]
        if self.trains:
            entry = {"train": dict(self.train), **({"data": self.data} if self.data != "full" else {})}
            entry |= {"sources": list(self.sources)} if self.sources else {}
        else:
            wise_ft = {"of": self.wise_ft_of, "ratios": list(self.ratios), "criterion": self.criterion}
            entry = {"wise_ft": wise_ft}
        return {**entry, **({"compare_with": self.compare_with} if self.compare_with else {})}

    @property
    def base(self) -> str:
        """The variant this one is compared with in the recipe table: ``compare_with``, else the
        variant whose models it interpolates, else the data it trains on."""
        return self.compare_with or self.wise_ft_of or self.data


def _wise_ft(name: str, raw: Any) -> tuple[str, tuple[float, ...], str]:
    from hybridir.evaluation.interpolation import parse_ratios  # loads sentence-transformers
    from hybridir.evaluation.validation import CRITERIA

    shape = f"recipes.{name}.wise_ft must be {{of: VARIANT, ratios: [0, 0.25, ...], criterion: mean}}"
    if not isinstance(raw, Mapping) or "of" not in raw or not set(raw) <= {"of", "ratios", "criterion"}:
        raise UserError(shape)
    ratios = raw.get("ratios", [0, 0.25, 0.5, 0.75, 1])
    text = ",".join(str(r) for r in ratios) if isinstance(ratios, list) else str(ratios)
    criterion = str(raw.get("criterion", "mean"))
    if criterion not in CRITERIA:
        raise UserError(f"recipes.{name}.wise_ft.criterion must be one of {', '.join(CRITERIA)}")
    return str(raw["of"]), tuple(parse_ratios(text)), criterion


def check_train_sources(value: Any, setting: str) -> None:
    """One-line error unless ``value`` is a list of train sources (``extra_sources``, a recipe's
    ``sources``)."""
    if not isinstance(value, list) or not all(isinstance(item, (str, Mapping)) for item in value):
        raise UserError(f"{setting} must be a list of train sources ([LANG:]PATH or {{path: ...}})")


def _sources(name: str, spec: Mapping[str, Any]) -> tuple[Any, ...]:
    sources = spec.get("sources", [])
    check_train_sources(sources, f"recipes.{name}.sources")
    if "sources" in spec and not sources:
        raise UserError(f"recipes.{name}.sources is empty: name the train sources to add, or remove it")
    return tuple(dict(item) if isinstance(item, Mapping) else item for item in sources)


def parse_recipes(raw: Any, reserved: Collection[str]) -> list[Recipe]:
    """Recipes from the YAML mapping, in file order; ``reserved``: the data variants' names.

    Which variant a wise-ft recipe may name is checked by the experiment (it knows the grid's
    variants): :func:`check_recipe_bases`.
    """
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise UserError("recipes must be a mapping of NAME: {train: {...}} or NAME: {wise_ft: {...}}")
    recipes: list[Recipe] = []
    for name, spec in raw.items():
        name = str(name)
        if name in reserved or "__" in name or "/" in name:
            raise UserError(f"recipe name {name!r} is taken or not a folder-safe name: choose another")
        keys = set(spec) if isinstance(spec, Mapping) else set()
        kind = keys - {"compare_with"}
        if kind not in ({"train"}, {"train", "data"}, {"train", "sources"}, {"wise_ft"}):
            raise UserError(
                f"recipes.{name} must hold train: {{...}} (and data: VARIANT if not full, or "
                "sources: [...]) or wise_ft: {...}, and may hold compare_with: VARIANT"
            )
        if "train" in spec:
            train = {str(k).replace("-", "_"): v for k, v in (spec["train"] or {}).items()}
            fixed = sorted(FIXED_BY_GRID & set(train))
            if fixed:
                raise UserError(
                    f"recipes.{name} sets {fixed[0]!r}, which the grid fixes for every variant: remove it"
                )
            data = str(spec.get("data", "full"))
            recipe = Recipe(name, train=train, data=data, sources=_sources(name, spec))
        else:
            of, ratios, criterion = _wise_ft(name, spec["wise_ft"])
            recipe = Recipe(name, wise_ft_of=of, ratios=ratios, criterion=criterion)
        if "compare_with" in spec:
            recipe = replace(recipe, compare_with=str(spec["compare_with"]))
        recipes.append(recipe)
    return recipes


def check_recipe_bases(recipes: Sequence[Recipe], data_variants: Sequence[str]) -> None:
    """Each training recipe's data must be a data variant of the grid, each wise-ft recipe must
    name a trained variant listed before it (a data variant or a train recipe), and each
    ``compare_with`` a variant listed before it."""
    trained = list(data_variants)
    listed = list(data_variants)
    for recipe in recipes:
        if recipe.trains:
            if recipe.data not in data_variants:
                raise UserError(
                    f"recipes.{recipe.name}.data names {recipe.data!r}: use one of "
                    f"{', '.join(data_variants)} (sources needs extra_sources, "
                    "starved needs train_fraction_by_language)"
                )
            trained.append(recipe.name)
        elif recipe.wise_ft_of not in trained:
            raise UserError(
                f"recipes.{recipe.name}.wise_ft.of names {recipe.wise_ft_of!r}: use a trained variant "
                f"listed before it ({', '.join(trained)})"
            )
        if recipe.compare_with is not None and recipe.compare_with not in listed:
            raise UserError(
                f"recipes.{recipe.name}.compare_with names {recipe.compare_with!r}: use a variant "
                f"listed before it ({', '.join(listed)})"
            )
        listed.append(recipe.name)
