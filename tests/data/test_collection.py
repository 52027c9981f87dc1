"""A user's collection: the loader on a hand-written folder with a known score, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridir.data.collection import collection_benchmark, read_collection
from hybridir.errors import UserError
from hybridir.evaluation.lareqa import evaluate_lareqa
from tests.evaluation.toy import MatrixScorer

DOCUMENTS = [
    {"id": "d1", "language": "en", "title": "Rivers", "text": "The Rhine flows into the North Sea."},
    {"id": "d2", "language": "en", "text": "Paris is the capital of France."},
    {"id": "d3", "language": "en", "text": "Tea is grown in Assam."},
    {"id": "d4", "language": "de", "text": "Der Rhein mündet in die Nordsee."},
    {"id": "d5", "language": "de", "text": "Die Elbe fließt durch Hamburg."},
]
QUERIES = [
    {"id": "q1", "language": "en", "text": "Where does the Rhine end?"},
    {"id": "q2", "language": "de", "text": "Welcher Fluss fließt durch Hamburg?"},
    {"id": "q3", "language": "en", "text": "An unjudged question"},
]
QRELS = "q1 0 d1 1\nq1 0 d4 1\nq2 0 d5 2\nq2 0 d3 0\n"
# Rows: q1, q2 (q3 has no judgment and is not scored); columns d1..d5.
SCORES = np.array([[0.5, 0.9, 0.1, 0.8, 0.2], [0.3, 0.1, 0.2, 0.6, 0.7]], dtype=np.float32)


def write_collection(folder: Path, documents=DOCUMENTS, queries=QUERIES, qrels=QRELS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    (folder / "qrels.tsv").write_text(qrels, encoding="utf-8")
    return folder


def test_known_scores(tmp_path: Path) -> None:
    benchmark = collection_benchmark(read_collection(write_collection(tmp_path / "mine")))
    assert benchmark.languages == ["de", "en"]
    assert [q.qid for q in benchmark.questions] == ["q1", "q2"]
    assert [r.tolist() for r in benchmark.relevant] == [[0, 3], [4]]  # relevance 0 is not relevant
    assert benchmark.candidates[0].sentence == "Rivers The Rhine flows into the North Sea."
    assert benchmark.notes == ["1 queries have no relevant document in the pool and are not scored"]
    metrics = evaluate_lareqa(benchmark, MatrixScorer(SCORES), show_progress=False).to_metrics_dict()
    # q1 (en): English pool rank 2 (AP 0.5), German pool rank 1; all languages: ranks 2 and 3.
    # q2 (de): German pool rank 1; no English answer, so no English score.
    assert metrics["monolingual"]["by_language"] == {"en": 0.5, "de": 1.0}
    assert metrics["monolingual"]["map"] == pytest.approx(0.75)
    assert metrics["crosslingual"]["by_pair"] == {"en": {"de": 1.0}}
    assert metrics["multilingual"]["by_language"] == pytest.approx({"en": (1 / 2 + 2 / 3) / 2, "de": 1.0})
    assert metrics["language_bias"]["by_language"] == {"en": 1.0, "de": 0.0}


def test_language_subset(tmp_path: Path) -> None:
    benchmark = collection_benchmark(read_collection(write_collection(tmp_path / "mine")), "en")
    assert benchmark.languages == ["en"]
    assert [r.tolist() for r in benchmark.relevant] == [[0]]
    with pytest.raises(UserError, match="has no language 'fr'"):
        collection_benchmark(read_collection(tmp_path / "mine"), "fr")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"qrels": "q1 0 d9 1\n"}, "judges document 'd9' for query 'q1'"),
        ({"qrels": "q7 0 d1 1\n"}, "judges query 'q7'"),
        ({"qrels": "q1 d1 1\n"}, "is not a qrels line"),
        (
            {"documents": [{"id": "d1", "language": "klingon", "text": "x"}]},
            "unknown language code 'klingon'",
        ),
        ({"documents": [{"id": "d1", "language": "en"}]}, "needs string fields id, language, text"),
        ({"documents": [*DOCUMENTS, DOCUMENTS[0]]}, "id 'd1' appears twice"),
    ],
)
def test_bad_collections(tmp_path: Path, change: dict, message: str) -> None:
    folder = write_collection(tmp_path / "bad", **change)
    with pytest.raises(UserError, match=message):
        read_collection(folder)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    folder = write_collection(tmp_path / "c")
    (folder / "queries.jsonl").write_text(
        '{"id": "q1", "language": "en", "text": "x"}\n{oops\n', encoding="utf-8"
    )
    with pytest.raises(UserError, match=r"queries\.jsonl:2 is not JSON"):
        read_collection(folder)
    (folder / "qrels.tsv").unlink()
    (folder / "queries.jsonl").write_text(json.dumps(QUERIES[0]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"qrels\.tsv is missing"):
        read_collection(folder)
    with pytest.raises(UserError, match="does not exist"):
        read_collection(tmp_path / "nowhere")
