"""`hybridir mine` end to end: BM25 on a slice of MLQA-R, a tiny dense model, the trainer reading it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.cli import main
from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText, split_by_group, write_jsonl
from hybridir.data.readers import load_training_corpus
from hybridir.sampling.planner import Strategy
from hybridir.training.pairs import build_pair_table
from tests.helpers import build_tiny_model


def _one_line_error(code: int, err: str, fragment: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err


def test_bm25_mining_on_mlqa_r_keeps_splits_apart_and_guards_hold(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mined.jsonl"
    argv = ["mine", "--train", "mlqa-r", "--languages", "en,de", "--model", "bm25", "--range-max", "20"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "report:" in capsys.readouterr().out

    original = load_training_corpus("mlqa-r", "en,de")
    mined = load_training_corpus(str(out))
    assert [ex.id for ex in mined.examples] == [ex.id for ex in original.examples]
    train, validation = split_by_group(mined, 0.1, 42)
    assert [ex.id for ex in train.examples] == [ex.id for ex in split_by_group(original, 0.1, 42)[0].examples]
    held_out = {(lang, t.positive) for ex in validation.examples for lang, t in ex.texts.items()}
    group_passages: dict[tuple[str, str], set[str]] = {}
    for ex in mined.examples:
        for lang, text in ex.texts.items():
            group_passages.setdefault((ex.group, lang), set()).add(text.positive)
    n_negatives = 0
    for part, other in ((train, held_out), (validation, set())):
        for ex in part.examples:
            for lang, text in ex.texts.items():
                n_negatives += len(text.negatives)
                assert text.positive not in text.negatives
                assert not set(text.negatives) & group_passages[(ex.group, lang)]
                if other:
                    assert not {(lang, n) for n in text.negatives} & other
    report = json.loads((tmp_path / "mined.report.json").read_text())
    assert report["total"]["negatives"] == n_negatives > 0
    assert report["total"]["texts"] == sum(len(ex.texts) for ex in original.examples)
    assert sum(row["texts"] for row in report["by_language"].values()) == report["total"]["texts"]
    assert report["total"]["margin"]["min"] >= 0  # no negative outscores its positive
    assert report["total"]["relative_margin"]["min"] >= 0.05 - 1e-6  # the default 5% rule
    assert "| de |" in (tmp_path / "mined.report.md").read_text()


def _tiny_jsonl(path: Path) -> Path:
    subjects = ["river", "castle", "violin", "comet", "glacier", "harbour"]
    examples = [
        TrainingExample(
            f"q{i}",
            f"article-{i}",
            {
                "en": TrainingText(f"What about the {s}?", f"The {s} is old.", ()),
                "de": TrainingText(f"Was ist mit {s}?", f"Das {s} ist alt.", ()),
            },
        )
        for i, s in enumerate(subjects)
    ]
    write_jsonl(TrainingCorpus(examples), path)
    return path


def test_dense_mining_output_feeds_the_trainer(tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    out = tmp_path / "mined.jsonl"
    argv = ["mine", "--train", str(_tiny_jsonl(tmp_path / "data.jsonl")), "--model", str(model)]
    argv += [
        "--out",
        str(out),
        "--validation-fraction",
        "0",
        "--num-negatives",
        "2",
        "--relative-margin",
        "0",
    ]
    assert main(argv) == 0
    corpus = load_training_corpus(str(out))
    assert any(text.negatives for ex in corpus.examples for text in ex.texts.values())
    table = build_pair_table(corpus, Strategy.HYBRID, hard_negatives=True, seed=0)
    for (index, _, p_lang), row in table.row_index.items():
        mined = corpus.examples[index].texts[p_lang].negatives
        if mined:
            assert table.dataset[row]["negative"] in mined


def test_mine_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(_tiny_jsonl(tmp_path / "data.jsonl"))
    code = main(
        ["mine", "--train", data, "--model", "bm25", "--out", str(tmp_path / "o.jsonl"), "--range-max", "0"]
    )
    _one_line_error(code, capsys.readouterr().err, "rank window")
    code = main(["mine", "--train", data, "--model", "bm25", "--out", str(tmp_path)])
    _one_line_error(code, capsys.readouterr().err, "is a folder")
    code = main(["mine", "--train", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o.jsonl")])
    _one_line_error(code, capsys.readouterr().err, "is neither a benchmark name")
