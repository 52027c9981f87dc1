"""Readers that turn QA files into a :class:`TrainingCorpus` for training.

- A LAReQA folder (``<lang>.json`` with ``sentences``): the positive is the answer sentence
  (``context="sentence"``) or the answer sentence followed by its paragraph
  (``context="paragraph"``), as in evaluation; the hard negative is another sentence of the
  same paragraph, in the positive's language, drawn with ``seed``.
- A folder of SQuAD v1.1 files per language (no ``sentences``), aligned by question id: the
  positive is the paragraph and the hard negative another paragraph of the same article.
- A parallel JSONL file (see :mod:`hybridir.data.examples`).

Examples are grouped for the validation split by connected articles: two question ids share
a group when, in any language, they come from the same article, so neither translations nor
sibling questions straddle the split. Each example also names its paragraph in every language
(``paragraphs``), so siblings are kept out of one batch.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from hybridir.core.unionfind import UnionFind
from hybridir.data.context import ContextMode
from hybridir.data.examples import TrainingCorpus, TrainingExample, TrainingText, read_jsonl
from hybridir.data.lareqa import available_languages, load_paragraphs
from hybridir.data.sources import SOURCES, resolve_data_dir
from hybridir.errors import UserError
from hybridir.languages import select_languages


def _assemble(
    per_language: dict[str, dict[str, TrainingText]],
    article_of: dict[tuple[str, str], str],
    paragraph_of: dict[tuple[str, str], str],
) -> TrainingCorpus:
    """Build examples from ``language -> qid -> text`` and ``(language, qid) -> article / paragraph``."""
    groups = UnionFind()
    for (lang, qid), article in article_of.items():
        groups.union(f"q:{qid}", f"a:{lang}:{article}")
    qids = sorted({qid for texts in per_language.values() for qid in texts})
    examples = []
    for qid in qids:
        languages = [lang for lang in per_language if qid in per_language[lang]]
        texts = {lang: per_language[lang][qid] for lang in languages}
        paragraphs = tuple(f"{lang}:{paragraph_of[(lang, qid)]}" for lang in languages)
        examples.append(TrainingExample(qid, groups.find(f"q:{qid}"), texts, paragraphs))
    return TrainingCorpus(examples, sorted(per_language))


def read_lareqa_parallel(
    folder: Path, languages: Sequence[str], context: ContextMode | str = "sentence", seed: int = 0
) -> TrainingCorpus:
    """Parallel examples from a LAReQA folder (answer sentence positive, sibling sentence negative)."""
    mode = ContextMode(context)
    rng = random.Random(seed)
    per_language: dict[str, dict[str, TrainingText]] = {}
    article_of: dict[tuple[str, str], str] = {}
    paragraph_of: dict[tuple[str, str], str] = {}
    for lang, records in load_paragraphs(folder, languages).items():
        texts: dict[str, TrainingText] = {}
        for p_index, record in enumerate(records):
            for qid, question, answer_index in record.questions:
                answer_index = min(answer_index, len(record.sentences) - 1)
                others = [s for i, s in enumerate(record.sentences) if i != answer_index]
                negatives = (rng.choice(others),) if others else ()
                positive = mode.passage(record.sentences[answer_index], record.context)
                negatives = tuple(mode.passage(n, record.context) for n in negatives)
                texts[qid] = TrainingText(question, positive, negatives)
                article_of[(lang, qid)] = record.article or f"paragraph-{p_index}"
                paragraph_of[(lang, qid)] = f"p{p_index}"
        per_language[lang] = texts
    return _assemble(per_language, article_of, paragraph_of)


def read_squad_parallel(files: dict[str, Path], seed: int = 0) -> TrainingCorpus:
    """Parallel examples from SQuAD v1.1 files per language, aligned by question id."""
    rng = random.Random(seed)
    per_language: dict[str, dict[str, TrainingText]] = {}
    article_of: dict[tuple[str, str], str] = {}
    paragraph_of: dict[tuple[str, str], str] = {}
    for lang, path in files.items():
        try:
            articles = json.loads(path.read_text(encoding="utf-8"))["data"]
            texts: dict[str, TrainingText] = {}
            for a_index, article in enumerate(articles):
                contexts = [p["context"] for p in article["paragraphs"]]
                for p_index, paragraph in enumerate(article["paragraphs"]):
                    others = [c for i, c in enumerate(contexts) if i != p_index]
                    for qa in paragraph["qas"]:
                        negatives = (rng.choice(others),) if others else ()
                        texts[str(qa["id"])] = TrainingText(qa["question"], paragraph["context"], negatives)
                        article_of[(lang, str(qa["id"]))] = str(article.get("title", a_index))
                        paragraph_of[(lang, str(qa["id"]))] = f"a{a_index}p{p_index}"
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{path} is not SQuAD v1.1 JSON ({exc}): expected data/paragraphs/qas") from exc
        per_language[lang] = texts
    return _assemble(per_language, article_of, paragraph_of)


def _has_sentences(path: Path) -> bool:
    try:
        first = json.loads(path.read_text(encoding="utf-8"))["data"][0]["paragraphs"][0]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError) as exc:
        raise UserError(f"{path} is not SQuAD or LAReQA JSON ({exc})") from exc
    return "sentences" in first and "sentence_breaks" in first


def load_training_corpus(
    spec: str,
    languages: str | Sequence[str] | None = None,
    context: str = "sentence",
    seed: int = 0,
    data_dir: str | Path | None = None,
) -> TrainingCorpus:
    """Load training data named by ``spec``: a benchmark name, a JSONL file, or a folder."""
    if spec in SOURCES:
        folder = resolve_data_dir(spec, data_dir)
    else:
        folder = Path(spec)
        if folder.is_file():
            corpus = read_jsonl(folder)
            chosen = select_languages(languages, corpus.languages, str(folder))
            return corpus.restrict(chosen)
        if not folder.is_dir():
            raise UserError(
                f"training data {spec!r} is neither a benchmark name ({', '.join(SOURCES)}), "
                "a JSONL file nor a folder of <lang>.json files"
            )
    present = available_languages(folder)
    if not present:
        raise UserError(f"{folder} holds no <language>.json files: name a folder of LAReQA or SQuAD files")
    chosen = select_languages(languages, present, str(folder))
    if _has_sentences(folder / f"{chosen[0]}.json"):
        return read_lareqa_parallel(folder, chosen, context, seed)
    return read_squad_parallel({lang: folder / f"{lang}.json" for lang in chosen}, seed)
