"""Per-query values of an evaluation, and each query's share of a macro-averaged metric.

The headline metrics are macro averages (over query languages, and for cross-lingual over
target languages first), so a plain mean of per-query values would weight languages unlike the
reported number. Each (question, setting, target) record therefore gets the weight it has in
the macro average, and a query's *contribution* is the weighted sum of its records: the
contributions of all queries sum to the metric exactly, and the paired test compares systems
on those contributions, one unit per query (question id in one language).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridir.core.files import read_text
from hybridir.evaluation.catalogue import METRICS, Metric

FIELDS = tuple(dict.fromkeys(metric.field for metric in METRICS))  # per_query.jsonl value fields


def metric_value(
    metrics: Mapping[str, Any], spec: Metric, languages: Iterable[str] | None = None
) -> float | None:
    """A metric from metrics.json, as the unweighted mean of its per-language values.

    Over all languages this is the reported headline number; ``languages`` restricts the mean
    to a subset of query languages (seen / unseen, or one starved language).
    """
    by_language = spec.per_language(metrics)
    chosen = by_language if languages is None else [lang for lang in languages if lang in by_language]
    values = [by_language[lang] for lang in chosen]
    return float(np.mean(values)) if values else None


@dataclass
class QueryTable:
    """An evaluation's per_query.jsonl as aligned arrays, sorted by (setting, language, qid, target)."""

    setting: np.ndarray
    language: np.ndarray
    qid: np.ndarray
    target: np.ndarray  # "" for the multilingual pool
    values: dict[str, np.ndarray]  # field -> float array, NaN where the record has no value

    def __len__(self) -> int:
        return self.setting.size

    def same_records(self, other: QueryTable) -> bool:
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("setting", "language", "qid", "target")
        )

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> QueryTable:
        rows = sorted(
            (
                str(r["setting"]),
                str(r["language"]),
                str(r["qid"]),
                str(r.get("target_language") or ""),
                *(np.nan if r.get(name) is None else float(r[name]) for name in FIELDS),
            )
            for r in records
        )
        columns = list(zip(*rows, strict=True)) if rows else [()] * (4 + len(FIELDS))
        keys = [np.array(column, dtype=str) for column in columns[:4]]
        values = {name: np.array(columns[4 + i], dtype=np.float64) for i, name in enumerate(FIELDS)}
        return cls(*keys, values=values)

    @classmethod
    def read(cls, path: Path) -> QueryTable:
        """Read per_query.jsonl, or its gzipped copy in a grid archive."""
        return cls.from_records(json.loads(line) for line in read_text(path).splitlines() if line.strip())


def mean_table(tables: Sequence[QueryTable]) -> QueryTable:
    """Per-record mean over runs of the same evaluation (e.g. seeds); records must match."""
    first = tables[0]
    if not all(first.same_records(t) for t in tables[1:]):
        raise ValueError("per-query files of one group hold different records: were they evaluated alike?")
    values = {name: np.mean([t.values[name] for t in tables], axis=0) for name in FIELDS}
    return QueryTable(first.setting, first.language, first.qid, first.target, values)


@dataclass(frozen=True)
class Contributions:
    """Which records feed a metric, their macro-average weights, and the query each belongs to."""

    records: np.ndarray
    units: np.ndarray  # query index per chosen record, into ``unit_names``
    weights: np.ndarray
    unit_names: np.ndarray

    def per_query(self, values: np.ndarray) -> np.ndarray:
        """Each query's contribution; they sum to the metric computed from ``values``."""
        return np.bincount(
            self.units, weights=self.weights * values[self.records], minlength=self.unit_names.size
        )


def contributions(table: QueryTable, spec: Metric, languages: Iterable[str] | None = None) -> Contributions:
    """Macro-average weights of ``spec``'s records, restricted to query ``languages`` when given.

    Weight of a record of query language x and target y: 1 / (|X| * |Y_x| * n_xy), with X the
    query languages, Y_x the targets scored for x, and n_xy the scored queries of (x, y).
    """
    mask = (table.setting == spec.setting) & ~np.isnan(table.values[spec.field])
    if languages is not None:
        mask &= np.isin(table.language, list(languages))
    records = np.flatnonzero(mask)
    language, target = table.language[records], table.target[records]
    pairs, pair_index, pair_count = np.unique(
        np.char.add(np.char.add(language, "\t"), target), return_inverse=True, return_counts=True
    )
    pair_language = np.array([p.split("\t")[0] for p in pairs], dtype=str)
    query_languages, targets_per_language = np.unique(pair_language, return_counts=True)
    targets = dict(zip(query_languages.tolist(), targets_per_language.tolist(), strict=True))
    per_pair = np.array([targets[lang] for lang in pair_language], dtype=np.float64) * pair_count
    weights = 1.0 / (max(1, query_languages.size) * per_pair[pair_index])
    unit_names, units = np.unique(
        np.char.add(np.char.add(language, "\t"), table.qid[records]), return_inverse=True
    )
    return Contributions(records, units, weights, unit_names)
