"""Source-language examples to translate, read from SQuAD JSON, parallel JSONL or a ``datasets`` name.

Every input becomes a list of :class:`SourceExample`: a question and its passage split into
sentences. For SQuAD-style inputs the passage is the paragraph and ``answer_index`` names the
sentence that holds ``answer_start``, so the answer-bearing sentence stays identified after each
sentence is translated on its own. For parallel JSONL the positive (and any negatives) are
passages without a marked sentence: they are split into sentences only to translate them.

Sentences come from :mod:`hybridir.data.segment` (sentencex, rule-based, with per-language
abbreviation lists and Chinese / Japanese / Arabic punctuation), in the source language.
LAReQA files, which ship their own ``sentences`` and ``sentence_breaks``, keep those.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hybridir.data.examples import read_jsonl
from hybridir.data.lareqa import answer_sentence_index
from hybridir.data.segment import sentence_spans, split_sentences
from hybridir.errors import UserError


@dataclass(frozen=True)
class SourceExample:
    """One question with its passage, in the source language."""

    id: str
    group: str  # the article: translations and sibling questions share it
    question: str
    passage: tuple[str, ...]  # the paragraph (or the given positive), split into sentences
    answer_index: int | None  # sentence of ``passage`` holding the answer; None: the whole passage
    negatives: tuple[tuple[str, ...], ...] = ()  # given hard-negative passages, split into sentences
    paragraph: str = ""  # the passage the question was asked on: sibling questions share it

    def texts(self) -> list[str]:
        """Every text that needs translating, question first."""
        return [self.question, *self.passage, *(s for negative in self.negatives for s in negative)]


@dataclass(frozen=True)
class SourceData:
    """The examples read from an input, with how many questions were skipped and why."""

    examples: list[SourceExample]
    skipped: dict[str, int]


def _qa_example(
    qid: str,
    group: str,
    question: str,
    sentences: list[str],
    breaks: list[tuple[int, int]],
    answer_start: int,
    paragraph: str,
) -> SourceExample:
    index = answer_sentence_index(breaks, answer_start)
    return SourceExample(
        qid, group, question, tuple(sentences), min(index, len(sentences) - 1), paragraph=paragraph
    )


def _squad_paragraph(
    paragraph: Mapping, group: str, key: str, language: str, skipped: dict[str, int]
) -> Iterable[SourceExample]:
    context = paragraph["context"]
    if "sentences" in paragraph and "sentence_breaks" in paragraph:
        sentences = list(paragraph["sentences"])
        breaks = [(int(s), int(e)) for s, e in paragraph["sentence_breaks"]]
    else:
        breaks = sentence_spans(context, language)
        sentences = [context[s:e] for s, e in breaks]
    for qa in paragraph["qas"]:
        answers = qa.get("answers") or []
        if qa.get("is_impossible") or not answers or not sentences:
            skipped["unanswerable"] = skipped.get("unanswerable", 0) + 1
            continue
        yield _qa_example(
            str(qa["id"]), group, qa["question"], sentences, breaks, int(answers[0]["answer_start"]), key
        )


def read_squad(path: Path, language: str) -> SourceData:
    """SQuAD v1.1/v2.0 (or LAReQA) JSON in ``language``; unanswerable questions are skipped and counted."""
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["data"]
        skipped: dict[str, int] = {}
        examples = [
            example
            for a_index, article in enumerate(articles)
            for p_index, paragraph in enumerate(article["paragraphs"])
            for example in _squad_paragraph(
                paragraph,
                str(article.get("title", f"article-{a_index}")),
                f"a{a_index}p{p_index}",
                language,
                skipped,
            )
        ]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not JSON ({exc}): give SQuAD JSON, or parallel JSONL as *.jsonl") from exc
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise UserError(
            f"{path} is not SQuAD JSON (bad or missing {exc}): expected data/paragraphs/context/qas"
        ) from exc
    return SourceData(examples, skipped)


def read_parallel(path: Path, source_language: str) -> SourceData:
    """The ``source_language`` side of a parallel JSONL file; examples without it are skipped."""
    corpus = read_jsonl(path)
    examples = []
    missing = 0
    for ex in corpus.examples:
        text = ex.texts.get(source_language)
        if text is None:
            missing += 1
            continue
        negatives = tuple(split_sentences(n, source_language) for n in text.negatives if n.strip())
        passage = split_sentences(text.positive, source_language)
        paragraph = ex.paragraphs[0] if len(ex.paragraphs) == 1 else ""
        examples.append(SourceExample(ex.id, ex.group, text.question, passage, None, negatives, paragraph))
    if not examples:
        raise UserError(
            f"{path} has no {source_language!r} texts: set the source language to one it has",
            settings=("source_language",),
        )
    return SourceData(examples, {"no_source_language": missing} if missing else {})


def read_hf_dataset(spec: str, language: str) -> SourceData:
    """A ``datasets`` name or folder, ``name[:split]`` (default split ``train``), in SQuAD's columns."""
    import datasets

    name, _, split = spec.partition(":")
    try:
        rows = datasets.load_dataset(name, split=split or "train")
    except Exception as exc:  # datasets raises many types (offline, not found, bad config)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"cannot load {spec!r} as a file or a Hugging Face dataset ({first}): give a SQuAD JSON file, "
            "a parallel *.jsonl file, or a dataset (name[:split]) with SQuAD columns"
        ) from exc
    needed = {"id", "context", "question", "answers"}
    if not needed <= set(rows.column_names):
        raise UserError(
            f"dataset {spec!r} has columns {', '.join(rows.column_names)}: needs {', '.join(sorted(needed))}"
        )
    skipped: dict[str, int] = {}
    examples = []
    for row in rows:
        starts = row["answers"]["answer_start"]
        breaks = sentence_spans(row["context"], language)
        if not starts or not breaks:
            skipped["unanswerable"] = skipped.get("unanswerable", 0) + 1
            continue
        sentences = [row["context"][s:e] for s, e in breaks]
        group = str(row.get("title") or row["id"])
        paragraph = f"{group}:{row['context'][:64]}"  # rows carry no paragraph id: its title and start
        examples.append(
            _qa_example(str(row["id"]), group, row["question"], sentences, breaks, int(starts[0]), paragraph)
        )
    return SourceData(examples, skipped)


def load_source(spec: str, source_language: str) -> SourceData:
    """Read ``spec``: a ``*.jsonl`` parallel file, a SQuAD JSON file, or a ``datasets`` name/folder."""
    path = Path(spec)
    looks_like_file = path.suffix in (".json", ".jsonl") or spec.startswith((".", "/", "~"))
    if path.is_file():
        data = (
            read_parallel(path, source_language)
            if path.suffix == ".jsonl"
            else read_squad(path, source_language)
        )
    elif Path(spec.partition(":")[0]).is_dir() or not looks_like_file:
        data = read_hf_dataset(spec, source_language)
    else:
        raise UserError(f"input file {spec} does not exist: pass a SQuAD JSON file, *.jsonl file or dataset")
    seen: set[str] = set()
    for example in data.examples:
        if example.id in seen:
            raise UserError(f"{spec} has question id {example.id!r} twice: ids must be unique")
        seen.add(example.id)
    if not data.examples:
        raise UserError(f"{spec} holds no answerable questions to translate")
    return data
