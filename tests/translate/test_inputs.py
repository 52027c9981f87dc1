"""Reading SQuAD JSON, parallel JSONL and datasets folders into source examples; sentence splitting
(by hybridir.data.segment, in the source language)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.examples import TrainingExample, TrainingText, write_jsonl
from hybridir.data.segment import sentence_spans, split_sentences
from hybridir.errors import UserError
from hybridir.translate.inputs import load_source

from .conftest import ANSWER_SENTENCES, SQUAD


def test_splitter_keeps_abbreviations_initials_and_numbers_together() -> None:
    text = (
        "Mr. Smith visited the U.S. in May. It cost 5.5 million dollars! Was it J. R. R. Tolkien? "
        '"Yes." he said. 东京是首都。它很大。 the end'
    )
    assert split_sentences(text, "en") == (
        "Mr. Smith visited the U.S. in May.",
        "It cost 5.5 million dollars!",
        "Was it J. R. R. Tolkien?",
        '"Yes." he said.',
        "东京是首都。",
        "它很大。",
        "the end",
    )


def test_spans_index_the_original_text() -> None:
    text = "  One sentence here.   Another one.  "
    assert [text[s:e] for s, e in sentence_spans(text, "en")] == ["One sentence here.", "Another one."]


def test_squad_paragraphs_are_split_in_the_source_language(tmp_path: Path) -> None:
    """What `hybridir translate` reads: a Chinese paragraph splits at 。 and the answer keeps its sentence;
    an English one keeps abbreviations and initials together."""
    chinese = "东京是日本的首都。它有很多人口！富士山在东京西边。"
    english = "Mr. Smith visited the U.S. in May. It cost 5.5 million dollars."
    for language, context, answer, expected in (
        ("zh", chinese, "富士山", ("东京是日本的首都。", "它有很多人口！", "富士山在东京西边。")),
        ("en", english, "5.5", ("Mr. Smith visited the U.S. in May.", "It cost 5.5 million dollars.")),
    ):
        qa = {
            "id": "q",
            "question": "?",
            "answers": [{"text": answer, "answer_start": context.index(answer)}],
        }
        payload = {"data": [{"title": "t", "paragraphs": [{"context": context, "qas": [qa]}]}]}
        path = tmp_path / f"{language}.json"
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        (ex,) = load_source(str(path), language).examples
        assert ex.passage == expected
        assert answer in ex.passage[ex.answer_index]
        assert ex.paragraph == "a0p0"


def test_squad_answer_sentence_follows_answer_start(squad_file: Path) -> None:
    data = load_source(str(squad_file), "en")
    assert data.skipped == {"unanswerable": 1}
    by_id = {ex.id: ex for ex in data.examples}
    assert list(by_id) == list(ANSWER_SENTENCES)
    for qid, sentence in ANSWER_SENTENCES.items():
        ex = by_id[qid]
        assert ex.answer_index is not None
        assert ex.passage[ex.answer_index] == sentence
    assert by_id["q1"].group == "Eiffel_Tower" and len(by_id["q1"].passage) == 3
    assert by_id["q7"].passage == (ANSWER_SENTENCES["q7"],)


def test_lareqa_sentences_are_kept(tmp_path: Path) -> None:
    context = "First part, no full stop; second part. Last."
    payload = {"data": [{"title": "t", "paragraphs": [{
        "context": context,
        "sentences": ["First part, no full stop;", "second part.", "Last."],
        "sentence_breaks": [[0, 25], [26, 38], [39, 44]],
        "qas": [{"id": "a", "question": "Which part?", "answers": [{"text": "second", "answer_start": 26}]}],
    }]}]}  # fmt: skip
    path = tmp_path / "lareqa.json"
    path.write_text(json.dumps(payload))
    (ex,) = load_source(str(path), "en").examples
    assert ex.passage == ("First part, no full stop;", "second part.", "Last.") and ex.answer_index == 1


def test_parallel_jsonl_source_side(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    write_jsonl(
        [
            TrainingExample("a", "g", {"en": TrainingText("Q?", "One. Two.", ("Neg one.",))}),
            TrainingExample("b", "g", {"de": TrainingText("F?", "Eins.")}),
        ],
        path,
    )
    data = load_source(str(path), "en")
    (ex,) = data.examples
    assert (ex.passage, ex.answer_index, ex.negatives) == (("One.", "Two."), None, (("Neg one.",),))
    assert data.skipped == {"no_source_language": 1}


def test_datasets_folder_with_squad_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    folder = tmp_path / "squad-like"
    folder.mkdir()
    rows = [
        {
            "id": qa["id"],
            "title": article["title"],
            "context": paragraph["context"],
            "question": qa["question"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for article in SQUAD["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    (folder / "train.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
    data = load_source(str(folder), "en")
    assert data.skipped == {"unanswerable": 1}
    assert {ex.id: ex.passage[ex.answer_index or 0] for ex in data.examples} == ANSWER_SENTENCES


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ('{"data": [{"paragraphs": [{"qas": []}]}]}', "is not SQuAD JSON"),
        ('{"data": []}', "no answerable questions"),
    ],
)
def test_bad_inputs_are_one_line_user_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        load_source(str(path), "en")
    assert "\n" not in str(info.value)
