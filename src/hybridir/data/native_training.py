"""Native monolingual QA as training data: SQuAD-format files in one language, without sentences.

Questions written in their own language on their own Wikipedia (CMRC 2018 for Chinese, ARCD
for Arabic) give monolingual pairs that translation never gives. Each paragraph is split into
sentences by :mod:`hybridir.data.segment` (sentencex: rule-based, no model, Chinese and Arabic
punctuation included), unless the file carries LAReQA's ``sentences`` / ``sentence_breaks``.
The positive is the sentence holding the answer (every sentence the answer spans, when it
crosses a boundary), the hard negative another sentence of the same paragraph; with
``context="paragraph"`` both are followed by the paragraph, as in the LAReQA reader. Such data
has one language, so it serves same-language batches only.

An answer is located at its ``answer_start``; if the text there differs from the answer text
(CMRC 2018 has such offsets), at the answer text's first occurrence in the paragraph, white
space matched loosely (ARCD's answers sometimes differ from the paragraph in spaces); a
question whose answer is nowhere in its paragraph is left out and counted.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from hybridir.data.context import ContextMode
from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText
from hybridir.data.segment import sentence_at, sentence_spans
from hybridir.errors import UserError


@dataclass
class QaCounts:
    """How the questions of a file fared: kept, answers found by offset or by search, left out."""

    questions: int = 0
    kept: int = 0
    found_by_search: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def notes(self, name: str) -> list[str]:
        notes = []
        if self.found_by_search:
            notes.append(
                f"{name}: {self.found_by_search} answer(s) found by text, their answer_start was off"
            )
        notes.extend(
            f"{name}: {n} question(s) left out ({reason})" for reason, n in sorted(self.skipped.items())
        )
        return notes


def _answer_span(context: str, answers: list[dict], counts: QaCounts) -> tuple[int, int] | None:
    """``[start, end)`` of the first answer that can be found in ``context``."""
    for answer in answers:
        text = str(answer.get("text", "")).strip()
        if not text:
            continue
        start = int(answer.get("answer_start", -1))
        if start >= 0 and context[start : start + len(text)] == text:
            return start, start + len(text)
        found = re.search(r"\s+".join(map(re.escape, text.split())), context)  # white space may differ
        if found:
            counts.found_by_search += 1
            return found.start(), found.end()
    return None


def _sentences(paragraph: dict, language: str) -> list[tuple[int, int]]:
    if "sentence_breaks" in paragraph:
        return [(int(start), int(end)) for start, end in paragraph["sentence_breaks"]]
    return sentence_spans(paragraph["context"], language)


def read_native_qa(
    path: Path, language: str, context: ContextMode | str = "sentence", seed: int = 0
) -> tuple[TrainingCorpus, QaCounts]:
    """One-language examples from a SQuAD file (see the module docstring), with the counts."""
    mode = ContextMode(context)
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not SQuAD JSON ({exc}): expected data/paragraphs/context/qas") from exc
    rng = random.Random(seed)
    counts = QaCounts()
    examples = []
    try:
        for a_index, article in enumerate(articles):
            title = str(article.get("title") or article.get("id") or a_index)
            for p_index, paragraph in enumerate(article["paragraphs"]):
                text = paragraph["context"]
                spans = _sentences(paragraph, language)
                for qa in paragraph["qas"]:
                    counts.questions += 1
                    answer = (
                        None
                        if qa.get("is_impossible")
                        else _answer_span(text, qa.get("answers") or [], counts)
                    )
                    first = sentence_at(spans, answer[0]) if answer else None
                    if answer is None or first is None:
                        counts.skip("answer not in its paragraph" if qa.get("answers") else "unanswerable")
                        continue
                    last = sentence_at(spans, answer[1] - 1)
                    last = first if last is None else last
                    positive = mode.passage(text[spans[first][0] : spans[last][1]], text)
                    others = [text[s:e] for k, (s, e) in enumerate(spans) if not first <= k <= last]
                    negatives = (mode.passage(rng.choice(others), text),) if others else ()
                    question = str(qa["question"]).strip()
                    examples.append(
                        TrainingExample(
                            str(qa["id"]),
                            f"{language}:{title}",
                            {language: TrainingText(question, positive, negatives)},
                            (f"{language}:a{a_index}p{p_index}",),
                        )
                    )
                    counts.kept += 1
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(
            f"{path} is not SQuAD JSON (bad or missing {exc}): expected data/paragraphs/context/qas"
        ) from exc
    if not examples:
        raise UserError(f"{path} holds no answerable questions")
    return TrainingCorpus(examples, [language]), counts
