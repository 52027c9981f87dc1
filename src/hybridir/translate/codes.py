"""How each translation-model family names languages, mapped from the toolkit's ISO 639-1 codes.

- NLLB-200 (``facebook/nllb-200-*``): FLORES-200 codes such as ``deu_Latn``; the source code is set
  on the tokenizer and the target code is forced as the first generated token.
- M2M-100 (``facebook/m2m100_*``): plain ISO codes, as tokens ``__de__``, used the same way.
- MarianMT (``Helsinki-NLP/opus-mt-<src>-<tgt>``): one model per language pair, so the target is
  fixed by the model; multi-target Marian models instead take a ``>>code<<`` token before the source.

Whether a model can produce a language is read from its tokenizer (the code token must exist), so a
request it cannot serve fails before any translation starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hybridir.errors import UserError

NLLB_CODES: dict[str, str] = {
    "ar": "arb_Arab",
    "bn": "ben_Beng",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fa": "pes_Arab",
    "fi": "fin_Latn",
    "fr": "fra_Latn",
    "hi": "hin_Deva",
    "id": "ind_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "ko": "kor_Hang",
    "nl": "nld_Latn",
    "pl": "pol_Latn",
    "pt": "por_Latn",
    "ru": "rus_Cyrl",
    "sw": "swh_Latn",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "tr": "tur_Latn",
    "vi": "vie_Latn",
    "yo": "yor_Latn",
    "zh": "zho_Hans",
}

# Target tokens of multi-target opus-mt models that differ from both the ISO and the NLLB code.
_MARIAN_EXTRA_TOKENS: dict[str, tuple[str, ...]] = {
    "ar": ("ara",),
    "fa": ("fas", "pes"),
    "sw": ("swa",),
    "zh": ("cmn_Hans", "cmn", "zho"),
}
_MARIAN_NAME = re.compile(r"opus-mt-(?:tc-big-|tc-)?([A-Za-z_]+)-([A-Za-z_]+)$")
_MARIAN_TOKEN = re.compile(r"^>>.+<<$")


@dataclass(frozen=True)
class LanguagePlan:
    """How to ask the model for one target language."""

    forced_bos: str | None = None  # token forced as the first generated token (NLLB, M2M-100)
    source_prefix: str | None = None  # token put before each source text (multi-target Marian)


@dataclass(frozen=True)
class ModelCodes:
    """A model's family, its source-language code and one plan per target language."""

    family: str  # "nllb", "m2m100" or "marian"
    source_code: str | None  # value for ``tokenizer.src_lang``; None for Marian
    targets: dict[str, LanguagePlan]


def _has_token(tokenizer: Any, token: str) -> bool:
    token_id = tokenizer.convert_tokens_to_ids(token)
    return token_id is not None and token_id != tokenizer.unk_token_id


def _iso_matches(name_code: str, iso: str) -> bool:
    """Whether a code from an opus-mt model name (``de``, ``deu``, ``zh``) names ``iso``."""
    return name_code.lower() in {iso, NLLB_CODES[iso][:3]}


def _marian_codes(model_name: str, tokenizer: Any, source: str, targets: Sequence[str]) -> ModelCodes:
    match = _MARIAN_NAME.search(model_name.rstrip("/"))
    name_source, name_target = match.groups() if match else (None, None)
    if name_source and not _iso_matches(name_source, source):
        raise UserError(
            f"Marian model {model_name} translates from {name_source!r}, not {source!r}: "
            f"use Helsinki-NLP/opus-mt-{source}-<target> or set --source-language {name_source}"
        )
    target_tokens = {token for token in tokenizer.get_vocab() if _MARIAN_TOKEN.match(token)}
    plans: dict[str, LanguagePlan] = {}
    if target_tokens:
        for lang in targets:
            candidates = (lang, NLLB_CODES[lang], NLLB_CODES[lang][:3], *_MARIAN_EXTRA_TOKENS.get(lang, ()))
            token = next((f">>{c}<<" for c in candidates if f">>{c}<<" in target_tokens), None)
            if token is None:
                raise UserError(
                    f"Marian model {model_name} has no target token for {lang!r}: choose among "
                    f"{', '.join(sorted(target_tokens)[:20])} or use NLLB-200 / M2M-100"
                )
            plans[lang] = LanguagePlan(source_prefix=token)
        return ModelCodes("marian", None, plans)
    fixed = name_target or tokenizer.init_kwargs.get("target_lang")
    if not fixed:
        raise UserError(
            f"cannot tell which language Marian model {model_name} produces: "
            "use a model named opus-mt-<source>-<target> or set target_lang in its tokenizer_config.json"
        )
    for lang in targets:
        if not _iso_matches(str(fixed), lang):
            raise UserError(
                f"Marian model {model_name} only produces {fixed!r}, not {lang!r}: run it with "
                f"--languages {fixed}, use Helsinki-NLP/opus-mt-{source}-{lang}, or a multilingual model "
                "(facebook/nllb-200-distilled-600M, facebook/m2m100_418M)"
            )
        plans[lang] = LanguagePlan()
    return ModelCodes("marian", None, plans)


def plan_languages(
    model_name: str, model_type: str, tokenizer: Any, source: str, targets: Sequence[str]
) -> ModelCodes:
    """Work out the model family and its codes for ``source`` and ``targets`` (ISO 639-1).

    Raises :class:`UserError` when the model is not a supported translation model or cannot
    produce one of the languages.
    """
    if model_type == "marian":
        return _marian_codes(model_name, tokenizer, source, targets)
    if _has_token(tokenizer, NLLB_CODES[source]):
        family, source_code, token_of = "nllb", NLLB_CODES[source], NLLB_CODES.__getitem__
    elif _has_token(tokenizer, f"__{source}__"):
        family, source_code, token_of = "m2m100", source, lambda iso: f"__{iso}__"
    else:
        raise UserError(
            f"{model_name} is not a supported translation model (its tokenizer has neither "
            f"{NLLB_CODES[source]} nor __{source}__): use NLLB-200, M2M-100 or a MarianMT opus-mt model"
        )
    missing = [lang for lang in targets if not _has_token(tokenizer, token_of(lang))]
    if missing:
        raise UserError(
            f"{model_name} cannot produce {', '.join(missing)} (no {token_of(missing[0])} token): "
            "drop those from --languages or use a model that covers them"
        )
    return ModelCodes(
        family, source_code, {lang: LanguagePlan(forced_bos=token_of(lang)) for lang in targets}
    )
