"""Precision settings: auto follows the hardware, explicit settings pass, autocast only for bf16."""

import pytest
import torch

from hybridir.core.precision import Precision, autocast, cpu_has_native_bf16, resolve_precision


def test_auto_resolves_by_the_cpu_flags() -> None:
    expected = Precision.BF16 if cpu_has_native_bf16() else Precision.FP32
    assert resolve_precision("auto", "cpu") is expected
    assert resolve_precision("fp32", "cpu") is Precision.FP32
    assert resolve_precision(Precision.BF16, "cpu") is Precision.BF16
    with pytest.raises(ValueError):
        resolve_precision("fp16", "cpu")


def test_autocast_runs_linear_layers_in_bf16_only_when_asked() -> None:
    layer = torch.nn.Linear(4, 4)
    with autocast(Precision.BF16, layer):
        assert layer(torch.ones(1, 4)).dtype == torch.bfloat16
    with autocast(Precision.FP32, layer):
        assert layer(torch.ones(1, 4)).dtype == torch.float32
