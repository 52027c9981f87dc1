"""The evaluation driver: model + benchmark -> scores -> metrics.json, report.md, per_query.jsonl.

One evaluator (:func:`hybridir.evaluation.lareqa.evaluate_lareqa`) scores every benchmark made
of questions, candidates with a language, and relevance: XQuAD-R and MLQA-R, a user's own
collection (``--benchmark PATH``) and the sentence level of CMRC 2018 and ARCD all become a
:class:`~hybridir.data.lareqa.LareqaBenchmark` and go through :func:`score_benchmark`. Tatoeba
(nearest-neighbour accuracy) and MIRACL (a hub-sized corpus through FAISS) have their own drivers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridir.core.precision import FP32_TAIL_LAYERS, Precision
from hybridir.core.settings import check_settings, coerce_choices, setting
from hybridir.data.collection import collection_benchmark, read_collection
from hybridir.data.context import ContextMode
from hybridir.data.lareqa import LareqaBenchmark, load_lareqa
from hybridir.data.native_qa import NATIVE_SETS
from hybridir.data.sources import LAREQA_BENCHMARKS
from hybridir.encoding.base import Scorer
from hybridir.encoding.faiss_search import IndexKind, large_pool_scorer_if_needed
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import LareqaResult, evaluate_lareqa
from hybridir.models.registry import load_scorer
from hybridir.reports.lareqa_report import format_summary_table, write_lareqa_outputs

NAMED_BENCHMARKS = (*LAREQA_BENCHMARKS, *NATIVE_SETS, "tatoeba", "miracl")


@dataclass
class EvalConfig:
    """What to evaluate, on which benchmark (a name or a collection folder), and where to write.

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir eval`` flags are generated from them.
    """

    model: str = setting(help="multilingual-e5-small, bm25, use-m3, an ST name, or a run folder")
    benchmark: str = setting(
        "xquad-r",
        "xquad-r, mlqa-r, tatoeba, cmrc2018, arcd, miracl, or a folder with corpus.jsonl, "
        "queries.jsonl and qrels.tsv",
    )
    out: str = setting("runs/eval", "folder for metrics.json, report.md, per_query.jsonl", required_flag=True)
    data_dir: str | None = setting(None, "folder of <lang>.json files (default: $HYBRIDIR_DATA or the cache)")
    languages: str | None = setting(None, "comma-separated subset, e.g. en,de,zh (queries and pool)")
    context: ContextMode = setting(
        ContextMode.SENTENCE, "a candidate is the answer sentence, or it followed by its paragraph"
    )
    batch_size: int = setting(64, "texts per encoding batch", at_least=1)
    max_length: int | None = setting(None, "max tokens per text (default: the model's)", at_least=1)
    block_size: int = setting(256, "questions scored per block", at_least=1, flag=False)
    show_progress: bool = setting(True, "progress bars", flag=False)
    precision: Precision = setting(
        Precision.AUTO,
        "dense encoding precision (auto: mixed, bf16 autocast with the last"
        f" {FP32_TAIL_LAYERS} layers in fp32, where the hardware does bf16 natively; else fp32)",
    )
    corpus: str | None = setting(
        None, "MIRACL corpus: JSONL (docid, title, text) or a folder of <lang>.jsonl (default: the hub's)"
    )
    index: IndexKind = setting(IndexKind.FLAT, "FAISS index kind (MIRACL)")
    nprobe: int = setting(16, "IVF lists searched per query (MIRACL)", at_least=1)

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> None:
        """Raise a one-line :class:`UserError` for a setting out of its range or choices."""
        check_settings(self)


def benchmark_kind(benchmark: str) -> str:
    """``lareqa``, ``native``, ``tatoeba``, ``miracl`` or ``collection`` (a folder), else a UserError."""
    if benchmark in LAREQA_BENCHMARKS:
        return "lareqa"
    if benchmark in NATIVE_SETS:
        return "native"
    if benchmark in ("tatoeba", "miracl"):
        return benchmark
    if Path(benchmark).is_dir():
        return "collection"
    raise UserError(
        f"unknown benchmark {benchmark!r}: name one of {', '.join(NAMED_BENCHMARKS)}, "
        "or give a folder holding corpus.jsonl, queries.jsonl and qrels.tsv"
    )


def load_config_scorer(config: EvalConfig) -> Scorer:
    """The scorer of ``config.model`` with the config's batch size and length."""
    return load_scorer(
        config.model,
        batch_size=config.batch_size,
        max_length=config.max_length,
        show_progress=config.show_progress,
        precision=config.precision,
    )


