"""The native-QA driver (CMRC 2018, ARCD): sentence-level LAReQA scores and passage-level MIRACL scores.

The sentence level goes through the shared evaluator; with one language the multilingual pool
is the monolingual pool, so its R@10 is the monolingual R@10. The passage level ranks every
paragraph for every question and is scored as ``trec_eval -c -M 100`` (nDCG@10, Recall@100).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hybridir.data.native_qa import NativeQA, load_native_qa
from hybridir.drivers.evaluate import EvalConfig, load_config_scorer, score_benchmark
from hybridir.encoding.base import Scorer
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import MULTILINGUAL_K
from hybridir.evaluation.miracl import DEPTH, mean_scores, score_run, top_k_from_blocks
from hybridir.languages import split_language_list
from hybridir.reports.native_report import render_native_report
from hybridir.reports.outputs import write_run_outputs


def _passage_level(scorer: Scorer, qa: NativeQA, config: EvalConfig) -> tuple[dict[str, Any], dict]:
    qids = [q.qid for q in qa.questions]
    passages = [
        f"{title} {text}" if title else text for title, text in zip(qa.titles, qa.paragraphs, strict=True)
    ]
    started = time.perf_counter()
    scorer.prepare([q.text for q in qa.questions], passages, cache_key=f"{qa.name}-{qa.split}|passages")
    run = top_k_from_blocks(scorer, qids, qa.paragraph_ids, DEPTH, show_progress=config.show_progress)
    per_query = score_run(qa.passage_qrels(), run)
    level = {
        **mean_scores(per_query),
        "questions": len(qids),
        "passages": len(passages),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return level, per_query


def run_native_eval(config: EvalConfig) -> dict[str, Any]:
    """Evaluate ``config.model`` on CMRC 2018 dev or ARCD test; write and return the metrics."""
    qa = load_native_qa(config.benchmark, config.data_dir)
    requested = split_language_list(config.languages)
    if requested not in (None, [qa.language]):
        raise UserError(
            f"{qa.name} is {qa.language} only: drop the languages or ask for {qa.language}",
            settings=("languages",),
        )
    scorer = load_config_scorer(config)
    benchmark = qa.sentence_benchmark()
    cache_key = f"{qa.name}-{qa.split}|{config.context}"
    result, timing = score_benchmark(benchmark, scorer, config, cache_key)
    lareqa = result.to_metrics_dict()
    sentence = {
        "map": lareqa["monolingual"]["map"],
        "recall@1": lareqa["monolingual"]["recall@1"],
        f"recall@{MULTILINGUAL_K}": lareqa["multilingual"][f"recall@{MULTILINGUAL_K}"],
        "questions": len(benchmark.questions),
        "candidates": len(benchmark.candidates),
        "answer_in_no_sentence": qa.answer_in_no_sentence,
        "relocated_answers": qa.relocated_answers,
    }
    passage, passage_rows = _passage_level(scorer, qa, config)
    metrics = {
        "benchmark": qa.name,
        "split": qa.split,
        "model": config.model,
        "context": config.context,
        "languages": [qa.language],
        "sentence": sentence,
        "passage": passage,
        "timing": timing,
        "notes": [
            *scorer.notes,
            f"{qa.answer_in_no_sentence} of {len(qa.questions)} questions have an answer in no single "
            "sentence (it spans a sentence boundary, or its text is not in the paragraph): left out of "
            "the sentence level, kept at the passage level",
        ],
    }
    per_query = [
        {"level": "sentence", "qid": r["qid"], "ap": r["ap"], "recall@1": r["recall_at_k"]}
        for r in result.per_query
        if r["setting"] == "monolingual"
    ] + [{"level": "passage", "qid": qid, **row} for qid, row in passage_rows.items()]
    write_run_outputs(Path(config.out), metrics, per_query, render_native_report(metrics))
    return metrics
