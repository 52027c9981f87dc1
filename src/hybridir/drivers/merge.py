"""The merge driver (``hybridir merge``): WiSE-FT at a given ratio, a ratio chosen on validation, or
the average of N checkpoints. Weight arithmetic is in :mod:`hybridir.models.merge`, the choice of
ratio in :mod:`hybridir.evaluation.interpolation`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridir.core.precision import Precision
from hybridir.core.settings import check_settings, coerce_choices, setting
from hybridir.errors import UserError
from hybridir.evaluation.validation import Criterion, run_config


def _zero_shot_of(fine_tuned: str, zero_shot: str | None) -> str:
    """The zero-shot model: as given, else the ``model`` the run folder was trained from."""
    if zero_shot:
        return zero_shot
    if (Path(fine_tuned) / "config.yaml").is_file():
        return run_config(Path(fine_tuned)).model
    raise UserError(
        f"{fine_tuned} is not a run folder with config.yaml: name the zero-shot model it was tuned from",
        settings=("zero_shot",),
    )


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
        raise UserError(f"averaging needs at least two models, got {len(models)}", settings=("average",))
    weights = list(weights) if weights else [1.0 / len(models)] * len(models)
    if len(weights) != len(models) or any(w < 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-6:
        raise UserError(
            f"weights must be {len(models)} non-negative numbers summing to 1, got {weights}",
            settings=("weights",),
        )
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
    precision: Precision | str = Precision.AUTO,
) -> dict[str, Any]:
    """Score the ratios on the run's validation split and write the winner (see :func:`select_ratio`)."""
    from hybridir.evaluation.interpolation import select_ratio

    run = Path(fine_tuned)
    if not (run / "config.yaml").is_file():
        raise UserError(
            f"{fine_tuned} is not a run folder with config.yaml: choosing the ratio uses the run's "
            "validation split, so it needs the run folder `hybridir train` wrote"
        )
    return select_ratio(
        run, ratios, out, zero_shot=zero_shot, criterion=criterion, batch_size=batch_size, precision=precision
    )


@dataclass
class MergeConfig:
    """What ``hybridir merge`` writes: WiSE-FT at ``ratio``, the best of ``ratios``, or an ``average``.

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir merge`` flags are generated from them.
    """

    out: str = setting(help="folder for the merged model (with --ratios: a report too)")
    fine_tuned: str | None = setting(
        None, "the fine-tuned model: a run folder (or a model folder with --ratio)"
    )
    zero_shot: str | None = setting(None, "the zero-shot model (default: the model the run was trained from)")
    ratio: float | None = setting(None, "r in (1 - r) * zero-shot + r * fine-tuned", at_least=0, at_most=1)
    ratios: str | None = setting(None, "candidates, e.g. 0,0.25,0.5,0.75,1: the best on validation wins")
    average: list[str] | None = setting(
        None, "average these models (checkpoints)", several=True, metavar="MODEL"
    )
    weights: str | None = setting(
        None, "with --average: comma-separated weights summing to 1 (default uniform)"
    )
    criterion: Criterion = setting(
        Criterion.MEAN, "with --ratios: validation mAP to maximise (mean = of mono, cross and multi)"
    )
    batch_size: int = setting(64, "texts per encoding batch (with --ratios)", at_least=1)
    precision: Precision = setting(
        Precision.AUTO,
        "with --ratios: encoding precision, as for hybridir eval (auto: mixed where bf16 is native)",
    )

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for settings that cannot work together."""
        check_settings(self)
        modes = [name for name in ("ratio", "ratios", "average") if getattr(self, name) is not None]
        if len(modes) != 1:
            raise UserError(f"give exactly one of --ratio, --ratios or --average, got {len(modes)}")
        if not self.average and not self.fine_tuned:
            raise UserError("--ratio and --ratios need --fine-tuned (the run folder of the fine-tuned model)")

    def weight_list(self) -> list[float] | None:
        """``weights`` as numbers (None: uniform)."""
        try:
            return [float(w) for w in self.weights.split(",")] if self.weights else None
        except ValueError as exc:
            raise UserError(f"--weights must be comma-separated numbers: {exc}") from exc


def run_merge(config: MergeConfig) -> str:
    """Run ``hybridir merge``; return the lines to print."""
    from hybridir.evaluation.interpolation import parse_ratios

    config.validate()
    out = Path(config.out)
    if config.average:
        written = average_models(config.average, out, config.weight_list())
        return f"averaged {len(config.average)} models into {written}"
    assert config.fine_tuned is not None  # validate() checked it
    if config.ratio is not None:
        written = merge_at_ratio(config.fine_tuned, config.ratio, out, config.zero_shot)
        return f"wrote {written} (ratio {config.ratio:g})"
    ratios = parse_ratios(config.ratios or "")
    criterion = str(config.criterion)
    report = choose_ratio(
        config.fine_tuned, ratios, out, config.zero_shot, criterion, config.batch_size, config.precision
    )
    return (
        f"ratio {report['ratio']:g} won on validation ({criterion}); model in {report['model']}\n"
        f"scores: {out / 'interpolation.md'}"
    )