def score_benchmark(
    benchmark: LareqaBenchmark, scorer: Scorer, config: EvalConfig, cache_key: str
) -> tuple[LareqaResult, dict[str, float]]:
    """Encode a benchmark's texts and score every pool; returns the result and its timing."""
    queries = [q.text for q in benchmark.questions]
    candidates = benchmark.candidate_texts(config.context)
    scorer = large_pool_scorer_if_needed(scorer, candidates)
    started = time.perf_counter()
    scorer.prepare(queries, candidates, cache_key=cache_key)
    prepare_s = time.perf_counter() - started
    result = evaluate_lareqa(
        benchmark, scorer, block_size=config.block_size, show_progress=config.show_progress
    )
    timing = dict(getattr(scorer, "timing", {}) or {})
    timing.setdefault("encode_s", prepare_s)
    timing["score_s"] = result.score_s + result.metric_s  # everything after encoding
    timing["metric_s"] = result.metric_s
    return result, timing


def _evaluate_benchmark(config: EvalConfig, benchmark: LareqaBenchmark, cache_key: str) -> dict[str, Any]:
    scorer = load_config_scorer(config)
    result, timing = score_benchmark(benchmark, scorer, config, cache_key)
    metrics = {
        "benchmark": config.benchmark,
        "model": config.model,
        "context": config.context,
        "languages": benchmark.languages,
        "num_questions": len(benchmark.questions),
        "num_candidates": len(benchmark.candidates),
        **result.to_metrics_dict(),
        "timing": timing,
        "notes": [*scorer.notes, *benchmark.notes],
    }
    write_lareqa_outputs(Path(config.out), metrics, result.per_query)
    return metrics


def run_lareqa_eval(config: EvalConfig) -> dict[str, Any]:
    """Evaluate ``config.model`` on a LAReQA benchmark; return the metrics dict that was written."""
    benchmark = load_lareqa(config.benchmark, config.data_dir, config.languages)
    cache_key = f"{config.benchmark}|{','.join(benchmark.languages)}|{config.context}"
    return _evaluate_benchmark(config, benchmark, cache_key)


def run_collection_eval(config: EvalConfig) -> dict[str, Any]:
    """Evaluate on a user's collection folder (``config.benchmark``): the LAReQA settings per language."""
    collection = read_collection(config.benchmark)
    benchmark = collection_benchmark(collection, config.languages)
    folder = Path(config.benchmark).resolve()
    cache_key = f"collection:{folder}|{','.join(benchmark.languages)}|{config.context}"
    return _evaluate_benchmark(config, benchmark, cache_key)


def run_eval(config: EvalConfig) -> tuple[dict[str, Any], str]:
    """Evaluate on any benchmark but MIRACL; returns the metrics and a terminal summary."""
    config.validate()
    kind = benchmark_kind(config.benchmark)
    if kind == "native":
        from hybridir.drivers.native_qa import run_native_eval
        from hybridir.reports.native_report import format_native_summary

        metrics = run_native_eval(config)
        return metrics, format_native_summary(metrics)
    if kind == "tatoeba":
        from hybridir.drivers.tatoeba import run_tatoeba_eval
        from hybridir.reports.tatoeba_report import format_tatoeba_summary

        metrics = run_tatoeba_eval(
            config.model,
            config.out,
            config.languages,
            config.data_dir,
            batch_size=config.batch_size,
            max_length=config.max_length,
            show_progress=config.show_progress,
            precision=config.precision,
        )
        return metrics, format_tatoeba_summary(metrics)
    if kind == "miracl":
        raise UserError(
            "MIRACL needs its corpus: evaluate it with hybridir.drivers.miracl.run_miracl_eval "
            "(`hybridir eval --benchmark miracl` does)"
        )
    metrics = run_collection_eval(config) if kind == "collection" else run_lareqa_eval(config)
    return metrics, format_summary_table(metrics)
