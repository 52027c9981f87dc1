"""ISO codes mapped to each model family's language codes, and one-line errors for what a model lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from hybridir.errors import UserError
from hybridir.translate.codes import LanguagePlan, nllb_code, plan_languages


class _VocabTokenizer:
    """Just enough of a tokenizer for code planning: a vocabulary and an unknown-token id."""

    unk_token_id = 0

    def __init__(self, tokens: list[str]) -> None:
        self.init_kwargs: dict = {}
        self.vocab = {"<unk>": 0, **{token: i + 1 for i, token in enumerate(tokens)}}

    def convert_tokens_to_ids(self, token: str) -> int:
        return self.vocab.get(token, 0)

    def get_vocab(self) -> dict[str, int]:
        return self.vocab


# FLORES-200 codes of the languages the project's benchmarks use, as NLLB-200's tokenizer spells them.
_FLORES = (
    "ar:arb_Arab bn:ben_Beng de:deu_Latn el:ell_Grek en:eng_Latn es:spa_Latn fa:pes_Arab fi:fin_Latn "
    "fr:fra_Latn hi:hin_Deva id:ind_Latn it:ita_Latn ja:jpn_Jpan ko:kor_Hang nl:nld_Latn pl:pol_Latn "
    "pt:por_Latn ru:rus_Cyrl sw:swh_Latn te:tel_Telu th:tha_Thai tr:tur_Latn vi:vie_Latn yo:yor_Latn "
    "zh:zho_Hans"
)


def test_nllb_codes_of_the_benchmark_languages() -> None:
    expected = dict(pair.split(":") for pair in _FLORES.split())
    assert {lang: nllb_code(lang) for lang in expected} == expected


def test_nllb_codes_are_derived_for_any_language() -> None:
    assert nllb_code("ca") == "cat_Latn"  # in no table: ISO 639-3 and script from langcodes
    assert nllb_code("uk") == "ukr_Cyrl"
    assert nllb_code("pa") == "pan_Guru"
    assert nllb_code("ast") == "ast_Latn"  # a project code with no ISO 639-1 form
    assert nllb_code("ms") == "zsm_Latn"  # NLLB picks Standard Malay: a documented exception
    with pytest.raises(UserError, match="unknown language code 'qq'"):
        nllb_code("qq")


def test_nllb_plan_for_a_language_outside_the_old_table() -> None:
    tokenizer = _VocabTokenizer(["eng_Latn", "cat_Latn", "ukr_Cyrl"])
    codes = plan_languages("facebook/nllb-200-distilled-600M", "m2m_100", tokenizer, "en", ["ca", "uk"])
    assert codes.targets == {
        "ca": LanguagePlan(forced_bos="cat_Latn"),
        "uk": LanguagePlan(forced_bos="ukr_Cyrl"),
    }


def test_nllb_plan() -> None:
    tokenizer = _VocabTokenizer(["eng_Latn", "deu_Latn", "zho_Hans", "tha_Thai"])
    codes = plan_languages("facebook/nllb-200-distilled-600M", "m2m_100", tokenizer, "en", ["de", "zh", "th"])
    assert (codes.family, codes.source_code) == ("nllb", "eng_Latn")
    assert codes.targets["zh"] == LanguagePlan(forced_bos="zho_Hans")
    with pytest.raises(UserError, match="cannot produce ru"):
        plan_languages("nllb", "m2m_100", tokenizer, "en", ["de", "ru"])


def test_m2m100_plan_from_the_tiny_tokenizer(tiny_m2m100: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_m2m100)
    codes = plan_languages(str(tiny_m2m100), "m2m_100", tokenizer, "en", ["de", "es", "ar", "zh"])
    assert (codes.family, codes.source_code) == ("m2m100", "en")
    assert codes.targets["ar"] == LanguagePlan(forced_bos="__ar__")
    with pytest.raises(UserError, match="cannot produce te"):  # M2M-100 has no Telugu
        plan_languages(str(tiny_m2m100), "m2m_100", tokenizer, "en", ["de", "te"])


def test_marian_target_is_fixed_by_the_model_name(tiny_marian: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_marian)
    codes = plan_languages(str(tiny_marian), "marian", tokenizer, "en", ["de"])
    assert (codes.family, codes.targets) == ("marian", {"de": LanguagePlan()})
    with pytest.raises(UserError, match="only produces 'de', not 'es'"):
        plan_languages(str(tiny_marian), "marian", tokenizer, "en", ["es"])
    with pytest.raises(UserError, match="translates from 'en', not 'fr'"):
        plan_languages(str(tiny_marian), "marian", tokenizer, "fr", ["de"])


def test_multi_target_marian_uses_target_tokens() -> None:
    tokenizer = _VocabTokenizer([">>ara<<", ">>deu<<", ">>cmn_Hans<<", "▁the"])
    codes = plan_languages("Helsinki-NLP/opus-mt-en-mul", "marian", tokenizer, "en", ["ar", "de", "zh"])
    assert {lang: plan.source_prefix for lang, plan in codes.targets.items()} == {
        "ar": ">>ara<<",
        "de": ">>deu<<",
        "zh": ">>cmn_Hans<<",
    }
    with pytest.raises(UserError, match="no target token for 'ru'"):
        plan_languages("Helsinki-NLP/opus-mt-en-mul", "marian", tokenizer, "en", ["ru"])


def test_not_a_translation_model() -> None:
    with pytest.raises(UserError, match="not a supported translation model"):
        plan_languages("bert-base-uncased", "bert", _VocabTokenizer(["the"]), "en", ["de"])
