"""summary.json and report.md of a grid: tables with seed spread and significance marks, figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hybridir.core.files import atomic_write, write_json
from hybridir.evaluation.catalogue import MAP_METRICS, METRICS, Metric
from hybridir.experiments.aggregate import summarize
from hybridir.experiments.archive import FIGURES
from hybridir.experiments.config import ExperimentConfig
from hybridir.experiments.extra_tests import extra_test_tables, extra_zero_shot_table
from hybridir.experiments.figures import write_figures
from hybridir.experiments.records import BASELINE, DeltaRow, PairedTest, Stats
from hybridir.experiments.status import EVAL, MERGE, TRAIN
from hybridir.experiments.summary import Summary

MARK = "†"


def _number(value: float | None, metric: Metric) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{metric.digits}f}"


def _cell(stats: Stats, test: PairedTest | None, metric: Metric) -> str:
    text = _number(stats.mean, metric)
    if stats.std is not None:
        text += f" ± {_number(stats.std, metric)}"
    if test and test.significant:
        text += f" {MARK}"
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in rows
    ]


def _main_tables(summary: Summary, reference: str, recipes: Sequence[str] = ()) -> list[str]:
    """One table per (direction, variant, subset); a variant is named as data, or as its recipe."""
    lines: list[str] = []
    header = ["model", "seeds", *(spec.label for spec in METRICS)]
    blocks = list(dict.fromkeys((r.direction, r.variant, r.subset) for r in summary.rows))
    for direction, variant, subset in blocks:
        rows = [r for r in summary.rows if (r.direction, r.variant, r.subset) == (direction, variant, subset)]
        languages = rows[0].languages
        scope = (
            "all query languages"
            if languages is None
            else f"{subset} query languages ({' '.join(languages)})"
        )
        named = f"recipe {variant}" if variant in recipes else f"{variant} data"
        lines += ["", f"### {direction}, {named}: {scope}", ""]
        body = []
        for row in rows:
            name = f"{row.model} (zero-shot)" if row.kind == BASELINE else row.model
            if row.model == reference:
                name = f"**{name}** (reference)"
            cells = [_cell(row.metrics[metric], row.tests.get(metric), metric) for metric in METRICS]
            body.append([name, str(len(row.seeds)) if row.seeds else "-", *cells])
        lines += _table(header, body)
    return lines


def _imbalance_table(summary: Summary, fractions: dict[str, float]) -> list[str]:
    if not summary.imbalance:
        return []
    starved = ", ".join(f"{lang} at {fraction:g}" for lang, fraction in sorted(fractions.items()))
    lines = [
        "",
        "## Language imbalance",
        "",
        f"Starved training languages: {starved} of their examples. Each value: the full-data run's "
        "mean, then starved minus full (mean ± std over paired seeds); the test is the same paired "
        f"test, starved vs full, over that language's queries ({MARK}: Holm-adjusted, per direction).",
    ]
    return [*lines, "", *_delta_table(summary.imbalance)]


def _sources_table(summary: Summary, sources: list) -> list[str]:
    if not summary.added_sources:
        return []
    added = ", ".join(f"`{item}`" for item in sources)
    lines = [
        "",
        "## Added training sources",
        "",
        f"The sources variant trains on the direction's data plus {added}, with the same steps and "
        "batch size. Each value: the full-data run's mean, then sources minus full (mean ± std over "
        f"paired seeds); the test is the same paired test over all queries ({MARK}: Holm-adjusted).",
    ]
    return [*lines, "", *_delta_table(summary.added_sources)]


def _recipes_table(summary: Summary, experiment: ExperimentConfig) -> list[str]:
    if not summary.recipes:
        return []
    lines = ["", "## Recipe pieces", ""]
    for recipe in experiment.recipes:
        if recipe.trains:
            changes = ", ".join(f"{key}={value}" for key, value in recipe.train.items())
            data = f"the {recipe.data} data"
            if recipe.sources:
                data = "the direction's data plus " + ", ".join(f"`{item}`" for item in recipe.sources)
            lines.append(f"- **{recipe.name}**: {data}, trained with {changes}; compared with {recipe.base}.")
        else:
            ratios = ", ".join(f"{r:g}" for r in recipe.ratios)
            lines.append(
                f"- **{recipe.name}**: WiSE-FT of {recipe.wise_ft_of}'s models with the zero-shot model, the "
                f"ratio (of {ratios}) chosen on the training's validation split by the {recipe.criterion} "
                f"criterion, never on a test set; compared with {recipe.base}."
            )
    lines += [
        "",
        "Each value: the base variant's mean, then recipe minus base (mean ± std over paired seeds); "
        f"the test is the same paired test over all queries ({MARK}: Holm-adjusted over every recipe, "
        "arm and metric of a direction).",
        "",
        *_delta_table(summary.recipes, by_variant=True),
    ]
    if summary.wise_ft_ratios:
        lines += ["", "Ratios chosen on validation (1 = the fine-tuned model):", ""]
        body = [
            [
                r.direction,
                r.variant,
                r.model,
                str(r.seed),
                f"{r.ratio:g}",
                f"{r.value:.4f}",
                f"{r.fine_tuned_value:.4f}",
            ]
            for r in summary.wise_ft_ratios
        ]
        header = ["direction", "recipe", "model", "seed", "ratio", "criterion there", "criterion at 1"]
        lines += _table(header, body)
    return lines


def _delta_table(rows: list[DeltaRow], by_variant: bool = False) -> list[str]:
    """Rows of deltas; ``by_variant``: one line per (variant, base) too, as for recipes."""
    base = "base" if by_variant else "full"
    header = [
        "direction",
        *(["variant", "base"] if by_variant else []),
        "model",
        "query languages",
        *(f"{metric.label}: {base}, Δ" for metric in MAP_METRICS),
    ]
    body = []
    keys = list(dict.fromkeys((r.direction, r.variant, r.base, r.model, r.languages) for r in rows))
    for key in keys:
        direction, variant, base_variant, model, languages = key
        cells = []
        for metric in MAP_METRICS:
            row = next(
                r
                for r in rows
                if (r.direction, r.variant, r.base, r.model, r.languages, r.metric) == (*key, metric)
            )
            delta = "n/a" if row.delta_mean is None else f"{row.delta_mean:+.3f}"
            if row.delta_std is not None:
                delta += f" ± {row.delta_std:.3f}"
            if row.test.significant:
                delta += f" {MARK}"
            cells.append(f"{_number(row.full, metric)}, {delta}")
        body.append([direction, *([variant, base_variant] if by_variant else []), model, languages, *cells])
    return _table(header, body)


def _zero_shot_table(summary: Summary) -> list[str]:
    if not summary.zero_shot:
        return []
    return [
        "",
        "## Against the zero-shot model",
        "",
        "Each value: the untrained model's, then the trained group minus it (mean ± std over the "
        f"group's seeds); the same paired test over all queries ({MARK}: Holm-adjusted over every "
        "variant, arm and metric of a direction). A recipe is better than zero-shot on every setting "
        "when all three differences are positive and marked.",
        "",
        *_delta_table(summary.zero_shot, by_variant=True),
    ]


def _data_lines(summary: Summary) -> list[str]:
    if not summary.data:
        return []
    lines = ["", "## Training data", ""]
    body = [
        [
            m["benchmark"],
            m["variant"],
            str(m["examples"]),
            " ".join(f"{lang}:{m['counts'].get(lang, 0)}/{n}" for lang, n in m["full_counts"].items()),
        ]
        for m in summary.data
    ]
    return lines + _table(["benchmark", "variant", "examples", "examples per language (kept/full)"], body)


def _cost_lines(summary: Summary) -> list[str]:
    cost = summary.cost
    lines = ["", "## Cost (measured, from cells.jsonl)", ""]
    for stage, entry in ((TRAIN, cost.train), (MERGE, cost.merge), (EVAL, cost.eval)):
        if entry.cells:
            hours = entry.total_s / 3600
            lines.append(
                f"- {stage}: {entry.mean_s:.0f} s per cell (cells: {entry.cells}), {hours:.2f} h in all"
            )
    if cost.baselines_total_s:
        lines.append(f"- zero-shot baselines: {cost.baselines_total_s / 60:.1f} min in all")
    if cost.total_s:
        lines.append(f"- every stage together: {cost.total_s / 3600:.2f} h")
    return lines if len(lines) > 3 else []


def render_report(summary: Summary, experiment: ExperimentConfig) -> str:
    """report.md: settings, progress, tables with significance marks, imbalance, data, cost, figures."""
    train = experiment.train
    options, significance = experiment.eval, experiment.significance
    progress = summary.progress
    sample = (
        "the whole test benchmark"
        if options.sample_fraction >= 1.0
        else f"a seeded sample of {options.sample_fraction:g} of the test benchmark's paragraph groups "
        f"(seed {options.sample_seed}; a paragraph with its translations is kept or dropped whole), the same "
        "for every model: values are comparable within this report, not with full-benchmark numbers"
    )
    lines = [
        f"# Experiment: {experiment.name}",
        "",
        f"- Cells: {progress.finished} of {progress.cells} evaluated"
        + (f"; missing: {', '.join(progress.missing)}" if progress.missing else ""),
        f"- Arms: {', '.join(arm.label for arm in experiment.arms)}; "
        f"seeds: {', '.join(map(str, experiment.seeds))}; "
        f"directions: {', '.join(d.label for d in experiment.directions)}",
        f"- Training (shared by every cell): {', '.join(f'{k}={v}' for k, v in sorted(train.items()))}",
        f"- Evaluation: context={options.context}, languages={options.languages or 'all'}, on {sample}.",
        f"- Values: mean ± sample std over seeds. {MARK}: differs from the reference arm "
        f"**{experiment.reference}** by a two-sided paired sign-flip randomization test over queries "
        f"({significance.permutations} permutations, seed {significance.seed}; per-query values averaged "
        f"over seeds, each query weighted as in the macro average), Holm-adjusted p < {significance.level:g} "
        "within each table (all arms x metrics). Zero-shot rows are not tested.",
    ]
    lines += [
        "",
        "## Results",
        *_main_tables(summary, experiment.reference, [r.name for r in experiment.recipes]),
    ]
    if summary.extra_tests:
        lines += ["", "## Other test benchmarks", ""]
        lines.append(
            "Whole benchmarks, all their languages; the same seeds, reference arm and paired test "
            "(over questions, or Tatoeba sentences per direction), Holm-adjusted within each table."
        )
        lines += extra_test_tables(summary.extra_tests, experiment.reference, MARK)
        against = extra_zero_shot_table(summary.extra_tests, MARK)
        if against:
            lines += [
                "",
                "### Other test benchmarks against the zero-shot model",
                "",
                f"The same paired test against the untrained model ({MARK}: Holm-adjusted over every "
                "variant, arm, benchmark and metric of a direction).",
                "",
                *against,
            ]
    lines += _imbalance_table(summary, experiment.train_fraction_by_language)
    lines += _sources_table(summary, experiment.extra_sources)
    lines += _recipes_table(summary, experiment)
    lines += _zero_shot_table(summary)
    lines += _data_lines(summary)
    lines += _cost_lines(summary)
    if summary.figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in summary.figures]
    return "\n".join(lines) + "\n"


def write_outputs(experiment: ExperimentConfig, out: Path) -> Path:
    """Write summary.json, figures/ and report.md for what has finished in ``out``; return report.md."""
    summary = summarize(experiment, out)
    drawn = summary.rows or summary.extra_tests
    figures = write_figures(summary, out / FIGURES, experiment.reference) if drawn else []
    summary = replace(summary, figures=[str(path.relative_to(out)) for path in figures])
    write_json(out / "summary.json", summary.to_json())
    report = out / "report.md"
    atomic_write(report, render_report(summary, experiment))
    return report
