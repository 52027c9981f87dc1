"""Bitext folders: NTREX-128 codes mapped to project codes, plain <lang>.txt, and the reader's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.data.bitext import bitext_files, read_bitext
from hybridir.errors import UserError


def _write(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def test_ntrex_codes_map_to_project_codes(shared_data: Path) -> None:
    files = bitext_files(shared_data / "ntrex-128")
    assert len(files) == 22
    for code, name in (
        ("de", "deu"),
        ("ar", "arb"),
        ("fa", "fas"),
        ("sw", "swa"),
        ("en", "eng-US"),
        ("zh", "zho-CN"),
    ):
        assert files[code].name == f"newstest2019-ref.{name}.txt"
    corpus, notes = read_bitext(shared_data / "ntrex-128", ["en", "zh", "ar"])
    assert len(corpus) == 1997 and corpus.languages == ["ar", "en", "zh"] and notes == []
    first = corpus.examples[0].texts
    assert first["zh"].positive.startswith("威尔士国民议会议员")
    assert first["en"].question == first["en"].positive  # a line is its own "question" and "positive"
    assert first["en"].negatives == (corpus.examples[1].texts["en"].positive,)  # the next line
    assert corpus.examples[-1].texts["en"].negatives == (corpus.examples[-2].texts["en"].positive,)


def test_plain_layout_blank_lines_and_groups(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "bi", {"de.txt": ["Hallo.", "", "Tschüss."], "sw.txt": ["Habari.", "Asante.", "Kwaheri."]}
    )
    corpus, notes = read_bitext(folder)
    assert corpus.languages == ["de", "sw"]
    assert [sorted(ex.texts) for ex in corpus.examples] == [["de", "sw"], ["sw"], ["de", "sw"]]
    assert notes == ["bi: 1 blank line(s) left out of their languages"]
    assert {ex.group for ex in corpus.examples} == {"lines-0"}


@pytest.mark.parametrize(
    ("files", "needles"),
    [
        ({"de.txt": ["a", "b"], "en.txt": ["a"]}, ["differ in line count", "en.txt 1", "de.txt 2"]),
        ({"de.txt": ["a"], "xx-klingon.txt": ["a"]}, ["unknown language code 'xx-klingon'", "<lang>.txt"]),
        ({"de.txt": ["a"], "ref.deu.txt": ["a"]}, ["both language 'de'"]),
        ({"de.txt": ["a"]}, ["two or more languages"]),
    ],
)
def test_bad_folders_are_one_line_errors(
    tmp_path: Path, files: dict[str, list[str]], needles: list[str]
) -> None:
    with pytest.raises(UserError) as info:
        read_bitext(_write(tmp_path / "bi", files))
    assert "\n" not in str(info.value)
    for needle in needles:
        assert needle in str(info.value)


def test_a_missing_language_is_named(tmp_path: Path) -> None:
    folder = _write(tmp_path / "bi", {"de.txt": ["a"], "en.txt": ["b"]})
    with pytest.raises(UserError, match="no bitext in 'fr': it has de, en"):
        read_bitext(folder, ["fr"])
