"""The grid's figures (matplotlib, Agg backend, no global pyplot state):

- the alpha curve: mono / cross / multi mAP and rank distance against alpha, with seed spread;
- per-language bars per model; cross-lingual mAP heatmaps side by side, and each arm's
  difference from the reference arm;
- rank-distance distributions (per-query values, averaged over seeds);
- with a starved data variant: each arm's change, starved minus full, per starved language;
- with extra test benchmarks (CMRC 2018, ARCD, Tatoeba): their headline metrics per model.

Each figure is drawn per (direction, data variant), the imbalance figure per direction; the
function returns the files written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hybridir.core.files import atomic_open
from hybridir.evaluation.catalogue import MAP_METRICS, RANK_DISTANCE
from hybridir.experiments.extra_tests import ExtraRow
from hybridir.experiments.records import ALL, ARM, CrossMatrix
from hybridir.experiments.summary import Summary
from hybridir.sampling.kinds import Strategy


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format=path.suffix.lstrip("."), dpi=120, bbox_inches="tight")
    return path


def _matrix(entry: CrossMatrix) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in entry.map])


def _panels(summary: Summary) -> list[tuple[str, str]]:
    """The (direction, variant) pairs that have rows, in table order."""
    return list(dict.fromkeys((row.direction, row.variant) for row in summary.rows))


def alpha_curve(summary: Summary, direction: str, variant: str, path: Path) -> Path | None:
    """mAP (three settings) and rank distance against alpha, mean ± std over seeds, seeds as dots."""
    rows = [
        r
        for r in summary.rows
        if (r.direction, r.variant, r.subset) == (direction, variant, ALL) and r.sampling == Strategy.HYBRID
    ]
    rows.sort(key=lambda r: r.alpha)
    if len({r.alpha for r in rows}) < 2:
        return None
    alphas = np.array([r.alpha for r in rows])
    figure = Figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    for axis, metrics in ((left, MAP_METRICS), (right, (RANK_DISTANCE,))):
        for metric in metrics:
            stats = [r.metrics[metric] for r in rows]
            means = np.array([np.nan if s.mean is None else s.mean for s in stats])
            stds = np.array([0.0 if s.std is None else s.std for s in stats])
            line = axis.errorbar(alphas, means, yerr=stds, marker="o", capsize=3, label=metric.label)
            for alpha, s in zip(alphas, stats, strict=True):
                values = [v for v in s.values if v is not None]
                axis.scatter([alpha] * len(values), values, s=8, alpha=0.4, color=line[0].get_color())
        axis.set_xlabel("alpha (0 = x-y only, 1 = x-x-mono only)")
        axis.set_xticks(alphas)
        axis.grid(alpha=0.3)
    left.set_ylabel("mAP")
    left.legend()
    right.set_ylabel("rank distance (lower is better)")
    figure.suptitle(f"{direction} ({variant}): mean ± std over seeds")
    return _save(figure, path)


def language_bars(summary: Summary, direction: str, variant: str, path: Path) -> Path:
    """Per query language, one bar per model, for the three mAP settings (error bars: seed std)."""
    entries = [e for e in summary.per_language if (e.direction, e.variant) == (direction, variant)]
    models = list(dict.fromkeys(e.model for e in entries))
    figure = Figure(figsize=(max(8, 1.2 * len(entries[0].by_language)), 9))
    axes = figure.subplots(len(MAP_METRICS), 1, sharex=True)
    width = 0.8 / max(1, len(models))
    for axis, metric in zip(axes, MAP_METRICS, strict=True):
        for i, model in enumerate(models):
            entry = next(e for e in entries if e.model == model and e.metric == metric)
            languages = list(entry.by_language)
            means = [entry.by_language[lang].mean or 0.0 for lang in languages]
            stds = [entry.by_language[lang].std for lang in languages]
            spread = [s or 0.0 for s in stds] if any(s is not None for s in stds) else None
            positions = np.arange(len(languages)) + (i - (len(models) - 1) / 2) * width
            axis.bar(positions, means, width, yerr=spread, capsize=2, label=model)
        axis.set_ylabel(metric.label)
        axis.set_xticks(np.arange(len(languages)), languages)
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    figure.suptitle(f"{direction} ({variant}): per query language, mean over seeds")
    return _save(figure, path)


def cross_heatmaps(summary: Summary, direction: str, variant: str, path: Path) -> Path:
    """Query x target cross-lingual mAP per model, side by side on one colour scale."""
    entries = [e for e in summary.cross_pairs if (e.direction, e.variant) == (direction, variant)]
    matrices = [_matrix(e) for e in entries]
    finite = np.concatenate([m[np.isfinite(m)] for m in matrices]) if matrices else np.array([0.0])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    size = len(entries[0].languages)
    figure = Figure(figsize=(0.45 * size * len(entries) + 2, 0.45 * size + 1.5))
    axes = np.atleast_1d(figure.subplots(1, len(entries), squeeze=False)[0])
    image = None
    for axis, entry, matrix in zip(axes, entries, matrices, strict=True):
        image = axis.imshow(matrix, vmin=low, vmax=high, cmap="viridis")
        languages = entry.languages
        axis.set_xticks(range(len(languages)), languages, fontsize="small")
        axis.set_yticks(range(len(languages)), languages, fontsize="small")
        axis.set_title(entry.model, fontsize="small")
        axis.set_xlabel("target")
    axes[0].set_ylabel("query")
    if image is not None:
        figure.colorbar(image, ax=list(axes), shrink=0.8, label="cross-lingual mAP")
    return _save(figure, path)


def cross_delta_heatmaps(
    summary: Summary, direction: str, variant: str, reference: str, path: Path
) -> Path | None:
    """Each trained arm's cross-lingual mAP matrix minus the reference arm's (blue: arm better)."""
    entries = [
        e for e in summary.cross_pairs if (e.direction, e.variant) == (direction, variant) and e.kind == ARM
    ]
    base = next((e for e in entries if e.model == reference), None)
    others = [e for e in entries if e is not base]
    if base is None or not others:
        return None
    deltas = [_matrix(e) - _matrix(base) for e in others]
    finite = np.concatenate([d[np.isfinite(d)] for d in deltas])
    bound = max(float(np.abs(finite).max()) if finite.size else 0.0, 1e-3)
    size = len(base.languages)
    figure = Figure(figsize=(0.45 * size * len(others) + 2, 0.45 * size + 1.5))
    axes = figure.subplots(1, len(others), squeeze=False)[0]
    image = None
    for axis, entry, delta in zip(axes, others, deltas, strict=True):
        image = axis.imshow(delta, vmin=-bound, vmax=bound, cmap="RdBu")
        languages = entry.languages
        axis.set_xticks(range(len(languages)), languages, fontsize="small")
        axis.set_yticks(range(len(languages)), languages, fontsize="small")
        axis.set_title(f"{entry.model} - {reference}", fontsize="small")
        axis.set_xlabel("target")
    axes[0].set_ylabel("query")
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="cross-lingual mAP difference")
    return _save(figure, path)


def rank_distance_boxes(summary: Summary, direction: str, variant: str, path: Path) -> Path:
    """Per-query rank distance (seed-averaged) per model; the mean is marked."""
    items = [(m, v) for (d, var, m), v in summary.rank_distances.items() if (d, var) == (direction, variant)]
    figure = Figure(figsize=(max(6, 1.1 * len(items)), 4))
    axis = figure.subplots()
    axis.boxplot([v for _, v in items], showmeans=True, showfliers=False)
    axis.set_xticks(range(1, len(items) + 1), [m for m, _ in items], rotation=30, ha="right")
    axis.set_yscale("symlog", linthresh=10)  # zero-shot baselines sit orders of magnitude above
    axis.set_ylim(bottom=0)
    axis.set_ylabel("rank distance per query (lower is better, log scale)")
    axis.set_title(f"{direction} ({variant}), multilingual pool\nwhiskers: 1.5 IQR; triangles: mean")
    axis.grid(axis="y", alpha=0.3)
    return _save(figure, path)


def imbalance_deltas(summary: Summary, direction: str, path: Path) -> Path | None:
    """Starved minus full mAP per arm, on each starved query language and the others (*: tested)."""
    rows = [r for r in summary.imbalance if r.direction == direction]
    if not rows:
        return None
    models = list(dict.fromkeys(r.model for r in rows))
    groups = list(dict.fromkeys(r.languages for r in rows))
    figure = Figure(figsize=(max(7, 1.6 * len(groups) * len(models) / 2), 8))
    axes = figure.subplots(len(MAP_METRICS), 1, sharex=True)
    width = 0.8 / len(models)
    for axis, metric in zip(axes, MAP_METRICS, strict=True):
        for i, model in enumerate(models):
            found = {r.languages: r for r in rows if r.model == model and r.metric == metric}
            means = [found[g].delta_mean or 0.0 for g in groups]
            stds = [found[g].delta_std or 0.0 for g in groups]
            positions = np.arange(len(groups)) + (i - (len(models) - 1) / 2) * width
            axis.bar(positions, means, width, yerr=stds, capsize=2, label=model)
            for x, mean, std, group in zip(positions, means, stds, groups, strict=True):
                if found[group].test.significant:
                    side = 1 if mean >= 0 else -1
                    axis.annotate(
                        "*",
                        (x, mean + side * std),
                        xytext=(0, 6 * side),
                        textcoords="offset points",
                        ha="center",
                        va="center",
                    )
        axis.axhline(0.0, color="black", linewidth=0.8)
        axis.set_ylabel(f"Δ {metric.label}")
        axis.grid(axis="y", alpha=0.3)
    axes[-1].set_xticks(np.arange(len(groups)), groups)
    axes[-1].set_xlabel("query languages")
    axes[0].legend(fontsize="small")
    figure.suptitle(f"{direction}: starved minus full data, mean ± std over seeds; *: Holm-adjusted p < 0.05")
    return _save(figure, path)


def extra_test_bars(rows: list[ExtraRow], direction: str, variant: str, path: Path) -> Path | None:
    """One panel per extra test benchmark: its first metric per model, mean ± std over seeds."""
    chosen = [r for r in rows if (r.direction, r.variant) == (direction, variant)]
    benchmarks = list(dict.fromkeys(r.benchmark for r in chosen))
    if not benchmarks:
        return None
    figure = Figure(figsize=(4.0 * len(benchmarks), 3.6))
    for index, benchmark in enumerate(benchmarks):
        axis = figure.add_subplot(1, len(benchmarks), index + 1)
        first = next(r.metric for r in chosen if r.benchmark == benchmark)
        bars = [r for r in chosen if r.benchmark == benchmark and r.metric == first]
        x = np.arange(len(bars))
        errors = [r.stats.std or 0.0 for r in bars]
        colors = ["tab:blue" if r.kind == ARM else "tab:gray" for r in bars]
        axis.bar(x, [r.stats.mean for r in bars], yerr=errors, color=colors, capsize=3)
        names = [r.model + (" *" if r.test and r.test.significant else "") for r in bars]
        axis.set_xticks(x, names, rotation=30)
        axis.set_title(f"{benchmark}: {first.label}", fontsize=9)
        axis.set_ylim(0.0, 1.0)
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(f"{direction} ({variant}): mean ± std over seeds; *: Holm-adjusted p < 0.05 vs reference")
    return _save(figure, path)


def write_figures(summary: Summary, folder: Path, reference: str) -> list[Path]:
    """Draw every figure the summary supports into ``folder``; return their paths.

    ``reference`` is the arm the difference heatmaps subtract. A PNG left in ``folder`` by an
    earlier report (a variant or direction the grid no longer has) is deleted, so the folder
    holds exactly the figures the report lists.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path | None] = []
    for direction, variant in _panels(summary):
        stem = f"{direction}__{variant}"
        written.append(alpha_curve(summary, direction, variant, folder / f"{stem}__alpha.png"))
        written.append(language_bars(summary, direction, variant, folder / f"{stem}__languages.png"))
        written.append(cross_heatmaps(summary, direction, variant, folder / f"{stem}__crosslingual.png"))
        delta_path = folder / f"{stem}__crosslingual_vs_reference.png"
        written.append(cross_delta_heatmaps(summary, direction, variant, reference, delta_path))
        written.append(
            rank_distance_boxes(summary, direction, variant, folder / f"{stem}__rank_distance.png")
        )
    for direction in dict.fromkeys(direction for direction, _ in _panels(summary)):
        written.append(imbalance_deltas(summary, direction, folder / f"{direction}__imbalance.png"))
    for direction, variant in dict.fromkeys((r.direction, r.variant) for r in summary.extra_tests):
        path = folder / f"{direction}__{variant}__extra_tests.png"
        written.append(extra_test_bars(summary.extra_tests, direction, variant, path))
    drawn = [path for path in written if path is not None]
    for stale in sorted(set(folder.glob("*.png")) - set(drawn)):
        stale.unlink()
    return drawn
