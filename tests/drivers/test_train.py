"""End-to-end training on a slice of MLQA-R with a tiny random-weight BERT: runs, logs, resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer

from hybridir.drivers.train import run_training
from hybridir.errors import UserError
from hybridir.training.config import TrainConfig, build_config, read_yaml
from hybridir.training.trainer import HybridBatchTrainer
from tests.helpers import build_tiny_model
from tests.training.conftest import _one_torch_thread  # noqa: F401  (autouse: one thread, as in tests/training)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


def _config(tiny_model: Path, out: Path, **changes) -> TrainConfig:
    settings = dict(
        train="mlqa-r",
        languages="en,de,es",
        model=str(tiny_model),
        out=str(out),
        sampling="hybrid",
        alpha=0.5,
        batch_size=4,
        max_steps=4,
        max_length=32,
        learning_rate=1e-3,
        warmup_ratio=0.0,
        validation_fraction=0.0,
        eval_steps=2,
        save_steps=2,
        logging_steps=1,
        seed=7,
    )
    settings.update(changes)
    return TrainConfig(**settings)


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(next((run / "model").rglob("model.safetensors"))))


def test_three_step_run_writes_a_complete_run_folder(
    shared_data: Path, tiny_model: Path, tmp_path: Path
) -> None:
    run = run_training(_config(tiny_model, tmp_path / "run", max_steps=3, log_batches=True))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 3
    assert summary["sampling"]["batches"] == 3
    assert summary["sampling"]["mono_fraction"] + summary["sampling"]["cross_fraction"] == pytest.approx(1.0)
    assert set(summary["sampling"]["question_languages"]) <= {"en", "de", "es"}
    batches = [json.loads(line) for line in (run / "batches.jsonl").read_text().splitlines()]
    assert [b["step"] for b in batches] == [1, 2, 3]
    for batch in batches:
        ids = [item[2] for item in batch["items"]]
        assert len(ids) == len(set(ids)) == 4
        if batch["kind"] == "x-x-mono":
            assert len({item[0] for item in batch["items"]} | {item[1] for item in batch["items"]}) == 1
        else:
            assert all(q != p for q, p, _ in batch["items"])
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    assert any("loss" in record and "learning_rate" in record for record in log)
    model = SentenceTransformer(str(run / "model"), device="cpu")
    assert model.prompts["query"] == "query: "
    assert not (run / "model.partial").exists()
    with pytest.raises(UserError, match="already holds a run"):
        run_training(_config(tiny_model, tmp_path / "run"))


def test_early_stopping_keeps_best_checkpoint(shared_data: Path, tiny_model: Path, tmp_path: Path) -> None:
    run = run_training(
        _config(tiny_model, tmp_path / "run", validation_fraction=0.1, max_steps=4, early_stopping_patience=1)
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_eval_loss"] is not None
    assert summary["validation_examples"] > 0
    assert any("eval_loss" in json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines())


def test_resume_after_a_crash_matches_an_uninterrupted_run(
    shared_data: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = run_training(_config(tiny_model, tmp_path / "reference"))

    original_step = HybridBatchTrainer.training_step
    calls = {"n": 0}

    def crashing_step(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # after checkpoint-2 was written
            raise RuntimeError("simulated crash")
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(HybridBatchTrainer, "training_step", crashing_step)
    crashed = _config(tiny_model, tmp_path / "crashed")
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_training(crashed)
    assert (tmp_path / "crashed" / "checkpoints" / "checkpoint-2").is_dir()
    assert not (tmp_path / "crashed" / "model").exists()
    monkeypatch.setattr(HybridBatchTrainer, "training_step", original_step)

    with pytest.raises(UserError, match="already holds a run: resume it"):
        run_training(crashed)
    crashed.resume = True
    resumed = run_training(crashed)
    expected, actual = _weights(reference), _weights(resumed)
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=0, atol=1e-6)
    steps = [json.loads(line)["step"] for line in (resumed / "train_log.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)


_KILLED_WHILE_SAVING = """
import json, os, signal, sys
import torch
from hybridir.training.config import TrainConfig
from hybridir.drivers.train import run_training
from hybridir.training.trainer import HybridBatchTrainer

torch.set_num_threads(1)
save_optimizer = HybridBatchTrainer._save_optimizer_and_scheduler

def killed_while_saving(self, output_dir):
    if self.state.global_step == int(sys.argv[2]):  # weights written, optimizer and state not yet
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does: no handler, no clean-up
    return save_optimizer(self, output_dir)

