"""Training examples: one example id with a question and its passages in one or more languages.

This is the one representation every training reader produces and every sampler consumes: parallel
(translated) QA, native monolingual QA and bitext alike, so the classes are named after their role
(``TrainingCorpus``, ``TrainingExample``, ``TrainingText``) rather than "parallel", which also reads
as data-parallel. The
documented JSONL format (one example per line) is how users bring their own translated data::

    {"id": "q17", "group": "article-3", "paragraph": "article-3/p2",
     "languages": {"en": {"question": "...", "positive": "...", "negatives": ["..."]},
                   "de": {"question": "...", "positive": "...", "negatives": []}}}

``group`` is the unit of the train/validation split (an article): translations and sibling
questions of one article must never straddle the split. ``paragraph`` (optional; a string, or
a list with one per language) names the passage the question was asked on: examples of one
paragraph are siblings and never share a batch (see :mod:`hybridir.sampling.queue`).
``negatives`` are optional hard negatives in the positive's language.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybridir.core.files import atomic_open
from hybridir.errors import UserError
from hybridir.languages import is_language_code


@dataclass(frozen=True)
class TrainingText:
    """One language's side of an example."""

    question: str
    positive: str
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingExample:
    """An example id with its texts per language (``texts`` maps language code to text).

    ``paragraphs`` names the passages (per language, or one for all) the example was drawn
    from; two examples sharing one are siblings (questions on one paragraph, lines of one block).
    """

    id: str
    group: str
    texts: Mapping[str, TrainingText]
    paragraphs: tuple[str, ...] = ()

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.texts)


@dataclass
class TrainingCorpus:
    """A list of training examples with the languages they cover."""

    examples: list[TrainingExample]
    languages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.languages:
            self.languages = sorted({lang for ex in self.examples for lang in ex.texts})

    def __len__(self) -> int:
        return len(self.examples)

    def language_counts(self) -> Counter[str]:
        """How many examples have each language."""
        return Counter(lang for ex in self.examples for lang in ex.texts)

    def restrict(self, languages: Sequence[str]) -> TrainingCorpus:
        """Keep only ``languages``; examples left with none are dropped."""
        keep = set(languages)
        examples = []
        for ex in self.examples:
            texts = {lang: text for lang, text in ex.texts.items() if lang in keep}
            if texts:
                examples.append(TrainingExample(ex.id, ex.group, texts, ex.paragraphs))
        return TrainingCorpus(examples, [lang for lang in self.languages if lang in keep])


def split_by_group(
    corpus: TrainingCorpus, validation_fraction: float, seed: int
) -> tuple[TrainingCorpus, TrainingCorpus]:
    """Split into (train, validation) by ``group``, so no article straddles the split."""
    if not 0.0 <= validation_fraction < 1.0:
        raise UserError(f"validation fraction must be in [0, 1), got {validation_fraction}")
    groups = sorted({ex.group for ex in corpus.examples})
    random.Random(seed).shuffle(groups)
    n_val = round(len(groups) * validation_fraction)
    if validation_fraction > 0 and n_val == 0 and len(groups) > 1:
        n_val = 1
    held_out = set(groups[:n_val])
    train = [ex for ex in corpus.examples if ex.group not in held_out]
    val = [ex for ex in corpus.examples if ex.group in held_out]
    return TrainingCorpus(train, corpus.languages), TrainingCorpus(val, corpus.languages)


def _parse_text(raw: object, where: str) -> TrainingText:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("question"), str)
        or not isinstance(raw.get("positive"), str)
    ):
        raise UserError(f"{where}: each language needs string fields question and positive")
    negatives = raw.get("negatives", [])
    if not isinstance(negatives, list) or not all(isinstance(n, str) for n in negatives):
        raise UserError(f"{where}: negatives must be a list of strings")
    return TrainingText(raw["question"], raw["positive"], tuple(negatives))


def read_jsonl(path: str | Path) -> TrainingCorpus:
    """Read the documented parallel JSONL format, or raise a one-line :class:`UserError`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"training file {path} does not exist: pass a parallel JSONL file or a benchmark name"
        )
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(
                    f"{where} is not JSON ({exc.msg}): one JSON object per line expected"
                ) from exc
            if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("languages"), dict):
                raise UserError(f"{where}: each line needs an id and a languages object")
            texts = {}
            for lang, raw in row["languages"].items():
                if not is_language_code(lang):
                    raise UserError(f"{where}: unknown language code {lang!r}: use ISO 639-1 codes")
                texts[lang] = _parse_text(raw, f"{where} [{lang}]")
            paragraph = row.get("paragraph", [])
            paragraphs = tuple([paragraph] if isinstance(paragraph, str) else paragraph)
            if not isinstance(paragraph, (str, list)) or not all(isinstance(p, str) for p in paragraphs):
                raise UserError(
                    f"{where}: paragraph must be a string (or list of strings) naming the passage"
                )
            examples.append(
                TrainingExample(str(row["id"]), str(row.get("group", row["id"])), texts, paragraphs)
            )
    if not examples:
        raise UserError(f"{path} holds no examples")
    return TrainingCorpus(examples)


def write_jsonl(corpus: TrainingCorpus | Iterable[TrainingExample], path: str | Path) -> None:
    """Write examples in the documented JSONL format (atomically: complete or absent)."""
    examples = corpus.examples if isinstance(corpus, TrainingCorpus) else corpus
    with atomic_open(path) as out:
        for ex in examples:
            languages = {
                lang: {"question": t.question, "positive": t.positive, "negatives": list(t.negatives)}
                for lang, t in ex.texts.items()
            }
            row: dict[str, object] = {"id": ex.id, "group": ex.group}
            if ex.paragraphs:
                row["paragraph"] = ex.paragraphs[0] if len(ex.paragraphs) == 1 else list(ex.paragraphs)
            row["languages"] = languages
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")
