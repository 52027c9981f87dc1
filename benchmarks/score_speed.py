"""Time LAReQA scoring + metrics on a full benchmark with random embeddings (no model, no encoding).

Shows what evaluation costs on top of encoding: the ``block x candidates`` matrix products
and the ranking of every query in every pool. Usage::

    python benchmarks/score_speed.py [--benchmark xquad-r] [--data-dir DIR] [--dim 384] [--block-size 256]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hybridir.data.lareqa import load_lareqa
from hybridir.evaluation.lareqa import evaluate_lareqa


class RandomEmbeddingScorer:
    """A Scorer over random unit vectors: cosine scores with the shape and dtype of a real model's."""

    name = "random-embeddings"

    def __init__(self, dim: int, seed: int = 0) -> None:
        self.notes = ["random unit embeddings: timing only, metrics are chance level"]
        self.dim = dim
        self.rng = np.random.default_rng(seed)

    def _unit(self, n: int) -> np.ndarray:
        vectors = self.rng.standard_normal((n, self.dim), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def prepare(self, queries: list[str], candidates: list[str], cache_key: str | None = None) -> None:
        """Draw one random unit vector per text."""
        self.queries, self.candidates = self._unit(len(queries)), self._unit(len(candidates))

    def score_block(self, start: int, stop: int) -> np.ndarray:
        """Cosine scores of queries ``start:stop`` against all candidates."""
        return self.queries[start:stop] @ self.candidates.T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="xquad-r", choices=("xquad-r", "mlqa-r"))
    parser.add_argument("--data-dir", help="folder of <lang>.json files (default: $HYBRIDIR_DATA)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--block-size", type=int, default=256)
    args = parser.parse_args()

    benchmark = load_lareqa(args.benchmark, args.data_dir)
    scorer = RandomEmbeddingScorer(args.dim)
    scorer.prepare([q.text for q in benchmark.questions], benchmark.candidate_texts())
    began = time.perf_counter()
    result = evaluate_lareqa(benchmark, scorer, block_size=args.block_size, show_progress=False)
    seconds = time.perf_counter() - began
    metrics = result.to_metrics_dict()
    n_questions = len(benchmark.questions)
    print(
        f"{args.benchmark}: {n_questions} questions x {len(benchmark.candidates)} candidates, "
        f"{len(benchmark.languages)} languages, dim {args.dim}, block {args.block_size}"
    )
    print(
        f"evaluate_lareqa: {seconds:.2f} s ({n_questions / seconds:,.0f} queries/s); "
        f"score_block {result.score_s:.2f} s, ranking+metrics {result.metric_s:.2f} s"
    )
    chance = metrics["multilingual"]["map"]
    print(f"per_query records: {len(result.per_query)}; multilingual mAP (chance level) {chance:.4f}")


if __name__ == "__main__":
    main()
