"""Choosing the WiSE-FT ratio on the validation split: every ratio scored, the best one written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from sentence_transformers import SentenceTransformer

from hybridir.cli import main
from hybridir.encoding.dense import DenseScorer
from hybridir.errors import UserError
from hybridir.evaluation.interpolation import criterion_value, parse_ratios
from hybridir.evaluation.validation import parallel_benchmark, run_config, score_validation, validation_split
from hybridir.models.merge import wise_ft_state_dict
from tests.evaluation.test_validation import write_run
from tests.helpers import build_tiny_model


def test_ratios_pick_the_best_on_validation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    zero = build_tiny_model(tmp_path / "zero", seed=0)
    run = write_run(tmp_path / "run", tmp_path / "data.jsonl", str(zero), 0.5)
    shutil.copytree(build_tiny_model(tmp_path / "tuned", seed=1), run / "model")
    out = tmp_path / "merged"
    args = [
        "merge",
        "--fine-tuned",
        str(run),
        "--ratios",
        "1,0,0.5",
        "--out",
        str(out),
        "--precision",
        "fp32",
    ]
    assert main(args) == 0
    assert "won on validation" in capsys.readouterr().out

    report = json.loads((out / "interpolation.json").read_text())
    assert [row["ratio"] for row in report["ratios"]] == [0.0, 0.5, 1.0]
    best = max(report["ratios"], key=lambda row: (row["criterion"], -row["ratio"]))
    assert report["ratio"] == best["ratio"]
    assert report["chosen_on"] == "validation split of the training data"
    assert report["precision"] == "fp32"  # as asked; the default is auto, as for `hybridir eval`
    benchmark = parallel_benchmark(validation_split(run_config(run)))
    assert report["validation"]["questions"] == len(benchmark.questions)
    assert "chosen" in (out / "interpolation.md").read_text()

    zero_model = SentenceTransformer(str(zero), device="cpu")
    prompts = {"query_prompt": zero_model.prompts["query"], "passage_prompt": zero_model.prompts["passage"]}
    direct = score_validation(
        benchmark, DenseScorer(zero_model, name="zero", identity="zero", show_progress=False, **prompts)
    )
    at_zero = report["ratios"][0]
    assert all(at_zero[key] == pytest.approx(value) for key, value in direct.items())

    tuned_state = SentenceTransformer(str(run / "model"), device="cpu").state_dict()
    expected = wise_ft_state_dict(zero_model.state_dict(), tuned_state, report["ratio"])
    written = SentenceTransformer(str(out / "model"), device="cpu").state_dict()
    assert all(torch.equal(written[key], expected[key]) for key in expected)


def test_ratio_parsing_and_criteria() -> None:
    assert parse_ratios("1, 0,0.5,0.5") == [0.0, 0.5, 1.0]
    for bad, message in (("0,x", "comma-separated"), ("", "empty"), ("0,2", r"\[0, 1\]")):
        with pytest.raises(UserError, match=message):
            parse_ratios(bad)
    scores = {"monolingual_map": 0.9, "crosslingual_map": None, "multilingual_map": 0.6}
    assert criterion_value(scores, "mean") == pytest.approx(0.75)
    assert criterion_value(scores, "multilingual") == 0.6
    with pytest.raises(UserError, match="no crosslingual setting"):
        criterion_value(scores, "crosslingual")
