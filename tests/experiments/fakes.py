"""Synthetic LAReQA evaluations for aggregation tests: real evaluator output on made-up scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question
from hybridir.evaluation.lareqa import evaluate_lareqa
from hybridir.reports.lareqa_report import write_lareqa_outputs
from tests.evaluation.toy import MatrixScorer


def synthetic_benchmark(languages: list[str], n_ids: int, distractors: int = 3) -> LareqaBenchmark:
    """Every id in every language: one answer sentence and ``distractors`` other sentences each."""
    candidates: list[Candidate] = []
    answers: dict[str, list[int]] = {}
    for lang in languages:
        for i in range(n_ids):
            answers.setdefault(f"q{i}", []).append(len(candidates))
            candidates.extend(
                Candidate(lang, f"{lang} {i} {j}", "ctx", f"t{i}", i) for j in range(distractors + 1)
            )
    questions = [Question(f"q{i}", lang, f"question {i} {lang}") for lang in languages for i in range(n_ids)]
    relevant = [np.array(answers[q.qid]) for q in questions]
    return LareqaBenchmark("synthetic", languages, questions, candidates, relevant)


def scores(benchmark: LareqaBenchmark, seed: int, boost: float = 0.0) -> np.ndarray:
    """Random scores; ``boost`` raises every relevant candidate (a better model)."""
    matrix = np.random.default_rng(seed).random((len(benchmark.questions), len(benchmark.candidates)))
    for row, relevant in enumerate(benchmark.relevant):
        matrix[row, relevant] += boost
    return matrix.astype(np.float32)


def write_eval(folder: Path, benchmark: LareqaBenchmark, matrix: np.ndarray) -> dict:
    """Evaluate ``matrix`` with the real evaluator and write metrics.json and per_query.jsonl."""
    result = evaluate_lareqa(benchmark, MatrixScorer(matrix), show_progress=False)
    metrics = {"benchmark": benchmark.name, "languages": benchmark.languages, **result.to_metrics_dict()}
    write_lareqa_outputs(folder, metrics, result.per_query)
    return metrics
