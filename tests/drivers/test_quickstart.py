"""The quickstart end to end on a tiny random model: train, WiSE-FT on validation, compare, reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.drivers import quickstart
from tests.helpers import build_tiny_model


def test_quickstart_trains_merges_compares_and_reuses(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quickstart, "BASE_MODEL", str(build_tiny_model(tmp_path / "tiny")))
    out = tmp_path / "quickstart"

    table = quickstart.run_quickstart(out, max_steps=2, languages="en,de")

    assert "| metric | zero-shot | hybrid + WiSE-FT | difference |" in table
    summary = json.loads((out / "comparison.json").read_text())
    assert summary["wise_ft_ratio"] in quickstart.QUICKSTART_RATIOS
    interpolation = json.loads((out / "hybrid-wise-ft" / "interpolation.json").read_text())
    assert [row["ratio"] for row in interpolation["ratios"]] == list(quickstart.QUICKSTART_RATIOS)
    assert interpolation["fine_tuned"] == str(out / "hybrid-mlqa-r")
    assert f"r = {summary['wise_ft_ratio']:g} chosen on MLQA-R's held-out articles" in table
    for label in ("zero-shot", "hybrid + WiSE-FT"):
        assert summary[label]["languages"] == ["en", "de"]

    merged = out / "hybrid-wise-ft" / "model"
    written = {path: path.stat().st_mtime_ns for path in merged.rglob("*") if path.is_file()}
    assert quickstart.run_quickstart(out, max_steps=2, languages="en,de") == table
    assert {path: path.stat().st_mtime_ns for path in merged.rglob("*") if path.is_file()} == written
