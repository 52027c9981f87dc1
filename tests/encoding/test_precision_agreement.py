"""bf16 encoding stays exact enough: every metric of an XQuAD-R slice within 0.002 of fp32.

The slice is the first article of three languages (about 220 questions, 200 candidates), so
the test encodes a few hundred short texts twice; benchmarks/eval_speed.py checks the whole
benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridir.drivers.evaluate import EvalConfig, run_lareqa_eval
from hybridir.precision import cpu_has_native_bf16

LANGUAGES = ("en", "de", "zh")


def _numbers(section: object, prefix: str = "") -> dict[str, float]:
    if isinstance(section, dict):
        return {k: v for key, value in section.items() for k, v in _numbers(value, f"{prefix}{key}.").items()}
    return {prefix: float(section)} if isinstance(section, (int, float)) else {}


@pytest.fixture(scope="module")
def xquad_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xquad-slice")
    for lang in LANGUAGES:
        data = json.loads((shared_data / "xquad-r" / f"{lang}.json").read_text(encoding="utf-8"))
        data["data"] = data["data"][:1]
        (folder / f"{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16, so auto means fp32")
def test_bf16_metrics_agree_with_fp32_on_a_slice(xquad_slice: Path, tmp_path: Path) -> None:
    runs = {
        precision: run_lareqa_eval(
            EvalConfig(
                model="multilingual-e5-small",
                data_dir=str(xquad_slice),
                out=str(tmp_path / precision),
                show_progress=False,
                precision=precision,
            )
        )
        for precision in ("auto", "fp32")
    }
    assert any("bf16 autocast" in note for note in runs["auto"]["notes"])
    assert not any("bf16" in note for note in runs["fp32"]["notes"])
    sections = ("monolingual", "crosslingual", "multilingual")
    bf16, fp32 = (_numbers({key: run[key] for key in sections}) for run in (runs["auto"], runs["fp32"]))
    scores = [key for key in fp32 if not key.endswith("skipped.")]
    assert len(scores) >= 30
    assert max(abs(bf16[key] - fp32[key]) for key in scores) <= 0.002
