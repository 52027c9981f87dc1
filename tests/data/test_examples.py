"""Parallel training data: JSONL round trip, readers, and the article-level split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.examples import TrainingCorpus, read_jsonl, split_by_group, write_jsonl
from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError


def test_mlqa_r_reader_builds_positives_and_negatives(shared_data: Path) -> None:
    corpus = load_training_corpus("mlqa-r")
    assert len(corpus) == 1148
    assert corpus.language_counts()["en"] == 1148
    example = corpus.examples[0]
    assert 2 <= len(example.languages) <= 4
    for text in example.texts.values():
        assert text.question and text.positive
        assert all(negative != text.positive for negative in text.negatives)


def test_paragraph_context_appends_the_paragraph(shared_data: Path) -> None:
    sentence = load_training_corpus("xquad-r", languages="en").examples[0].texts["en"]
    paragraph = load_training_corpus("xquad-r", languages="en", context="paragraph").examples[0].texts["en"]
    assert paragraph.positive.startswith(sentence.positive + " ")
    assert len(paragraph.positive) > len(sentence.positive)


def test_split_never_straddles_an_article(shared_data: Path) -> None:
    corpus = load_training_corpus("mlqa-r")
    train, val = split_by_group(corpus, 0.1, seed=3)
    assert len(train) + len(val) == len(corpus)
    assert 0 < len(val) < len(corpus) // 4
    assert not {ex.group for ex in train.examples} & {ex.group for ex in val.examples}
    assert not {ex.id for ex in train.examples} & {ex.id for ex in val.examples}
    again, _ = split_by_group(corpus, 0.1, seed=3)
    assert [ex.id for ex in again.examples] == [ex.id for ex in train.examples]


def test_jsonl_round_trip_and_restrict(tmp_path: Path, shared_data: Path) -> None:
    corpus = load_training_corpus("mlqa-r", languages="en,de,es")
    path = tmp_path / "train.jsonl"
    write_jsonl(corpus, path)
    back = read_jsonl(path)
    assert back.examples == corpus.examples
    only_de = back.restrict(["de"])
    assert only_de.languages == ["de"]
    assert all(ex.languages == {"de"} for ex in only_de.examples)
    assert load_training_corpus(str(path), languages="de").languages == ["de"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "is not JSON"),
        ('{"languages": {}}', "needs an id"),
        ('{"id": 1, "languages": {"xx": {"question": "q", "positive": "p"}}}', "unknown language code"),
        ('{"id": 1, "languages": {"en": {"question": "q"}}}', "question and positive"),
    ],
)
def test_malformed_jsonl_lines(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=message):
        read_jsonl(path)


def test_squad_folder_reader(tmp_path: Path) -> None:
    for lang, question in (("en", "Who?"), ("de", "Wer?")):
        payload = {
            "data": [
                {
                    "title": f"T-{lang}",
                    "paragraphs": [
                        {"context": f"{lang} one", "qas": [{"id": "a", "question": question, "answers": []}]},
                        {"context": f"{lang} two", "qas": [{"id": "b", "question": question, "answers": []}]},
                    ],
                }
            ]
        }
        (tmp_path / f"{lang}.json").write_text(json.dumps(payload), encoding="utf-8")
    corpus = load_training_corpus(str(tmp_path))
    assert isinstance(corpus, TrainingCorpus)
    assert [ex.id for ex in corpus.examples] == ["a", "b"]
    assert corpus.examples[0].texts["de"].positive == "de one"
    assert corpus.examples[0].texts["de"].negatives == ("de two",)
    assert corpus.examples[0].group == corpus.examples[1].group  # same article in both languages


def test_unknown_training_source(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="neither a benchmark name"):
        load_training_corpus(str(tmp_path / "missing.jsonl"))
