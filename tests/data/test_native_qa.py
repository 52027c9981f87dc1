"""CMRC 2018 / ARCD: candidates and relevance (counts on the shared data, and a hand-made file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.native_qa import load_native_qa, read_native_file
from hybridir.errors import UserError


def _folder(shared_data: Path, name: str) -> Path:
    folder = shared_data / name
    if not folder.is_dir():
        pytest.skip(f"no {name} data at {folder}")
    return folder


@pytest.mark.parametrize(
    ("name", "paragraphs", "questions", "no_sentence", "relocated"),
    [("cmrc2018", 848, 3219, 17, 3), ("arcd", 234, 702, 4, 0)],
)
def test_counts_on_the_shared_data(
    shared_data: Path, name: str, paragraphs: int, questions: int, no_sentence: int, relocated: int
) -> None:
    qa = load_native_qa(name, _folder(shared_data, name))
    assert (len(qa.paragraphs), len(qa.questions)) == (paragraphs, questions)
    assert (qa.answer_in_no_sentence, qa.relocated_answers) == (no_sentence, relocated)
    benchmark = qa.sentence_benchmark()
    assert len(benchmark.questions) == questions - no_sentence
    assert len(benchmark.candidates) == len(qa.sentences) > len(qa.paragraphs)
    assert {len(r) for r in benchmark.relevant} == {1}
    # every relevant sentence holds its question's answer and lies in its question's paragraph
    by_qid = {q.qid: q for q in qa.questions}
    for question, relevant in zip(benchmark.questions[:300], benchmark.relevant[:300], strict=True):
        candidate = benchmark.candidates[int(relevant[0])]
        assert candidate.paragraph == by_qid[question.qid].paragraph
    assert len(qa.passage_qrels()) == questions


def _write(path: Path, context: str, answers: list[tuple[str, int]]) -> Path:
    qas = [
        {"id": f"q{i}", "question": f"question {i}?", "answers": [{"text": text, "answer_start": start}]}
        for i, (text, start) in enumerate(answers)
    ]
    payload = {"data": [{"title": "T", "paragraphs": [{"context": context, "qas": qas}]}]}
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def test_hand_made_paragraph(tmp_path: Path) -> None:
    context = "北京是中国的首都。上海是最大的城市。长江很长。"
    answers = [("首都", 6), ("上海", 9), ("长江", 0), ("城市。长江", 15)]  # third: wrong start
    qa = read_native_file(_write(tmp_path / "x.json", context, answers), "x", "zh", "dev")
    assert [s for _, s in qa.sentences] == ["北京是中国的首都。", "上海是最大的城市。", "长江很长。"]
    assert [q.sentence for q in qa.questions] == [0, 1, 2, None]  # the last spans two sentences
    assert (qa.relocated_answers, qa.answer_in_no_sentence) == (1, 1)
    assert qa.passage_qrels()["q3"] == {"p0": 1}


def test_malformed_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="is not JSON"):
        read_native_file(tmp_path / "bad.json", "x", "zh", "dev")
    (tmp_path / "odd.json").write_text('{"data": [{"paragraphs": [{"qas": []}]}]}', encoding="utf-8")
    with pytest.raises(UserError, match="not SQuAD-format JSON"):
        read_native_file(tmp_path / "odd.json", "x", "zh", "dev")
    with pytest.raises(UserError, match="is missing"):
        read_native_file(tmp_path / "none.json", "x", "zh", "dev")
