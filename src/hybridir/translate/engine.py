"""Batched, length-sorted translation with any Hugging Face seq2seq translation model.

Texts are sorted longest first (by characters, a cheap proxy for tokens) so each batch pads
little and an out-of-memory error shows up in the first batch rather than hours in. The model
runs on CUDA when present (bfloat16 where the GPU supports it), otherwise on CPU in float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from hybridir.errors import UserError
from hybridir.translate.cache import Translation
from hybridir.translate.codes import LanguagePlan, ModelCodes, plan_languages


def model_key(model: str, max_length: int, num_beams: int | None) -> str:
    """The cache key of a model with the decoding settings that change its outputs."""
    name = str(Path(model).resolve()) if Path(model).exists() else model
    return f"{name}|max_length={max_length}|num_beams={num_beams or 'default'}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Translator:
    """A loaded translation model that translates lists of texts into one language at a time."""

    def __init__(
        self,
        model: str,
        source_language: str,
        languages: Sequence[str],
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        num_beams: int | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            config = AutoConfig.from_pretrained(model)
            self.tokenizer = AutoTokenizer.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise UserError(
                f"cannot load translation model {model!r} ({_first_line(exc)}): pass a local model folder "
                "or a model id already in the Hugging Face cache (this machine may be offline)"
            ) from exc
        self.codes: ModelCodes = plan_languages(
            model, config.model_type, self.tokenizer, source_language, languages
        )
        if self.codes.source_code is not None:
            self.tokenizer.src_lang = self.codes.source_code
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = torch.float32
        if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
            dtype = torch.bfloat16
        try:
            self.model = AutoModelForSeq2SeqLM.from_pretrained(model, dtype=dtype).to(self.device).eval()
        except (OSError, ValueError, RuntimeError) as exc:
            raise UserError(f"cannot load translation model {model!r} ({_first_line(exc)})") from exc
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_beams = num_beams

    def _generate(self, batch: list[str], plan: LanguagePlan) -> list[Translation]:
        """Translate one batch; an output is truncated when its input or output hit ``max_length``."""
        if plan.source_prefix:
            batch = [f"{plan.source_prefix} {text}" for text in batch]
        full_lengths = [len(ids) for ids in self.tokenizer(batch)["input_ids"]]
        inputs = self.tokenizer(
            batch, return_tensors="pt", padding=True, truncation=True, max_length=self.max_length
        ).to(self.device)
        options: dict[str, Any] = {"max_new_tokens": self.max_length}
        if plan.forced_bos:
            options["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(plan.forced_bos)
        if self.num_beams:
            options["num_beams"] = self.num_beams
        with torch.inference_mode():
            output = self.model.generate(**inputs, **options)
        pad = self.tokenizer.pad_token_id
        skip = set(self.tokenizer.all_special_ids)
        if plan.forced_bos:
            skip.add(options["forced_bos_token_id"])
        results = []
        for row, source_length in zip(output.tolist(), full_lengths, strict=True):
            body = [token for token in row[1:] if token != pad]  # row[0] is the decoder start token
            text = self.tokenizer.decode([t for t in body if t not in skip], skip_special_tokens=True).strip()
            results.append(Translation(text, source_length > self.max_length or len(body) >= self.max_length))
        return results

    def translate(
        self,
        texts: Sequence[str],
        language: str,
        on_batch: Callable[[list[tuple[str, Translation]]], None],
        progress: bool = True,
    ) -> None:
        """Translate ``texts`` into ``language``, longest first; each finished batch goes to ``on_batch``."""
        plan = self.codes.targets[language]
        ordered = sorted(texts, key=len, reverse=True)
        with tqdm(total=len(ordered), desc=f"translate {language}", unit="text", disable=not progress) as bar:
            for start in range(0, len(ordered), self.batch_size):
                batch = ordered[start : start + self.batch_size]
                on_batch(list(zip(batch, self._generate(batch, plan), strict=True)))
                bar.update(len(batch))
