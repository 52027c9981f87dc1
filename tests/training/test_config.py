"""Training config: YAML + CLI precedence, validation errors, resume compatibility."""

from __future__ import annotations

import contextlib
import io
from dataclasses import fields
from pathlib import Path

import pytest

from hybridir.cli import build_parser
from hybridir.data.context import ContextMode
from hybridir.errors import UserError
from hybridir.sampling.kinds import Strategy
from hybridir.training.config import Pooling, TrainConfig, build_config, check_resumable, read_yaml


def test_precedence_defaults_yaml_cli(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("alpha: 0.25\nbatch-size: 8\nsampling: x-y\n", encoding="utf-8")
    config = build_config(read_yaml(path), {"alpha": 0.75, "seed": None})
    assert config.alpha == 0.75  # CLI beats YAML
    assert config.batch_size == 8  # YAML beats default
    assert config.sampling == "x-y"
    assert config.seed == TrainConfig().seed  # None means "not given"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alpha": 1.5}, "alpha must be in"),
        ({"alpha": -0.1}, "alpha must be in"),
        ({"batch_size": 1}, "at least 2"),
        ({"context": "document"}, "sentence or paragraph"),
        ({"temperature": 0}, "positive"),
        ({"bogus": 1}, "unknown training setting"),
        ({"pooling": "max"}, "--pooling must be one of"),
        ({"lora_r": -1}, "--lora-r must be"),
        ({"lora_dropout": 1.0}, "--lora-dropout must be in"),
        ({"learning_rate": -1}, "--learning-rate must be positive"),
        ({"learning_rate": float("inf")}, "--learning-rate must be positive"),
        ({"warmup_ratio": 1.0}, r"--warmup-ratio must be in \[0, 1\)"),
        ({"seed": -1}, "--seed must be at least 0"),
        ({"max_steps": -2}, "--max-steps must be at least -1"),
        ({"save_total_limit": 0}, "--save-total-limit must be at least 1"),
        ({"early_stopping_patience": -1}, "--early-stopping-patience must be at least 0"),
        ({"batch_size": 2.5}, "--batch-size must be an integer"),
        ({"alpha": "half"}, "--alpha must be a number"),
        ({"sampling": "x-z"}, "--sampling must be one of x-x, x-x-mono, x-y or hybrid"),
        ({"language_weights": "heavy"}, "unknown language weighting"),
    ],
)
def test_bad_settings_are_one_line_errors(overrides: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        build_config({}, overrides)


def test_choices_become_enums_and_are_saved_as_plain_values() -> None:
    config = build_config({"sampling": "X-Y", "context": "paragraph", "pooling": "cls"})
    assert (config.sampling, config.context, config.pooling) == (
        Strategy.X_Y,
        ContextMode.PARAGRAPH,
        Pooling.CLS,
    )
    saved = config.to_dict()
    assert (saved["sampling"], saved["context"], saved["pooling"]) == ("x-y", "paragraph", "cls")
    assert all(type(saved[key]) is str for key in ("sampling", "context", "pooling"))


def test_the_global_batch_must_divide_over_the_processes() -> None:
    TrainConfig(batch_size=8).check_processes(4)
    with pytest.raises(UserError, match=r"--batch-size 6 is the global batch .* over 4 processes"):
        TrainConfig(batch_size=6).check_processes(4)


def test_every_flag_is_generated_from_its_field_with_its_help() -> None:
    text = _train_help()
    for field in fields(TrainConfig):
        assert f"--{field.name.replace('_', '-')}" in text
    assert "a training source, repeatable" in text and "(default: 0.5; in [0, 1])" in text
    assert build_parser().parse_args(["train", "--train", "a", "--train", "b"]).train == ["a", "b"]
    assert build_parser().parse_args(["train", "--no-hard-negatives"]).hard_negatives is False


def _train_help() -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        build_parser().parse_args(["train", "--help"])
    return " ".join(buffer.getvalue().split())


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(UserError, match="mapping"):
        read_yaml(path)
    with pytest.raises(UserError, match="does not exist"):
        read_yaml(tmp_path / "missing.yaml")


def test_resume_refuses_changed_settings() -> None:
    saved = TrainConfig(alpha=0.5).to_dict()
    check_resumable(saved, TrainConfig(alpha=0.5, resume=True, log_batches=True))
    with pytest.raises(UserError, match=r"alpha was 0\.5"):
        check_resumable(saved, TrainConfig(alpha=0.25, resume=True))


def test_llm_flags_parse_to_typed_settings() -> None:
    args = build_parser().parse_args(
        ["train", "--pooling", "lasttoken", "--lora-r", "16", "--lora-alpha", "32", "--lora-dropout", "0.05",
         "--lora-target-modules", "q_proj,v_proj", "--gradient-checkpointing", "--query-instruction", "Q: "]
    )  # fmt: skip
    config = build_config({}, {name: getattr(args, name) for name in TrainConfig().to_dict()})
    assert (config.pooling, config.lora_r, config.lora_alpha, config.lora_dropout) == (
        "lasttoken",
        16,
        32,
        0.05,
    )
    assert config.lora_target_modules == "q_proj,v_proj"
    assert config.gradient_checkpointing is True
    assert config.query_instruction == "Q: "
