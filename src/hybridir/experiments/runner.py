"""The resumable grid runner behind ``hybridir experiment CONFIG --out DIR``.

Folder layout::

    <out>/experiment.yaml                 the resolved experiment settings
    <out>/cells.jsonl                     one status line per stage: done, skipped, resumed, failed
    <out>/data/                           the training file of each (benchmark, variant), its manifest
    <out>/eval-data/                      the paragraph sample of a test benchmark, when sampled
    <out>/baselines/<name>/<eval tag>/    zero-shot evaluations (untrained model, bm25, use-m3)
    <out>/cells/<cell id>/train/          the training run (``train/model`` is the trained model)
    <out>/cells/<cell id>/<eval tag>/     its evaluation (metrics.json, per_query.jsonl), one folder
                                          per test benchmark of its direction
    <out>/cells/<cell id>/wise-ft/        a wise-ft recipe cell: the interpolated model chosen on
                                          validation, interpolation.json (its training is another cell's)
    <out>/summary.json, report.md, figures/

A stage whose output exists is skipped, a training with checkpoints resumes, and a cell whose
evaluations are all done is not trained (it needs no model), so a killed grid continues where
it stopped, and an archived grid (``--archive``, its small outputs only) continues on another
machine once copied back to ``--out``. A finished cell whose saved settings differ from the file's is
refused rather than silently reused.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from hybridir.drivers.evaluate import EvalConfig, run_eval, run_lareqa_eval
from hybridir.drivers.train import run_training
from hybridir.errors import UserError
from hybridir.experiments.archive import archive_grid
from hybridir.experiments.config import (
    FULL,
    SOURCES,
    STARVED,
    Cell,
    ExperimentConfig,
    baseline_dir,
    cell_dir,
    cell_train_config,
    read_experiment,
    write_experiment,
)
from hybridir.experiments.recipes import WISE_FT_FOLDER, Recipe
from hybridir.experiments.report import write_outputs
from hybridir.experiments.reuse import (
    all_evaluated,
    first_difference,
    reuse_baseline,
    reuse_cell,
    saved_settings,
)
from hybridir.experiments.status import MERGE, TRAIN, Status, StatusLog, baseline_cell, eval_stage
from hybridir.experiments.subsets import evaluation_data, training_data
from hybridir.training.checkpoints import resumable
from hybridir.training.config import TrainConfig

Log = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


def _check_same_settings(train_dir: Path, config: TrainConfig, cell: Cell) -> None:
    """Refuse a finished cell trained with other settings than the experiment file now gives."""
    saved = saved_settings(train_dir)
    key = first_difference(saved, config) if saved is not None else None
    if key is not None:
        raise UserError(
            f"cell {cell.id} was trained with {key}={saved[key]!r}, the experiment now says "
            f"{config.to_dict()[key]!r}: use a new --out, or delete that cell's folder to retrain it"
        )


def _baseline_stage(
    experiment: ExperimentConfig,
    status: StatusLog,
    name: str,
    benchmark: str,
    folder: Path,
    evaluate: Callable[[], Status],
    sources: list[Path],
    log: Log,
) -> None:
    """Evaluate one zero-shot baseline on one benchmark, unless done here or in a ``--reuse`` grid."""
    source = reuse_baseline(experiment, name, folder, sources)
    if source is not None:
        status.write(baseline_cell(name), eval_stage(benchmark), Status.REUSED, source=str(source))
        log(f"baseline {name} on {benchmark}: reused from {source}")
        return
    log(f"baseline {name} on {benchmark}")
    _stage(status, baseline_cell(name), eval_stage(benchmark), evaluate, log)


def _train_cell(config: TrainConfig, train_dir: Path, keep_checkpoints: bool, evaluated: bool) -> Status:
    """Train, resume or skip one cell (trained, or ``evaluated`` on every test); return what happened."""
    if (train_dir / "model").is_dir() or evaluated:
        return Status.SKIPPED
    checkpoints = train_dir / "checkpoints"
    config.resume = resumable(train_dir)
    run_training(config)
    if not keep_checkpoints:
        shutil.rmtree(checkpoints, ignore_errors=True)
    return Status.RESUMED if config.resume else Status.DONE


def _merge_cell(recipe: Recipe, train_dir: Path, out: Path, precision: str, evaluated: bool) -> Status:
    """Write the WiSE-FT model of a trained cell, its ratio chosen on validation (encoded at the
    grid's evaluation precision), unless done."""
    from hybridir.evaluation.interpolation import select_ratio

    if ((out / "interpolation.json").is_file() and (out / "model").is_dir()) or evaluated:
        return Status.SKIPPED
    select_ratio(train_dir, recipe.ratios, out, criterion=recipe.criterion, precision=precision)
    return Status.DONE


def _evaluate(
    model: str, benchmark: str, out: Path, experiment: ExperimentConfig, data: Path | None
) -> Status:
    """Evaluate ``model`` on ``benchmark`` into ``out`` unless its metrics.json exists."""
    if (out / "metrics.json").is_file():
        return Status.SKIPPED
    run_lareqa_eval(
        _eval_config(
            model,
            benchmark,
            out,
            experiment,
            data_dir=str(data) if data else None,
            languages=experiment.eval.languages,
        )
    )
    return Status.DONE


def _evaluate_extra(model: str, benchmark: str, out: Path, experiment: ExperimentConfig) -> Status:
    """Evaluate ``model`` on an extra test benchmark (whole, all languages) unless done."""
    if (out / "metrics.json").is_file():
        return Status.SKIPPED
    run_eval(_eval_config(model, benchmark, out, experiment))
    return Status.DONE


def _eval_config(
    model: str, benchmark: str, out: Path, experiment: ExperimentConfig, **where: Any
) -> EvalConfig:
    """The grid's evaluation settings (context, batch size, precision) for one model and benchmark."""
    options = experiment.eval
    return EvalConfig(
        model=model,
        benchmark=benchmark,
        out=str(out),
        context=options.context,
        batch_size=options.batch_size,
        precision=options.precision,
        **where,
    )


def _stage(status: StatusLog, cell: str, stage: str, work: Callable[[], Status], log: Log) -> Status:
    """Run one stage, log its outcome; a failure is logged, then stops the grid."""
    started = time.perf_counter()
    try:
        outcome = work()
    except BaseException as exc:
        status.write(cell, stage, Status.FAILED, time.perf_counter() - started, error=str(exc)[:500])
        if isinstance(exc, UserError):
            raise UserError(
                f"{cell} ({stage}): {exc}. Rerun the same `hybridir experiment` command to continue the grid"
            ) from exc
        raise
    seconds = time.perf_counter() - started
    status.write(cell, stage, outcome, seconds)
    log(f"    {stage}: {outcome} ({seconds:.0f} s)")
    return outcome


def _prepare_data(experiment: ExperimentConfig, out: Path) -> dict[tuple[str, str], Path]:
    """Write the training file of every (train benchmark, variant) the grid needs."""
    paths = {}
    for train in dict.fromkeys(d.train for d in experiment.directions):
        for variant in experiment.variants:
            recipe = experiment.recipe(variant)
            if recipe is not None and not recipe.trains:
                continue  # trains nothing: its cells use the data of the variant they merge
            data_variant = experiment.data_variant(variant)
            if variant == SOURCES:  # the full data, with the extra sources added at training time
                paths[(train, variant)] = paths[(train, FULL)]
                continue
            settings = experiment.train_settings(variant)  # a recipe may train with another context
            paths[(train, variant)], _ = training_data(
                out / "data",
                train,
                STARVED if data_variant == STARVED else FULL,
                languages=experiment.train.get("languages"),
                context=str(settings.get("context", TrainConfig.context)),
                seed=experiment.data_seed,
                fractions=experiment.train_fraction_by_language if data_variant == STARVED else {},
            )
    return paths


def run_grid(
    experiment: ExperimentConfig,
    out: Path,
    log: Log = _print,
    reuse: Sequence[Path] = (),
    archive: Path | None = None,
) -> None:
    """Run every baseline and cell of ``experiment`` that has not finished yet.

    ``reuse`` names other grid folders: a cell or zero-shot baseline finished there with the same
    settings is linked in instead of run again. ``archive``: a folder that receives the grid's small outputs
    after every cell (:func:`archive_grid`).
    """
    out.mkdir(parents=True, exist_ok=True)
    write_experiment(experiment, out / "experiment.yaml")
    status = StatusLog(out / "cells.jsonl")
    data = _prepare_data(experiment, out)
    tests = list(dict.fromkeys(d.test for d in experiment.directions))
    eval_data = {
        test: evaluation_data(
            out / "eval-data", test, experiment.eval.sample_fraction, experiment.eval.sample_seed
        )
        for test in tests
    }
    sources = [Path(r) for r in reuse]
    for test in tests:
        for name in experiment.baselines:
            folder = baseline_dir(out, name) / experiment.eval.tag(test)
            model = experiment.baseline_model(name)
            evaluate = partial(_evaluate, model, test, folder, experiment, eval_data[test])
            _baseline_stage(experiment, status, name, test, folder, evaluate, sources, log)
    for extra in dict.fromkeys(t for d in experiment.directions for t in d.extra_tests):
        for name in experiment.baselines:
            folder = baseline_dir(out, name) / experiment.eval.extra_tag(extra)
            evaluate = partial(_evaluate_extra, experiment.baseline_model(name), extra, folder, experiment)
            _baseline_stage(experiment, status, name, extra, folder, evaluate, sources, log)
    cells = experiment.cells()
    started, ran = time.perf_counter(), 0
    for index, cell in enumerate(cells, 1):
        folder = cell_dir(out, cell)
        recipe = experiment.recipe(cell.variant)
        merges = recipe is not None and not recipe.trains
        trained_cell = experiment.training_cell(cell)  # a wise-ft cell uses another cell's training
        train_dir = cell_dir(out, trained_cell) / "train"
        test = cell.direction.test
        eval_tag = experiment.eval.tag(test)
        extras = cell.direction.extra_tests_of(cell.variant)
        eval_tags = [eval_tag, *(experiment.eval.extra_tag(extra) for extra in extras)]
        data_path = data[(cell.direction.train, trained_cell.variant)]
        config = cell_train_config(experiment, cell, data_path, train_dir)
        source = None if merges else reuse_cell(cell, config, folder, eval_tags, sources)
        if source is not None:
            status.write(cell.id, TRAIN, Status.REUSED, source=str(source))
            log(f"[{index}/{len(cells)}] {cell.id}: reused from {source}")
        _check_same_settings(train_dir, config, trained_cell)
        left = ""
        if ran:
            minutes = (time.perf_counter() - started) / ran * (len(cells) - index + 1) / 60
            left = f", about {minutes:.0f} min left"
        log(f"[{index}/{len(cells)}] {cell.id}{left}")
        evaluated = all_evaluated([folder / tag for tag in eval_tags])
        train = partial(_train_cell, config, train_dir, experiment.keep_checkpoints, evaluated)
        outcomes = [_stage(status, trained_cell.id, TRAIN, train, log)]
        model = str(train_dir)
        if merges:
            assert recipe is not None
            merged = folder / WISE_FT_FOLDER
            merge = partial(_merge_cell, recipe, train_dir, merged, experiment.eval.precision, evaluated)
            outcomes.append(_stage(status, cell.id, MERGE, merge, log))
            model = str(merged / "model")
        evaluate = partial(_evaluate, model, test, folder / eval_tag, experiment, eval_data[test])
        outcomes.append(_stage(status, cell.id, eval_stage(test), evaluate, log))
        for extra in extras:
            extra_folder = folder / experiment.eval.extra_tag(extra)
            evaluate = partial(_evaluate_extra, model, extra, extra_folder, experiment)
            outcomes.append(_stage(status, cell.id, eval_stage(extra), evaluate, log))
        ran += any(outcome != Status.SKIPPED for outcome in outcomes)
        if archive is not None:
            archive_grid(out, archive)


def run_experiment(
    config_path: str | Path,
    out: str | Path,
    report_only: bool = False,
    reuse: Sequence[str | Path] = (),
    archive: str | Path | None = None,
) -> Path:
    """Run (or resume) the grid of an experiment file, then write summary.json, report.md, figures.

    With ``report_only`` nothing is trained or evaluated: the outputs are rebuilt from the cells
    that have finished. ``reuse``: grid folders whose finished cells and baselines with the same
    settings are taken instead of run again. ``archive``: a folder kept up to date with the grid's small
    outputs (after every cell and at the end), to commit; copied back to ``out`` on another
    machine, it lets the grid continue there. Returns the path of report.md.
    """
    experiment = read_experiment(config_path)
    out = Path(out)
    for folder in reuse:
        if not (Path(folder) / "cells").is_dir():
            raise UserError(f"--reuse {folder}: no grid there (no cells/ folder); name an experiment's --out")
    archive_path = Path(archive) if archive is not None else None
    if not report_only:
        run_grid(experiment, out, reuse=[Path(r) for r in reuse], archive=archive_path)
    elif not out.is_dir():
        raise UserError(f"{out} holds no experiment: run it first without --report-only")
    report = write_outputs(experiment, out)
    if archive_path is not None:
        archive_grid(out, archive_path)
    return report
