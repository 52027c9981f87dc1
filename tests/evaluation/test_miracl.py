"""MIRACL scoring (trec_eval -c -M 100 semantics, checked by hand and against ranx) and the eval
driver end to end on the real Swahili/Yoruba topics with a small corpus the test writes itself."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from ranx import Qrels, Run, evaluate

from hybridir.data.miracl import load_corpus, load_miracl
from hybridir.data.sources import cache_dir
from hybridir.drivers.miracl import retrieve, run_miracl_eval
from hybridir.encoding.faiss_search import IndexOptions
from hybridir.errors import UserError
from hybridir.evaluation.miracl import (
    MEASURES,
    format_trec_run,
    mean_scores,
    parse_trec_run,
    score_run,
    top_k_from_blocks,
    truncate_run,
)
from hybridir.models.registry import load_scorer
from tests.helpers import build_tiny_model


def test_toy_run_scored_by_hand() -> None:
    qrels = {"q1": {"d1": 1, "d2": 1, "d3": 0}, "q2": {"d9": 1}}
    run = {"q1": {"d3": 0.9, "d1": 0.8, "d4": 0.7, "d2": 0.6}, "q3": {"d1": 1.0}}
    per_query = score_run(qrels, run)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)  # relevant at ranks 2 and 4
    ideal = 1 + 1 / math.log2(3)
    assert per_query["q1"]["nDCG@10"] == pytest.approx(dcg / ideal)
    assert per_query["q1"]["Recall@100"] == 1.0
    assert per_query["q2"] == {"nDCG@10": 0.0, "Recall@100": 0.0}  # -c: judged, nothing retrieved
    assert "q3" not in per_query  # not judged: ignored, as trec_eval does
    assert mean_scores(per_query)["nDCG@10"] == pytest.approx(dcg / ideal / 2)


def test_ties_and_depth_follow_trec_eval() -> None:
    # trec_eval breaks score ties by docid descending, whatever the rank column says
    qrels = {"q": {"a": 1}}
    assert score_run(qrels, {"q": {"a": 1.0, "b": 1.0}})["q"]["nDCG@10"] == pytest.approx(1 / math.log2(3))
    assert score_run(qrels, {"q": {"a": 1.0, "0": 1.0}})["q"]["nDCG@10"] == 1.0
    # -M 100: a relevant document in 101st place does not count
    deep = {"q": {f"x{i:03d}": 1.0 - i / 1000 for i in range(100)} | {"a": 0.0}}
    assert len(truncate_run(deep)["q"]) == 100 and "a" not in truncate_run(deep)["q"]
    assert score_run(qrels, deep)["q"]["Recall@100"] == 0.0


def reference_scores(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """trec_eval -c -M 100 ndcg_cut.10 / recall.100 written out plainly, independent of pytrec_eval."""
    ndcg, recall = [], []
    for qid, judged in qrels.items():
        ranked = sorted(run.get(qid, {}).items(), key=lambda item: (item[1], item[0]), reverse=True)[:100]
        gains = [judged.get(docid, 0) for docid, _ in ranked]
        ideal = sorted(judged.values(), reverse=True)
        dcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(gains[:10]))
        idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal[:10]))
        ndcg.append(dcg / idcg if idcg else 0.0)
        relevant = sum(1 for r in judged.values() if r > 0)
        recall.append(sum(1 for g in gains if g > 0) / relevant if relevant else 0.0)
    return {"nDCG@10": float(np.mean(ndcg)), "Recall@100": float(np.mean(recall))}


def test_random_runs_agree_with_a_plain_reimplementation() -> None:
    rng = np.random.default_rng(0)
    docs = [f"d{i}" for i in range(300)]
    qrels = {
        f"q{q}": {d: int(rng.integers(0, 3)) for d in rng.choice(docs, 8, replace=False)} for q in range(40)
    }
    qrels["q0"] = {d: 0 for d in qrels["q0"]} | {"d0": 1}
    scores = np.round(rng.random((35, 300)), 2)  # rounded: many ties, broken by docid
    run = {
        f"q{q}": {d: float(s) for d, s in zip(docs, scores[q], strict=True)} for q in range(35)
    }  # q35+ missing
    ours, theirs = mean_scores(score_run(qrels, run)), reference_scores(qrels, run)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_trec_run_round_trip_and_block_top_k() -> None:
    run = {"q1": {"b": 0.5, "a": 0.5, "c": 0.25}, "q2": {"c": 0.1}}
    text = format_trec_run(run, tag="t")
    assert text.splitlines()[0] == "q1 Q0 b 1 0.5 t" and text.splitlines()[1] == "q1 Q0 a 2 0.5 t"
    assert parse_trec_run(text) == run

    class Fixed:
        name, notes = "fixed", []

        def score_block(self, start: int, stop: int) -> np.ndarray:
            return np.array([[0.1, 0.9, 0.9, 0.3], [0.0, 0.0, 0.0, 0.0]], dtype=np.float32)[start:stop]

    top = top_k_from_blocks(
        Fixed(), ["q1", "q2"], ["w", "x", "y", "z"], k=2, block_size=1, show_progress=False
    )
    assert list(top["q1"]) == ["y", "x"] and list(top["q2"]) == ["z", "y"]  # ties: docid descending


def _write_corpus(
    shared_data: Path, language: str, path: Path, extra: int = 300
) -> dict[str, dict[str, int]]:
    """A corpus from the real judged docids: a relevant passage repeats its query, others are noise."""
    topics = load_miracl(language, data_dir=shared_data / "miracl").topics[language]
    texts: dict[str, list[str]] = {}
    for qid, docs in topics.qrels.items():
        for docid, relevance in docs.items():
            texts.setdefault(docid, [])
            if relevance:
                texts[docid].append(topics.queries[qid])
    with path.open("w", encoding="utf-8") as handle:
        for n, (docid, parts) in enumerate(sorted(texts.items())):
            text = " ".join(parts) or f"zzz filler passage {n}"
            handle.write(json.dumps({"docid": docid, "title": f"title {n}", "text": text}) + "\n")
        for n in range(extra):
            handle.write(json.dumps({"docid": f"extra#{n}", "title": "", "text": f"qqq extra {n}"}) + "\n")
    return topics.qrels


def _ranx_means(qrels: dict[str, dict[str, int]], run_file: Path) -> dict[str, float]:
    judged = {q: {d: r for d, r in rels.items() if r} for q, rels in qrels.items()}
    run = parse_trec_run(run_file.read_text(encoding="utf-8"))
    return evaluate(Qrels(judged), Run(run), ["ndcg@10", "recall@100"], make_comparable=True)


def test_bm25_end_to_end_on_swahili(shared_data: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "sw.jsonl"
    qrels = _write_corpus(shared_data, "sw", corpus)
    out = tmp_path / "run"
    metrics = run_miracl_eval("bm25", "sw", out, corpus, data_dir=shared_data / "miracl")
    row = metrics["per_language"]["sw"]
    assert row["queries"] == 482 and row["passages"] == 3514 + 300
    assert row["nDCG@10"] > 0.9 and row["Recall@100"] > 0.95
    assert metrics["mean"] == {"nDCG@10": row["nDCG@10"], "Recall@100": row["Recall@100"]}
    run_file = out / "runs" / "sw.trec"
    lines = run_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 482 * 100 and lines[0].split()[1] == "Q0"
    theirs = _ranx_means(qrels, run_file)  # ranx: an independent implementation (numba)
    assert row["nDCG@10"] == pytest.approx(theirs["ndcg@10"], abs=1e-9)
    assert row["Recall@100"] == pytest.approx(theirs["recall@100"], abs=1e-9)
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| sw | 482 | 3814 |" in report and "trec_eval -c -M 100" in report
    assert len((out / "per_query.jsonl").read_text(encoding="utf-8").splitlines()) == 482


def test_dense_end_to_end_through_shards_and_faiss(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYBRIDIR_CACHE", str(tmp_path / "cache"))  # shards of earlier runs stay out
    model = build_tiny_model(tmp_path / "tiny")  # random weights: checks the plumbing, not quality
    corpus = tmp_path / "corpora"
    corpus.mkdir()
    qrels = _write_corpus(shared_data, "yo", corpus / "yo.jsonl", extra=0)
    out = tmp_path / "flat"
    metrics = run_miracl_eval(
        str(model), "yo", out, corpus, data_dir=shared_data / "miracl", show_progress=False
    )
    row = metrics["per_language"]["yo"]
    assert row["queries"] == 119 and row["passages"] == 942 and metrics["index"] == "flat"
    run = parse_trec_run((out / "runs" / "yo.trec").read_text(encoding="utf-8"))
    assert all(len(docs) == 100 for docs in run.values())
    assert {k: row[k] for k in MEASURES} == pytest.approx(reference_scores(qrels, run), abs=1e-12)

    (shard,) = (cache_dir() / "shards").glob("*/miracl-yo/shard-00000.npy")
    written = shard.stat().st_mtime_ns
    scorer = load_scorer(str(model), show_progress=False)
    topics = load_miracl("yo", data_dir=shared_data / "miracl").topics["yo"]
    passages = load_corpus("yo", corpus, ["yo"], show_progress=False)
    hnsw = retrieve(scorer, topics, passages, IndexOptions(kind="hnsw"), show_progress=False)
    assert shard.stat().st_mtime_ns == written  # the shards were reused, not re-encoded
    overlap = np.mean([len(set(hnsw[q]) & set(run[q])) / 100 for q in run])
    assert overlap > 0.9  # approximate search finds nearly the exact top 100


def test_driver_errors_are_user_errors(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown index 'annoy'"):
        run_miracl_eval("bm25", "sw", tmp_path, None, index="annoy")
    with pytest.raises(UserError, match="does not exist"):
        run_miracl_eval("bm25", "sw", tmp_path, tmp_path / "nope.jsonl")
    with pytest.raises(UserError, match="network"):
        run_miracl_eval("bm25", "sw", tmp_path, None, data_dir=shared_data / "miracl")
