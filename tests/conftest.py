"""Shared test fixtures: the real benchmark data in ../shared/data, skipped with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder holding xquad-r/, mlqa-r/ and miracl/ (skips the test when missing)."""
    root = Path(os.environ.get("HYBRIDIR_DATA", SHARED_DATA))
    if not (root / "xquad-r").is_dir():
        pytest.skip(f"real benchmark data not found at {root}: set HYBRIDIR_DATA to a copy of shared/data")
    return root


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point HYBRIDIR_DATA at the shared data and keep the embedding cache per session."""
    root = Path(os.environ.get("HYBRIDIR_DATA", SHARED_DATA))
    if root.is_dir():
        monkeypatch.setenv("HYBRIDIR_DATA", str(root))
    if "HYBRIDIR_TEST_CACHE" not in os.environ:
        os.environ["HYBRIDIR_TEST_CACHE"] = str(tmp_path_factory.getbasetemp() / "cache")
    monkeypatch.setenv("HYBRIDIR_CACHE", os.environ["HYBRIDIR_TEST_CACHE"])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
