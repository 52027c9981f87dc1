"""Taking finished zero-shot evaluations from another grid: only the same model and tag."""

from __future__ import annotations

from pathlib import Path

import yaml

from hybridir.experiments.config import baseline_dir, parse_experiment
from hybridir.experiments.reuse import reuse_baseline

GRID = {
    "train": {"model": "multilingual-e5-small", "max_steps": 2},
    "strategies": ["hybrid"],
    "seeds": [1],
    "directions": [{"train": "mlqa-r", "test": "xquad-r"}],
    "baselines": ["untrained", "bm25"],
}


def _grid_with_baselines(folder: Path, model: str, tag: str) -> None:
    folder.mkdir(parents=True)
    (folder / "experiment.yaml").write_text(yaml.safe_dump({**GRID, "train": {"model": model}}))
    for name in ("untrained", "bm25"):
        finished = baseline_dir(folder, name) / tag
        finished.mkdir(parents=True)
        (finished / "metrics.json").write_text("{}")
        (finished / "per_query.jsonl").write_text("{}\n")


def test_a_baseline_is_taken_only_with_the_same_model_and_tag(tmp_path: Path) -> None:
    experiment = parse_experiment(GRID)
    same, other_model = tmp_path / "same", tmp_path / "other-model"
    _grid_with_baselines(same, "multilingual-e5-small", "eval-arcd")
    _grid_with_baselines(other_model, "LaBSE", "eval-arcd")
    out = tmp_path / "out"

    untrained = baseline_dir(out, "untrained") / "eval-arcd"
    assert reuse_baseline(experiment, "untrained", untrained, [other_model]) is None  # another base model
    assert reuse_baseline(experiment, "untrained", untrained, [other_model, same]) == same
    linked = untrained / "per_query.jsonl"
    assert linked.samefile(baseline_dir(same, "untrained") / "eval-arcd" / "per_query.jsonl")
    assert reuse_baseline(experiment, "untrained", untrained, [same]) is None  # done here already

    # bm25 is the same model whatever the grid trains; another tag (test data) is not taken
    bm25 = baseline_dir(out, "bm25")
    assert reuse_baseline(experiment, "bm25", bm25 / "eval-arcd", [other_model]) == other_model
    assert reuse_baseline(experiment, "bm25", bm25 / "eval-tatoeba", [same, other_model]) is None
