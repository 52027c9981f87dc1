"""The Tatoeba evaluation driver: model + pairs -> nearest neighbours -> metrics.json, report.md.

A dense model encodes both sides of a pair the same way (its query encoder: bitext mining is a
symmetric task, as multilingual-e5 is evaluated on it); a scorer without vectors (BM25) scores
each direction with xx as queries against English, then the reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from hybridir.data.tatoeba import TatoebaPair, load_tatoeba
from hybridir.encoding.base import Scorer
from hybridir.encoding.faiss_search import encoders_of
from hybridir.evaluation.tatoeba import PairResult, score_pair, summarise
from hybridir.models.registry import load_scorer
from hybridir.reports.outputs import write_run_outputs
from hybridir.reports.tatoeba_report import PROTOCOL, render_tatoeba_report


def _scored(scorer: Scorer, queries: list[str], candidates: list[str]) -> np.ndarray:
    scorer.prepare(queries, candidates)
    return np.asarray(scorer.score_block(0, len(queries)), dtype=np.float32)


def evaluate_pair(scorer: Scorer, pair: TatoebaPair) -> PairResult:
    """Nearest neighbours of one pair, both directions."""
    encoders = encoders_of(scorer)
    if encoders is None:
        return score_pair(
            pair.language,
            _scored(scorer, pair.sentences, pair.english),
            _scored(scorer, pair.english, pair.sentences),
        )
    encode, _ = encoders
    source, english = encode(pair.sentences), encode(pair.english)
    similarity = np.asarray(source @ english.T, dtype=np.float32)
    return score_pair(pair.language, similarity, similarity.T)


def per_query_records(result: PairResult) -> list[dict[str, Any]]:
    """One record per sentence and direction: its nearest neighbour and whether it is right."""
    records = []
    for direction, predicted in (("xx->en", result.to_english), ("en->xx", result.from_english)):
        records += [
            {
                "language": result.language,
                "direction": direction,
                "index": i,
                "predicted": int(p),
                "correct": bool(p == i),
            }
            for i, p in enumerate(predicted.tolist())
        ]
    return records


def run_tatoeba_eval(
    model: str,
    out: str | Path,
    languages: str | None = None,
    data_dir: str | Path | None = None,
    batch_size: int = 64,
    max_length: int | None = None,
    show_progress: bool = True,
    precision: str = "auto",
) -> dict[str, Any]:
    """Evaluate ``model`` on the Tatoeba pairs of ``languages``; write and return the metrics."""
    tatoeba = load_tatoeba(data_dir, languages)
    scorer = load_scorer(
        model, batch_size=batch_size, max_length=max_length, show_progress=False, precision=precision
    )
    results, per_query = [], []
    for pair in tqdm(tatoeba.pairs, desc="tatoeba", unit="language", disable=not show_progress):
        result = evaluate_pair(scorer, pair)
        results.append(result)
        per_query += per_query_records(result)
    metrics = {
        "benchmark": "tatoeba",
        "model": model,
        "languages": tatoeba.languages,
        "file_codes": {pair.language: pair.file_code for pair in tatoeba.pairs},
        **summarise(results),
        "protocol": PROTOCOL,
        "notes": [*scorer.notes, *tatoeba.notes],
    }
    write_run_outputs(out, metrics, per_query, render_tatoeba_report(metrics))
    return metrics
