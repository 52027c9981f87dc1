"""Precision settings: auto follows the hardware, explicit settings pass, autocast only for bf16
and mixed, and mixed runs exactly the encoder's last layers in fp32."""

import pytest
import torch

from hybridir.core.precision import (
    FP32_TAIL_LAYERS,
    Precision,
    autocast,
    cpu_has_native_bf16,
    fp32_tail,
    layer_stack,
    resolve_precision,
)


def test_auto_resolves_by_the_cpu_flags() -> None:
    expected = Precision.MIXED if cpu_has_native_bf16() else Precision.FP32
    assert resolve_precision("auto", "cpu") is expected
    assert resolve_precision("fp32", "cpu") is Precision.FP32
    assert resolve_precision(Precision.BF16, "cpu") is Precision.BF16
    assert resolve_precision("mixed", "cpu") is Precision.MIXED
    with pytest.raises(ValueError):
        resolve_precision("fp16", "cpu")


def test_autocast_runs_linear_layers_in_bf16_only_when_asked() -> None:
    layer = torch.nn.Linear(4, 4)
    with autocast(Precision.BF16, layer):
        assert layer(torch.ones(1, 4)).dtype == torch.bfloat16
    with autocast(Precision.FP32, layer):
        assert layer(torch.ones(1, 4)).dtype == torch.float32


class _Stack(torch.nn.Module):
    """A toy encoder: a head, then a stack of layers, recording each layer's output dtype."""

    def __init__(self, depth: int) -> None:
        super().__init__()
        self.head = torch.nn.ModuleList([torch.nn.Linear(4, 4)])  # shorter list: not the stack
        self.layers = torch.nn.ModuleList(torch.nn.Linear(4, 4) for _ in range(depth))
        self.dtypes: list[torch.dtype] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head[0](x)
        for layer in self.layers:
            x = layer(x)
            self.dtypes.append(x.dtype)
        return x


def test_mixed_runs_the_last_layers_in_fp32_and_restores_them() -> None:
    tail = FP32_TAIL_LAYERS
    depth = tail + 3
    model = _Stack(depth=depth)
    assert layer_stack(model) == list(model.layers)
    with autocast(Precision.MIXED, model):
        model(torch.ones(1, 4))
    assert model.dtypes == [torch.bfloat16] * (depth - tail) + [torch.float32] * tail
    assert all("forward" not in vars(layer) for layer in model.layers)  # patched forwards removed
    model.dtypes.clear()
    with autocast(Precision.BF16, model):
        model(torch.ones(1, 4))
    assert model.dtypes == [torch.bfloat16] * depth


def test_mixed_leaves_layers_with_bf16_weights_under_autocast() -> None:
    tail = FP32_TAIL_LAYERS
    model = _Stack(depth=tail + 1)
    model.layers[-1].to(torch.bfloat16)  # as a bf16 base under LoRA holds it
    assert fp32_tail(model, tail) == list(model.layers[1:-1])  # what the encoding note counts
    with autocast(Precision.MIXED, model):
        model(torch.ones(1, 4))  # an fp32 input to bf16 weights would raise a dtype error
    assert model.dtypes == [torch.bfloat16] + [torch.float32] * (tail - 1) + [torch.bfloat16]
