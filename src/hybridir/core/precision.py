"""Which number format to compute in: bf16 autocast where the hardware does bf16 natively, else fp32.

bf16 autocast (matrix products in bfloat16, reductions and normalisations in fp32) pays only
where the hardware multiplies bf16 natively: CUDA GPUs of compute capability 8.0 or newer, and
CPUs with AVX512_BF16 or AMX (recent AMD EPYC / Intel Xeon). Elsewhere PyTorch emulates it and
fp32 is faster, so ``auto`` means bf16 exactly there. Measured on a 2-core EPYC (AVX512_BF16)
and a 2-core Xeon (AMX): see docs/performance.md.

For encoding, ``auto`` means ``mixed``: bf16 autocast with the last :data:`FP32_TAIL_LAYERS`
layers of the encoder in fp32. On the full XQuAD-R, plain bf16 moved 7 of its 182 metric values
by more than 0.002 against fp32 (at most 0.0034); two, three or four fp32 layers still moved
three, one and two (zh questions against the ru pool), six moved none (at most 0.0017), at
0.46-0.50 of a bare fp32 encode's time end to end on the 2-core Xeon (docs/performance.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import torch

from hybridir.core.settings import Choice

_CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
FP32_TAIL_LAYERS = 6  # encoder layers that ``mixed`` runs in fp32, counted from the output


class Precision(Choice):
    """Encoding precision setting: ``auto`` resolves to ``mixed`` where bf16 is native, else ``fp32``.

    ``mixed`` is bf16 autocast with the encoder's last :data:`FP32_TAIL_LAYERS` layers in fp32.
    """

    AUTO = "auto"
    MIXED = "mixed"
    BF16 = "bf16"
    FP32 = "fp32"


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512_BF16 or AMX flags in /proc/cpuinfo)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("flags"):
            return bool(_CPU_BF16_FLAGS & set(line.split(":", 1)[1].split()))
    return False


def native_bf16(device: str) -> bool:
    """Whether ``device`` ("cpu" or "cuda[:n]") computes bf16 natively."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    return cpu_has_native_bf16()


def resolve_precision(setting: Precision | str, device: str) -> Precision:
    """``auto`` -> ``mixed`` or ``fp32`` for ``device``; explicit settings pass through."""
    precision = Precision(setting)
    if precision is Precision.AUTO:
        return Precision.MIXED if native_bf16(device) else Precision.FP32
    return precision


def default_device_precision(setting: Precision | str) -> Precision:
    """``setting`` resolved for the device a model loads on by default (CUDA if present)."""
    return resolve_precision(setting, "cuda" if torch.cuda.is_available() else "cpu")


def layer_stack(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The model's transformer layers in order: its longest ``ModuleList`` (BERT's
    ``encoder.layer``, Llama's ``layers``); empty when it has none."""
    stacks = [module for module in model.modules() if isinstance(module, torch.nn.ModuleList)]
    return list(max(stacks, key=len)) if stacks else []


def _holds_fp32_weights(layer: torch.nn.Module) -> bool:
    return all(p.dtype == torch.float32 for p in layer.parameters() if p.is_floating_point())


def fp32_tail(model: torch.nn.Module, count: int) -> list[torch.nn.Module]:
    """Those of the last ``count`` layers of ``model`` that hold fp32 weights: the layers that
    :func:`fp32_layers` runs in fp32 (a base model loaded in bf16 for LoRA has none)."""
    tail = layer_stack(model)[-count:] if count > 0 else []
    return [layer for layer in tail if _holds_fp32_weights(layer)]


def _to_fp32(value: object) -> object:
    return value.float() if torch.is_tensor(value) and value.is_floating_point() else value


@contextlib.contextmanager
def fp32_modules(modules: list[torch.nn.Module], device_type: str) -> Iterator[None]:
    """Run ``modules`` outside autocast on ``device_type``, their float inputs cast to fp32."""
    originals = [module.forward for module in modules]

    def outside_autocast(forward: Callable) -> Callable:
        def wrapped(*args, **kwargs):
            with torch.autocast(device_type, enabled=False):
                args = tuple(_to_fp32(a) for a in args)
                return forward(*args, **{key: _to_fp32(value) for key, value in kwargs.items()})

        return wrapped

    for module, forward in zip(modules, originals, strict=True):
        module.forward = outside_autocast(forward)
    try:
        yield
    finally:
        for module in modules:
            del module.forward  # back to the class's forward


@contextlib.contextmanager
def fp32_layers(model: torch.nn.Module, count: int) -> Iterator[None]:
    """Run the last ``count`` layers of ``model`` outside autocast, their float inputs cast to fp32.

    A layer holding weights in another format (a base model loaded in bf16 for LoRA) stays under
    autocast: it has no fp32 weights to compute with.
    """
    with fp32_modules(fp32_tail(model, count), next(model.parameters()).device.type):
        yield


@contextlib.contextmanager
def autocast(precision: Precision, model: torch.nn.Module) -> Iterator[None]:
    """bf16 autocast on ``model``'s device for bf16 and mixed (its last layers in fp32); a no-op
    for fp32."""
    if precision in (Precision.BF16, Precision.MIXED):
        tail = FP32_TAIL_LAYERS if precision is Precision.MIXED else 0
        device = next(model.parameters()).device.type
        with torch.autocast(device, dtype=torch.bfloat16), fp32_layers(model, tail):
            yield
    else:
        yield
