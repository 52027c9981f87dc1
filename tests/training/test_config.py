"""Training config: YAML + CLI precedence, validation errors, resume compatibility."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.cli import build_parser
from hybridir.errors import UserError
from hybridir.training.config import TrainConfig, build_config, check_resumable, read_yaml


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
    ],
)
def test_bad_settings_are_one_line_errors(overrides: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        build_config({}, overrides)


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
