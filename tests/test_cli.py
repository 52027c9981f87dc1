"""The command line: one-line errors with exit code 2, and a real end-to-end eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("hybridir: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_eval_missing_data_folder(capsys, tmp_path: Path) -> None:
    code, _, err = _run(
        capsys, "eval", "--model", "bm25", "--out", str(tmp_path), "--data-dir", str(tmp_path / "x")
    )
    _assert_one_line_error(code, err, "does not exist")


def test_eval_file_that_is_not_lareqa(capsys, tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text('{"data": [{"paragraphs": [{"context": "c", "qas": []}]}]}')
    code, _, err = _run(
        capsys, "eval", "--model", "bm25", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path)
    )
    _assert_one_line_error(code, err, "not LAReQA JSON")


def test_eval_unknown_language(capsys, shared_data: Path, tmp_path: Path) -> None:
    code, _, err = _run(
        capsys, "eval", "--model", "bm25", "--out", str(tmp_path), "--languages", "en,klingon"
    )
    _assert_one_line_error(code, err, "unknown language code 'klingon'")


def test_eval_unknown_model(capsys, shared_data: Path, tmp_path: Path) -> None:
    code, _, err = _run(
        capsys, "eval", "--model", "./no-such-model", "--out", str(tmp_path), "--languages", "en"
    )
    _assert_one_line_error(code, err, "no-such-model")


def test_train_bad_alpha_and_sampling(capsys, tmp_path: Path) -> None:
    code, _, err = _run(capsys, "train", "--alpha", "1.5", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "--alpha must be in [0, 1]")
    code, _, err = _run(capsys, "train", "--sampling", "x-z", "--out", str(tmp_path), "--max-steps", "1")
    _assert_one_line_error(code, err, "x-z")


def test_train_out_of_range_number_is_one_line(capsys, tmp_path: Path) -> None:
    """Found as a new user: a negative learning rate reached the optimizer and ended in a traceback."""
    code, _, err = _run(capsys, "train", "--learning-rate", "-1", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "--learning-rate must be positive, got -1")


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--precision", "fp16"], "--precision must be one of auto, mixed, bf16 or fp32, got 'fp16'"),
        (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--context", "document"], "--context must be sentence or paragraph"),
    ],
)
def test_eval_bad_setting_is_one_line(capsys, tmp_path: Path, flags: list[str], fragment: str) -> None:
    code, _, err = _run(capsys, "eval", "--model", "bm25", "--out", str(tmp_path), *flags)
    _assert_one_line_error(code, err, fragment)


def test_train_malformed_jsonl(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    code, _, err = _run(capsys, "train", "--train", str(bad), "--out", str(tmp_path / "run"))
    _assert_one_line_error(code, err, "is not JSON")


def test_eval_bm25_end_to_end(capsys, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "bm25"
    code, stdout, _ = _run(
        capsys, "eval", "--model", "bm25", "--benchmark", "mlqa-r", "--languages", "en,de", "--out", str(out)
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "benchmark",
        "model",
        "context",
        "languages",
        "monolingual",
        "crosslingual",
        "multilingual",
        "language_bias",
        "timing",
    ):
        assert key in metrics
    assert metrics["languages"] == ["en", "de"]
    assert set(metrics["crosslingual"]["by_pair"]) == {"en", "de"}
    # lexical matching works within a language and barely across languages
    assert metrics["monolingual"]["map"] > 0.3
    assert metrics["crosslingual"]["map"] < metrics["monolingual"]["map"]
    assert (out / "report.md").read_text().count("|") > 10
    assert (out / "crosslingual_map.png").stat().st_size > 1000
    assert (out / "per_query.jsonl").stat().st_size > 0
    assert "multilingual" in stdout
    code, table, _ = _run(capsys, "compare", f"lexical={out}", str(out))
    assert code == 0
    assert "| metric | lexical | bm25 | difference |" in table
    assert f"| {metrics['monolingual']['map']:.3f} |" in table.replace("| monolingual mAP ", "")


def test_eval_miracl_without_a_corpus_says_what_to_do(capsys, shared_data: Path, tmp_path: Path) -> None:
    code, _, err = _run(
        capsys,
        "eval",
        "--model",
        "bm25",
        "--benchmark",
        "miracl",
        "--languages",
        "sw",
        "--out",
        str(tmp_path),
    )
    _assert_one_line_error(code, err, "--corpus")


def _bitext(folder: Path, files: dict[str, int]) -> Path:
    folder.mkdir()
    for name, lines in files.items():
        (folder / name).write_text("".join(f"line {i}\n" for i in range(lines)), encoding="utf-8")
    return folder


def test_train_source_errors_are_one_line(capsys, shared_data: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "run")
    uneven = _bitext(tmp_path / "uneven", {"de.txt": 40, "en.txt": 39})
    code, _, err = _run(capsys, "train", "--train", "mlqa-r", "--train", str(uneven), "--out", out)
    _assert_one_line_error(code, err, "differ in line count (en.txt 39, de.txt 40)")
    unknown = _bitext(tmp_path / "unknown", {"de.txt": 40, "news.xyz-QQ.txt": 40})
    code, _, err = _run(capsys, "train", "--train", str(unknown), "--out", out)
    _assert_one_line_error(code, err, "unknown language code 'xyz-QQ'")
    bitext = _bitext(tmp_path / "bitext", {"de.txt": 40, "en.txt": 40})
    code, _, err = _run(
        capsys, "train", "--train", "mlqa-r", "--train", str(bitext), "--sampling", "x-x-mono", "--out", out
    )
    _assert_one_line_error(code, err, "source bitext: it gives only cross-language (x-y) pairs")
    tiny = tmp_path / "tiny.json"
    qas = [
        {"id": f"q{i}", "question": "?", "answers": [{"text": "东京", "answer_start": 0}]} for i in range(3)
    ]
    paragraphs = [{"context": f"东京{i}。好。", "qas": [qa]} for i, qa in enumerate(qas)]
    tiny.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}), encoding="utf-8")
    code, _, err = _run(capsys, "train", "--train", "mlqa-r", "--train", f"zh:{tiny}", "--out", out)
    _assert_one_line_error(code, err, "source tiny: only 3 training examples, fewer than the batch size 32")
    code, _, err = _run(capsys, "train", "--source-weights", "sized", "--out", out)
    _assert_one_line_error(code, err, "unknown source weighting 'sized'")
