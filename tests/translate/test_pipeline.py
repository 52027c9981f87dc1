"""The translation pipeline end to end with tiny random-weight models: output, cache, resume, shards."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from hybridir.cli import main
from hybridir.data.examples import read_jsonl
from hybridir.data.readers import load_training_corpus
from hybridir.errors import UserError
from hybridir.translate import FILTERS, TranslateConfig, run_translate
from hybridir.translate.cache import Translation, TranslationCache
from hybridir.translate.engine import model_key
from hybridir.translate.pipeline import shard_of

from .conftest import ANSWER_SENTENCES, SQUAD

LANGUAGES = ["de", "es", "ar", "zh"]
PARAGRAPH_OF = {
    qid: paragraph["context"]
    for article in SQUAD["data"]
    for paragraph in article["paragraphs"]
    for qid in (qa["id"] for qa in paragraph["qas"])
}
QUESTIONS = {
    qa["id"]: qa["question"]
    for a in SQUAD["data"]
    for p in a["paragraphs"]
    for qa in p["qas"]
    if qa["answers"]
}
# Unique texts to translate: 6 questions and 6 sentences (the two Paris questions share a paragraph).
UNIQUE_TEXTS = 12


def _config(squad_file: Path, model: Path, tmp_path: Path, **changes: object) -> TranslateConfig:
    base = TranslateConfig(
        input=str(squad_file),
        model=str(model),
        languages=",".join(LANGUAGES),
        out=tmp_path / "out",
        batch_size=4,
        max_length=12,
        filters=(),
        cache=tmp_path / "cache.sqlite",
        progress=False,
    )
    return replace(base, **changes)


def _cached(config: TranslateConfig, language: str, texts: list[str]) -> dict[str, Translation]:
    with TranslationCache(Path(config.cache)) as cache:
        return cache.get_many(model_key(config.model, config.max_length, config.num_beams), language, texts)


def test_end_to_end_bookkeeping_and_cache_hit_on_rerun(
    squad_file: Path, tiny_m2m100: Path, tmp_path: Path, generate_calls: dict
) -> None:
    config = _config(squad_file, tiny_m2m100, tmp_path)
    path = run_translate(config)
    assert path == tmp_path / "out" / "train.jsonl"
    assert sum(generate_calls["rows"]) == UNIQUE_TEXTS * len(LANGUAGES)
    assert max(generate_calls["rows"]) == 4
    corpus = read_jsonl(path)
    assert [ex.id for ex in corpus.examples] == list(ANSWER_SENTENCES)
    assert set(corpus.languages) == {"en", *LANGUAGES}
    for ex in corpus.examples:
        english = ex.texts["en"]
        assert english.positive == ANSWER_SENTENCES[ex.id]
        assert english.question == QUESTIONS[ex.id]
        sentences = [s for s in ANSWER_SENTENCES.values() if s in PARAGRAPH_OF[ex.id]]
        others = [s for s in sentences if s != english.positive]
        assert len(english.negatives) == min(1, len(others)) and set(english.negatives) <= set(others)
        for lang in LANGUAGES:
            translated = _cached(config, lang, [english.question, *sentences])
            side = ex.texts[lang]
            assert side.question == translated[english.question].text
            assert side.positive == translated[english.positive].text
            assert list(side.negatives) == [translated[n].text for n in english.negatives]
    training = load_training_corpus(str(path), languages="en,zh")  # what `hybridir train --train` reads
    assert (len(training), training.languages) == (6, ["en", "zh"])
    report = json.loads((tmp_path / "out" / "translate_report.json").read_text())
    assert report["examples_in"] == report["examples_out"] == 6
    assert report["skipped"] == {"unanswerable": 1}
    assert report["languages"]["de"]["translated"] == UNIQUE_TEXTS
    assert "| de |" in (tmp_path / "out" / "translate_report.md").read_text()

    first = path.read_bytes()
    generate_calls["rows"].clear()
    run_translate(config)
    assert generate_calls["rows"] == []  # every text came from the cache: the model was not even loaded
    assert path.read_bytes() == first
    report = json.loads((tmp_path / "out" / "translate_report.json").read_text())
    assert (report["languages"]["zh"]["cached"], report["languages"]["zh"]["translated"]) == (UNIQUE_TEXTS, 0)


def test_resume_after_a_crash_translates_only_what_is_missing(
    squad_file: Path, tiny_m2m100: Path, tmp_path: Path, generate_calls: dict
) -> None:
    config = _config(squad_file, tiny_m2m100, tmp_path)
    generate_calls["fail_after"] = 2
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_translate(config)
    assert not (tmp_path / "out" / "train.jsonl").exists()
    assert len(_cached(config, "de", list(QUESTIONS.values()) + list(ANSWER_SENTENCES.values()))) == 8
    generate_calls.update(rows=[], fail_after=None)
    run_translate(config)
    assert sum(generate_calls["rows"]) == UNIQUE_TEXTS * len(LANGUAGES) - 8
    assert len(read_jsonl(tmp_path / "out" / "train.jsonl")) == 6


def test_shards_merge_to_the_unsharded_set(squad_file: Path, tiny_m2m100: Path, tmp_path: Path) -> None:
    whole = read_jsonl(run_translate(_config(squad_file, tiny_m2m100, tmp_path / "whole")))
    assert {shard_of(qid, 2) for qid in ANSWER_SENTENCES} == {0, 1}  # both shards get work
    sharded = _config(squad_file, tiny_m2m100, tmp_path / "sharded", num_shards=2)
    first = run_translate(replace(sharded, shard_index=1))
    assert first.name == "train.shard-1-of-2.jsonl"
    assert not (sharded.out / "train.jsonl").exists()
    merged_path = run_translate(replace(sharded, shard_index=0))
    assert merged_path == sharded.out / "train.jsonl"
    merged = read_jsonl(merged_path)
    assert [(ex.id, ex.group, ex.texts["en"]) for ex in merged.examples] == [
        (ex.id, ex.group, ex.texts["en"]) for ex in whole.examples
    ]
    for ex in merged.examples:
        assert set(ex.texts) == {"en", *LANGUAGES}
        positive = ex.texts["en"].positive
        assert ex.texts["ar"].positive == _cached(sharded, "ar", [positive])[positive].text
    report = json.loads((sharded.out / "translate_report.json").read_text())
    assert (report["shards"], report["examples_in"], report["examples_out"]) == ([0, 1], 6, 6)
    with pytest.raises(UserError, match="different settings"):
        run_translate(replace(sharded, shard_index=0, context="paragraph"))


def test_paragraph_context_and_limit(squad_file: Path, tiny_m2m100: Path, tmp_path: Path) -> None:
    config = _config(squad_file, tiny_m2m100, tmp_path, context="paragraph", limit=2, languages="de")
    corpus = read_jsonl(run_translate(config))
    assert [ex.id for ex in corpus.examples] == ["q1", "q2"]
    english = corpus.examples[0].texts["en"]
    assert english.positive == f"{ANSWER_SENTENCES['q1']} {PARAGRAPH_OF['q1']}"
    assert english.negatives[0].endswith(PARAGRAPH_OF["q1"])
    sentences = [s for s in ANSWER_SENTENCES.values() if s in PARAGRAPH_OF["q1"]]
    translated = _cached(config, "de", sentences)
    paragraph = " ".join(translated[s].text for s in sentences)
    assert corpus.examples[0].texts["de"].positive == f"{translated[sentences[0]].text} {paragraph}"


def test_filters_on_hand_written_translations(squad_file: Path, tmp_path: Path) -> None:
    """Pre-filled cache, so the filters judge real German and nothing needs a model."""
    config = _config(squad_file, Path("hand-written"), tmp_path, languages="de", limit=3, filters=FILTERS)
    german = {
        QUESTIONS["q1"]: "Wann wurde der Eiffelturm gebaut?",
        QUESTIONS["q2"]: QUESTIONS["q2"],  # copied: q2 loses German
        QUESTIONS["q3"]: "Bis wann war er das höchste Bauwerk der Welt?",
        ANSWER_SENTENCES["q1"]: "Der Eiffelturm wurde 1889 für die Weltausstellung gebaut.",
        ANSWER_SENTENCES["q2"]: "Die Firma von Gustave Eiffel entwarf und baute den Turm.",
        ANSWER_SENTENCES["q3"]: "",  # empty: q3 loses German, and it is no negative for q1
    }
    with TranslationCache(tmp_path / "cache.sqlite") as cache:
        key = model_key(config.model, config.max_length, None)
        cache.put_many(key, "de", [(s, Translation(t, False)) for s, t in german.items()])
    corpus = read_jsonl(run_translate(config))
    texts = {ex.id: ex.texts for ex in corpus.examples}
    assert set(texts) == {"q1"}  # q2 and q3 have no German left, so only English: not written
    assert texts["q1"]["de"].negatives == (german[ANSWER_SENTENCES["q2"]],)
    stats = json.loads((tmp_path / "out" / "translate_report.json").read_text())["languages"]["de"]
    assert (stats["examples_kept"], stats["examples_dropped"], stats["translated"]) == (1, 2, 0)
    assert stats["rejected"]["question"]["copy"] == 1 and stats["rejected"]["question"]["wrong_language"] == 1
    assert stats["rejected"]["positive"]["empty"] == 1 and stats["rejected"]["positive"]["length_ratio"] == 1


def test_filters_report_the_tiny_models_gibberish(
    squad_file: Path, tiny_marian: Path, tmp_path: Path
) -> None:
    config = _config(squad_file, tiny_marian, tmp_path, languages="de", max_length=6, filters=("truncated",))
    run_translate(config)
    stats = json.loads((tmp_path / "out" / "translate_report.json").read_text())["languages"]["de"]
    assert stats["translated"] == UNIQUE_TEXTS
    assert stats["examples_kept"] + stats["examples_dropped"] == 6
    assert stats["rejected"]["question"]["truncated"] + stats["rejected"]["positive"]["truncated"] > 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"languages": "de,xx"}, "unknown language code 'xx'"),
        ({"languages": "en"}, "only the source language"),
        ({"filters": ("copy", "spelling")}, "unknown filter 'spelling'"),
        ({"num_shards": 2, "shard_index": 2}, "impossible"),
        ({"input": "missing.json"}, "does not exist"),
        ({"languages": "de,te"}, "cannot produce te"),
    ],
)
def test_errors_are_one_line_user_errors(
    squad_file: Path, tiny_m2m100: Path, tmp_path: Path, changes: dict, message: str
) -> None:
    with pytest.raises(UserError, match=message) as info:
        run_translate(_config(squad_file, tiny_m2m100, tmp_path, **changes))
    assert "\n" not in str(info.value)
    assert not (tmp_path / "cache.sqlite").exists() or not _cached(
        _config(squad_file, tiny_m2m100, tmp_path), "de", list(QUESTIONS.values())
    )


def test_cli_flags_map_onto_the_config(
    squad_file: Path, tiny_m2m100: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["translate", "--input", str(squad_file), "--model", str(tiny_m2m100), "--languages", "de,zh"]
    flags += ["--out", str(tmp_path / "out"), "--max-length", "8", "--cache", str(tmp_path / "c.sqlite")]
    flags += ["--limit", "2"]
    chosen = ["--filters", "copy,wrong_language,truncated", "--no-filter-wrong-language"]
    assert main([*flags, *chosen]) == 0
    config = json.loads((tmp_path / "out" / "translate_report.json").read_text(encoding="utf-8"))["config"]
    assert (config["filters"], config["limit"], config["languages"]) == (
        ["truncated", "copy"],
        2,
        ["de", "zh"],
    )
    capsys.readouterr()
    assert main([*flags, "--filters", ""]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith(f"wrote {tmp_path / 'out' / 'train.jsonl'}: 2 of 2 questions")
