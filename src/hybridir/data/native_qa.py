"""Native-language QA sets for monolingual retrieval: CMRC 2018 (Chinese) and ARCD (Arabic).

Both are SQuAD-format reading comprehension, with questions written natively on Wikipedia in
the language (not translated). Neither marks sentences, so paragraphs are split with the
project's segmenter (:mod:`hybridir.data.segment`, sentencex). From one file come two tasks:

- sentence level, as LAReQA: every sentence of the set is a candidate, and a question's
  relevant candidate is the sentence holding its (first) answer whole. A question whose answer
  lies in no single sentence (it spans a boundary the segmenter found) is counted and left out
  of this level, never moved to a wrong sentence;
- passage level, as MIRACL: every paragraph is a passage, and a question's own paragraph is
  relevant.

Only splits that no training config of the project uses are evaluated: CMRC 2018 ``dev`` and
ARCD ``test``. An ``answer_start`` that does not point at its answer text is replaced by the
text's first occurrence in the paragraph (counted); an answer text absent from its paragraph
counts as an answer in no sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question
from hybridir.data.segment import sentence_spans
from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError


@dataclass(frozen=True)
class NativeSpec:
    """Which file of a native set is evaluated, and its language."""

    language: str
    file: str
    split: str


NATIVE_SETS: dict[str, NativeSpec] = {
    "cmrc2018": NativeSpec("zh", "cmrc2018_dev.json", "dev"),
    "arcd": NativeSpec("ar", "arcd-test.json", "test"),
}


@dataclass(frozen=True)
class NativeQuestion:
    """A question, its paragraph, and the index of its answer sentence (``None``: no single one)."""

    qid: str
    text: str
    paragraph: int
    sentence: int | None


@dataclass
class NativeQA:
    """Paragraphs, their sentences and the questions of one native set."""

    name: str
    language: str
    split: str
    paragraphs: list[str]
    titles: list[str]
    sentences: list[tuple[int, str]]  # (paragraph index, sentence text), in paragraph order
    questions: list[NativeQuestion]
    relocated_answers: int  # answer_start not at the answer text; found by searching the paragraph

    @property
    def answer_in_no_sentence(self) -> int:
        """Questions left out of the sentence level: their answer spans a sentence boundary."""
        return sum(q.sentence is None for q in self.questions)

    @property
    def paragraph_ids(self) -> list[str]:
        return [f"p{index}" for index in range(len(self.paragraphs))]

    def sentence_benchmark(self) -> LareqaBenchmark:
        """The sentence-level task as a one-language LAReQA benchmark (questions with a sentence)."""
        candidates = [
            Candidate(self.language, text, self.paragraphs[p], self.titles[p], p)
            for p, text in self.sentences
        ]
        kept = [q for q in self.questions if q.sentence is not None]
        questions = [Question(q.qid, self.language, q.text) for q in kept]
        relevant = [np.array([q.sentence], dtype=np.int64) for q in kept]
        return LareqaBenchmark(self.name, [self.language], questions, candidates, relevant)

    def passage_qrels(self) -> dict[str, dict[str, int]]:
        """``qid -> {own paragraph id: 1}``, the passage-level judgments."""
        return {q.qid: {f"p{q.paragraph}": 1} for q in self.questions}


def _answer_span(context: str, answer: dict) -> tuple[tuple[int, int] | None, bool]:
    """``[start, end)`` of the answer in ``context`` and whether it had to be searched for."""
    text, start = str(answer["text"]), int(answer["answer_start"])
    if text and context[start : start + len(text)] == text:
        return (start, start + len(text)), False
    found = context.find(text) if text else -1
    return ((found, found + len(text)), True) if found >= 0 else (None, True)


def _sentence_holding(spans: list[tuple[int, int]], answer: tuple[int, int] | None) -> int | None:
    if answer is None:
        return None
    return next((i for i, (start, end) in enumerate(spans) if start <= answer[0] and answer[1] <= end), None)


def read_native_file(path: Path, name: str, language: str, split: str) -> NativeQA:
    """Read and segment one SQuAD-format file, or raise a one-line :class:`UserError`."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(
            f"{path} is missing: run `hybridir data download {name}` or give the data folder",
            settings=("data_dir",),
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not JSON ({exc}): give the SQuAD-format {name} file") from exc
    paragraphs: list[str] = []
    titles: list[str] = []
    sentences: list[tuple[int, str]] = []
    questions: list[NativeQuestion] = []
    relocated = 0
    try:
        for article in payload["data"]:
            for paragraph in article["paragraphs"]:
                index, context = len(paragraphs), str(paragraph["context"])
                paragraphs.append(context)
                titles.append(str(article.get("title", "")))
                spans = sentence_spans(context, language)
                first_sentence = len(sentences)
                sentences += [(index, context[start:end]) for start, end in spans]
                for qa in paragraph["qas"]:
                    answer, moved = _answer_span(context, qa["answers"][0])
                    relocated += moved and answer is not None
                    local = _sentence_holding(spans, answer)
                    sentence = None if local is None else first_sentence + local
                    questions.append(NativeQuestion(str(qa["id"]), str(qa["question"]), index, sentence))
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise UserError(
            f"{path} is not SQuAD-format JSON (missing {exc}): each paragraph needs context and qas "
            "with id, question and answers"
        ) from exc
    return NativeQA(name, language, split, paragraphs, titles, sentences, questions, relocated)


def load_native_qa(name: str, data_dir: str | Path | None = None) -> NativeQA:
    """Load the evaluated split of ``cmrc2018`` or ``arcd``."""
    if name not in NATIVE_SETS:
        raise UserError(f"unknown native QA set {name!r}: choose one of {', '.join(NATIVE_SETS)}")
    spec = NATIVE_SETS[name]
    folder = resolve_data_dir(name, data_dir)
    return read_native_file(folder / spec.file, name, spec.language, spec.split)
