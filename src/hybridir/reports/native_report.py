"""The Markdown report and terminal summary of a native-QA evaluation (CMRC 2018, ARCD)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hybridir.languages import language_name
from hybridir.reports.outputs import fmt


def render_native_report(metrics: Mapping[str, Any]) -> str:
    """Both levels: sentence (mAP, R@1, R@10) and passage (nDCG@10, Recall@100), with counts."""
    sentence, passage = metrics["sentence"], metrics["passage"]
    language = metrics["languages"][0]
    lines = [
        f"# {metrics['benchmark']} {metrics['split']}: {metrics['model']}",
        "",
        f"Native {language_name(language)} questions on {language_name(language)} Wikipedia; "
        "monolingual retrieval.",
        "",
        "| level | questions | candidates | measure | value |",
        "|---|---:|---:|---|---:|",
    ]
    counts = f"{sentence['questions']} | {sentence['candidates']}"
    for key, label in (("map", "mAP"), ("recall@1", "R@1"), ("recall@10", "R@10")):
        lines.append(f"| sentence | {counts} | {label} | {fmt(sentence[key])} |")
    for key in ("nDCG@10", "Recall@100"):
        lines.append(
            f"| passage | {passage['questions']} | {passage['passages']} | {key} | {fmt(passage[key])} |"
        )
    lines += [
        "",
        f"Sentences from sentencex; candidate context mode `{metrics['context']}`. "
        f"{sentence['answer_in_no_sentence']} questions have their answer in no single sentence "
        f"and are left out of the sentence level; {sentence['relocated_answers']} answer starts "
        "were corrected to where the answer text is.",
    ]
    notes = metrics.get("notes") or []
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def format_native_summary(metrics: Mapping[str, Any]) -> str:
    """Two lines for the terminal, one per level."""
    sentence, passage = metrics["sentence"], metrics["passage"]
    return "\n".join(
        [
            f"{metrics['benchmark']} {metrics['split']}: {metrics['model']}",
            f"sentence  mAP {fmt(sentence['map'])}  R@1 {fmt(sentence['recall@1'])}  "
            f"R@10 {fmt(sentence['recall@10'])}  ({sentence['questions']} questions, "
            f"{sentence['answer_in_no_sentence']} with no answer sentence)",
            f"passage   nDCG@10 {fmt(passage['nDCG@10'])}  Recall@100 {fmt(passage['Recall@100'])}",
        ]
    )
