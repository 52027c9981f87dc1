"""LAReQA evaluation (XQuAD-R, MLQA-R): monolingual, cross-lingual, multilingual mAP and language bias.

For each block of queries the scorer gives one score block over all candidates; every pool
(the candidates of one language, or all of them) is a set of columns of that block, so one
per-language sort of the block yields the ranks in all pools. Aggregation follows
``docs/protocol.md``: a setting's score is the mean over its queries, and the reported figure is
the unweighted mean over query languages (for cross-lingual, over target languages first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from hybridir.data.lareqa import LareqaBenchmark
from hybridir.encoding.base import Scorer
from hybridir.errors import UserError
from hybridir.evaluation.metrics import (
    Columns,
    average_precision,
    count_at_or_above,
    pool_ranks,
    rank_distance,
    recall_at_k,
)

MULTILINGUAL_K = 10  # R@10 for the multilingual pool, R@1 for single-language pools


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _drop_none(mapping: dict[str, float | None]) -> dict[str, float]:
    return {key: value for key, value in mapping.items() if value is not None}


@dataclass
class LareqaResult:
    """Per-query values of one evaluation; ``to_metrics_dict`` aggregates them per method.md.

    ``pool_ap[i, y]`` / ``pool_recall1[i, y]`` rank question ``i`` against the candidates of
    language ``y`` (monolingual when ``y`` is the question's language, else cross-lingual);
    NaN marks a question with no answer in that language, which is skipped, not scored 0.
    """

    benchmark: LareqaBenchmark
    pool_ap: np.ndarray
    pool_recall1: np.ndarray
    multi_ap: np.ndarray
    multi_recall: np.ndarray
    multi_rank_distance: np.ndarray
    score_s: float  # seconds spent in the scorer's score_block
    metric_s: float  # seconds spent ranking and computing metrics

    def _setting_mean(self, values: np.ndarray, language: int) -> float | None:
        """Mean of ``values`` over the questions of ``language`` that were scored."""
        chosen = values[self.benchmark.question_language == language]
        chosen = chosen[~np.isnan(chosen)]
        return float(chosen.mean()) if chosen.size else None

    def _monolingual(self, values: np.ndarray) -> dict[str, float]:
        langs = self.benchmark.languages
        return _drop_none({x: self._setting_mean(values[:, i], i) for i, x in enumerate(langs)})

    def _by_pair(self, values: np.ndarray) -> dict[str, dict[str, float]]:
        langs = self.benchmark.languages
        pairs = {
            x: _drop_none({y: self._setting_mean(values[:, j], i) for j, y in enumerate(langs) if j != i})
            for i, x in enumerate(langs)
        }
        return {x: row for x, row in pairs.items() if row}

    def _per_language(self, values: np.ndarray) -> dict[str, float]:
        langs = self.benchmark.languages
        return _drop_none({x: self._setting_mean(values, i) for i, x in enumerate(langs)})

    def to_metrics_dict(self) -> dict[str, Any]:
        """Aggregates: per setting the mean over queries, then unweighted means over languages."""
        mono_map, mono_r1 = self._monolingual(self.pool_ap), self._monolingual(self.pool_recall1)
        pair_map, pair_r1 = self._by_pair(self.pool_ap), self._by_pair(self.pool_recall1)
        cross_map = {x: float(np.mean(list(row.values()))) for x, row in pair_map.items()}
        cross_r1 = {x: float(np.mean(list(row.values()))) for x, row in pair_r1.items()}
        multi_map, multi_r = self._per_language(self.multi_ap), self._per_language(self.multi_recall)
        bias = self._per_language(self.multi_rank_distance)
        own = self.benchmark.question_language[:, None] == np.arange(len(self.benchmark.languages))[None, :]
        recall_key = f"recall@{MULTILINGUAL_K}"
        return {
            "monolingual": {
                "map": _mean(list(mono_map.values())),
                "recall@1": _mean(list(mono_r1.values())),
                "by_language": mono_map,
                "recall@1_by_language": mono_r1,
            },
            "crosslingual": {
                "map": _mean(list(cross_map.values())),
                "recall@1": _mean(list(cross_r1.values())),
                "by_language": cross_map,
                "recall@1_by_language": cross_r1,
                "by_pair": pair_map,
                "skipped": int((np.isnan(self.pool_ap) & ~own).sum()),
            },
            "multilingual": {
                "map": _mean(list(multi_map.values())),
                recall_key: _mean(list(multi_r.values())),
                "by_language": multi_map,
                f"{recall_key}_by_language": multi_r,
            },
            "language_bias": {"rank_distance": _mean(list(bias.values())), "by_language": bias},
        }

    @cached_property
    def per_query(self) -> list[dict[str, Any]]:
        """One record per scored (question, setting, target language); skipped pairs are absent."""
        langs = self.benchmark.languages
        records: list[dict[str, Any]] = []
        for i, question in enumerate(self.benchmark.questions):
            base = {"question": i, "qid": question.qid, "language": question.language}
            own = int(self.benchmark.question_language[i])
            for j, target in enumerate(langs):
                if np.isnan(self.pool_ap[i, j]):
                    continue
                setting = "monolingual" if j == own else "crosslingual"
                records.append(
                    {
                        **base,
                        "setting": setting,
                        "target_language": target,
                        "ap": float(self.pool_ap[i, j]),
                        "k": 1,
                        "recall_at_k": float(self.pool_recall1[i, j]),
                        "rank_distance": None,
                    }
                )
            if not np.isnan(self.multi_ap[i]):
                records.append(
                    {
                        **base,
                        "setting": "multilingual",
                        "target_language": None,
                        "ap": float(self.multi_ap[i]),
                        "k": MULTILINGUAL_K,
                        "recall_at_k": float(self.multi_recall[i]),
                        "rank_distance": float(self.multi_rank_distance[i]),
                    }
                )
        return records


def _language_segments(codes: np.ndarray, n_languages: int) -> list[Columns]:
    """Columns of each language's candidates: a slice when contiguous (no copy), else indices."""
    segments: list[Columns] = []
    for code in range(n_languages):
        columns = np.flatnonzero(codes == code)
        contiguous = columns.size and columns[-1] - columns[0] + 1 == columns.size
        segments.append(slice(int(columns[0]), int(columns[-1]) + 1) if contiguous else columns)
    return segments


def _padded_relevant(relevant: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Relevant candidate indices as a 0-padded ``(n_questions, max_relevant)`` array and its mask."""
    unique = [np.unique(np.asarray(r, dtype=np.int64)) for r in relevant]
    width = max((r.size for r in unique), default=0) or 1
    indices = np.zeros((len(unique), width), dtype=np.int64)
    valid = np.zeros((len(unique), width), dtype=bool)
    for i, r in enumerate(unique):
        indices[i, : r.size] = r
        valid[i, : r.size] = True
    return indices, valid


def evaluate_lareqa(
    benchmark: LareqaBenchmark, scorer: Scorer, block_size: int = 256, show_progress: bool = True
) -> LareqaResult:
    """Score every question against every pool of a LAReQA benchmark with a prepared ``scorer``.

    Memory is bounded by one ``block_size x n_candidates`` float32 score block (plus its sort).
    """
    if block_size < 1:
        raise ValueError(f"block_size must be positive, got {block_size}")
    n_questions, n_candidates = len(benchmark.questions), len(benchmark.candidates)
    n_languages = len(benchmark.languages)
    segments = _language_segments(benchmark.candidate_language, n_languages)
    rel_index, rel_valid = _padded_relevant(benchmark.relevant)
    rel_language = benchmark.candidate_language[rel_index]
    n_relevant = rel_valid.sum(axis=1)

    pool_ap = np.full((n_questions, n_languages), np.nan)
    pool_recall1 = np.full((n_questions, n_languages), np.nan)
    multi_ap, multi_recall, multi_distance = (np.full(n_questions, np.nan) for _ in range(3))
    score_s = metric_s = 0.0
    starts = range(0, n_questions, block_size)
    for start in tqdm(starts, desc=f"scoring {benchmark.name}", unit="block", disable=not show_progress):
        stop = min(start + block_size, n_questions)
        began = time.perf_counter()
        scores = np.asarray(scorer.score_block(start, stop), dtype=np.float32)
        scored = time.perf_counter()
        score_s += scored - began
        if scores.shape != (stop - start, n_candidates):
            raise ValueError(
                f"{scorer.name}.score_block({start}, {stop}) gave shape {scores.shape}, "
                f"expected {(stop - start, n_candidates)}"
            )
        if not np.isfinite(scores).all():
            raise UserError(
                f"model {scorer.name} gave NaN or infinite scores for questions {start}:{stop}: "
                "check its weights and dtype (e.g. fp16 overflow)"
            )
        valid, languages = rel_valid[start:stop], rel_language[start:stop]
        thresholds = np.take_along_axis(scores, rel_index[start:stop], axis=1)
        counts = count_at_or_above(scores, thresholds, segments)

        ranks = pool_ranks(thresholds, valid, counts.sum(axis=2))
        multi_ap[start:stop] = average_precision(ranks)
        multi_recall[start:stop] = recall_at_k(ranks, n_relevant[start:stop], MULTILINGUAL_K)
        multi_distance[start:stop] = rank_distance(ranks)
        for code in range(n_languages):
            in_pool = valid & (languages == code)
            ranks = pool_ranks(thresholds, in_pool, counts[:, :, code])
            pool_ap[start:stop, code] = average_precision(ranks)
            pool_recall1[start:stop, code] = recall_at_k(ranks, in_pool.sum(axis=1), 1)
        metric_s += time.perf_counter() - scored
    return LareqaResult(
        benchmark, pool_ap, pool_recall1, multi_ap, multi_recall, multi_distance, score_s, metric_s
    )
