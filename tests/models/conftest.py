"""Fixtures for model tests: the offline multilingual-e5-small, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hybridir.models.e5_offline import ensure_offline_e5


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rebuilt e5 folder in the session's test cache (the one tests/conftest.py points at).

    A session fixture runs before the per-test environment, so it sets the same cache itself.
    """
    cache = os.environ.setdefault("HYBRIDIR_TEST_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HYBRIDIR_CACHE", cache)
        return ensure_offline_e5()
