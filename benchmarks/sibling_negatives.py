"""False negatives from siblings: how often two items of one planned batch are siblings, before
and after the planner keeps conflicting examples apart. No model is needed: it plans batches.

For each benchmark, batch size and strategy, it plans ``--epochs`` epochs twice: with only the
old rule (an example never twice in a batch; ``conflict_keys=None``) and with the conflict keys
the training table gives (paragraphs, positive and hard-negative texts). In every batch it
counts pairs of items that are

- ``siblings``: questions asked on one paragraph (in any language);
- ``same_positive``: identical positive passage texts (across ids);
- ``negative_is_positive``: one row's hard negative is the other's positive.

Each is a false in-batch negative for InfoNCE. Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/sibling_negatives.py [--epochs 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from itertools import combinations

from hybridir.data.training_sources import load_training_sources
from hybridir.sampling.planner import BatchPlanner, PlannedBatch, Strategy
from hybridir.training.pairs import build_pair_table, plan_sources


def count_pairs(batches: list[PlannedBatch], texts: dict, paragraphs: list[set[str]]) -> dict[str, int]:
    """Batches holding any false negative, and pairs of each kind, over ``batches``."""
    counts = {
        "batches": len(batches),
        "batches_hit": 0,
        "siblings": 0,
        "same_positive": 0,
        "negative_is_positive": 0,
    }
    for batch in batches:
        hit = False
        for (i, _, p), (j, _, p2) in combinations(batch.items, 2):
            positive_i, negative_i = texts[(i, p)]
            positive_j, negative_j = texts[(j, p2)]
            found = {
                "siblings": bool(paragraphs[i] & paragraphs[j]),
                "same_positive": positive_i == positive_j,
                "negative_is_positive": negative_i == positive_j or negative_j == positive_i,
            }
            for name, value in found.items():
                counts[name] += value
            hit = hit or any(found.values())
        counts["batches_hit"] += hit
    return counts


def measure(benchmark: str, batch_size: int, strategy: Strategy, epochs: int, seed: int) -> dict[str, dict]:
    sources = load_training_sources(benchmark, seed=seed)
    table = build_pair_table(sources, strategy, hard_negatives=True, seed=seed)
    rows = table.dataset
    texts = {
        (i, p): (rows[row]["positive"], rows[row]["negative"]) for (i, _, p), row in table.row_index.items()
    }
    paragraphs = [set(ex.paragraphs) for source in sources for ex in source.corpus.examples]
    result = {}
    for label, keys in (("before", None), ("after", table.conflict_keys)):
        planned = [
            replace(source, conflict_keys=keys and source.conflict_keys)
            for source in plan_sources(sources, table)
        ]
        planner = BatchPlanner(batch_size=batch_size, strategy=strategy, seed=seed, sources=planned)
        batches = [batch for epoch in range(epochs) for batch in planner.plan_epoch(epoch)]
        result[label] = count_pairs(batches, texts, paragraphs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", default="mlqa-r,xquad-r")
    parser.add_argument("--batch-sizes", default="16,32,100")
    parser.add_argument("--strategies", default="x-x,x-x-mono,x-y,hybrid")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", help="also write the counts here")
    args = parser.parse_args()
    results = []
    print(
        "| data | batch | strategy | batches | with a false negative: before / after | siblings "
        "| same positive | negative = positive |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for benchmark in args.benchmarks.split(","):
        for batch_size in map(int, args.batch_sizes.split(",")):
            for name in args.strategies.split(","):
                counts = measure(benchmark, batch_size, Strategy(name), args.epochs, args.seed)
                before, after = counts["before"], counts["after"]
                results.append({"benchmark": benchmark, "batch_size": batch_size, "strategy": name, **counts})
                print(
                    f"| {benchmark} | {batch_size} | {name} | {before['batches']} | "
                    f"{before['batches_hit']} / {after['batches_hit']} | "
                    f"{before['siblings']} / {after['siblings']} | "
                    f"{before['same_positive']} / {after['same_positive']} | "
                    f"{before['negative_is_positive']} / {after['negative_is_positive']} |",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
