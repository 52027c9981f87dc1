"""Validation retrieval on the held-out articles of a run's training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText, split_by_group, write_jsonl
from hybridir.errors import UserError
from hybridir.evaluation.validation import parallel_benchmark, run_config, score_validation, validation_split
from hybridir.training.config import TrainConfig
from tests.mining.table_scorer import TableScorer

SUBJECTS = ["river", "castle", "violin", "comet", "glacier", "harbour"]


def tiny_corpus() -> TrainingCorpus:
    """Six English-German examples, one article each."""
    return TrainingCorpus(
        [
            TrainingExample(
                f"q{i}",
                f"article-{i}",
                {
                    "en": TrainingText(f"What about the {s}?", f"The {s} is old.", (f"The {s} is {i}.",)),
                    "de": TrainingText(f"Was ist mit {s}?", f"Das {s} ist alt.", ()),
                },
            )
            for i, s in enumerate(SUBJECTS)
        ]
    )


def write_run(folder: Path, data: Path, model: str, fraction: float) -> Path:
    """A run folder holding only the config.yaml that `hybridir train` would have saved."""
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(tiny_corpus(), data)
    TrainConfig(train=str(data), model=model, validation_fraction=fraction, seed=7).save(
        folder / "config.yaml"
    )
    return folder


def test_benchmark_from_a_parallel_corpus() -> None:
    bench = parallel_benchmark(tiny_corpus())
    assert len(bench.questions) == 12
    assert len(bench.candidates) == 18  # 6 en positives, 6 en negatives, 6 de positives
    for question, relevant in zip(bench.questions, bench.relevant, strict=True):
        texts = sorted(bench.candidates[i].sentence for i in relevant)
        subject = SUBJECTS[int(question.qid[1:])]
        assert texts == [f"Das {subject} ist alt.", f"The {subject} is old."]


def test_a_perfect_scorer_scores_1_and_a_confused_one_less() -> None:
    corpus = tiny_corpus()
    bench = parallel_benchmark(corpus)
    perfect = {}
    for ex in corpus.examples:
        for q_lang, text in ex.texts.items():
            for p_lang, other in ex.texts.items():
                perfect[(text.question, other.positive)] = 1.0 if p_lang == q_lang else 0.9
    scores = score_validation(bench, TableScorer(perfect))
    assert scores["monolingual_map"] == scores["crosslingual_map"] == scores["multilingual_map"] == 1.0
    confused = dict(perfect)
    first = corpus.examples[0].texts["en"]
    confused[(first.question, first.negatives[0])] = 2.0  # the negative outranks the answer
    worse = score_validation(bench, TableScorer(confused))
    assert worse["monolingual_map"] < 1.0 and worse["multilingual_map"] < 1.0


def test_the_split_is_the_runs_own(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", tmp_path / "data.jsonl", "multilingual-e5-small", 0.5)
    validation = validation_split(run_config(run))
    expected = split_by_group(tiny_corpus(), 0.5, 7)[1]
    assert [ex.id for ex in validation.examples] == [ex.id for ex in expected.examples]
    assert 0 < len(validation) < 6


def test_no_validation_split_is_a_one_line_error(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", tmp_path / "data.jsonl", "multilingual-e5-small", 0.0)
    with pytest.raises(UserError, match="never on a test benchmark"):
        validation_split(run_config(run))
    with pytest.raises(UserError, match=r"no config\.yaml"):
        run_config(tmp_path)


def test_several_sources_pool_the_held_out_parallel_qa(tmp_path: Path) -> None:
    """The split is taken per source, as the trainer takes it; bitext is not retrieval validation."""
    bitext = tmp_path / "bitext"
    bitext.mkdir()
    for lang in ("en", "de"):
        lines = [f"{lang} line {i}" for i in range(80)]  # three blocks of 32 lines: one is held out
        (bitext / f"{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_jsonl(tiny_corpus(), first)
    write_jsonl(tiny_corpus(), second)  # the same ids: kept apart by the source-name prefix
    run = tmp_path / "run"
    run.mkdir()
    TrainConfig(train=[str(first), str(second), str(bitext)], validation_fraction=0.5, seed=7).save(
        run / "config.yaml"
    )
    validation = validation_split(run_config(run))
    held = [ex.id for ex in split_by_group(tiny_corpus(), 0.5, 7)[1].examples]
    assert [ex.id for ex in validation.examples] == [f"first/{i}" for i in held] + [
        f"second/{i}" for i in held
    ]
    assert validation.languages == ["de", "en"]

    only_bitext = tmp_path / "bitext-run"
    only_bitext.mkdir()
    TrainConfig(train=str(bitext), validation_fraction=0.5, seed=7).save(only_bitext / "config.yaml")
    with pytest.raises(UserError, match="no validation articles of parallel QA"):
        validation_split(run_config(only_bitext))
