"""Search a large pool through disk shards + FAISS: exact (flat) vs IVF throughput, peak memory, recall@100.

The pool is ``--n`` random unit vectors (default 1M x 384 float32, 1.43 GiB) written with
``encode_to_shards`` by a seeded generator standing in for a model; the queries are drawn the
same way. Random vectors have no cluster structure, the worst case for IVF: its recall here is
a floor, not what real embeddings get. Each index is built and searched in a fresh process,
so its peak RSS (``getrusage``) is its own.
Usage::

    python benchmarks/faiss_pool.py [--n 1000000] [--dim 384] [--queries 1000] [--nprobe 16,64,256]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import faiss
import numpy as np

from hybridir.encoding.faiss_search import IndexOptions, build_index, search
from hybridir.encoding.shards import ShardedEmbeddings, encode_to_shards

K = 100
POOL, QUERIES = 0, 1  # independent random streams


def unit_vectors(stream: int, start: int, count: int, dim: int, seed: int) -> np.ndarray:
    """``count`` unit vectors, a pure function of (stream, start, seed): resumes draw the same ones."""
    vectors = np.random.default_rng([seed, stream, start]).standard_normal((count, dim), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_index(folder: Path, queries: np.ndarray, kind: str, nprobes: list[int]) -> list[dict]:
    """Build one index over the shards and search it (per nprobe for IVF); one row per search."""
    embeddings = ShardedEmbeddings.open(folder)
    began = time.perf_counter()
    index = build_index(embeddings, IndexOptions(kind=kind), show_progress=False)
    build_s = time.perf_counter() - began
    rows = []
    for nprobe in nprobes if kind == "ivf" else [0]:
        if kind == "ivf":
            index.nprobe = nprobe
        began = time.perf_counter()
        _, ids = search(index, queries, K, show_progress=False)
        search_s = time.perf_counter() - began
        name = f"ivf nlist={index.nlist} nprobe={nprobe}" if kind == "ivf" else "flat (exact)"
        rows.append({"name": name, "build_s": build_s, "search_s": search_s, "ids": ids})
    for row in rows:
        row["peak_rss_mb"] = peak_rss_mb()
    return rows


def in_fresh_process(folder: Path, queries: np.ndarray, kind: str, nprobes: list[int]) -> list[dict]:
    """:func:`run_index` in a new interpreter, so the peak RSS it reports is that index's alone."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        return executor.submit(run_index, folder, queries, kind, nprobes).result()


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of the exact top-k that the approximate top-k holds."""
    return float(np.mean([np.intersect1d(a, b).size / b.size for a, b in zip(found, exact, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="pool size")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--nprobe", default="16,64,256", help="comma-separated IVF nprobe values")
    parser.add_argument("--shard-size", type=int, default=100_000)
    parser.add_argument("--folder", help="where the shards go (default: a temporary folder; reused if given)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    nprobes = [int(x) for x in args.nprobe.split(",")]

    with tempfile.TemporaryDirectory(prefix="faiss-pool-") as scratch:
        folder = Path(args.folder or scratch) / f"random-{args.n}x{args.dim}-seed{args.seed}"
        texts = [str(i) for i in range(args.n)]  # a text is its row number; the "encoder" draws its vector

        def encode(chunk: list[str]) -> np.ndarray:
            return unit_vectors(POOL, int(chunk[0]), len(chunk), args.dim, args.seed)

        began = time.perf_counter()
        encode_to_shards(encode, texts, folder, shard_size=args.shard_size, show_progress=False)
        write_s = time.perf_counter() - began
        queries = unit_vectors(QUERIES, 0, args.queries, args.dim, args.seed)

        flat = in_fresh_process(folder, queries, "flat", [])
        ivf = in_fresh_process(folder, queries, "ivf", nprobes)

    exact = flat[0]["ids"]
    print(
        f"pool {args.n:,} x {args.dim} random unit float32 ({args.n * args.dim * 4 / 2**30:.2f} GiB), "
        f"{args.queries} queries, k={K}; faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, "
        f"{os.cpu_count()} CPUs; shards written in {write_s:.1f} s"
    )
    columns = ("index", "build s", "search s", "queries/s", "peak RSS MiB", "recall@100")
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * (len(columns) - 1))
    for row in flat + ivf:
        cells = (
            row["name"],
            f"{row['build_s']:.1f}",
            f"{row['search_s']:.2f}",
            f"{args.queries / row['search_s']:.0f}",
            f"{row['peak_rss_mb']:.0f}",
            f"{recall_at_k(row['ids'], exact):.3f}",
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
