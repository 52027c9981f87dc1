"""Experiment files: validation, arms, stable cell ids, the shipped configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.errors import UserError
from hybridir.experiments.config import cell_train_config, parse_experiment, read_experiment

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "experiments"
BASE = {
    "train": {"max_steps": 2},
    "strategies": ["x-x-mono", "x-y", "hybrid"],
    "seeds": [1, 2],
    "directions": [{"train": "mlqa-r", "test": "xquad-r"}, {"train": "xquad-r", "test": "mlqa-r"}],
}


def test_cells_are_the_product_of_the_axes_with_stable_ids() -> None:
    experiment = parse_experiment({**BASE, "alphas": [0.25, 0.5]})
    assert [arm.label for arm in experiment.arms] == ["x-x-mono", "x-y", "hybrid-a0.25", "hybrid-a0.5"]
    cells = experiment.cells()
    assert len(cells) == 4 * 2 * 2 == len({c.id for c in cells})
    assert cells[0].id == "mlqa-r-to-xquad-r__full__x-x-mono__seed1"
    reordered = parse_experiment({**BASE, "alphas": [0.5, 0.25], "seeds": [2, 1]})
    assert {c.id for c in reordered.cells()} == {c.id for c in cells}


def test_imbalance_adds_a_starved_variant() -> None:
    experiment = parse_experiment({**BASE, "train_fraction_by_language": {"hi": 0.1}})
    assert experiment.variants == ["full", "starved"]
    assert len(experiment.cells()) == 2 * 3 * 2 * 2


def test_extra_sources_add_a_sources_variant_that_trains_on_them_too(tmp_path: Path) -> None:
    extra = ["../shared/data/ntrex-128", {"path": "arcd-train.json", "language": "ar"}]
    experiment = parse_experiment({**BASE, "extra_sources": extra})
    assert experiment.variants == ["full", "sources"]
    full, sources = (next(c for c in experiment.cells() if c.variant == v) for v in ("full", "sources"))
    data = tmp_path / "mlqa-r-full-1234.jsonl"
    assert cell_train_config(experiment, full, data, tmp_path / "a").train == str(data)
    assert cell_train_config(experiment, sources, data, tmp_path / "b").train == [str(data), *extra]
    with pytest.raises(UserError, match="extra_sources must be a list"):
        parse_experiment({**BASE, "extra_sources": "ntrex-128"})


@pytest.mark.parametrize(("precision", "suffix"), [("bf16", ""), ("mixed", "-mixed"), ("fp32", "-fp32")])
def test_evaluation_folders_name_the_encoding_except_plain_bf16(precision: str, suffix: str) -> None:
    options = parse_experiment({**BASE, "eval": {"precision": precision, "sample_fraction": 0.5}}).eval
    assert options.tag("xquad-r") == f"eval-xquad-r-sample0.5s0{suffix}"
    assert options.extra_tag("tatoeba") == f"eval-tatoeba{suffix}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": 1}, "unknown experiment setting 'colour'"),
        ({"strategies": ["x-z"]}, "unknown strategy"),
        ({"reference": "x-x"}, "reference 'x-x' is not an arm"),
        ({"train": {"sampling": "x-y"}}, "set per cell"),
        ({"train": {"batch_size": 1}}, "batch-size"),
        ({"train": {"bogus": 1}}, "unknown training setting"),
        ({"directions": [{"train": "mlqa-r", "test": "miracl"}]}, "unknown benchmark"),
        ({"train_fraction_by_language": {"hi": 1.5}}, r"\[0, 1\)"),
        ({"eval": {"sample_fraction": 0}}, "sample_fraction"),
        ({"eval": {"pool": "x"}}, "unknown eval setting"),
        ({"eval": {"precision": "fp16"}}, "eval precision must be auto, mixed, bf16 or fp32"),
    ],
)
def test_bad_files_are_one_line_errors(change: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_experiment({**BASE, **change})


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_shipped_configs_are_valid(name: str) -> None:
    experiment = read_experiment(CONFIGS / f"{name}.yaml")
    assert experiment.reference in [arm.label for arm in experiment.arms]
