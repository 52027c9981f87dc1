"""Time DenseScorer.prepare against a bare SentenceTransformer.encode of the same texts.

Checks that our scorer adds no overhead to sentence-transformers' own encoding (prompts,
normalisation, float32 conversion). Both run in one process on the same loaded model, with the
embedding cache off; XQuAD-R questions and candidate sentences. Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/encode_speed.py [--limit 500] [--languages en,de]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hybridir.data.lareqa import load_lareqa
from hybridir.encoding.dense import DenseScorer
from hybridir.errors import UserError
from hybridir.models.registry import load_scorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--benchmark", default="xquad-r", choices=("xquad-r", "mlqa-r"))
    parser.add_argument("--languages", default=None, help="comma-separated subset, e.g. en,de,zh")
    parser.add_argument("--limit", type=int, default=None, help="first N questions and first N candidates")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    benchmark = load_lareqa(args.benchmark, languages=args.languages)
    queries = [q.text for q in benchmark.questions][: args.limit]
    candidates = benchmark.candidate_texts()[: args.limit]
    scorer = load_scorer(args.model, batch_size=args.batch_size, show_progress=False)
    if not isinstance(scorer, DenseScorer):
        raise UserError(f"{args.model!r} is not a sentence-transformers model: give a dense model")
    model = scorer.model
    languages = ",".join(benchmark.languages)
    print(f"{args.benchmark} [{languages}]: {len(queries)} questions, {len(candidates)} candidates")
    print(f"model {args.model}, batch {args.batch_size}, device {model.device}")
    for note in scorer.notes:
        print(f"note: {note}")
    model.encode(queries[:8], batch_size=args.batch_size)  # warm-up, so neither side pays first-call costs

    began = time.perf_counter()
    scorer.prepare(queries, candidates, cache_key=None)
    ours = time.perf_counter() - began

    began = time.perf_counter()
    options = {"batch_size": args.batch_size, "normalize_embeddings": True}
    bare_q = model.encode(queries, prompt=scorer.query_prompt or None, **options)
    bare_c = model.encode(candidates, prompt=scorer.passage_prompt or None, **options)
    bare = time.perf_counter() - began

    same = np.allclose(scorer.score_block(0, len(queries)), bare_q @ bare_c.T, atol=1e-4)
    n_texts = len(queries) + len(candidates)
    print(f"DenseScorer.prepare:        {ours:8.1f} s  ({n_texts / ours:6.1f} texts/s)")
    print(f"SentenceTransformer.encode: {bare:8.1f} s  ({n_texts / bare:6.1f} texts/s)")
    print(f"ratio ours / bare: {ours / bare:.3f}; same scores: {same}")


if __name__ == "__main__":
    main()
