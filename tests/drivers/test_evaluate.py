"""The one evaluator path: XQuAD-R metrics unchanged, and XQuAD-R written as a collection scores the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.lareqa import load_lareqa
from hybridir.drivers.evaluate import EvalConfig, benchmark_kind, run_eval
from hybridir.errors import UserError

# bm25 on XQuAD-R en,de,th (sentence context), measured with the LAReQA driver before the
# evaluation paths were merged (commit 38bbb9c): the merged path must give the same figures.
BEFORE = {
    "monolingual": 0.771307887694927,
    "crosslingual": 0.1904337703439323,
    "multilingual": 0.3150410735767019,
    "rank_distance": 2759.46918767507,
}
LANGUAGES = "en,de,th"


def _write_as_collection(folder: Path, shared_data: Path) -> None:
    """The same XQuAD-R slice as corpus.jsonl / queries.jsonl / qrels.tsv."""
    bench = load_lareqa("xquad-r", shared_data / "xquad-r", LANGUAGES)
    folder.mkdir()
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
        for i, candidate in enumerate(bench.candidates):
            out.write(
                json.dumps({"id": f"c{i}", "language": candidate.language, "text": candidate.sentence}) + "\n"
            )
    with (
        open(folder / "queries.jsonl", "w", encoding="utf-8") as out,
        open(folder / "qrels.tsv", "w") as qrels,
    ):
        for question, relevant in zip(bench.questions, bench.relevant, strict=True):
            qid = f"{question.qid}-{question.language}"
            out.write(json.dumps({"id": qid, "language": question.language, "text": question.text}) + "\n")
            qrels.writelines(f"{qid} 0 c{int(c)} 1\n" for c in relevant)


def _comparable(metrics: dict) -> dict:
    return {k: v for k, v in json.loads(json.dumps(metrics)).items() if k not in ("benchmark", "timing")}


def test_xquad_r_unchanged_and_collection_path_identical(shared_data: Path, tmp_path: Path) -> None:
    lareqa, _ = run_eval(
        EvalConfig("bm25", "xquad-r", str(tmp_path / "a"), languages=LANGUAGES, show_progress=False)
    )
    assert lareqa["monolingual"]["map"] == pytest.approx(BEFORE["monolingual"], abs=1e-12)
    assert lareqa["crosslingual"]["map"] == pytest.approx(BEFORE["crosslingual"], abs=1e-12)
    assert lareqa["multilingual"]["map"] == pytest.approx(BEFORE["multilingual"], abs=1e-12)
    assert lareqa["language_bias"]["rank_distance"] == pytest.approx(BEFORE["rank_distance"], abs=1e-9)
    _write_as_collection(tmp_path / "mine", shared_data)
    collection, _ = run_eval(
        EvalConfig("bm25", str(tmp_path / "mine"), str(tmp_path / "b"), show_progress=False)
    )
    assert collection["languages"] == ["de", "en", "th"]  # a collection lists its languages sorted
    collection["languages"] = lareqa["languages"]
    assert _comparable(collection) == _comparable(lareqa)


def test_benchmark_kinds(tmp_path: Path) -> None:
    assert [benchmark_kind(b) for b in ("xquad-r", "cmrc2018", "arcd", "tatoeba", "miracl")] == [
        "lareqa",
        "native",
        "native",
        "tatoeba",
        "miracl",
    ]
    assert benchmark_kind(str(tmp_path)) == "collection"
    with pytest.raises(UserError, match="unknown benchmark 'squad'"):
        benchmark_kind("squad")
