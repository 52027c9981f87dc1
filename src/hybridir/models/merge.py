"""Weight-space merging of sentence-transformers models of one architecture.

- WiSE-FT (Wortsman et al., 2022, arXiv 2109.01903): ``(1 - r) * zero_shot + r * fine_tuned``
  keeps much of what the zero-shot model knew and much of what fine-tuning added;
- checkpoint averaging: the uniform (or weighted) mean of N models, e.g. the seeds or the last
  checkpoints of a run.

Written by hand (a weighted sum of state dicts is a few lines; no library in this project does
it for SentenceTransformer folders). Floating-point tensors are combined in float32 and cast back
to the first model's dtype; a weight of 0 or 1 reproduces an input exactly. Integer buffers (e.g.
position ids) must be equal in every model. The merged model keeps the first model's modules,
tokenizer and prompts.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer

from hybridir.errors import UserError
from hybridir.models.registry import hub_offline, resolve_model_path

StateDict = Mapping[str, torch.Tensor]


def load_for_merge(spec: str) -> tuple[SentenceTransformer, str]:
    """Load a model named as everywhere in hybridir (name, folder, run folder); return it and its source."""
    if spec.strip().lower() in ("bm25", "use-m3"):
        raise UserError(f"{spec} has no weights to merge: give sentence-transformers models or run folders")
    source, _ = resolve_model_path(spec.strip())
    try:
        return SentenceTransformer(source, device="cpu", local_files_only=hub_offline()), source
    except OSError as exc:
        raise UserError(f"could not load model {spec!r} from {source} ({exc})") from exc


def _architecture(model: SentenceTransformer) -> list[str]:
    return [type(module).__name__ for module in model]


def check_same_architecture(models: Sequence[SentenceTransformer], names: Sequence[str]) -> None:
    """Raise a one-line :class:`UserError` unless all models have the same modules, keys and shapes."""
    first, first_name = models[0], names[0]
    reference = first.state_dict()
    for model, name in zip(models[1:], names[1:], strict=True):
        if _architecture(model) != _architecture(first):
            raise UserError(
                f"cannot merge {name} with {first_name}: modules differ "
                f"({' -> '.join(_architecture(model))} vs {' -> '.join(_architecture(first))})"
            )
        state = model.state_dict()
        missing = sorted(set(reference) ^ set(state))
        if missing:
            raise UserError(
                f"cannot merge {name} with {first_name}: different architectures "
                f"(weight {missing[0]!r} is in only one of them)"
            )
        for key, tensor in reference.items():
            if state[key].shape != tensor.shape:
                raise UserError(
                    f"cannot merge {name} with {first_name}: different architectures "
                    f"({key} is {tuple(state[key].shape)} vs {tuple(tensor.shape)})"
                )


def weighted_state_dict(states: Sequence[StateDict], weights: Sequence[float]) -> dict[str, torch.Tensor]:
    """``sum_i weights[i] * states[i]`` for float tensors; integer tensors must agree and are copied."""
    if len(states) != len(weights) or not states:
        raise UserError(f"need one weight per model, got {len(weights)} weights for {len(states)} models")
    merged = {}
    for key, first in states[0].items():
        if not torch.is_floating_point(first):
            if any(not torch.equal(state[key], first) for state in states[1:]):
                raise UserError(f"cannot merge: non-float buffer {key!r} differs between the models")
            merged[key] = first.clone()
            continue
        total = torch.zeros_like(first, dtype=torch.float32)
        for state, weight in zip(states, weights, strict=True):
            if weight != 0.0:
                total.add_(state[key].to(torch.float32), alpha=weight)
        merged[key] = total.to(first.dtype)
    return merged


def check_ratio(ratio: float) -> float:
    """``ratio`` if it is in [0, 1], else a one-line :class:`UserError`."""
    if not 0.0 <= ratio <= 1.0:
        raise UserError(f"interpolation ratio must be in [0, 1], got {ratio}: 0 = zero-shot, 1 = fine-tuned")
    return ratio


def wise_ft_state_dict(zero_shot: StateDict, fine_tuned: StateDict, ratio: float) -> dict[str, torch.Tensor]:
    """WiSE-FT weights ``(1 - ratio) * zero_shot + ratio * fine_tuned``."""
    check_ratio(ratio)
    return weighted_state_dict([zero_shot, fine_tuned], [1.0 - ratio, ratio])


def save_merged(
    template: SentenceTransformer, state: StateDict, out: Path, provenance: dict[str, object]
) -> Path:
    """Load ``state`` into ``template`` and save it as ``out`` (atomically), with ``merge.json`` inside."""
    template.load_state_dict(state)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    template.save(str(partial))
    (partial / "merge.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)
    return out
