"""`hybridir eval` on Tatoeba, CMRC 2018 / ARCD, a user's collection and a LAReQA folder of any language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.cli import main
from tests.data.test_collection import write_collection


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(code: int, err: str, fragment: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("hybridir: error:")]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err


def test_tatoeba_slice_with_bm25(capsys, shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "tatoeba").is_dir():
        pytest.skip("no Tatoeba data")
    code, out, _ = _run(
        capsys,
        "eval",
        "--model",
        "bm25",
        "--benchmark",
        "tatoeba",
        "--languages",
        "te",
        "--out",
        str(tmp_path),
    )
    assert code == 0 and "accuracy xx->en" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["languages"] == ["te"] and metrics["file_codes"] == {"te": "tel"}
    assert metrics["pairs"] == {"te": 234}
    assert 0.0 <= metrics["accuracy"]["mean"] <= 1.0
    rows = (tmp_path / "per_query.jsonl").read_text().splitlines()
    assert len(rows) == 2 * 234
    assert "| te | Telugu | 234 |" in (tmp_path / "report.md").read_text()


def test_arcd_with_bm25(capsys, shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "arcd").is_dir():
        pytest.skip("no ARCD data")
    code, out, _ = _run(capsys, "eval", "--model", "bm25", "--benchmark", "arcd", "--out", str(tmp_path))
    assert code == 0 and "nDCG@10" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert (metrics["split"], metrics["languages"]) == ("test", ["ar"])
    assert metrics["sentence"]["questions"] + metrics["sentence"]["answer_in_no_sentence"] == 702
    assert metrics["passage"]["questions"] == 702 and metrics["passage"]["passages"] == 234
    # BM25 finds native Arabic answers well above chance (1 in 789 sentences, 1 in 234 paragraphs)
    assert metrics["sentence"]["recall@10"] > 0.5 and metrics["passage"]["nDCG@10"] > 0.5
    code, _, err = _run(
        capsys, "eval", "--model", "bm25", "--benchmark", "arcd", "--languages", "en", "--out", str(tmp_path)
    )
    _one_line_error(code, err, "arcd is ar only")


def test_collection_with_bm25(capsys, tmp_path: Path) -> None:
    folder = write_collection(tmp_path / "mine")
    code, out, _ = _run(
        capsys, "eval", "--model", "bm25", "--benchmark", str(folder), "--out", str(tmp_path / "o")
    )
    assert code == 0, out
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["num_questions"] == 2 and metrics["num_candidates"] == 5
    assert set(metrics["monolingual"]["by_language"]) == {"en", "de"}
    assert "1 queries have no relevant document in the pool and are not scored" in metrics["notes"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"qrels": "q1 0 nope 1\n"}, "judges document 'nope'"),
        ({"queries": [{"id": "q1", "language": "xq", "text": "x"}]}, "unknown language code 'xq'"),
    ],
)
def test_collection_errors_exit_2(capsys, tmp_path: Path, change: dict, fragment: str) -> None:
    folder = write_collection(tmp_path / "bad", **change)
    code, _, err = _run(
        capsys, "eval", "--model", "bm25", "--benchmark", str(folder), "--out", str(tmp_path / "o")
    )
    _one_line_error(code, err, fragment)


def test_unknown_benchmark_exit_2(capsys, tmp_path: Path) -> None:
    code, _, err = _run(capsys, "eval", "--model", "bm25", "--benchmark", "squad", "--out", str(tmp_path))
    _one_line_error(code, err, "unknown benchmark 'squad'")


def test_lareqa_folder_with_any_language_and_a_stray_file(capsys, shared_data: Path, tmp_path: Path) -> None:
    payload = json.loads((shared_data / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    payload["data"] = payload["data"][:1]
    text = json.dumps(payload, ensure_ascii=False)
    folder = tmp_path / "lareqa"
    folder.mkdir()
    for name in ("en.json", "ca.json", "notes.json"):  # Catalan: in no table of the project
        (folder / name).write_text(text, encoding="utf-8")
    code, out, _ = _run(
        capsys,
        "eval",
        "--model",
        "bm25",
        "--data-dir",
        str(folder),
        "--languages",
        "en,ca",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["languages"] == ["en", "ca"]
    assert "note: notes.json left out: 'notes' is no language code" in out


def test_data_prepare_knows_the_new_sets(capsys, shared_data: Path) -> None:
    if not all((shared_data / name).is_dir() for name in ("tatoeba", "cmrc2018", "arcd")):
        pytest.skip("new data sets not in the shared data")
    code, out, _ = _run(capsys, "data", "prepare", "tatoeba", "cmrc2018", "arcd")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["tatoeba", "cmrc2018", "arcd"]
    code, _, err = _run(capsys, "data", "prepare", "squad")
    _one_line_error(code, err, "unknown data set 'squad'")


def test_download_sources_name_the_public_files() -> None:
    from hybridir.data.sources import SOURCES

    assert len(SOURCES["tatoeba"].files) == 40
    assert SOURCES["tatoeba"].url("tatoeba.cmn-eng.cmn").endswith("/data/tatoeba/v1/tatoeba.cmn-eng.cmn")
    assert SOURCES["cmrc2018"].url("cmrc2018_dev.json").endswith("/squad-style-data/cmrc2018_dev.json")
    assert SOURCES["arcd"].files == ("arcd-test.json",)
