"""How each translation-model family names languages, derived for any of the project's language codes.

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
from functools import lru_cache
from typing import Any

import langcodes

from hybridir.errors import UserError
from hybridir.languages import check_language_code

# Where NLLB-200 (FLORES-200) names a language other than "<ISO 639-3>_<likely script>": it picks
# one individual language of a macrolanguage (Standard Arabic, Iranian Persian, Swahili proper,
# Standard Malay, ...) and writes Korean in Hangul. Everything else is derived by langcodes.
NLLB_EXCEPTIONS: dict[str, str] = {
    "ar": "arb_Arab",
    "az": "azj_Latn",
    "fa": "pes_Arab",
    "ko": "kor_Hang",
    "lv": "lvs_Latn",
    "mg": "plt_Latn",
    "mn": "khk_Cyrl",
    "ms": "zsm_Latn",
    "nb": "nob_Latn",
    "ne": "npi_Deva",
    "no": "nob_Latn",
    "om": "gaz_Latn",
    "or": "ory_Orya",
    "ps": "pbt_Arab",
    "qu": "quy_Latn",
    "sq": "als_Latn",
    "sw": "swh_Latn",
    "uz": "uzn_Latn",
    "yi": "ydd_Hebr",
    "zh": "zho_Hans",
}


@lru_cache(maxsize=1024)
def nllb_code(language: str) -> str:
    """The FLORES-200 code NLLB-200 uses for a project language code (``de`` -> ``deu_Latn``).

    ISO 639-3 code and likely script come from langcodes (``maximize``); only the documented
    :data:`NLLB_EXCEPTIONS` differ. A code that names no language is a one-line error.
    """
    check_language_code(language)
    if language in NLLB_EXCEPTIONS:
        return NLLB_EXCEPTIONS[language]
    script = langcodes.Language.get(language, normalize=False).maximize().script
    return f"{_alpha3(language)}_{script or 'Latn'}"


# Target tokens of multi-target opus-mt models that are neither the ISO, the ISO 639-3 nor the NLLB code.
_MARIAN_EXTRA_TOKENS: dict[str, tuple[str, ...]] = {"zh": ("cmn_Hans", "cmn")}
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
    return name_code.lower() in {iso, nllb_code(iso)[:3], _alpha3(iso)}


def _alpha3(language: str) -> str:
    """ISO 639-3 (terminology) code of a project language code (``de`` -> ``deu``)."""
    return langcodes.Language.get(language, normalize=False).to_alpha3()


def _marian_codes(model_name: str, tokenizer: Any, source: str, targets: Sequence[str]) -> ModelCodes:
    match = _MARIAN_NAME.search(model_name.rstrip("/"))
    name_source, name_target = match.groups() if match else (None, None)
    if name_source and not _iso_matches(name_source, source):
        raise UserError(
            f"Marian model {model_name} translates from {name_source!r}, not {source!r}: "
            f"use Helsinki-NLP/opus-mt-{source}-<target> or set the source language to {name_source}",
            settings=("source_language",),
        )
    target_tokens = {token for token in tokenizer.get_vocab() if _MARIAN_TOKEN.match(token)}
    plans: dict[str, LanguagePlan] = {}
    if target_tokens:
        for lang in targets:
            nllb = nllb_code(lang)
            candidates = (lang, nllb, nllb[:3], _alpha3(lang), *_MARIAN_EXTRA_TOKENS.get(lang, ()))
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
                f"languages {fixed}, use Helsinki-NLP/opus-mt-{source}-{lang}, or a multilingual model "
                "(facebook/nllb-200-distilled-600M, facebook/m2m100_418M)",
                settings=("languages",),
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
    if _has_token(tokenizer, nllb_code(source)):
        family, source_code, token_of = "nllb", nllb_code(source), nllb_code
    elif _has_token(tokenizer, f"__{source}__"):
        family, source_code, token_of = "m2m100", source, lambda iso: f"__{iso}__"
    else:
        raise UserError(
            f"{model_name} is not a supported translation model (its tokenizer has neither "
            f"{nllb_code(source)} nor __{source}__): use NLLB-200, M2M-100 or a MarianMT opus-mt model"
        )
    missing = [lang for lang in targets if not _has_token(tokenizer, token_of(lang))]
    if missing:
        raise UserError(
            f"{model_name} cannot produce {', '.join(missing)} (no {token_of(missing[0])} token): "
            "drop those from the target languages or use a model that covers them",
            settings=("languages",),
        )
    return ModelCodes(
        family, source_code, {lang: LanguagePlan(forced_bos=token_of(lang)) for lang in targets}
    )
