"""Recipe variants: parsing, the training each cell uses, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.errors import UserError
from hybridir.experiments.config import cell_train_config, parse_experiment

BASE = {
    "train": {"max_steps": 2, "validation_fraction": 0.1},
    "strategies": ["hybrid"],
    "seeds": [1, 2],
    "directions": [{"train": "mlqa-r", "test": "xquad-r"}],
}
RECIPES = {
    "lr": {"train": {"learning-rate": 1.0e-4}},
    "lr-wise": {"wise_ft": {"of": "lr", "ratios": [1, 0, 0.5], "criterion": "multilingual"}},
    "wise-ft": {"wise_ft": {"of": "full"}},
}


def test_recipes_add_variants_in_file_order_with_their_own_training(tmp_path: Path) -> None:
    experiment = parse_experiment({**BASE, "recipes": RECIPES})
    assert experiment.variants == ["full", "lr", "lr-wise", "wise-ft"]
    assert len(experiment.cells()) == 4 * 2
    lr, lr_wise, wise = (experiment.recipe(name) for name in ("lr", "lr-wise", "wise-ft"))
    assert lr.trains and lr.base == "full" and lr.train == {"learning_rate": 1.0e-4}
    assert not lr_wise.trains and lr_wise.base == "lr" and lr_wise.ratios == (0.0, 0.5, 1.0)
    assert wise.ratios == (0.0, 0.25, 0.5, 0.75, 1.0) and wise.criterion == "mean"
    assert experiment.recipe("full") is None

    data = tmp_path / "mlqa-r-full-1234.jsonl"
    cells = {c.variant: c for c in experiment.cells() if c.seed == 2}
    assert cell_train_config(experiment, cells["full"], data, tmp_path / "a").learning_rate == 3e-5
    assert cell_train_config(experiment, cells["lr"], data, tmp_path / "b").learning_rate == 1e-4
    # a wise-ft cell trains nothing of its own: it uses the cell of the variant it merges
    assert experiment.training_cell(cells["lr-wise"]) == cells["lr"]
    assert experiment.training_cell(cells["lr"]) == cells["lr"]
    assert cell_train_config(experiment, cells["lr-wise"], data, tmp_path / "c").learning_rate == 1e-4

    # the file's own form comes back from to_dict (experiment.yaml), and older grids write none
    again = parse_experiment({**BASE, "recipes": experiment.to_dict()["recipes"]})
    assert again.recipes == experiment.recipes
    assert "recipes" not in parse_experiment(BASE).to_dict()


@pytest.mark.parametrize(
    ("recipes", "message"),
    [
        (["lr"], "recipes must be a mapping"),
        ({"full": {"train": {}}}, "taken"),
        ({"a__b": {"train": {}}}, "folder-safe"),
        ({"x": {"train": {}, "wise_ft": {"of": "full"}}}, "must hold train"),
        ({"x": {"wise_ft": {"of": "full"}, "data": "full"}}, "must hold train"),
        ({"x": {"train": {}, "data": "sources"}}, "sources needs extra_sources"),
        ({"x": {"train": {"seed": 3}}}, "'seed', which the grid fixes"),
        ({"x": {"train": {"languages": "en"}}}, "'languages', which the grid fixes"),
        ({"x": {"train": {"bogus": 1}}}, "unknown training setting"),
        ({"x": {"wise_ft": {"ratios": [0.5]}}}, "wise_ft must be"),
        ({"x": {"wise_ft": {"of": "full", "ratios": [2]}}}, "ratio"),
        ({"x": {"wise_ft": {"of": "full", "criterion": "best"}}}, "criterion must be one of"),
        ({"x": {"wise_ft": {"of": "later"}}, "later": {"train": {}}}, "listed before it"),
        ({"x": {"wise_ft": {"of": "full"}}, "y": {"wise_ft": {"of": "x"}}}, "use a trained variant"),
        ({"x": {"wise_ft": {"of": "starved"}}}, "use a trained variant"),  # no starved variant here
        ({"x": {"train": {}, "compare_with": "later"}, "later": {"train": {}}}, "compare_with names"),
        ({"x": {"compare_with": "full"}}, "must hold train"),
    ],
)
def test_bad_recipes_are_one_line_errors(recipes: object, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_experiment({**BASE, "recipes": recipes})


def test_wise_ft_needs_a_validation_split() -> None:
    train = {**BASE["train"], "validation_fraction": 0.0}
    with pytest.raises(UserError, match="validation_fraction above 0"):
        parse_experiment({**BASE, "train": train, "recipes": {"w": {"wise_ft": {"of": "full"}}}})
    # a training recipe may give its own validation split to the wise-ft recipe built on it
    recipes = {"v": {"train": {"validation_fraction": 0.2}}, "w": {"wise_ft": {"of": "v"}}}
    assert parse_experiment({**BASE, "train": train, "recipes": recipes}).recipe("w").base == "v"


def test_a_training_recipe_may_train_on_the_extra_sources(tmp_path: Path) -> None:
    recipes = {
        "long": {"train": {"max_steps": 8}, "data": "sources"},
        "long-wise": {"wise_ft": {"of": "long"}},
    }
    experiment = parse_experiment({**BASE, "extra_sources": ["zh:cmrc.json"], "recipes": recipes})
    assert experiment.variants == ["full", "sources", "long", "long-wise"]
    assert experiment.recipe("long").base == "sources"  # compared with the data it trains on
    assert [experiment.data_variant(v) for v in experiment.variants] == [
        "full",
        "sources",
        "sources",
        "sources",
    ]
    data = tmp_path / "mlqa-r-full-1234.jsonl"
    cells = {c.variant: c for c in experiment.cells() if c.seed == 1}
    for variant in ("sources", "long", "long-wise"):
        assert cell_train_config(experiment, cells[variant], data, tmp_path / variant).train == [
            str(data),
            "zh:cmrc.json",
        ]
    assert cell_train_config(experiment, cells["long"], data, tmp_path / "l").max_steps == 8
    assert cell_train_config(experiment, cells["full"], data, tmp_path / "f").train == str(data)
    again = parse_experiment(
        {**BASE, "extra_sources": ["zh:cmrc.json"], "recipes": experiment.to_dict()["recipes"]}
    )
    assert again.recipes == experiment.recipes


def test_a_recipe_may_be_compared_with_another_variant() -> None:
    recipes = {
        "long": {"train": {"max_steps": 8}},
        "long-wise": {"wise_ft": {"of": "long"}},
        "wide": {"train": {"batch_size": 8, "max_steps": 2}, "compare_with": "long"},
        "wide-wise": {"wise_ft": {"of": "wide"}, "compare_with": "long-wise"},
    }
    experiment = parse_experiment({**BASE, "recipes": recipes})
    wide, wide_wise = experiment.recipe("wide"), experiment.recipe("wide-wise")
    assert wide.base == "long" and wide.data == "full"  # trains on full, compared with long
    assert experiment.data_variant("wide") == "full"
    assert wide_wise.base == "long-wise" and wide_wise.wise_ft_of == "wide"
    cell = next(c for c in experiment.cells() if c.variant == "wide-wise")
    assert experiment.training_cell(cell).variant == "wide"  # merges wide's models, not long-wise's
    again = parse_experiment({**BASE, "recipes": experiment.to_dict()["recipes"]})
    assert again.recipes == experiment.recipes


def test_a_training_recipe_may_add_sources_of_its_own(tmp_path: Path) -> None:
    bitext = {"path": "ntrex-128", "languages": "ar,el"}
    recipes = {
        "long": {"train": {"max_steps": 8}, "data": "sources"},
        "bitext": {"train": {"max_steps": 8}, "sources": [bitext, "zh:cmrc.json"], "compare_with": "long"},
        "bitext-wise": {"wise_ft": {"of": "bitext"}},
    }
    experiment = parse_experiment({**BASE, "extra_sources": ["zh:cmrc.json"], "recipes": recipes})
    assert experiment.data_variant("bitext") == "full"  # its data file is the direction's full data
    data = tmp_path / "mlqa-r-full-1234.jsonl"
    cells = {c.variant: c for c in experiment.cells() if c.seed == 1}
    expected = [str(data), bitext, "zh:cmrc.json"]  # its sources in place of extra_sources
    for variant in ("bitext", "bitext-wise"):
        assert cell_train_config(experiment, cells[variant], data, tmp_path / variant).train == expected
    long = cell_train_config(experiment, cells["long"], data, tmp_path / "l")
    assert long.train == [str(data), "zh:cmrc.json"]
    again = parse_experiment(
        {**BASE, "extra_sources": ["zh:cmrc.json"], "recipes": experiment.to_dict()["recipes"]}
    )
    assert again.recipes == experiment.recipes


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"train": {}, "sources": "zh:cmrc.json"}, "must be a list of train sources"),
        ({"train": {}, "sources": []}, "sources is empty"),
        ({"train": {}, "sources": ["zh:cmrc.json"], "data": "full"}, "must hold train"),
    ],
)
def test_bad_recipe_sources_are_one_line_errors(spec: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_experiment({**BASE, "recipes": {"x": spec}})
