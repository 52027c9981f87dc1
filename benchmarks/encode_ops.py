"""Where an encode's time goes, operator by operator: torch.profiler over one XQuAD-R slice.

`benchmarks/eval_speed.py` times whole evaluations; this script says which operators fill an
encode at each precision, to choose what to speed up next. It encodes the first ``--texts``
candidate sentences of the first two XQuAD-R languages (``passage:`` prompt, length-sorted by
``SentenceTransformer.encode``) once to warm up, times one encode per precision and batch size,
and prints the profiler's top operators for ``--profile``. Usage (nothing else running: with
two cores, another job makes every parallel operator wait for a core)::

    HYBRIDIR_DATA=../shared/data python benchmarks/encode_ops.py [--precisions mixed,bf16,fp32] \
        [--batch-sizes 32,64,128] [--profile mixed]
"""

from __future__ import annotations

import argparse
import time

from sentence_transformers import SentenceTransformer
from torch.profiler import ProfilerActivity, profile

from hybridir.core.precision import Precision, autocast
from hybridir.data.lareqa import load_lareqa
from hybridir.models.registry import resolve_model_path


def _texts(count: int) -> list[str]:
    benchmark = load_lareqa("xquad-r", languages=["ar", "de"])
    return benchmark.candidate_texts("sentence")[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--precisions", default="mixed,bf16,fp32")
    parser.add_argument("--batch-sizes", default="32,64,128")
    parser.add_argument("--profile", default="mixed", help="precision to profile at batch 64 ('' for none)")
    args = parser.parse_args()
    path, _notes = resolve_model_path(args.model)
    model = SentenceTransformer(str(path), device="cpu")
    texts = _texts(args.texts)
    print(f"{len(texts)} XQuAD-R candidate sentences (ar, de), model {args.model}")
    for name in args.precisions.split(","):
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            with autocast(Precision(name), model):
                model.encode(texts[:128], batch_size=batch_size, prompt="passage: ")
                began = time.perf_counter()
                model.encode(texts, batch_size=batch_size, prompt="passage: ")
            print(f"{name:6} batch {batch_size:4}: {time.perf_counter() - began:6.2f} s")
    if args.profile:
        with autocast(Precision(args.profile), model), profile(activities=[ProfilerActivity.CPU]) as prof:
            model.encode(texts[:512], batch_size=64, prompt="passage: ")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))


if __name__ == "__main__":
    main()