HybridBatchTrainer._save_optimizer_and_scheduler = killed_while_saving
run_training(TrainConfig(**json.loads(sys.argv[1])))
"""


def test_resume_after_a_kill_during_a_checkpoint_save_matches_an_uninterrupted_run(
    shared_data: Path, tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = run_training(_config(tiny_model, tmp_path / "reference"))
    killed = _config(tiny_model, tmp_path / "killed")
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_SAVING, json.dumps(killed.to_dict()), "4"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    checkpoints = tmp_path / "killed" / "checkpoints"
    assert (checkpoints / "checkpoint-2" / "trainer_state.json").is_file()
    assert (checkpoints / "checkpoint-4").is_dir()
    assert not (checkpoints / "checkpoint-4" / "trainer_state.json").exists()

    killed.resume = True
    resumed = run_training(killed)
    assert "checkpoint-4 is incomplete" in capsys.readouterr().err
    assert json.loads((resumed / "summary.json").read_text())["resumed_from"].endswith("checkpoint-2")
    expected, actual = _weights(reference), _weights(resumed)
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=0, atol=1e-6)


def test_sigint_saves_a_checkpoint_and_says_resume(
    shared_data: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_step = HybridBatchTrainer.training_step

    def interrupted_step(self, *args, **kwargs):
        loss = original_step(self, *args, **kwargs)
        if self.state.global_step == 0:
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(HybridBatchTrainer, "training_step", interrupted_step)
    with pytest.raises(UserError, match=r"stopped at step 1.*with resume set"):
        run_training(_config(tiny_model, tmp_path / "run", save_steps=100))
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-1").is_dir()


def test_bad_data_settings_are_user_errors(shared_data: Path, tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="es"):
        run_training(_config(tiny_model, tmp_path / "a", sampling="x-x-mono", batch_size=600))
    with pytest.raises(UserError):
        run_training(_config(tiny_model, tmp_path / "b", sampling="x-y", languages="en"))
    with pytest.raises(UserError, match=r"does not exist|neither"):
        run_training(_config(tiny_model, tmp_path / "c", train=str(tmp_path / "missing.jsonl")))


def test_several_sources_in_one_run(shared_data: Path, tiny_model: Path, tmp_path: Path) -> None:
    """MLQA-R, a slice of NTREX-128 bitext and CMRC 2018 trial: one source per batch, each serving
    only its kinds, a validation split from every source, and the source mix in summary.json."""
    bitext = tmp_path / "ntrex"
    bitext.mkdir()
    for code in ("eng-US", "deu", "spa"):
        lines = (shared_data / "ntrex-128" / f"newstest2019-ref.{code}.txt").read_text(encoding="utf-8")
        (bitext / f"newstest2019-ref.{code}.txt").write_text("\n".join(lines.splitlines()[:300]) + "\n")
    cmrc = {
        "path": str(shared_data / "cmrc2018" / "cmrc2018_trial.json"),
        "language": "zh",
        "languages": "zh",
    }
    config = _config(
        tiny_model,
        tmp_path / "run",
        train=["mlqa-r", str(bitext), cmrc],
        source_weights="uniform",
        max_steps=8,
        validation_fraction=0.1,
        eval_steps=4,
        save_steps=4,
        log_batches=True,
    )
    run = run_training(config)
    summary = json.loads((run / "summary.json").read_text())
    assert [(s["name"], s["kind"]) for s in summary["sources"]] == [
        ("mlqa-r", "parallel-qa"),
        ("ntrex", "bitext"),
        ("cmrc2018_trial", "monolingual-qa"),
    ]
    assert all(s["validation_examples"] > 0 for s in summary["sources"])
    assert summary["data_notes"] == ["cmrc2018_trial: 7 answer(s) found by text, their answer_start was off"]
    batches = [json.loads(line) for line in (run / "batches.jsonl").read_text().splitlines()]
    allowed = {"mlqa-r": {"x-x-mono", "x-y"}, "ntrex": {"x-y"}, "cmrc2018_trial": {"x-x-mono"}}
    for batch in batches:
        assert batch["kind"] in allowed[batch["source"]]
        languages = {lang for q, p, _ in batch["items"] for lang in (q, p)}
        assert languages <= ({"zh"} if batch["source"] == "cmrc2018_trial" else {"en", "de", "es"})
    mix = summary["sampling"]["source_mix"]
    assert sum(mix.values()) == pytest.approx(1.0) and len(mix) >= 2
    assert mix == {
        name: sum(b["source"] == name for b in batches) / len(batches)
        for name in {b["source"] for b in batches}
    }
    assert set(summary["sampling"]["kind_mix"]) <= {"x-x-mono", "x-y"}


def test_the_recipe_config_loads_and_trains_two_steps(
    shared_data: Path, tiny_model: Path, tmp_path: Path
) -> None:
    recipe = Path(__file__).resolve().parents[2] / "configs" / "recipes" / "cpu-1h.yaml"
    overrides = {"model": str(tiny_model), "out": str(tmp_path / "run"), "max_steps": 2, "languages": "en,de"}
    config = build_config(read_yaml(recipe), overrides)
    assert (config.sampling, config.alpha, config.batch_size, config.validation_fraction) == (
        "hybrid",
        0.5,
        16,
        0.1,
    )
    run = run_training(config)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 2 and (run / "model").is_dir()
