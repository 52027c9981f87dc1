"""Where a `hybridir train` or `hybridir eval` run spends its time, phase by phase.

Runs the real command in this process under cProfile and adds up the cumulative time of the
functions that make up each phase (the table below names them), so the profile is of exactly
what a user runs, not of a re-implementation. Phases can nest inside each other only where the
label says so; "other" is the wall time no phase claims. Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/profile_phases.py --json docs/profile/train.json -- \\
        train --train mlqa-r --max-steps 10 --eval-steps 5 --save-steps 5 --out /tmp/p
    HYBRIDIR_DATA=../shared/data python benchmarks/profile_phases.py -- \\
        eval --model multilingual-e5-small --benchmark xquad-r --languages en,de --out /tmp/e

cProfile adds a few percent of overhead to Python-heavy phases (collation, metrics) and almost
none to the encoder's C++ kernels.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

from hybridir.cli import main as hybridir_main

# (phase label, [(path suffix, function name, direct caller name or None)]): cumulative times add up.
TRAIN_PHASES = [
    ("data: pair tables and batch plans", [("hybridir/drivers/train.py", "_make_plan", None)]),
    ("data: read sources", [("hybridir/data/training_sources.py", "load_training_sources", None)]),
    ("model loading", [("hybridir/training/model_loading.py", "load_model", None)]),
    (
        "tokenization + collation (training and validation)",
        [("sentence_transformers/base/data_collator.py", "__call__", None)],
    ),
    (
        "forward + loss (training steps)",
        [("sentence_transformers/base/trainer.py", "compute_loss", "training_step")],
    ),
    ("backward", [("accelerate/accelerator.py", "backward", "training_step")]),
    ("optimizer step", [("torch/optim/adam.py", "step", None)]),
    ("validation passes (their collation included)", [("transformers/trainer.py", "evaluate", None)]),
    ("checkpoint saving", [("transformers/trainer.py", "_save_checkpoint", None)]),
    ("final model save", [("hybridir/drivers/train.py", "_save_final_model", None)]),
]
EVAL_PHASES = [
    ("benchmark loading", [("hybridir/data/lareqa.py", "load_lareqa", None)]),
    ("model loading", [("hybridir/models/registry.py", "load_scorer", None)]),
    ("tokenization", [("sentence_transformers/base/model.py", "preprocess", None)]),
    ("encoding (forward passes)", [("hybridir/encoding/dense.py", "encode", None)]),
    ("scoring", [("hybridir/encoding/dense.py", "score_block", None)]),
    ("metrics (scoring excluded)", [("hybridir/evaluation/lareqa.py", "evaluate_lareqa", None)]),
    ("report writing", [("hybridir/reports/lareqa_report.py", "write_lareqa_outputs", None)]),
]
# Phases whose functions contain another phase's: subtract it so the rows do not double count.
CONTAINS = {
    "encoding (forward passes)": "tokenization",
    "metrics (scoring excluded)": "scoring",
}


def phase_seconds(stats: pstats.Stats, phases: list) -> dict[str, float]:
    """Cumulative seconds per phase from a cProfile run (see the phase tables)."""
    table = stats.stats  # type: ignore[attr-defined]
    seconds: dict[str, float] = {}
    for label, functions in phases:
        total = 0.0
        for suffix, name, caller in functions:
            for (path, _, function), (_, _, _, cumulative, callers) in table.items():
                if function != name or not path.replace("\\", "/").endswith(suffix):
                    continue
                if caller is None:
                    total += cumulative
                else:
                    total += sum(c[3] for (_, _, caller_name), c in callers.items() if caller_name == caller)
        seconds[label] = total
    for outer, inner in CONTAINS.items():
        if outer in seconds and inner in seconds:
            seconds[outer] -= seconds[inner]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then hybridir arguments")
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    if not command or command[0] not in ("train", "eval"):
        parser.error("give a hybridir command after --: train ... or eval ...")

    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    try:
        code = hybridir_main(command)
    finally:
        profiler.disable()
    if code:
        sys.exit(code)
    wall = time.perf_counter() - began
    seconds = phase_seconds(pstats.Stats(profiler), TRAIN_PHASES if command[0] == "train" else EVAL_PHASES)
    seconds["other"] = max(wall - sum(seconds.values()), 0.0)

    print(f"hybridir {' '.join(command)}")
    print("| phase | seconds | share |\n|---|---|---|")
    for label, value in seconds.items():
        print(f"| {label} | {value:.1f} | {value / wall:.0%} |")
    print(f"| **wall** | **{wall:.1f}** | |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"command": command, "wall_s": wall, "phases_s": seconds}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
