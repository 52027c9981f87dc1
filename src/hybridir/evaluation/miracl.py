"""MIRACL scoring as ``trec_eval -c -M 100 -m ndcg_cut.10 -m recall.100`` does it, via pytrec_eval.

- ``-M 100``: only a query's 100 best documents count. trec_eval orders a run by score, then
  by docid descending (not by the rank column); :func:`truncate_run` keeps the same 100.
- ``-c``: the mean is over every judged query; one with no retrieved document scores 0.
  pytrec_eval leaves such queries out, so :func:`score_run` adds them back as zeros.

Retrieval helpers turn scores into runs: :func:`top_k_from_blocks` for any
:class:`~hybridir.encoding.base.Scorer` (BM25), :func:`run_from_hits` for FAISS hits.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

import numpy as np
import pytrec_eval
from tqdm.auto import tqdm

from hybridir.encoding.base import Scorer
from hybridir.errors import UserError

DEPTH = 100
MEASURES = {"nDCG@10": "ndcg_cut_10", "Recall@100": "recall_100"}  # our name -> trec_eval's

Run = dict[str, dict[str, float]]
Qrels = Mapping[str, Mapping[str, int]]


def trec_order(docs: Mapping[str, float]) -> list[tuple[str, float]]:
    """(docid, score) pairs in trec_eval's order: score descending, then docid descending."""
    return sorted(docs.items(), key=lambda item: (item[1], item[0]), reverse=True)


def truncate_run(run: Mapping[str, Mapping[str, float]], depth: int = DEPTH) -> Run:
    """Each query's ``depth`` best documents in trec_eval's order (what ``-M depth`` keeps)."""
    return {qid: dict(trec_order(docs)[:depth]) for qid, docs in run.items()}


def score_run(qrels: Qrels, run: Mapping[str, Mapping[str, float]], depth: int = DEPTH) -> dict[str, dict]:
    """Per judged query ``{"nDCG@10": ..., "Recall@100": ...}``, as ``trec_eval -c -M depth``.

    Queries of ``run`` that have no judgments are ignored, as trec_eval does.
    """
    judged = {qid: dict(docs) for qid, docs in qrels.items()}
    evaluator = pytrec_eval.RelevanceEvaluator(judged, set(MEASURES.values()))
    found = evaluator.evaluate({qid: docs for qid, docs in truncate_run(run, depth).items() if docs})
    return {
        qid: {name: float(found.get(qid, {}).get(measure, 0.0)) for name, measure in MEASURES.items()}
        for qid in judged
    }


def mean_scores(per_query: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Mean of each measure over the queries of ``per_query`` (all judged queries: ``-c``)."""
    if not per_query:
        return dict.fromkeys(MEASURES, 0.0)
    return {name: float(np.mean([row[name] for row in per_query.values()])) for name in MEASURES}


def format_trec_run(run: Mapping[str, Mapping[str, float]], tag: str) -> str:
    """A TREC run file: ``qid Q0 docid rank score tag`` lines, ranks in trec_eval's order.

    Scores are written in full (``repr``), so trec_eval reading the file sees no new ties.
    """
    lines = []
    for qid, docs in run.items():
        for rank, (docid, score) in enumerate(trec_order(docs), 1):
            lines.append(f"{qid} Q0 {docid} {rank} {float(score)!r} {tag}")
    return "\n".join(lines) + ("\n" if lines else "")


def parse_trec_run(text: str) -> Run:
    """Read a TREC run (``qid Q0 docid rank score tag`` lines) back into ``qid -> docid -> score``."""
    run: Run = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            qid, _, docid, _, score = fields[:5]
            run.setdefault(qid, {})[docid] = float(score)
        except ValueError as exc:
            raise UserError(f"line {number} of the run is not 'qid Q0 docid rank score tag'") from exc
    return run


def run_from_hits(qids: Sequence[str], docids: Sequence[str], scores: np.ndarray, ids: np.ndarray) -> Run:
    """A run from top-k ``(scores, ids)`` rows (FAISS output); ids ``-1`` (no hit) are dropped."""
    return {
        qid: {docids[j]: float(s) for j, s in zip(row_ids, row_scores, strict=True) if j >= 0}
        for qid, row_ids, row_scores in zip(qids, ids.tolist(), scores.tolist(), strict=True)
    }


def top_k_from_blocks(
    scorer: Scorer,
    qids: Sequence[str],
    docids: Sequence[str],
    k: int = DEPTH,
    block_size: int = 64,
    show_progress: bool = True,
) -> Run:
    """Top-``k`` documents of each query from a prepared scorer's score blocks.

    Ties at the cut are broken as trec_eval would (larger docid first), so the run holds the
    same ``k`` documents trec_eval would keep from the full ranking.
    """
    count = len(docids)
    k = min(k, count)
    run: Run = {}
    starts = range(0, len(qids), block_size)
    for start in tqdm(starts, desc="retrieving", unit="block", disable=not show_progress):
        stop = min(start + block_size, len(qids))
        block = np.asarray(scorer.score_block(start, stop), dtype=np.float32)
        if k == 0:
            run.update({qid: {} for qid in qids[start:stop]})
            continue
        kth = -np.partition(-block, k - 1, axis=1)[:, k - 1]
        for row, qid in enumerate(qids[start:stop]):
            above = np.flatnonzero(block[row] >= kth[row])
            best = heapq.nlargest(k, ((float(block[row, j]), docids[j]) for j in above))
            run[qid] = {docid: score for score, docid in best}
    return run
