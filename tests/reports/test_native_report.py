"""The native-QA and Tatoeba reports name every level, count and language."""

from __future__ import annotations

from hybridir.reports.native_report import format_native_summary, render_native_report
from hybridir.reports.tatoeba_report import render_tatoeba_report

NATIVE = {
    "benchmark": "cmrc2018",
    "split": "dev",
    "model": "m",
    "context": "sentence",
    "languages": ["zh"],
    "sentence": {
        "map": 0.5,
        "recall@1": 0.25,
        "recall@10": 0.75,
        "questions": 3202,
        "candidates": 8948,
        "answer_in_no_sentence": 17,
        "relocated_answers": 3,
    },
    "passage": {"nDCG@10": 0.6, "Recall@100": None, "questions": 3219, "passages": 848},
    "notes": ["a note"],
}


def test_native_report() -> None:
    text = render_native_report(NATIVE)
    assert "# cmrc2018 dev: m" in text and "Native Chinese questions" in text
    assert "| sentence | 3202 | 8948 | R@10 | 0.750 |" in text
    assert "| passage | 3219 | 848 | Recall@100 | n/a |" in text
    assert "17 questions have their answer in no single sentence" in text
    assert "(3202 questions, 17 with no answer sentence)" in format_native_summary(NATIVE)


def test_tatoeba_report() -> None:
    metrics = {
        "model": "m",
        "languages": ["zh", "sw"],
        "pairs": {"zh": 1000, "sw": 390},
        "by_language": {
            "zh": {"xx->en": 0.9, "en->xx": 0.8, "mean": 0.85},
            "sw": {"xx->en": 0.5, "en->xx": 0.7, "mean": 0.6},
        },
        "accuracy": {"xx->en": 0.7, "en->xx": 0.75, "mean": 0.725},
        "notes": [],
    }
    text = render_tatoeba_report(metrics)
    assert "| sw | Swahili | 390 | 0.500 | 0.700 | 0.600 |" in text
    assert "| **average** | | | 0.700 | 0.750 | 0.725 |" in text
