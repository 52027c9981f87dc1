"""LAReQA-format benchmarks (XQuAD-R, MLQA-R): questions, candidate sentences and relevance.

A LAReQA file is SQuAD v1.1 JSON where each paragraph also has ``sentences`` and
``sentence_breaks`` (half-open ``[start, end)`` character spans into ``context``). Following
LAReQA (Roy et al., 2020) and ``docs/protocol.md``:

- every sentence of every paragraph, in every language, is one candidate;
- the relevant answers of a question id are, in every language that has the id, the sentence
  whose span holds ``answer_start``.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hybridir.data.context import ContextMode
from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError
from hybridir.languages import is_language_code, select_languages, to_project_code


@dataclass(frozen=True)
class Question:
    """One question in one language; ``qid`` is shared by its translations."""

    qid: str
    language: str
    text: str


@dataclass(frozen=True)
class Candidate:
    """One answer-candidate sentence; ``context`` is its whole paragraph."""

    language: str
    sentence: str
    context: str
    article: str  # the article title, shared by a paragraph's sentences
    paragraph: int  # index of the paragraph within its language file


@dataclass
class ParagraphRecord:
    """A paragraph of one language file with its questions and their answer-sentence index."""

    article: str
    sentences: list[str]
    context: str
    questions: list[tuple[str, str, int]]  # (qid, question text, index of answer sentence)


@dataclass
class LareqaBenchmark:
    """Questions, candidates and relevance of a LAReQA benchmark, restricted to ``languages``.

    ``relevant[i]`` holds the indices (into ``candidates``) of question ``i``'s answers in every
    language; ``candidate_language`` and ``question_language`` are integer codes into
    ``languages`` so that evaluation can mask pools with numpy.
    """

    name: str
    languages: list[str]
    questions: list[Question]
    candidates: list[Candidate]
    relevant: list[np.ndarray]
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    question_language: np.ndarray = field(init=False)
    candidate_language: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        code = {lang: i for i, lang in enumerate(self.languages)}
        self.question_language = np.array([code[q.language] for q in self.questions], dtype=np.int16)
        self.candidate_language = np.array([code[c.language] for c in self.candidates], dtype=np.int16)

    def candidate_texts(self, context: ContextMode | str = "sentence") -> list[str]:
        """Texts to encode: the sentence alone, or the sentence followed by its paragraph."""
        mode = ContextMode(context)
        return [mode.passage(c.sentence, c.context) for c in self.candidates]


def answer_sentence_index(sentence_breaks: Sequence[Sequence[int]], answer_start: int) -> int:
    """Index of the sentence whose ``[start, end)`` span holds ``answer_start``.

    An answer that starts in the whitespace between two sentences belongs to the next one.
    """
    starts = [int(start) for start, _ in sentence_breaks]
    index = bisect.bisect_right(starts, answer_start) - 1
    if index < 0:
        return 0
    if answer_start >= int(sentence_breaks[index][1]) and index + 1 < len(starts):
        return index + 1
    return index


def read_lareqa_file(path: Path) -> list[ParagraphRecord]:
    """Read one LAReQA JSON file into paragraph records, or raise a one-line :class:`UserError`."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        records = []
        for article in payload["data"]:
            title = str(article.get("title", ""))
            for paragraph in article["paragraphs"]:
                breaks = paragraph["sentence_breaks"]
                questions = [
                    (
                        str(qa["id"]),
                        qa["question"],
                        answer_sentence_index(breaks, int(qa["answers"][0]["answer_start"])),
                    )
                    for qa in paragraph["qas"]
                ]
                records.append(
                    ParagraphRecord(title, list(paragraph["sentences"]), paragraph["context"], questions)
                )
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not JSON ({exc}): give LAReQA files (SQuAD JSON with sentences)") from exc
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise UserError(
            f"{path} is not LAReQA JSON (missing {exc}): each paragraph needs context, qas, "
            "sentences and sentence_breaks"
        ) from exc
    return records


def available_languages(folder: Path) -> list[str]:
    """Language codes of the ``<code>.json`` files in a LAReQA folder, sorted."""
    return sorted(p.stem for p in folder.glob("*.json") if is_language_code(p.stem))


def unrecognised_files(folder: Path) -> list[str]:
    """One note per ``*.json`` file of a LAReQA folder whose name is no project language code."""
    notes = []
    for path in sorted(folder.glob("*.json")):
        if is_language_code(path.stem):
            continue
        mapped = to_project_code(path.stem)
        hint = f" (rename it {mapped}.json to use it)" if mapped else ""
        notes.append(f"{path.name} left out: {path.stem!r} is no language code{hint}")
    return notes


def load_paragraphs(folder: Path, languages: Sequence[str]) -> dict[str, list[ParagraphRecord]]:
    """Paragraph records per language, read from ``<folder>/<lang>.json``."""
    return {lang: read_lareqa_file(folder / f"{lang}.json") for lang in languages}


def load_lareqa(
    name: str,
    data_dir: str | Path | None = None,
    languages: str | Sequence[str] | None = None,
) -> LareqaBenchmark:
    """Load benchmark ``name`` (``xquad-r`` or ``mlqa-r``), optionally restricted to ``languages``.

    With a restriction, both the questions and the candidate pool hold only those languages.
    """
    folder = resolve_data_dir(name, data_dir)
    present = available_languages(folder)
    if not present:
        raise UserError(
            f"{folder} holds no <language>.json files: point the data folder at a LAReQA folder",
            settings=("data_dir",),
        )
    chosen = select_languages(languages, present, name)
    paragraphs = load_paragraphs(folder, chosen)

    candidates: list[Candidate] = []
    answers: dict[str, list[int]] = {}
    question_rows: list[Question] = []
    for lang in chosen:
        for p_index, record in enumerate(paragraphs[lang]):
            offset = len(candidates)
            candidates.extend(
                Candidate(lang, sentence, record.context, record.article, p_index)
                for sentence in record.sentences
            )
            for qid, text, sentence_index in record.questions:
                question_rows.append(Question(qid, lang, text))
                answers.setdefault(qid, []).append(offset + min(sentence_index, len(record.sentences) - 1))
    relevant = [np.array(sorted(answers[q.qid]), dtype=np.int64) for q in question_rows]
    return LareqaBenchmark(name, chosen, question_rows, candidates, relevant, unrecognised_files(folder))
