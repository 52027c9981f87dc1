"""End-to-end `hybridir eval` timing, against a bare SentenceTransformer.encode of the same texts.

Runs the evaluation driver (load, encode, score every pool, metrics, reports) with an empty
embedding cache, then encodes the same questions and candidates with the same loaded model
through sentence-transformers directly, in one process. Prints both and the two ratios the
project aims at: our encode time / bare encode time (goal: <= 1.05) and scoring+metrics time /
encode time (goal: < 0.02). Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/eval_speed.py [--limit-languages en,de] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sentence_transformers import SentenceTransformer

from hybridir.core.paths import cache_dir
from hybridir.data.lareqa import load_lareqa
from hybridir.drivers.evaluate import EvalConfig, run_lareqa_eval
from hybridir.models.registry import prompts_for, resolve_model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--benchmark", default="xquad-r", choices=("xquad-r", "mlqa-r"))
    parser.add_argument("--languages", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    path, notes = resolve_model_path(args.model)  # builds the offline model in the real cache once
    with tempfile.TemporaryDirectory() as tmp:
        # A fresh cache root for embeddings (no hits), sharing the already built models.
        (Path(tmp) / "models").symlink_to(cache_dir() / "models", target_is_directory=True)
        os.environ["HYBRIDIR_CACHE"] = tmp
        began = time.perf_counter()
        metrics = run_lareqa_eval(
            EvalConfig(
                model=args.model,
                benchmark=args.benchmark,
                out=str(Path(tmp) / "out"),
                languages=args.languages,
                batch_size=args.batch_size,
                show_progress=False,
            )
        )
        total = time.perf_counter() - began

    benchmark = load_lareqa(args.benchmark, languages=args.languages)
    model = SentenceTransformer(path, device="cpu")
    query_prompt, passage_prompt = prompts_for(args.model, model.prompts)
    options = {"batch_size": args.batch_size, "normalize_embeddings": True, "show_progress_bar": False}
    began = time.perf_counter()
    model.encode([q.text for q in benchmark.questions], prompt=query_prompt or None, **options)
    model.encode(benchmark.candidate_texts("sentence"), prompt=passage_prompt or None, **options)
    bare = time.perf_counter() - began

    encode_s, score_s = metrics["timing"]["encode_s"], metrics["timing"]["score_s"]
    print(
        f"{args.benchmark} [{','.join(benchmark.languages)}]: {metrics['num_questions']} questions, "
        f"{metrics['num_candidates']} candidates; model {args.model}, batch {args.batch_size}, "
        f"{os.cpu_count()} CPUs"
    )
    for note in notes:
        print(f"note: {note}")
    print(f"hybridir eval end to end:        {total:8.1f} s")
    print(f"  encode (ours):                 {encode_s:8.1f} s")
    print(f"  scoring + metrics:             {score_s:8.2f} s")
    print(f"bare SentenceTransformer.encode: {bare:8.1f} s")
    print(f"encode ratio ours / bare:        {encode_s / bare:8.3f}  (goal <= 1.05)")
    print(f"scoring+metrics / encode:        {score_s / encode_s:8.4f}  (goal < 0.02)")


if __name__ == "__main__":
    main()
