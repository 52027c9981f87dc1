"""Weight merging: WiSE-FT at ratios 0, 1 and 0.5, checkpoint averaging, and one-line errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Dense

from hybridir.cli import main
from hybridir.drivers.merge import average_models
from hybridir.errors import UserError
from hybridir.models.merge import check_same_architecture, weighted_state_dict, wise_ft_state_dict
from tests.helpers import build_tiny_model


@dataclass
class TwoModels:
    """Two tiny BERT encoders of one architecture with different random weights, and their weights."""

    zero: Path
    tuned: Path
    zero_state: dict[str, torch.Tensor]
    tuned_state: dict[str, torch.Tensor]


def _state(folder: Path) -> dict[str, torch.Tensor]:
    return SentenceTransformer(str(folder), device="cpu").state_dict()


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> TwoModels:
    root = tmp_path_factory.mktemp("merge")
    zero, tuned = build_tiny_model(root / "zero", seed=0), build_tiny_model(root / "tuned", seed=1)
    return TwoModels(zero, tuned, _state(zero), _state(tuned))


def _mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The correctly rounded mean (or ``a`` itself for integer buffers)."""
    return ((a.double() + b.double()) / 2).to(a.dtype) if torch.is_floating_point(a) else a


def test_ratio_0_and_1_give_the_inputs_exactly_and_half_their_mean(two_models: TwoModels) -> None:
    zero, tuned = two_models.zero_state, two_models.tuned_state
    assert any(not torch.equal(zero[k], tuned[k]) for k in zero)
    at_0, at_1, at_half = (wise_ft_state_dict(zero, tuned, r) for r in (0.0, 1.0, 0.5))
    for key in zero:
        assert torch.equal(at_0[key], zero[key]), key
        assert torch.equal(at_1[key], tuned[key]), key
        assert torch.equal(at_half[key], _mean(zero[key], tuned[key])), key


def test_cli_merge_writes_the_model_it_reloads(
    capsys: pytest.CaptureFixture[str], two_models: TwoModels, tmp_path: Path
) -> None:
    argv = ["merge", "--fine-tuned", str(two_models.tuned), "--zero-shot", str(two_models.zero)]
    assert main([*argv, "--ratio", "1", "--out", str(tmp_path / "r1")]) == 0
    assert "ratio 1" in capsys.readouterr().out
    merged = _state(tmp_path / "r1")
    assert all(torch.equal(merged[k], two_models.tuned_state[k]) for k in merged)
    assert json.loads((tmp_path / "r1" / "merge.json").read_text())["ratio"] == 1.0


def test_average_of_checkpoints(two_models: TwoModels, tmp_path: Path) -> None:
    a, b = two_models.zero_state, two_models.tuned_state
    merged = _state(average_models([str(two_models.zero), str(two_models.tuned)], tmp_path / "avg"))
    for key in a:
        assert torch.equal(merged[key], _mean(a[key], b[key])), key
    three = weighted_state_dict([a, b, a], [0.25, 0.5, 0.25])
    for key in a:  # three terms round three times: equal up to float32 rounding
        if torch.is_floating_point(a[key]):
            torch.testing.assert_close(three[key], merged[key], rtol=1e-6, atol=1e-7)


def test_mismatched_architectures_are_one_line_errors(two_models: TwoModels) -> None:
    model = SentenceTransformer(str(two_models.zero), device="cpu")
    wider = SentenceTransformer(modules=[*model, Dense(32, 16)], device="cpu")
    with pytest.raises(UserError, match="modules differ") as caught:
        check_same_architecture([model, wider], ["zero", "wider"])
    assert "\n" not in str(caught.value)
    narrower = SentenceTransformer(modules=[*model, Dense(32, 8)], device="cpu")
    with pytest.raises(UserError, match="different architectures") as caught:
        check_same_architecture([wider, narrower], ["wider", "narrower"])
    assert "\n" not in str(caught.value)


def _cli_error(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code = main(argv)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], lines


@pytest.mark.parametrize("ratio", ["1.5", "-0.1"])
def test_ratio_outside_0_1_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], two_models: TwoModels, tmp_path: Path, ratio: str
) -> None:
    zero, tuned = two_models.zero, two_models.tuned
    argv = ["merge", "--fine-tuned", str(tuned), "--zero-shot", str(zero), "--ratio", ratio]
    _cli_error(capsys, [*argv, "--out", str(tmp_path / "o")], "must be in [0, 1]")
    argv = ["merge", "--fine-tuned", str(tuned), "--ratios", f"0,{ratio}", "--out", str(tmp_path / "o")]
    _cli_error(capsys, argv, "must be in [0, 1]")


def test_cli_merge_errors(capsys: pytest.CaptureFixture[str], two_models: TwoModels, tmp_path: Path) -> None:
    zero, tuned = two_models.zero, two_models.tuned
    _cli_error(capsys, ["merge", "--ratio", "0.5", "--out", str(tmp_path)], "need --fine-tuned")
    _cli_error(capsys, ["merge", "--out", str(tmp_path)], "exactly one of --ratio, --ratios or --average")
    _cli_error(
        capsys, ["merge", "--fine-tuned", str(tuned), "--ratio", "0.5", "--out", str(tmp_path)], "--zero-shot"
    )
    _cli_error(capsys, ["merge", "--average", str(zero), "--out", str(tmp_path)], "at least two")
    argv = ["merge", "--average", str(zero), str(tuned), "--weights", "0.9,0.9", "--out", str(tmp_path)]
    _cli_error(capsys, argv, "summing to 1")
    argv = ["merge", "--fine-tuned", str(tuned), "--ratios", "0,0.5", "--out", str(tmp_path)]
    _cli_error(capsys, argv, "config.yaml")
