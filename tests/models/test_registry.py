"""Model names -> scorers, offline: known names resolve, unknown ones fail with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridir.encoding.base import Scorer
from hybridir.errors import UserError
from hybridir.models.e5_offline import Q4_NOTE
from hybridir.models.registry import load_scorer, prompts_for, resolve_model_path


@pytest.mark.parametrize("name", ["foo", "someone/no-such-model"])
def test_unknown_name_is_a_user_error(name: str) -> None:
    with pytest.raises(UserError, match=r"unknown model .*multilingual-e5-small, bm25, use-m3"):
        load_scorer(name)


def test_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not an existing folder"):
        resolve_model_path(str(tmp_path / "nope"))
    with pytest.raises(UserError, match="not a model folder"):
        resolve_model_path(str(tmp_path))


@pytest.mark.parametrize("name", ["multilingual-e5-small", "intfloat/multilingual-e5-small"])
def test_e5_offline_carries_the_4bit_note(e5_dir: Path, name: str) -> None:
    path, notes = resolve_model_path(name)
    assert Path(path) == e5_dir and notes == [Q4_NOTE]


def test_local_folder_resolves(e5_dir: Path) -> None:
    assert resolve_model_path(str(e5_dir)) == (str(e5_dir.resolve()), [])


def test_prompt_conventions() -> None:
    assert prompts_for("x", {"query": "q: ", "passage": "p: "}) == ("q: ", "p: ")
    assert prompts_for("x", {"query": "q: ", "document": "d: "}) == ("q: ", "d: ")
    assert prompts_for("my-e5-model", {"query": "", "document": ""}) == ("query: ", "passage: ")
    assert prompts_for("LaBSE", {}) == ("", "")


def test_baselines_are_scorers() -> None:
    assert isinstance(load_scorer("bm25", show_progress=False), Scorer)
    assert isinstance(load_scorer("use-m3", show_progress=False), Scorer)
