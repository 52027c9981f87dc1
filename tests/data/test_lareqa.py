"""Candidate and relevance construction against the counts in docs/protocol.md, on the real files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hybridir.data.lareqa import answer_sentence_index, load_lareqa
from hybridir.errors import UserError


def test_answer_sentence_index_handles_spans_and_gaps() -> None:
    breaks = [[0, 10], [11, 20], [21, 30]]
    assert answer_sentence_index(breaks, 0) == 0
    assert answer_sentence_index(breaks, 9) == 0
    assert answer_sentence_index(breaks, 10) == 1  # the gap belongs to the next sentence
    assert answer_sentence_index(breaks, 25) == 2


def test_xquad_r_counts(shared_data: Path) -> None:
    bench = load_lareqa("xquad-r", shared_data / "xquad-r")
    assert len(bench.candidates) == 13014
    assert len(bench.languages) == 11
    per_language = Counter(q.language for q in bench.questions)
    assert set(per_language.values()) == {1190}
    assert {len(r) for r in bench.relevant} == {11}  # 11-way parallel: one answer per language


def test_mlqa_r_counts(shared_data: Path) -> None:
    bench = load_lareqa("mlqa-r", shared_data / "mlqa-r")
    assert len(bench.candidates) == 20534
    assert len({q.qid for q in bench.questions}) == 1148
    assert {len(r) for r in bench.relevant} == {2, 3, 4}
    # each question's answers are one per language it exists in, its own language included
    for question, relevant in zip(bench.questions[:500], bench.relevant[:500], strict=True):
        languages = [bench.candidates[i].language for i in relevant]
        assert len(set(languages)) == len(languages)
        assert question.language in languages


def test_answer_text_lies_in_relevant_sentence(shared_data: Path) -> None:
    bench = load_lareqa("xquad-r", shared_data / "xquad-r", languages="en")
    payload = json.loads((shared_data / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    answers = {
        qa["id"]: qa["answers"][0]["text"]
        for article in payload["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    hits = sum(
        answers[q.qid] in bench.candidates[r[0]].sentence
        for q, r in zip(bench.questions, bench.relevant, strict=True)
    )
    assert hits / len(bench.questions) > 0.97  # the rest are answers that span a sentence break


def test_language_subset_restricts_queries_and_pool(shared_data: Path) -> None:
    bench = load_lareqa("xquad-r", languages="en,de")
    assert bench.languages == ["en", "de"]
    assert {c.language for c in bench.candidates} == {"en", "de"}
    assert {len(r) for r in bench.relevant} == {2}


def test_unknown_language_is_a_user_error(shared_data: Path) -> None:
    with pytest.raises(UserError, match="unknown language code 'xx'"):
        load_lareqa("xquad-r", languages="en,xx")
    with pytest.raises(UserError, match="has no language 'el'"):
        load_lareqa("mlqa-r", languages="el")


def test_malformed_files_are_user_errors(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="is not JSON"):
        load_lareqa("xquad-r", tmp_path)
    (tmp_path / "en.json").write_text(json.dumps({"data": [{"paragraphs": [{"context": "x"}]}]}))
    with pytest.raises(UserError, match="not LAReQA JSON"):
        load_lareqa("xquad-r", tmp_path)


def test_missing_folder_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_lareqa("xquad-r", tmp_path / "nowhere")
    monkeypatch.delenv("HYBRIDIR_DATA")
    monkeypatch.setenv("HYBRIDIR_CACHE", str(tmp_path))
    with pytest.raises(UserError, match="hybridir data download xquad-r"):
        load_lareqa("xquad-r")
