import json
from pathlib import Path

import pytest

from hybridir.core.files import atomic_folder, atomic_open, atomic_write, write_json


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_text_bytes_and_json_land_whole(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a" / "t.txt", "é\n")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    write_json(tmp_path / "c.json", {"k": "é"})
    assert (tmp_path / "a" / "t.txt").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.json").read_text(encoding="utf-8") == '{\n  "k": "é"\n}\n'
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == {"k": "é"}


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "f.jsonl"
    atomic_write(target, "old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("new, half")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []


def test_folders_are_renamed_into_place_or_discarded(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with atomic_folder(target) as staging:
        (staging / "w").write_text("1", encoding="utf-8")
        assert not target.exists()
    assert (target / "w").read_text(encoding="utf-8") == "1"
    with atomic_folder(target, keep_existing=True) as staging:
        (staging / "w").write_text("2", encoding="utf-8")
    assert (target / "w").read_text(encoding="utf-8") == "1"
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "w").write_text("3", encoding="utf-8")
        raise RuntimeError("killed")
    assert (target / "w").read_text(encoding="utf-8") == "1"
    assert _leftovers(tmp_path) == []
    with atomic_folder(target) as staging:
        (staging / "w").write_text("4", encoding="utf-8")
    assert (target / "w").read_text(encoding="utf-8") == "4"
