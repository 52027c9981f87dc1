"""Which number format to compute in: bf16 autocast where the hardware does bf16 natively, else fp32.

bf16 autocast (matrix products in bfloat16, reductions and normalisations in fp32) pays only
where the hardware multiplies bf16 natively: CUDA GPUs of compute capability 8.0 or newer, and
CPUs with AVX512_BF16 or AMX (recent AMD EPYC / Intel Xeon). Elsewhere PyTorch emulates it and
fp32 is faster, so ``auto`` means bf16 exactly there. Measured on this project's 2-core EPYC
(AVX512_BF16): see docs/performance.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import torch

from hybridir.core.settings import Choice

_CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


class Precision(Choice):
    """Compute precision setting: ``auto`` resolves to ``bf16`` where native, else ``fp32``."""

    AUTO = "auto"
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
    """``auto`` -> ``bf16`` or ``fp32`` for ``device``; explicit settings pass through."""
    precision = Precision(setting)
    if precision is Precision.AUTO:
        return Precision.BF16 if native_bf16(device) else Precision.FP32
    return precision


@contextlib.contextmanager
def autocast(precision: Precision, model: torch.nn.Module) -> Iterator[None]:
    """bf16 autocast on ``model``'s device when ``precision`` is bf16; a no-op for fp32."""
    if precision is Precision.BF16:
        with torch.autocast(next(model.parameters()).device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
