"""What exactness costs on this CPU: encoding paths for one XQuAD-R language pair against fp32.

`benchmarks/eval_speed.py` found bf16 autocast about twice as fast as fp32 on the full XQuAD-R, but
one pair's mAP (zh questions, el pool) 0.0024 away from fp32, above the 0.002 goal. This script
encodes that pair's questions and pool with every path below, one after another in one process
(a warm-up first), and prints each path's encoding seconds, its ratio to fp32, the embedding error
(1 - cosine to the fp32 embedding, mean and max) and the pair's mAP difference from fp32:

- fp32: ``SentenceTransformer.encode``, the reference;
- bf16: the same under ``torch.autocast("cpu", dtype=torch.bfloat16)``;
- bf16, last K layers fp32: the encoder's last K transformer layers run outside autocast
  (``hybridir.core.precision.fp32_layers``; ``mixed``, the evaluation default, is K =
  ``FP32_TAIL_LAYERS``);
- with ``--parts attention,ffn``: only the attention block (BERT's ``layer.attention``: the
  projections, attention and its output with layer norm) or only the feed-forward block
  (``layer.intermediate`` and ``layer.output``) of those K layers in fp32;
- ONNX Runtime fp32 (only when ``onnxruntime`` and ``onnx`` are importable; they are not project
  dependencies): the transformer exported with ``torch.onnx.export``, all graph optimisations on.

Usage (measure with nothing else running)::

    HYBRIDIR_DATA=../shared/data python benchmarks/bf16_agreement.py [--pair zh,el] [--fp32-layers 1,2,6] \
        [--parts attention,ffn]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from hybridir.core.precision import fp32_modules, layer_stack
from hybridir.data.lareqa import load_lareqa
from hybridir.evaluation.metrics import average_precision, relevant_ranks
from hybridir.models.registry import prompts_for, resolve_model_path

Encoder = Callable[[list[str]], np.ndarray]


PARTS = {
    "layers": lambda layer: [layer],
    "attention": lambda layer: [layer.attention],
    "ffn": lambda layer: [layer.intermediate, layer.output],
}


def torch_encoder(
    model: SentenceTransformer, bf16: bool, fp32_tail: int = 0, part: str = "layers"
) -> Encoder:
    modules = (
        [m for layer in layer_stack(model)[-fp32_tail:] for m in PARTS[part](layer)] if fp32_tail else []
    )

    def encode(texts: list[str]) -> np.ndarray:
        cast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with cast, fp32_modules(modules, "cpu"):
            return model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    return encode


def onnx_encoder(model: SentenceTransformer, folder: Path) -> Encoder | None:
    """Mean-pooled, normalised ONNX Runtime fp32 embeddings (the e5 pooling), or None without it."""
    try:
        import onnxruntime
    except ImportError:
        return None
    transformer = model[0].auto_model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = model.tokenizer(["query: a b", "passage: c"], return_tensors="pt", padding=True)
    path = folder / "encoder.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        LastHidden(),
        (example["input_ids"], example["attention_mask"]),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        dynamo=False,
        opset_version=17,
    )
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(text) for text in texts], kind="stable")  # as ST sorts
        out = np.zeros((len(texts), transformer.config.hidden_size), dtype=np.float32)
        for start in range(0, len(texts), 64):
            rows = order[start : start + 64]
            batch = model.tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True,
                max_length=model.max_seq_length, return_tensors="np",
            )  # fmt: skip
            feeds = {name: batch[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
            hidden = session.run(None, feeds)[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--pair", default="zh,el", help="question language,pool language")
    parser.add_argument("--fp32-layers", default="1,2,6", help="K values for 'bf16, last K layers fp32'")
    parser.add_argument("--parts", default="", help="also only these blocks of the K layers: attention,ffn")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    if not set(parts) <= set(PARTS):
        parser.error(f"--parts takes {', '.join(PARTS)}, got {args.parts!r}")
    query_language, pool_language = args.pair.split(",")

    benchmark = load_lareqa("xquad-r", languages=f"{query_language},{pool_language}")
    path, _ = resolve_model_path(args.model)
    model = SentenceTransformer(str(path), device="cpu")
    query_prompt, passage_prompt = prompts_for(args.model, model.prompts)
    rows = [i for i, q in enumerate(benchmark.questions) if q.language == query_language]
    pool = np.array([i for i, c in enumerate(benchmark.candidates) if c.language == pool_language])
    questions = [query_prompt + benchmark.questions[i].text for i in rows]
    candidates = [passage_prompt + benchmark.candidates[i].sentence for i in pool]
    relevant = np.zeros((len(rows), len(pool)), dtype=bool)
    for row, question in enumerate(rows):
        relevant[row] = np.isin(pool, benchmark.relevant[question])

    with tempfile.TemporaryDirectory() as tmp:
        arms: dict[str, Encoder | None] = {"fp32": torch_encoder(model, bf16=False)}
        arms["bf16"] = torch_encoder(model, bf16=True)
        for count in (int(k) for k in args.fp32_layers.split(",") if k):
            arms[f"bf16, last {count} layers fp32"] = torch_encoder(model, bf16=True, fp32_tail=count)
            for part in parts:
                arms[f"bf16, last {count} layers' {part} fp32"] = torch_encoder(model, True, count, part)
        arms["ONNX Runtime fp32"] = onnx_encoder(model, Path(tmp))
        model.encode(questions[:128], batch_size=64, show_progress_bar=False)  # warm-up
        results = {}
        for name, encode in arms.items():
            if encode is None:
                print(f"{name}: skipped (onnxruntime or onnx not installed)")
                continue
            began = time.perf_counter()
            embedded = (encode(questions), encode(candidates))
            results[name] = (time.perf_counter() - began, embedded)

    reference_s, (q32, c32) = results["fp32"]
    reference_map = float(np.nanmean(average_precision(relevant_ranks(q32 @ c32.T, relevant))))
    print(
        f"xquad-r {query_language} questions ({len(questions)}) against the {pool_language} pool "
        f"({len(candidates)}); model {args.model}, batch 64; fp32 mAP {reference_map:.4f}"
    )
    print("| path | encode s | / fp32 | 1 - cos mean | 1 - cos max | mAP - fp32 |")
    print("|---|---|---|---|---|---|")
    for name, (seconds, (q, c)) in results.items():
        error = 1 - np.concatenate([(q * q32).sum(axis=1), (c * c32).sum(axis=1)])
        pair_map = float(np.nanmean(average_precision(relevant_ranks(q @ c.T, relevant))))
        print(
            f"| {name} | {seconds:.1f} | {seconds / reference_s:.2f} | {error.mean():.1e} | "
            f"{error.max():.1e} | {pair_map - reference_map:+.4f} |"
        )


if __name__ == "__main__":
    main()
