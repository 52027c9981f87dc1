"""Native monolingual QA: CMRC 2018 (Chinese) and ARCD (Arabic) segmented by sentencex."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.native_training import read_native_qa
from hybridir.errors import UserError


@pytest.mark.parametrize(
    ("file", "language", "questions"),
    [("cmrc2018/cmrc2018_trial.json", "zh", 1002), ("arcd/arcd-train.json", "ar", 693)],
)
def test_answer_sentence_found_for_every_question(
    shared_data: Path, file: str, language: str, questions: int
) -> None:
    path = shared_data / file
    corpus, counts = read_native_qa(path, language)
    assert counts.questions == questions
    assert counts.skipped == {}, counts  # no question missed: every answer lies in a found sentence
    assert counts.kept == len(corpus) == questions
    answers = {
        str(qa["id"]): [a["text"].split() for a in qa["answers"]]
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    multi_sentence = 0
    for ex in corpus.examples:
        assert ex.languages == frozenset({language}) and len(ex.paragraphs) == 1
        text = ex.texts[language]
        assert any(" ".join(words) in " ".join(text.positive.split()) for words in answers[ex.id])
        assert all(negative != text.positive for negative in text.negatives)
        multi_sentence += text.positive.count("。") > 1 if language == "zh" else 0
    assert (
        multi_sentence < len(corpus) / 10
    )  # sentences (60 of 1002 answers span two or more), not paragraphs


def test_segmenter_splits_chinese_and_arabic_paragraphs(shared_data: Path) -> None:
    zh, _ = read_native_qa(shared_data / "cmrc2018" / "cmrc2018_trial.json", "zh")
    ar, _ = read_native_qa(shared_data / "arcd" / "arcd-train.json", "ar")
    assert (
        zh.examples[0].texts["zh"].positive
        == "玩家以水枪、小枪、锤子或是水炸弹泡封敌人(玩家或NPC)，即为一泡封，将水泡击破为一踢爆。"
    )
    with_negatives = [ex for ex in ar.examples if ex.texts["ar"].negatives]
    assert len(with_negatives) > len(ar) / 2  # most Arabic paragraphs split into several sentences


def test_paragraph_context_and_missing_answers(tmp_path: Path) -> None:
    context = "东京是日本的首都。它有很多人口！"
    qas = [
        {"id": "a", "question": "首都？", "answers": [{"text": "东京", "answer_start": 0}]},
        {"id": "b", "question": "人口？", "answers": [{"text": "很多人口", "answer_start": 3}]},  # offset off
        {"id": "c", "question": "山？", "answers": [{"text": "富士山", "answer_start": 0}]},
    ]
    path = tmp_path / "zh.json"
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}]}))
    corpus, counts = read_native_qa(path, "zh", context="paragraph")
    assert [ex.id for ex in corpus.examples] == ["a", "b"]
    assert corpus.examples[0].texts["zh"].positive == f"东京是日本的首都。 {context}"
    assert corpus.examples[1].texts["zh"].negatives == (f"东京是日本的首都。 {context}",)
    assert counts.found_by_search == 1 and counts.skipped == {"answer not in its paragraph": 1}
    assert counts.notes("zh") == [
        "zh: 1 answer(s) found by text, their answer_start was off",
        "zh: 1 question(s) left out (answer not in its paragraph)",
    ]


def test_not_squad_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"data": [{"paragraphs": [{"qas": []}]}]}')
    with pytest.raises(UserError, match="is not SQuAD JSON"):
        read_native_qa(path, "zh")
