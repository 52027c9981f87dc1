"""What each --train value reads as: specs, source kinds, languages across sources, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.data.training_sources import (
    SourceKind,
    SourceSpec,
    load_training_sources,
    parse_source_spec,
    split_sources,
)
from hybridir.errors import UserError


def test_spec_strings_and_mappings() -> None:
    assert parse_source_spec("mlqa-r") == SourceSpec("mlqa-r")
    assert parse_source_spec("ar:../data/arcd-train.json") == SourceSpec(
        "../data/arcd-train.json", language="ar"
    )
    assert parse_source_spec({"path": "x.jsonl", "languages": ["en", "de"], "weight": 2}) == SourceSpec(
        "x.jsonl", languages="en,de", weight=2.0
    )
    assert parse_source_spec({"path": "f.json", "language": "zh"}).language == "zh"
    assert SourceSpec("../shared/data/arcd/arcd-train.json").default_name == "arcd-train"
    assert SourceSpec("../shared/data/ntrex-128").default_name == "ntrex-128"
    with pytest.raises(UserError, match="unknown language code 'qq'"):
        parse_source_spec("qq:file.json")
    with pytest.raises(UserError, match="weight must be a positive number"):
        parse_source_spec({"path": "x", "weight": 0})
    with pytest.raises(UserError, match="needs 'path'"):
        parse_source_spec({"file": "x"})


def test_four_kinds_of_source_in_one_run(shared_data: Path) -> None:
    sources = load_training_sources(
        [
            "mlqa-r",
            str(shared_data / "ntrex-128"),
            f"ar:{shared_data / 'arcd' / 'arcd-train.json'}",
            {"path": str(shared_data / "cmrc2018" / "cmrc2018_trial.json"), "language": "zh", "weight": 0.5},
        ],
        languages="en,de,ar,zh",
    )
    assert [(s.name, s.kind) for s in sources] == [
        ("mlqa-r", SourceKind.PARALLEL_QA),
        ("ntrex-128", SourceKind.BITEXT),
        ("arcd-train", SourceKind.MONOLINGUAL_QA),
        ("cmrc2018_trial", SourceKind.MONOLINGUAL_QA),
    ]
    assert [s.corpus.languages for s in sources] == [["ar", "de", "en", "zh"]] * 2 + [["ar"], ["zh"]]
    assert sources[3].weight == 0.5
    assert [(k.same_language, k.cross_language) for k in SourceKind] == [
        (True, True),
        (True, False),
        (False, True),
    ]
    train, validation = split_sources(sources, 0.1, seed=1)
    assert [s.name for s in validation] == [s.name for s in sources]  # every source gives validation groups
    for kept, held in zip(train, validation, strict=True):
        assert {ex.group for ex in kept.corpus.examples}.isdisjoint(ex.group for ex in held.corpus.examples)
        assert len(kept.corpus) + len(held.corpus) == len(
            next(s for s in sources if s.name == kept.name).corpus
        )


def test_languages_with_one_source_must_all_exist(shared_data: Path) -> None:
    with pytest.raises(UserError, match="has no language 'ru'"):
        load_training_sources("mlqa-r", languages="en,ru")
    with pytest.raises(UserError, match="no train source has language 'sq'"):
        load_training_sources(["mlqa-r", str(shared_data / "ntrex-128")], languages="en,sq,fr")


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("cmrc2018/cmrc2018_dev.json", "evaluation data in this project: train on cmrc2018_trial.json"),
        ("zh:arcd/arcd-test.json", "evaluation data"),
        ("arcd/arcd-train.json", "does not say its language: pass it as LANG:PATH"),
        ("zh:ntrex-128", "a LANG: prefix is for a single SQuAD JSON file"),
    ],
)
def test_bad_specs_are_one_line_errors(shared_data: Path, spec: str, needle: str) -> None:
    language, _, path = spec.rpartition(":")
    full = f"{language}:{shared_data / path}" if language else str(shared_data / path)
    with pytest.raises(UserError) as info:
        load_training_sources([full])
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_repeated_sources_get_distinct_names(shared_data: Path) -> None:
    sources = load_training_sources(["mlqa-r", "mlqa-r"], languages="en,de")
    assert [s.name for s in sources] == ["mlqa-r", "mlqa-r-2"]
