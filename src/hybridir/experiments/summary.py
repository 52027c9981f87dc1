"""A grid's summary: every table, figure input and measurement that report.md and summary.json show.

:func:`hybridir.experiments.aggregate.summarize` builds it from the finished cells;
``to_json`` is summary.json, and ``from_json`` reads one back (a file written before a
section existed reads as that section empty). The per-query rank distances behind the
distribution figure stay in memory: the file keeps their quantiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hybridir.experiments.extra_tests import ExtraRow
from hybridir.experiments.records import (
    ChosenRatio,
    Cost,
    CrossMatrix,
    DeltaRow,
    LanguageRow,
    Progress,
    Quantiles,
    TableRow,
)
from hybridir.experiments.subsets import DataManifest

Panel = tuple[str, str, str]  # (direction, variant, model)


@dataclass(frozen=True)
class Summary:
    """Everything report.md, the figures and summary.json show, in summary.json's order."""

    experiment: dict[str, Any]  # the resolved experiment settings (ExperimentConfig.to_dict)
    progress: Progress
    cost: Cost
    data: list[DataManifest] = field(default_factory=list)  # the manifest of each training file
    rows: list[TableRow] = field(default_factory=list)
    per_language: list[LanguageRow] = field(default_factory=list)
    cross_pairs: list[CrossMatrix] = field(default_factory=list)
    imbalance: list[DeltaRow] = field(default_factory=list)  # starved minus full
    extra_tests: list[ExtraRow] = field(default_factory=list)
    added_sources: list[DeltaRow] = field(default_factory=list)  # sources minus full
    recipes: list[DeltaRow] = field(default_factory=list)  # each recipe minus its base
    wise_ft_ratios: list[ChosenRatio] = field(default_factory=list)  # per wise-ft cell
    zero_shot: list[DeltaRow] = field(default_factory=list)  # recipe grids: each group minus untrained
    rank_distance_quantiles: list[Quantiles] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # relative to the grid folder
    # per-query rank distances (seed-averaged) per panel, for the figures; not in summary.json
    rank_distances: dict[Panel, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "progress": self.progress.to_json(),
            "rows": [row.to_json() for row in self.rows],
            "per_language": [row.to_json() for row in self.per_language],
            "cross_pairs": [row.to_json() for row in self.cross_pairs],
            "imbalance": [row.to_json() for row in self.imbalance],
            "extra_tests": [row.to_json() for row in self.extra_tests],
            "added_sources": [row.to_json() for row in self.added_sources],
            **({"recipes": [row.to_json() for row in self.recipes]} if self.recipes else {}),
            **({"wise_ft_ratios": [r.to_json() for r in self.wise_ft_ratios]} if self.wise_ft_ratios else {}),
            **({"zero_shot": [row.to_json() for row in self.zero_shot]} if self.zero_shot else {}),
            "data": self.data,
            "cost": self.cost.to_json(),
            "rank_distance_quantiles": [q.to_json() for q in self.rank_distance_quantiles],
            "figures": self.figures,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        def section(name: str) -> list[Any]:
            return list(data.get(name, []))

        return cls(
            experiment=dict(data["experiment"]),
            progress=Progress.from_json(data["progress"]),
            cost=Cost.from_json(data["cost"]),
            data=section("data"),
            rows=[TableRow.from_json(row) for row in section("rows")],
            per_language=[LanguageRow.from_json(row) for row in section("per_language")],
            cross_pairs=[CrossMatrix.from_json(row) for row in section("cross_pairs")],
            imbalance=[DeltaRow.from_json(row) for row in section("imbalance")],
            extra_tests=[ExtraRow.from_json(row) for row in section("extra_tests")],
            added_sources=[DeltaRow.from_json(row) for row in section("added_sources")],
            recipes=[DeltaRow.from_json(row) for row in section("recipes")],
            wise_ft_ratios=[ChosenRatio.from_json(r) for r in section("wise_ft_ratios")],
            zero_shot=[DeltaRow.from_json(row) for row in section("zero_shot")],
            rank_distance_quantiles=[Quantiles.from_json(q) for q in section("rank_distance_quantiles")],
            figures=section("figures"),
        )
