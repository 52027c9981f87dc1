"""Data-parallel training for real: two CPU processes (torchrun, gloo) against one process.

The two-process run must train on the same global batches as the single-process run, split
between the ranks (same kind, source and language per step, disjoint slices that make up the
planned batch, no two siblings of one paragraph in a global batch), and with in-batch negatives
gathered across ranks it must give the same loss, gradient norm and final weights, with the
plain and with the cached (GradCache) loss. The runs train on two sources: MLQA-R and a slice
of NTREX-128 bitext.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from hybridir.data.readers import load_training_corpus
from hybridir.drivers.train import run_training
from hybridir.training.config import TrainConfig

PROCESSES = 2
SETTINGS = {
    "languages": "en,de,es",
    "sampling": "hybrid",
    "batch_size": 8,
    "max_steps": 4,
    "max_length": 32,
    "learning_rate": 1e-3,
    "warmup_ratio": 0.0,
    "validation_fraction": 0.0,
    "save_steps": 100,
    "logging_steps": 1,
    "seed": 7,
    "micro_batch_size": 3,  # length-sorted micro-batches of 3 within each rank's slice
}
# fp32 on both sides: the comparison is of DDP's arithmetic, which bf16 rounding would blur.
FP32 = "--no-bf16"

pytestmark = pytest.mark.skipif(
    not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
    reason="this torch build has no gloo backend, so two CPU processes cannot form a process group",
)


def _flags(settings: dict) -> list[str]:
    flags = []
    for key, value in settings.items():
        for one in value if isinstance(value, list) else [value]:
            flags += ["--" + key.replace("_", "-"), str(one)]
    return flags


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _step_losses(run: Path) -> dict[int, dict]:
    return {record["step"]: record for record in _lines(run / "train_log.jsonl") if "loss" in record}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(next((run / "model").rglob("model.safetensors"))))


def _torchrun(settings: dict, out: Path, tmp_path: Path, *switches: str) -> None:
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",  # CPU processes: accelerate picks gloo
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
    }
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={PROCESSES}",
        "-m", "hybridir.cli", "train", "--out", str(out), "--log-batches", FP32, *switches,
        *_flags(settings),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="module")
def runs(
    shared_data: Path, deterministic_encoder: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Run folders of the same settings on the same tiny model: one process ("single"), two
    processes ("ddp"), and two processes with the cached loss in chunks of 3 ("ddp-cached")."""
    root = tmp_path_factory.mktemp("ddp")
    bitext = root / "ntrex"
    bitext.mkdir()
    for code in ("eng-US", "deu", "spa"):
        lines = (shared_data / "ntrex-128" / f"newstest2019-ref.{code}.txt").read_text(encoding="utf-8")
        (bitext / f"{code}.txt").write_text("\n".join(lines.splitlines()[:200]) + "\n", encoding="utf-8")
    settings = {
        **SETTINGS,
        "train": ["mlqa-r", str(bitext)],
        "model": str(deterministic_encoder),
        "data_dir": str(shared_data / "mlqa-r"),
    }
    _torchrun(settings, root / "ddp", root)
    _torchrun({**settings, "mini_batch_size": 3}, root / "ddp-cached", root, "--cached-loss")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        run_training(TrainConfig(out=str(root / "single"), log_batches=True, bf16=False, **settings))
    return {name: root / name for name in ("single", "ddp", "ddp-cached")}


def test_ranks_share_every_global_batch(runs: dict[str, Path], shared_data: Path) -> None:
    ddp, single = runs["ddp"], runs["single"]
    paragraphs = {ex.id: set(ex.paragraphs) for ex in load_training_corpus("mlqa-r").examples}
    planned = {record["step"]: record for record in _lines(single / "batches.jsonl")}
    assert _lines(ddp / "batches.jsonl") == list(planned.values())  # same plan with and without DDP
    ranks = [_lines(ddp / f"batches.rank{rank}.jsonl") for rank in range(PROCESSES)]
    assert [[record["step"] for record in log] for log in ranks] == [[1, 2, 3, 4]] * PROCESSES
    kinds, sources = set(), set()
    for step_records in zip(*ranks, strict=True):
        step = step_records[0]["step"]
        share = SETTINGS["batch_size"] // PROCESSES
        assert [record["slice"] for record in step_records] == [
            [rank * share, (rank + 1) * share] for rank in range(PROCESSES)
        ]
        assert {record["kind"] for record in step_records} == {planned[step]["kind"]}
        assert {record["source"] for record in step_records} == {planned[step]["source"]}
        union = [item for record in step_records for item in record["items"]]
        assert union == planned[step]["items"]
        assert len({parallel_id for _, _, parallel_id in union}) == SETTINGS["batch_size"]
        sources.add(planned[step]["source"])
        if planned[step]["source"] == "mlqa-r":  # no two siblings of one paragraph across the ranks
            held = [paragraphs[parallel_id] for _, _, parallel_id in union]
            assert len(set().union(*held)) == sum(map(len, held))
        else:
            assert planned[step]["kind"] == "x-y"  # bitext serves cross-language batches only
        kind = planned[step]["kind"]
        kinds.add(kind)
        if kind == "x-x-mono":  # one language for the whole global batch, on every rank
            assert len({lang for q, p, _ in union for lang in (q, p)}) == 1
        else:
            assert all(q != p for q, p, _ in union)
    assert kinds == {"x-x-mono", "x-y"}  # the seed gives both kinds and both sources in four steps
    assert sources == {"mlqa-r", "ntrex"}


@pytest.mark.parametrize("variant", ["ddp", "ddp-cached"])
def test_two_processes_match_one_process(runs: dict[str, Path], variant: str) -> None:
    ddp, single = runs[variant], runs["single"]
    expected, actual = _step_losses(single), _step_losses(ddp)
    assert sorted(actual) == sorted(expected) == [1, 2, 3, 4]
    for step in expected:
        assert actual[step]["loss"] == pytest.approx(expected[step]["loss"], rel=1e-5, abs=1e-6)
        assert actual[step]["grad_norm"] == pytest.approx(expected[step]["grad_norm"], rel=1e-4)
    expected_weights, actual_weights = _weights(single), _weights(ddp)
    assert expected_weights.keys() == actual_weights.keys()
    for name, tensor in expected_weights.items():
        torch.testing.assert_close(actual_weights[name], tensor, rtol=1e-4, atol=1e-5)
    summary = json.loads((ddp / "summary.json").read_text())
    assert summary["processes"] == PROCESSES and summary["steps"] == 4
    assert not (ddp / "model.partial").exists()
