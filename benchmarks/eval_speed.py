"""End-to-end `hybridir eval` timing and agreement, against fp32 and a bare SentenceTransformer.encode.

In one process: the evaluation driver (load, encode, score every pool, metrics, reports) with an
empty embedding cache at its default precision (``mixed``, bf16 autocast with the last six layers
in fp32, where the CPU does bf16 natively), the same driver with ``--precision fp32`` (and with
each precision of ``--also``), and a bare fp32 ``SentenceTransformer.encode`` of the same
questions and candidates. Prints the end-to-end time (goal on all 11 XQuAD-R languages and 2
cores: <= 240 s), its ratio to the bare fp32 encode (goal <= 0.5), the largest difference of any
mAP / recall in metrics.json from the fp32 run and how many differ by more than 0.002 (goal:
none), the rank-distance difference, and scoring+metrics time / encode time (goal < 0.02). It also
counts the padded tokens of the batches, character-sorted (as ``SentenceTransformer.encode``
sorts) against token-sorted (as ``hybridir.encoding.dense`` batches), and ``--tails`` times
``mixed`` with other numbers of fp32 layers than the default. Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/eval_speed.py [--languages en,de] [--also bf16] \
        [--tails 2,4]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from sentence_transformers import SentenceTransformer

import hybridir.core.precision
from hybridir.core.paths import cache_dir
from hybridir.data.lareqa import load_lareqa
from hybridir.drivers.evaluate import EvalConfig, run_lareqa_eval
from hybridir.encoding.dense import token_length_order
from hybridir.models.registry import prompts_for, resolve_model_path


def _numbers(metrics: object, prefix: str = "") -> dict[str, float]:
    """Every number under the score sections of metrics.json, by dotted key."""
    if isinstance(metrics, dict):
        found: dict[str, float] = {}
        for key, value in metrics.items():
            found |= _numbers(value, f"{prefix}{key}.")
        return found
    if isinstance(metrics, (int, float)) and not isinstance(metrics, bool):
        return {prefix.rstrip("."): float(metrics)}
    return {}


def _timed_eval(args: argparse.Namespace, tmp: str, precision: str) -> tuple[float, dict]:
    """End-to-end seconds and metrics of `hybridir eval` at ``precision``, embedding cache empty."""
    fresh = Path(tmp) / precision
    fresh.mkdir()
    # A fresh cache root for embeddings (no hits), sharing the already built models.
    (fresh / "models").symlink_to(cache_dir() / "models", target_is_directory=True)
    os.environ["HYBRIDIR_CACHE"] = str(fresh)
    began = time.perf_counter()
    metrics = run_lareqa_eval(
        EvalConfig(
            model=args.model,
            benchmark=args.benchmark,
            out=str(fresh / "out"),
            languages=args.languages,
            batch_size=args.batch_size,
            show_progress=False,
            precision=precision,
        )
    )
    return time.perf_counter() - began, metrics


def _timed_tail(args: argparse.Namespace, tmp: str, layers: int) -> tuple[float, dict]:
    """``_timed_eval`` of ``mixed`` with ``layers`` fp32 layers instead of the default count."""
    default = hybridir.core.precision.FP32_TAIL_LAYERS
    hybridir.core.precision.FP32_TAIL_LAYERS = layers  # read by autocast() at each encode
    try:
        folder = Path(tmp) / f"tail{layers}"
        folder.mkdir()
        return _timed_eval(args, str(folder), "mixed")
    finally:
        hybridir.core.precision.FP32_TAIL_LAYERS = default


def _padded_tokens(model: SentenceTransformer, texts: list[str], batch_size: int) -> tuple[int, int, int]:
    """Real tokens, and padded tokens of batches sorted by characters and by token count."""
    lengths = [
        len(ids)
        for ids in model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    ]

    def padded(order: list[int]) -> int:
        batches = (order[start : start + batch_size] for start in range(0, len(order), batch_size))
        return sum(max(lengths[i] for i in batch) * len(batch) for batch in batches)

    by_characters = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return sum(lengths), padded(by_characters), padded(list(token_length_order(model, texts)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--benchmark", default="xquad-r", choices=("xquad-r", "mlqa-r"))
    parser.add_argument("--languages", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--also", default="", help="more precisions to time and compare, e.g. bf16")
    parser.add_argument(
        "--tails", default="", help="fp32 layer counts of mixed to time and compare, e.g. 2,4"
    )
    args = parser.parse_args()
    also = [p for p in args.also.split(",") if p]
    tails = [int(k) for k in args.tails.split(",") if k]

    path, notes = resolve_model_path(args.model)  # builds the offline model in the real cache once
    real_cache = os.environ.get("HYBRIDIR_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        total, metrics = _timed_eval(args, tmp, "auto")
        total_fp32, metrics_fp32 = _timed_eval(args, tmp, "fp32")
        others = {f"--precision {p}": _timed_eval(args, tmp, p) for p in also}
        others |= {f"mixed, last {k} layers fp32": _timed_tail(args, tmp, k) for k in tails}
    if real_cache is None:
        os.environ.pop("HYBRIDIR_CACHE")
    else:
        os.environ["HYBRIDIR_CACHE"] = real_cache

    benchmark = load_lareqa(args.benchmark, languages=args.languages)
    model = SentenceTransformer(path, device="cpu")
    query_prompt, passage_prompt = prompts_for(args.model, model.prompts)
    options = {"batch_size": args.batch_size, "normalize_embeddings": True, "show_progress_bar": False}
    began = time.perf_counter()
    model.encode([q.text for q in benchmark.questions], prompt=query_prompt or None, **options)
    model.encode(benchmark.candidate_texts("sentence"), prompt=passage_prompt or None, **options)
    bare = time.perf_counter() - began
    padding = {
        "questions": _padded_tokens(
            model, [query_prompt + q.text for q in benchmark.questions], args.batch_size
        ),
        "candidates": _padded_tokens(
            model, [passage_prompt + text for text in benchmark.candidate_texts("sentence")], args.batch_size
        ),
    }

    sections = ("monolingual", "crosslingual", "multilingual")
    reference = _numbers({key: metrics_fp32[key] for key in sections})
    scores = [key for key in reference if not key.endswith("skipped")]

    def differences(run: dict) -> dict[str, float]:
        values = _numbers({key: run[key] for key in sections})
        return {key: abs(values[key] - reference[key]) for key in scores}

    diffs = differences(metrics)
    worst = max(diffs, key=diffs.get)
    above = sum(value > 0.002 for value in diffs.values())
    bias, bias_fp32 = (m["language_bias"]["rank_distance"] for m in (metrics, metrics_fp32))
    encode_s, score_s = metrics["timing"]["encode_s"], metrics["timing"]["score_s"]
    print(
        f"{args.benchmark} [{','.join(benchmark.languages)}]: {metrics['num_questions']} questions, "
        f"{metrics['num_candidates']} candidates; model {args.model}, batch {args.batch_size}, "
        f"{os.cpu_count()} CPUs"
    )
    for note in notes:
        print(f"note: {note}")
    print(f"hybridir eval end to end (default):  {total:8.1f} s  (goal <= 240 s on all of XQuAD-R)")
    print("  " + "; ".join(note for note in metrics["notes"] if note.startswith("encoded")))
    print(f"  encode:                            {encode_s:8.1f} s")
    print(f"  scoring + metrics:                 {score_s:8.2f} s")
    print(f"hybridir eval --precision fp32:      {total_fp32:8.1f} s")
    print(f"bare fp32 SentenceTransformer.encode:{bare:8.1f} s")
    print(f"end to end (default) / bare encode:  {total / bare:8.3f}  (goal <= 0.5)")
    print(f"fp32 encode ours / bare:             {metrics_fp32['timing']['encode_s'] / bare:8.3f}")
    print(f"scoring+metrics / encode:            {score_s / encode_s:8.4f}  (goal < 0.02)")
    print(
        f"largest metric difference from fp32: {diffs[worst]:8.4f}  ({worst}; {above} of {len(scores)} "
        "values above 0.002; goal: none)"
    )
    print(f"rank distance default / fp32:        {bias:.1f} / {bias_fp32:.1f}")
    for name, (real, by_characters, by_tokens) in padding.items():
        print(
            f"padded tokens, {name}: {real} real; batches by characters {by_characters}, by tokens "
            f"{by_tokens} ({by_characters / by_tokens:.2f}x)"
        )
    result = {"end_to_end_s": total, "max_abs_metric_diff": diffs[worst], "worst": worst}
    result["above_0.002"] = above
    for precision, (seconds, run) in others.items():
        other = differences(run)
        key = max(other, key=other.get)
        over = sum(value > 0.002 for value in other.values())
        print(
            f"{precision}: {seconds:.1f} s end to end, {seconds / bare:.3f} of the bare encode; "
            f"largest difference {other[key]:.4f} ({key}); {over} above 0.002"
        )
        result[precision] = {"end_to_end_s": seconds, "max_abs_metric_diff": other[key], "worst": key}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
