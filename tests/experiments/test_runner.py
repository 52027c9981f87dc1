"""The grid runner end to end with a tiny random model: runs, skips finished cells, resumes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from hybridir.errors import UserError
from hybridir.experiments.archive import archive_grid
from hybridir.experiments.config import EvalOptions
from hybridir.experiments.runner import run_experiment
from tests.helpers import build_tiny_model


def _write_config(path: Path, model: Path, grid: dict | None = None, **train_changes) -> Path:
    train = {
        "model": str(model),
        "languages": "en,de,es",
        "batch_size": 4,
        "max_steps": 2,
        "max_length": 32,
        "learning_rate": 1e-3,
        "warmup_ratio": 0.0,
        "validation_fraction": 0.0,
        "save_steps": 1,
        "logging_steps": 1,
        **train_changes,
    }
    config = {
        "name": "tiny",
        "train": train,
        "strategies": ["x-y", "hybrid"],
        "alphas": [0.5],
        "seeds": [1],
        "directions": [{"train": "mlqa-r", "test": "xquad-r"}],
        "baselines": ["bm25"],
        "keep_checkpoints": True,
        "eval": {"languages": "en,de", "sample_fraction": 0.25, "batch_size": 128},
        "significance": {"permutations": 200},
        **(grid or {}),
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _statuses(out: Path) -> list[tuple[str, str, str]]:
    records = [json.loads(line) for line in (out / "cells.jsonl").read_text().splitlines()]
    return [(r["cell"], r["stage"], r["status"]) for r in records]


def test_grid_runs_then_skips_then_resumes(shared_data: Path, tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    config = _write_config(tmp_path / "grid.yaml", model)
    out = tmp_path / "out"

    report = run_experiment(config, out)
    first = _statuses(out)
    assert [s for _, _, s in first] == ["done"] * 5  # bm25, then train + eval per cell
    assert "hybrid-a0.5" in report.read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["progress"]["finished"] == 2
    cells = sorted((out / "cells").iterdir())
    models = {cell.name: (cell / "train" / "model").stat().st_mtime_ns for cell in cells}

    run_experiment(config, out)
    second = _statuses(out)[len(first) :]
    assert [s for _, _, s in second] == ["skipped"] * 5
    assert {cell.name: (cell / "train" / "model").stat().st_mtime_ns for cell in cells} == models

    # a cell killed after its last checkpoint: no model, no evaluation -> resumed, re-evaluated
    killed = cells[0]
    for folder in (killed / "train" / "model", *killed.glob("eval-*")):
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        folder.rmdir()
    run_experiment(config, out)
    third = {(c, stage): s for c, stage, s in _statuses(out)[len(first) + len(second) :]}
    assert third[(killed.name, "train")] == "resumed"
    assert third[(killed.name, "eval:xquad-r")] == "done"
    assert third[(cells[1].name, "train")] == "skipped"

    with pytest.raises(UserError, match="max_steps=2"):
        run_experiment(_write_config(tmp_path / "changed.yaml", model, max_steps=3), out)


def test_grid_reuses_finished_cells_of_another_grid(shared_data: Path, tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    earlier = tmp_path / "sampling"
    hybrid = {"strategies": ["hybrid"]}
    run_experiment(_write_config(tmp_path / "a.yaml", model, hybrid), earlier)
    shared = "mlqa-r-to-xquad-r__full__hybrid-a0.5__seed1"
    alphas = {"strategies": ["hybrid"], "alphas": [0.5, 1.0]}

    out = tmp_path / "alpha"
    run_experiment(_write_config(tmp_path / "b.yaml", model, alphas), out, reuse=[earlier])
    statuses = _statuses(out)
    assert (shared, "train", "reused") in statuses
    assert ("baseline:bm25", "eval:xquad-r", "reused") in statuses  # the same zero-shot evaluation
    assert (shared, "eval:xquad-r", "skipped") in statuses
    assert ("mlqa-r-to-xquad-r__full__hybrid-a1__seed1", "train", "done") in statuses
    linked = out / "cells" / shared / "train" / "model"
    weights = sorted(linked.glob("*.safetensors"))
    original = earlier / "cells" / shared / "train" / "model"
    assert weights and all(w.samefile(original / w.name) for w in weights)  # hard links, no copy

    # other settings: the earlier cell is not taken
    other = tmp_path / "other"
    changed = _write_config(tmp_path / "c.yaml", model, alphas, learning_rate=5e-4)
    run_experiment(changed, other, reuse=[earlier])
    assert (shared, "train", "done") in _statuses(other)

    with pytest.raises(UserError, match="no grid there"):
        run_experiment(tmp_path / "b.yaml", tmp_path / "x", reuse=[tmp_path / "missing"])


def test_grid_with_an_extra_test_benchmark(shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "arcd").is_dir():
        pytest.skip("no ARCD data")
    model = build_tiny_model(tmp_path / "tiny")
    grid = {"strategies": ["hybrid"], "directions": [{"train": "mlqa-r", "test": ["xquad-r", "arcd"]}]}
    out = tmp_path / "out"
    report = run_experiment(_write_config(tmp_path / "grid.yaml", model, grid), out)
    cell = "mlqa-r-to-xquad-r__full__hybrid-a0.5__seed1"
    assert ("baseline:bm25", "eval:arcd", "done") in _statuses(out)
    assert (cell, "eval:arcd", "done") in _statuses(out)
    tag = EvalOptions().extra_tag("arcd")  # the grid's default precision names the folder
    metrics = json.loads((out / "cells" / cell / tag / "metrics.json").read_text())
    assert metrics["passage"]["questions"] == 702
    text = report.read_text()
    assert "## Other test benchmarks" in text and "full data: arcd" in text
    summary = json.loads((out / "summary.json").read_text())
    assert {r["model"] for r in summary["extra_tests"]} == {"hybrid-a0.5", "bm25"}
    assert any(name.endswith("__extra_tests.png") for name in summary["figures"])


def test_grid_with_extra_sources_trains_and_compares_them(shared_data: Path, tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    bitext = tmp_path / "bitext"
    bitext.mkdir()
    for code in ("eng-US", "deu", "spa"):
        lines = (shared_data / "ntrex-128" / f"newstest2019-ref.{code}.txt").read_text(encoding="utf-8")
        (bitext / f"{code}.txt").write_text("\n".join(lines.splitlines()[:100]) + "\n", encoding="utf-8")
    recipes = {  # a recipe on the sources' data, and WiSE-FT of a several-source training
        "sources-lr": {"train": {"learning_rate": 5e-4}, "data": "sources"},
        "sources-wise": {"wise_ft": {"of": "sources", "ratios": [0, 1]}},
    }
    grid = {"strategies": ["hybrid"], "baselines": [], "extra_sources": [str(bitext)], "recipes": recipes}
    config = _write_config(tmp_path / "grid.yaml", model, grid, validation_fraction=0.2, eval_steps=1)
    out = tmp_path / "out"
    report = run_experiment(config, out).read_text()
    cell = out / "cells" / "mlqa-r-to-xquad-r__sources__hybrid-a0.5__seed1" / "train"
    saved = yaml.safe_load((cell / "config.yaml").read_text())
    assert saved["train"][1] == str(bitext) and Path(saved["train"][0]).name.startswith("mlqa-r-full-")
    recipe_cell = out / "cells" / "mlqa-r-to-xquad-r__sources-lr__hybrid-a0.5__seed1" / "train"
    assert yaml.safe_load((recipe_cell / "config.yaml").read_text())["train"] == saved["train"]
    merged = out / "cells" / "mlqa-r-to-xquad-r__sources-wise__hybrid-a0.5__seed1" / "wise-ft"
    chosen = json.loads((merged / "interpolation.json").read_text())
    assert chosen["validation"]["source"] == saved["train"] and chosen["validation"]["questions"] > 0
    assert {s["name"] for s in json.loads((cell / "summary.json").read_text())["sources"]} == {
        Path(saved["train"][0]).stem,
        "bitext",
    }
    assert "## Added training sources" in report
    summary = json.loads((out / "summary.json").read_text())
    rows = [r for r in summary["added_sources"] if r["metric"] == "multi_map"]
    assert len(rows) == 1 and rows[0]["languages"] == "all" and 0.0 <= rows[0]["p"] <= 1.0


def test_an_archived_grid_continues_on_a_fresh_machine(shared_data: Path, tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    config = _write_config(tmp_path / "grid.yaml", model, {"keep_checkpoints": False})
    out, archive = tmp_path / "out", tmp_path / "archive"
    run_experiment(config, out, archive=archive)
    summary = (out / "summary.json").read_text()

    archived = {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()}
    cell = "cells/mlqa-r-to-xquad-r__full__hybrid-a0.5__seed1"
    assert f"{cell}/train/config.yaml" in archived and f"{cell}/train/summary.json" in archived
    assert any(p.startswith(f"{cell}/eval-") and p.endswith("/per_query.jsonl.gz") for p in archived)
    assert not any(
        "/model/" in p or p.startswith("eval-data/") or p.endswith(".safetensors") for p in archived
    )
    assert all(not p.startswith("data/") or p.endswith(".json") for p in archived)
    assert archive_grid(out, archive) == 0  # nothing new: nothing rewritten
    assert any((out / "figures").glob("*.png"))
    stale = "figures/mlqa-r-to-xquad-r__gone__alpha.png"  # drawn by an earlier report
    for root in (out, archive):
        (root / stale).write_bytes(b"png")
    run_experiment(config, out, archive=archive)
    assert not (out / stale).exists() and not (archive / stale).exists()
    unfinished = out / "cells" / "unfinished" / "train"
    unfinished.mkdir(parents=True)
    (unfinished / "config.yaml").write_text("seed: 1\n")
    assert archive_grid(out, archive) == 0 and not (archive / "cells" / "unfinished").exists()
    shutil.rmtree(unfinished.parent)

    # a fresh machine: no models, only the archive copied back
    fresh = tmp_path / "fresh"
    shutil.copytree(archive, fresh)
    run_experiment(config, fresh)
    assert {s for _, _, s in _statuses(fresh)[len(_statuses(out)) :]} == {"skipped"}
    assert not any(fresh.glob("cells/*/train/model"))
    assert json.loads((fresh / "summary.json").read_text())["rows"] == json.loads(summary)["rows"]

    # an archive also serves --reuse: its evaluated cells are taken without a model
    other = tmp_path / "other"
    run_experiment(config, other, reuse=[archive])
    statuses = _statuses(other)
    assert (cell.split("/")[1], "train", "reused") in statuses
    assert (cell.split("/")[1], "train", "skipped") in statuses


def test_grid_with_recipes_trains_merges_and_compares(shared_data: Path, tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    recipes = {"lr": {"train": {"learning_rate": 5e-4}}}
    grid = {
        "strategies": ["hybrid"],
        "baselines": ["untrained"],
        "keep_checkpoints": False,
        "recipes": recipes,
    }
    out, archive = tmp_path / "out", tmp_path / "archive"
    run_experiment(
        _write_config(tmp_path / "a.yaml", model, grid, validation_fraction=0.2, eval_steps=1),
        out,
        archive=archive,
    )
    lr = "mlqa-r-to-xquad-r__lr__hybrid-a0.5__seed1"
    assert yaml.safe_load((out / "cells" / lr / "train" / "config.yaml").read_text())["learning_rate"] == 5e-4
    summary = json.loads((out / "summary.json").read_text())
    assert {(r["variant"], r["base"]) for r in summary["recipes"]} == {("lr", "full")}

    # on a fresh machine (archive only, no models) a wise-ft recipe is added: the cell it merges
    # is trained again, its ratio chosen on validation, the merged model evaluated
    fresh = tmp_path / "fresh"
    shutil.copytree(archive, fresh)
    grid["recipes"] = {**recipes, "lr-wise": {"wise_ft": {"of": "lr", "ratios": [0, 1]}}}
    config = _write_config(tmp_path / "b.yaml", model, grid, validation_fraction=0.2, eval_steps=1)
    report = run_experiment(config, fresh).read_text()
    wise = "mlqa-r-to-xquad-r__lr-wise__hybrid-a0.5__seed1"
    new = _statuses(fresh)[len(_statuses(out)) :]
    assert (
        (lr, "train", "done") in new
        and (wise, "merge", "done") in new
        and (wise, "eval:xquad-r", "done") in new
    )
    assert ("mlqa-r-to-xquad-r__full__hybrid-a0.5__seed1", "train", "skipped") in new
    chosen = json.loads((fresh / "cells" / wise / "wise-ft" / "interpolation.json").read_text())
    assert [row["ratio"] for row in chosen["ratios"]] == [0.0, 1.0] and chosen["fine_tuned"].endswith(
        f"{lr}/train"
    )
    assert not (fresh / "cells" / wise / "train").exists()
    summary = json.loads((fresh / "summary.json").read_text())
    assert {(r["variant"], r["base"]) for r in summary["recipes"]} == {("lr", "full"), ("lr-wise", "lr")}
    assert [(r["variant"], r["ratio"]) for r in summary["wise_ft_ratios"]] == [("lr-wise", chosen["ratio"])]
    assert "## Recipe pieces" in report and "WiSE-FT of lr's models" in report
    assert "### mlqa-r-to-xquad-r, recipe lr-wise: all query languages" in report
    # each trained group against the zero-shot model, one Holm family per direction
    assert {(r["variant"], r["base"]) for r in summary["zero_shot"]} == {
        ("full", "untrained"),
        ("lr", "untrained"),
        ("lr-wise", "untrained"),
    }
    assert "## Against the zero-shot model" in report

    run_experiment(config, fresh)  # everything done: nothing runs again
    assert {s for _, _, s in _statuses(fresh)[len(_statuses(out)) + len(new) :]} == {"skipped"}
