"""Does a grid's validation criterion predict its test? Read from an experiment archive, no model.

The recipe rule (configs/recipes/README.md) picks on validation retrieval: the mean of mono-,
cross- and multilingual mAP on the training benchmark's held-out articles, at each WiSE-FT
cell's chosen ratio (``wise-ft/interpolation.json``). This script puts that next to the test
(the same mean on the cell's test benchmark, ``eval-<test>/metrics.json``) for every WiSE-FT
cell of each direction:

- **levels**: Spearman correlation, over all cells, of each validation mAP with the same test
  mAP (and of the criterion with the test mean);
- **paired**: each variant minus ``--base`` on the same seed, validation against test, how often
  the two differences have the same sign, and their Spearman correlation. The rule uses these.

It describes the criterion after the fact; it chooses nothing. Usage::

    python benchmarks/validation_agreement.py docs/results/recipe [--base steps240-wise-ft] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scipy.stats import spearmanr

SETTINGS = ("monolingual", "crosslingual", "multilingual")


def wise_ft_cells(archive: Path) -> dict[str, dict[tuple[str, int], dict]]:
    """Per direction, ``(variant, seed)`` -> validation and test mAPs of each evaluated WiSE-FT cell."""
    found: dict[str, dict[tuple[str, int], dict]] = {}
    for interpolation in sorted(archive.glob("cells/*/wise-ft/interpolation.json")):
        cell = interpolation.parent.parent
        direction, variant, _arm, seed = cell.name.split("__")
        test = direction.split("-to-")[1]
        metrics_path = cell / f"eval-{test}" / "metrics.json"
        if not metrics_path.is_file():
            continue
        chosen = json.loads(interpolation.read_text())
        at_ratio = next(row for row in chosen["ratios"] if row["ratio"] == chosen["ratio"])
        metrics = json.loads(metrics_path.read_text())
        values = {"validation": {s: at_ratio[f"{s}_map"] for s in SETTINGS}}
        values["test"] = {s: metrics[s]["map"] for s in SETTINGS}
        for split in ("validation", "test"):
            values[split]["mean"] = sum(values[split][s] for s in SETTINGS) / len(SETTINGS)
        found.setdefault(direction, {})[(variant, int(seed.removeprefix("seed")))] = values
    return found


def agreement(cells: dict[tuple[str, int], dict], base: str) -> dict:
    """Level correlations over all cells, and paired differences to ``base`` on the same seed."""
    levels = {
        key: float(
            spearmanr(
                [c["validation"][key] for c in cells.values()], [c["test"][key] for c in cells.values()]
            )[0]
        )
        for key in (*SETTINGS, "mean")
    }
    pairs = []
    for (variant, seed), values in sorted(cells.items()):
        reference = cells.get((base, seed))
        if variant == base or reference is None:
            continue
        pairs.append(
            {
                "variant": variant,
                "seed": seed,
                "validation": values["validation"]["mean"] - reference["validation"]["mean"],
                "test": values["test"]["mean"] - reference["test"]["mean"],
            }
        )
    same_sign = sum((p["validation"] > 0) == (p["test"] > 0) for p in pairs)
    paired_rho = (
        float(spearmanr([p["validation"] for p in pairs], [p["test"] for p in pairs])[0])
        if len(pairs) > 2
        else None
    )
    return {
        "cells": len(cells),
        "levels": levels,
        "pairs": pairs,
        "same_sign": same_sign,
        "paired_spearman": paired_rho,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="an experiment archive (holds cells/)")
    parser.add_argument(
        "--base", default="steps240-wise-ft", help="the variant the paired differences are to"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (args.archive / "cells").is_dir():
        raise SystemExit(f"error: {args.archive} holds no cells/ folder; name an experiment archive")
    report = {
        direction: agreement(cells, args.base) for direction, cells in wise_ft_cells(args.archive).items()
    }
    for direction, result in report.items():
        levels = ", ".join(f"{key} {rho:+.2f}" for key, rho in result["levels"].items())
        print(f"## {direction}: {result['cells']} WiSE-FT cells\n")
        print(f"Spearman, validation against test: {levels}\n")
        print(f"| variant | seed | validation - {args.base} | test - {args.base} |\n|---|---|---|---|")
        for pair in result["pairs"]:
            print(f"| {pair['variant']} | {pair['seed']} | {pair['validation']:+.4f} | {pair['test']:+.4f} |")
        rho = result["paired_spearman"]
        print(
            f"\nSame sign in {result['same_sign']} of {len(result['pairs'])} pairs; "
            f"Spearman of the differences {'n/a' if rho is None else f'{rho:+.2f}'}\n"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
