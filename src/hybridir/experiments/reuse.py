"""Finished work taken from other grids (``--reuse``): trained cells and zero-shot baselines.

A grid that shares cells with an earlier one (the alpha curve's alpha 0.5 and the sampling
grid's hybrid, or the same untrained model on the same test) links them in as hard links
instead of training or evaluating again; only work with the same settings is taken.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from hybridir.experiments.config import UNTRAINED, Cell, ExperimentConfig, baseline_dir, cell_dir
from hybridir.training.config import RESUME_FREE_FIELDS, TrainConfig


def first_difference(saved: dict[str, Any], config: TrainConfig) -> str | None:
    """The first setting a saved training differs on from ``config``, or None.

    Grids name their training files by a digest of the data settings, so two grids' files with
    the same name hold the same data: the folder around the file is not compared.
    """
    for key, value in config.to_dict().items():
        if key in RESUME_FREE_FIELDS or key == "out" or key not in saved:
            continue
        same = _train_names(saved[key]) == _train_names(value) if key == "train" else saved[key] == value
        if not same:
            return key
    return None


def _train_names(train: Any) -> list[Any]:
    """A train setting with each path reduced to its file name (grid files are named by digest)."""
    items = train if isinstance(train, list) else [train]
    return [Path(str(item)).name if isinstance(item, str) else item for item in items]


def saved_settings(train_dir: Path) -> dict[str, Any] | None:
    path = train_dir / "config.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else None


def link_tree(source: Path, target: Path) -> None:
    """Copy a finished folder as hard links (no extra disk), or as plain copies across disks."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, ignore=shutil.ignore_patterns("checkpoints"))


def all_evaluated(folders: Sequence[Path]) -> bool:
    """Whether every evaluation of a cell has finished (then it needs no model)."""
    return all((folder / "metrics.json").is_file() for folder in folders)


def reuse_cell(
    cell: Cell, config: TrainConfig, folder: Path, eval_tags: Sequence[str], sources: list[Path]
) -> Path | None:
    """Take ``cell`` finished in another grid with the same settings; return that grid.

    A source cell counts as finished with its trained model, or without one (an archived grid,
    see :mod:`hybridir.experiments.archive`) when all of this grid's evaluations of it are
    there. Its evaluations with the same tags (same test data and sample) come with it, so a
    grid that shares arms with an earlier one (the alpha curve's alpha 0.5 and the sampling
    grid's hybrid) does not train them again.
    """
    if (folder / "train" / "model").is_dir() or all_evaluated([folder / tag for tag in eval_tags]):
        return None
    for source in sources:
        found = cell_dir(source, cell)
        saved = saved_settings(found / "train")
        if saved is None or first_difference(saved, config):
            continue
        if not (found / "train" / "model").is_dir() and not all_evaluated([found / tag for tag in eval_tags]):
            continue
        shutil.rmtree(folder / "train", ignore_errors=True)
        link_tree(found / "train", folder / "train")
        for tag in eval_tags:
            if (found / tag / "metrics.json").is_file() and not (folder / tag).exists():
                link_tree(found / tag, folder / tag)
        return source
    return None


def reuse_baseline(experiment: ExperimentConfig, name: str, folder: Path, sources: list[Path]) -> Path | None:
    """Take a zero-shot evaluation finished in another grid: the same model evaluated into a
    folder of the same tag (same test data, sample, context and precision); return that grid."""
    if (folder / "metrics.json").is_file():
        return None
    model = experiment.baseline_model(name)
    for source in sources:
        found = baseline_dir(source, name) / folder.name
        settings = source / "experiment.yaml"
        if not (found / "metrics.json").is_file() or not settings.is_file():
            continue
        train = (yaml.safe_load(settings.read_text(encoding="utf-8")) or {}).get("train") or {}
        if (str(train.get("model", TrainConfig.model)) if name == UNTRAINED else name) != model:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        link_tree(found, folder)
        return source
    return None
