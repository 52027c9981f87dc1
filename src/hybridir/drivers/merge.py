"""The merge driver (``hybridir merge``): WiSE-FT at a given ratio, a ratio chosen on validation, or
the average of N checkpoints. Weight arithmetic is in :mod:`hybridir.models.merge`, the choice of
ratio in :mod:`hybridir.evaluation.interpolation`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridir.errors import UserError
from hybridir.evaluation.validation import CRITERIA, run_config


def _zero_shot_of(fine_tuned: str, zero_shot: str | None) -> str:
    """The zero-shot model: as given, else the ``model`` the run folder was trained from."""
    if zero_shot:
        return zero_shot
    if (Path(fine_tuned) / "config.yaml").is_file():
        return run_config(Path(fine_tuned)).model
    raise UserError(f"{fine_tuned} is not a run folder with config.yaml: name the --zero-shot model")


def merge_at_ratio(fine_tuned: str, ratio: float, out: Path, zero_shot: str | None = None) -> Path:
    """Write ``(1 - ratio) * zero_shot + ratio * fine_tuned`` to ``out``."""
    from hybridir.models.merge import (
        check_ratio,
        check_same_architecture,
        load_for_merge,
        save_merged,
        wise_ft_state_dict,
    )

    check_ratio(ratio)
    zero_shot = _zero_shot_of(fine_tuned, zero_shot)
    base, base_source = load_for_merge(zero_shot)
    tuned, tuned_source = load_for_merge(fine_tuned)
    check_same_architecture([base, tuned], [zero_shot, fine_tuned])
    state = wise_ft_state_dict(base.state_dict(), tuned.state_dict(), ratio)
    provenance = {
        "method": "wise-ft",
        "zero_shot": zero_shot,
        "zero_shot_source": base_source,
        "fine_tuned": fine_tuned,
        "fine_tuned_source": tuned_source,
        "ratio": ratio,
    }
    return save_merged(tuned, state, out, provenance)


def average_models(models: Sequence[str], out: Path, weights: Sequence[float] | None = None) -> Path:
    """Write the (weighted) mean of ``models`` to ``out``: uniform weights unless given (summing to 1)."""
    from hybridir.models.merge import (
        check_same_architecture,
        load_for_merge,
        save_merged,
        weighted_state_dict,
    )

    if len(models) < 2:
        raise UserError(f"--average needs at least two models, got {len(models)}")
    weights = list(weights) if weights else [1.0 / len(models)] * len(models)
    if len(weights) != len(models) or any(w < 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-6:
        raise UserError(f"--weights must be {len(models)} non-negative numbers summing to 1, got {weights}")
    loaded = [load_for_merge(spec) for spec in models]
    check_same_architecture([model for model, _ in loaded], list(models))
    state = weighted_state_dict([model.state_dict() for model, _ in loaded], weights)
    provenance = {
        "method": "average",
        "models": list(models),
        "sources": [source for _, source in loaded],
        "weights": weights,
    }
    return save_merged(loaded[0][0], state, out, provenance)


def choose_ratio(
    fine_tuned: str,
    ratios: Sequence[float],
    out: Path,
    zero_shot: str | None = None,
    criterion: str = "mean",
    batch_size: int = 64,
) -> dict[str, Any]:
    """Score the ratios on the run's validation split and write the winner (see :func:`select_ratio`)."""
    from hybridir.evaluation.interpolation import select_ratio

    run = Path(fine_tuned)
    if not (run / "config.yaml").is_file():
        raise UserError(
            f"{fine_tuned} is not a run folder with config.yaml: --ratios picks the ratio on the run's "
            "validation split, so it needs the run folder `hybridir train` wrote"
        )
    return select_ratio(run, ratios, out, zero_shot=zero_shot, criterion=criterion, batch_size=batch_size)


def add_merge_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``hybridir merge``."""
    p.add_argument("--out", required=True, help="folder for the merged model (with --ratios: a report too)")
    p.add_argument("--fine-tuned", help="the fine-tuned model: a run folder (or a model folder with --ratio)")
    p.add_argument("--zero-shot", help="the zero-shot model (default: the model the run was trained from)")
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--ratio", type=float, help="r in (1 - r) * zero-shot + r * fine-tuned")
    choice.add_argument("--ratios", help="candidates, e.g. 0,0.25,0.5,0.75,1: the best on validation wins")
    choice.add_argument("--average", nargs="+", metavar="MODEL", help="average these models (checkpoints)")
    p.add_argument("--weights", help="with --average: comma-separated weights summing to 1 (default uniform)")
    p.add_argument(
        "--criterion",
        default="mean",
        choices=CRITERIA,
        help="with --ratios: validation mAP to maximise (mean = of mono, cross and multi)",
    )
    p.add_argument("--batch-size", type=int, default=64)


def merge_from_arguments(args: argparse.Namespace) -> str:
    """Run ``hybridir merge`` from parsed flags; return the lines to print."""
    out = Path(args.out)
    if args.average:
        try:
            weights = [float(w) for w in args.weights.split(",")] if args.weights else None
        except ValueError as exc:
            raise UserError(f"--weights must be comma-separated numbers: {exc}") from exc
        return f"averaged {len(args.average)} models into {average_models(args.average, out, weights)}"
    if not args.fine_tuned:
        raise UserError("--ratio and --ratios need --fine-tuned (the run folder of the fine-tuned model)")
    if args.ratio is not None:
        return (
            f"wrote {merge_at_ratio(args.fine_tuned, args.ratio, out, args.zero_shot)} (ratio {args.ratio:g})"
        )
    from hybridir.evaluation.interpolation import parse_ratios

    ratios = parse_ratios(args.ratios)
    report = choose_ratio(args.fine_tuned, ratios, out, args.zero_shot, args.criterion, args.batch_size)
    return (
        f"ratio {report['ratio']:g} won on validation ({args.criterion}); model in {report['model']}\n"
        f"scores: {out / 'interpolation.md'}"
    )
