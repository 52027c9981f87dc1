"""The starved-language training subset and the paragraph sample of a test benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.data.lareqa import load_lareqa
from hybridir.experiments.subsets import evaluation_data, sample_paragraphs, starve_languages


def _corpus() -> TrainingCorpus:
    examples = []
    for i in range(40):
        languages = ["en", "de", "es"] if i < 30 else ["de"]
        texts = {lang: TrainingText(f"q{i} {lang}", f"p{i} {lang}") for lang in languages}
        examples.append(TrainingExample(f"id{i}", f"g{i // 4}", texts))
    return TrainingCorpus(examples)


def test_starving_keeps_the_fraction_and_nothing_else() -> None:
    corpus = _corpus()
    starved = starve_languages(corpus, {"de": 0.1}, seed=0)
    counts = starved.language_counts()
    assert counts["de"] == 4  # round(0.1 * 40)
    assert counts["en"] == corpus.language_counts()["en"] == 30
    assert counts["es"] == 30
    assert starved.languages == corpus.languages
    # examples that only had German and lost it are gone; the others keep their ids and groups
    assert len(starved) == 30 + sum(1 for ex in starved.examples if set(ex.texts) == {"de"})
    original = {ex.id: ex for ex in corpus.examples}
    for ex in starved.examples:
        assert ex.group == original[ex.id].group
        assert all(ex.texts[lang] == original[ex.id].texts[lang] for lang in ex.texts)


def test_starving_is_seeded_and_zero_removes_a_language() -> None:
    corpus = _corpus()
    kept = [
        {ex.id for ex in starve_languages(corpus, {"de": 0.25}, seed).examples if "de" in ex.texts}
        for seed in (0, 0, 1)
    ]
    assert kept[0] == kept[1] != kept[2]
    assert "es" not in starve_languages(corpus, {"es": 0.0}, 0).language_counts()


def _paragraph(sentences: list[str], qas: list[dict]) -> dict:
    context = " ".join(sentences)
    starts = [sum(len(s) + 1 for s in sentences[:i]) for i in range(len(sentences))]
    breaks = [[start, start + len(s)] for start, s in zip(starts, sentences, strict=True)]
    return {"context": context, "qas": qas, "sentences": sentences, "sentence_breaks": breaks}


def _lareqa_payload(lang: str, groups: range, extra: bool = False) -> dict:
    """A LAReQA file: one article per group, one paragraph of two sentences and two questions."""
    articles = []
    for g in groups:
        sentences = [f"First {lang} {g}.", f"Second {lang} {g}."]
        qas = [
            {
                "id": f"g{g}-{k}",
                "question": f"{lang} question {g} {k}",
                "answers": [{"answer_start": k * (len(sentences[0]) + 1), "text": "x"}],
            }
            for k in range(2)
        ]
        articles.append({"title": f"t{g}", "paragraphs": [_paragraph(sentences, qas)]})
    if extra:
        articles.append({"title": "lonely", "paragraphs": [_paragraph(["Alone."], [])]})
    return {"data": articles}


def test_sampling_keeps_whole_groups_in_every_language() -> None:
    payloads = {"en": _lareqa_payload("en", range(10), extra=True), "de": _lareqa_payload("de", range(10))}
    sampled = sample_paragraphs(payloads, 0.5, seed=3)
    ids = {
        lang: {qa["id"] for a in payload["data"] for p in a["paragraphs"] for qa in p["qas"]}
        for lang, payload in sampled.items()
    }
    assert ids["en"] == ids["de"] and ids["en"]
    groups = {qid.split("-")[0] for qid in ids["en"]}
    assert all({f"{g}-0", f"{g}-1"} <= ids["en"] for g in groups)
    paragraphs = sum(len(a["paragraphs"]) for payload in sampled.values() for a in payload["data"])
    assert paragraphs in (2 * len(groups), 2 * len(groups) + 1)  # + the lonely paragraph when drawn
    assert round(0.5 * 11) == len(groups) + (paragraphs - 2 * len(groups))
    assert sample_paragraphs(payloads, 0.5, seed=3) == sampled
    assert sample_paragraphs(payloads, 1.0, seed=3) == payloads  # nothing lost or reordered


def test_evaluation_data_is_a_loadable_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "data" / "xquad-r"
    source.mkdir(parents=True)
    for lang in ("en", "de"):
        (source / f"{lang}.json").write_text(json.dumps(_lareqa_payload(lang, range(8))))
    monkeypatch.setenv("HYBRIDIR_DATA", str(tmp_path / "data"))
    assert evaluation_data(tmp_path / "out", "xquad-r", 1.0, 0) is None
    folder = evaluation_data(tmp_path / "out", "xquad-r", 0.25, 0)
    benchmark = load_lareqa("xquad-r", folder)
    assert len(benchmark.questions) == 2 * 2 * 2  # 2 groups x 2 questions x 2 languages
    assert all(len(relevant) == 2 for relevant in benchmark.relevant)
    answers = {benchmark.candidates[i].sentence for i in benchmark.relevant[1]}
    assert all(answer.startswith("Second") for answer in answers)  # question k=1 answers sentence 2
    assert evaluation_data(tmp_path / "out", "xquad-r", 0.25, 0) == folder
