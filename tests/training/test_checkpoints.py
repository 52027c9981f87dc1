import json
from pathlib import Path

import pytest

from hybridir.training.checkpoints import has_checkpoints, last_complete_checkpoint, resumable


def _checkpoint(folder: Path, step: int, state: str | None) -> Path:
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"weights")
    if state is not None:
        (path / "trainer_state.json").write_text(state, encoding="utf-8")
    return path


def test_incomplete_checkpoints_are_noted_removed_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _checkpoint(tmp_path, 2, json.dumps({"global_step": 2}))
    _checkpoint(tmp_path, 10, json.dumps({"global_step": 10}))
    missing = _checkpoint(tmp_path, 12, None)  # killed before the state was written
    truncated = _checkpoint(tmp_path, 14, '{"global_st')  # killed while it was written
    last = last_complete_checkpoint(tmp_path)
    assert last is not None and (last.path.name, last.step) == ("checkpoint-10", 10)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "checkpoint-14 is incomplete" in err[0] and "checkpoint-12" in err[1]
    assert not missing.exists() and not truncated.exists()


def test_no_checkpoint_at_all(tmp_path: Path) -> None:
    assert last_complete_checkpoint(tmp_path / "absent") is None
    assert not has_checkpoints(tmp_path)
    _checkpoint(tmp_path, 3, None)
    assert has_checkpoints(tmp_path)
    assert last_complete_checkpoint(tmp_path) is None
    assert not has_checkpoints(tmp_path)


def test_resumable_wants_a_complete_checkpoint(tmp_path: Path) -> None:
    assert not resumable(tmp_path)
    _checkpoint(tmp_path / "checkpoints", 4, None)
    assert not resumable(tmp_path)
    _checkpoint(tmp_path / "checkpoints", 2, json.dumps({"global_step": 2}))
    assert resumable(tmp_path)
