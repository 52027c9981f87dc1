"""Tatoeba files: counts and the ISO 639-3 -> project code mapping on the shared data; reported leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.data.tatoeba import find_pairs, load_tatoeba
from hybridir.errors import UserError


@pytest.fixture
def tatoeba_dir(shared_data: Path) -> Path:
    folder = shared_data / "tatoeba"
    if not folder.is_dir():
        pytest.skip(f"no Tatoeba data at {folder}")
    return folder


def test_shared_files_and_code_mapping(tatoeba_dir: Path) -> None:
    tatoeba = load_tatoeba(tatoeba_dir)
    assert len(tatoeba.pairs) == 20
    assert tatoeba.notes == []
    codes = {pair.file_code: pair.language for pair in tatoeba.pairs}
    assert {code: codes[code] for code in ("cmn", "pes", "swh", "ara", "deu", "jpn")} == {
        "cmn": "zh",
        "pes": "fa",
        "swh": "sw",
        "ara": "ar",
        "deu": "de",
        "jpn": "ja",
    }
    sizes = {pair.language: len(pair.sentences) for pair in tatoeba.pairs}
    assert (sizes["th"], sizes["sw"], sizes["te"]) == (548, 390, 234)
    assert sum(size == 1000 for size in sizes.values()) == 17
    assert all(len(pair.sentences) == len(pair.english) for pair in tatoeba.pairs)


def test_languages_select_pairs(tatoeba_dir: Path) -> None:
    tatoeba = load_tatoeba(tatoeba_dir, "zh,sw")
    assert tatoeba.languages == ["zh", "sw"]
    with pytest.raises(UserError, match="tatoeba has no language 'it'"):
        load_tatoeba(tatoeba_dir, "it")
    with pytest.raises(UserError, match="unknown language code 'cmn': write 'zh'"):
        load_tatoeba(tatoeba_dir, "cmn")


def test_unusable_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "tatoeba.cat-eng.cat").write_text("Bon dia.\nGràcies.\n", encoding="utf-8")
    (tmp_path / "tatoeba.cat-eng.eng").write_text("Good morning.\nThanks.\n", encoding="utf-8")
    (tmp_path / "tatoeba.qqq-eng.qqq").write_text("x\n", encoding="utf-8")
    (tmp_path / "tatoeba.qqq-eng.eng").write_text("x\n", encoding="utf-8")
    (tmp_path / "tatoeba.ita-eng.ita").write_text("Ciao.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    codes, notes = find_pairs(tmp_path)
    assert codes == {"ca": "cat"}  # Catalan: a language in no table of the project
    assert any("notes.txt" in note for note in notes)
    assert any("'qqq' is no language code" in note for note in notes)
    assert any("tatoeba.ita-eng.eng is missing" in note for note in notes)
    assert load_tatoeba(tmp_path).pairs[0].english == ["Good morning.", "Thanks."]


def test_misaligned_sides_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "tatoeba.deu-eng.deu").write_text("Hallo.\nDanke.\n", encoding="utf-8")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("Hello.\n", encoding="utf-8")
    with pytest.raises(UserError, match="line-aligned"):
        load_tatoeba(tmp_path)
