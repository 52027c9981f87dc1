"""The WiSE-FT ratio, chosen on validation retrieval and never on a test benchmark (``hybridir merge``).

Every ratio's interpolated weights are scored on the run's validation split (see
:mod:`hybridir.evaluation.validation`); the winner maximises the chosen criterion (by default
the mean of mono-, cross- and multilingual mAP), ties going to the smaller ratio (the model
closer to zero-shot). Only the winner is written; every ratio's scores go to
``interpolation.json`` and ``interpolation.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sentence_transformers import SentenceTransformer
from tqdm.auto import tqdm

from hybridir.core.precision import Precision, resolve_precision
from hybridir.core.settings import choice_list
from hybridir.data.lareqa import LareqaBenchmark
from hybridir.encoding.dense import DenseScorer
from hybridir.errors import UserError
from hybridir.evaluation.validation import (
    CRITERIA,
    Criterion,
    parallel_benchmark,
    run_config,
    score_validation,
    validation_split,
)
from hybridir.models.merge import check_ratio, check_same_architecture, load_for_merge, save_merged
from hybridir.models.merge import wise_ft_state_dict as interpolate
from hybridir.models.registry import prompts_for


def parse_ratios(text: str) -> list[float]:
    """``"0,0.25,0.5"`` -> sorted distinct ratios, each in [0, 1]."""
    try:
        ratios = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise UserError(
            f"ratios must be comma-separated numbers, e.g. 0,0.25,0.5,0.75,1: {exc}", settings=("ratios",)
        ) from exc
    if not ratios:
        raise UserError("ratios is empty: give e.g. 0,0.25,0.5,0.75,1", settings=("ratios",))
    return [check_ratio(r) for r in ratios]


def criterion_value(scores: dict[str, Any], criterion: str) -> float:
    """The number a ratio is chosen by: one setting's mAP, or the mean of those the split has."""
    if criterion not in CRITERIA:
        raise UserError(
            f"criterion must be {choice_list(Criterion)}, got {criterion!r}", settings=("criterion",)
        )
    if criterion != "mean":
        value = scores[f"{criterion}_map"]
        if value is None:
            raise UserError(
                f"the validation split has no {criterion} setting: choose another criterion",
                settings=("criterion",),
            )
        return float(value)
    values = [scores[f"{s}_map"] for s in CRITERIA[1:] if scores[f"{s}_map"] is not None]
    return sum(values) / len(values)


def _score(
    model: SentenceTransformer, name: str, benchmark: LareqaBenchmark, batch_size: int, precision: Precision
) -> dict:
    query_prompt, passage_prompt = prompts_for(name, model.prompts)
    scorer = DenseScorer(
        model,
        name=name,
        identity=name,
        query_prompt=query_prompt,
        passage_prompt=passage_prompt,
        batch_size=batch_size,
        show_progress=False,
        precision=resolve_precision(precision, str(model.device)),
    )
    return score_validation(benchmark, scorer)


def select_ratio(
    fine_tuned_run: Path,
    ratios: Sequence[float],
    out: Path,
    zero_shot: str | None = None,
    criterion: str = "mean",
    batch_size: int = 64,
    precision: Precision | str = Precision.AUTO,
) -> dict[str, Any]:
    """Score each ratio on the run's validation split, save the winner to ``out/model``, report all.

    ``precision``: the encoding's, as for ``hybridir eval`` (auto: mixed bf16 where the CPU does
    bf16 natively, about twice as fast; the choice compares ratios, all encoded alike).
    """
    criterion_value({f"{s}_map": 0.0 for s in CRITERIA[1:]}, criterion)  # reject a bad name early
    ratios = [check_ratio(r) for r in ratios]
    config = run_config(fine_tuned_run)
    zero_shot = zero_shot or config.model
    benchmark = parallel_benchmark(validation_split(config))
    base, base_source = load_for_merge(zero_shot)
    tuned, tuned_source = load_for_merge(str(fine_tuned_run))
    check_same_architecture([base, tuned], [zero_shot, str(fine_tuned_run)])
    base_state = {k: v.clone() for k, v in base.state_dict().items()}
    tuned_state = {k: v.clone() for k, v in tuned.state_dict().items()}
    del base
    rows = []
    for ratio in tqdm(ratios, desc="ratios on validation", unit="ratio"):
        tuned.load_state_dict(interpolate(base_state, tuned_state, ratio))
        scores = _score(tuned, zero_shot, benchmark, batch_size, Precision(precision))
        rows.append({"ratio": ratio, **scores, "criterion": criterion_value(scores, criterion)})
    best = max(rows, key=lambda row: (row["criterion"], -row["ratio"]))
    provenance = {
        "method": "wise-ft",
        "zero_shot": zero_shot,
        "zero_shot_source": base_source,
        "fine_tuned": str(fine_tuned_run),
        "fine_tuned_source": tuned_source,
        "ratio": best["ratio"],
        "chosen_on": "validation split of the training data",
    }
    out.mkdir(parents=True, exist_ok=True)
    save_merged(tuned, interpolate(base_state, tuned_state, best["ratio"]), out / "model", provenance)
    report = {
        **provenance,
        "criterion": criterion,
        "precision": resolve_precision(precision, str(tuned.device)).value,
        "validation": {
            "source": config.train,
            "languages": benchmark.languages,
            "validation_fraction": config.validation_fraction,
            "seed": config.seed,
            "context": config.context,
            "questions": len(benchmark.questions),
            "candidates": len(benchmark.candidates),
        },
        "ratios": rows,
        "model": str(out / "model"),
    }
    (out / "interpolation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "interpolation.md").write_text(interpolation_markdown(report), encoding="utf-8")
    return report


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def interpolation_markdown(report: dict[str, Any]) -> str:
    """The ratio table of :func:`select_ratio` with the winner marked."""
    val = report["validation"]
    lines = [
        "# WiSE-FT ratio on validation",
        "",
        f"`(1 - r) * {report['zero_shot']} + r * {report['fine_tuned']}`, chosen by the "
        f"{report['criterion']} criterion on the validation split of `{val['source']}` "
        f"(held-out articles, fraction {val['validation_fraction']}, seed {val['seed']}; "
        f"{val['questions']} questions, "
        f"{val['candidates']} candidates, languages {', '.join(val['languages'])}); no test data was used.",
        "",
        "| ratio | mono mAP | cross mAP | multi mAP | rank distance | criterion | |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report["ratios"]:
        mark = "chosen" if row["ratio"] == report["ratio"] else ""
        lines.append(
            f"| {row['ratio']:g} | {_fmt(row['monolingual_map'])} | {_fmt(row['crosslingual_map'])} "
            f"| {_fmt(row['multilingual_map'])} | {_fmt(row['rank_distance'], 1)} "
            f"| {_fmt(row['criterion'], 4)} | {mark} |"
        )
    return "\n".join(lines) + "\n"
