"""Several training sources in one run: what each ``--train`` value names, read into one source each.

A source spec is a string or, in YAML, a mapping::

    train:
      - mlqa-r                                   # a benchmark name (parallel QA)
      - ../shared/data/ntrex-128                 # a folder of line-aligned <lang>.txt (bitext)
      - ar:../shared/data/arcd/arcd-train.json   # LANG:PATH, a file that does not say its language
      - {path: data/squad-x.jsonl, languages: "en,de", weight: 2}

What a spec reads as, and which batches it can serve (see :mod:`hybridir.sampling.sources`):

- a benchmark name, a folder of ``<lang>.json`` files, or a parallel JSONL file: parallel QA
  (:mod:`hybridir.data.readers`), every batch kind;
- a single SQuAD/LAReQA JSON file, in ``LANG:PATH`` or named ``<lang>.json``: monolingual QA
  (:mod:`hybridir.data.native_training`), same-language batches only;
- a folder of ``*.txt`` files: bitext (:mod:`hybridir.data.bitext`), x-y batches only.

``weight`` multiplies the source's share given by ``--source-weights``. ``languages`` restricts
one source; the run's ``--languages`` restricts every source to the languages it has of them.
CMRC 2018 ``dev`` and ARCD ``test`` are this project's evaluation data and are refused here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from hybridir.data.bitext import read_bitext
from hybridir.data.examples import TrainingCorpus, split_by_group
from hybridir.data.lareqa import available_languages
from hybridir.data.native_training import read_native_qa
from hybridir.data.readers import load_training_corpus
from hybridir.data.sources import SOURCES
from hybridir.errors import UserError
from hybridir.languages import check_language_code, split_language_list, to_project_code

EVALUATION_FILES = {"cmrc2018_dev.json": "cmrc2018_trial.json", "arcd-test.json": "arcd-train.json"}
_LANG_PREFIX = re.compile(r"^([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*):(.+)$")


class SourceKind(str, Enum):
    """What a source holds, which decides the pairs it gives."""

    PARALLEL_QA = "parallel-qa"  # questions with passages in several languages
    MONOLINGUAL_QA = "monolingual-qa"  # questions with passages in one language
    BITEXT = "bitext"  # sentences with their translations

    @property
    def same_language(self) -> bool:
        """Whether it gives same-language pairs (x-x, x-x-mono)."""
        return self is not SourceKind.BITEXT

    @property
    def cross_language(self) -> bool:
        """Whether it gives cross-language pairs (x-y), when it has two or more languages."""
        return self is not SourceKind.MONOLINGUAL_QA


@dataclass(frozen=True)
class SourceSpec:
    """One ``--train`` value: where the data is, its language (single files), a subset, a weight."""

    path: str
    language: str | None = None
    languages: str | None = None
    weight: float = 1.0

    @property
    def default_name(self) -> str:
        if self.path in SOURCES:
            return self.path
        path = Path(self.path)
        return path.stem if path.suffix in (".json", ".jsonl") else path.name or self.path


@dataclass
class TrainingSource:
    """A loaded source: its name, kind, examples, weight, and notes on what its reader left out."""

    name: str
    kind: SourceKind
    corpus: TrainingCorpus
    weight: float = 1.0
    notes: list[str] = field(default_factory=list)


def parse_source_spec(item: str | Mapping[str, Any]) -> SourceSpec:
    """A spec from ``[LANG:]PATH`` or a mapping ``{path, language, languages, weight}``."""
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - {"path", "language", "languages", "weight"})
        if unknown or "path" not in item:
            raise UserError(
                f"a train source mapping needs 'path' (may set language, languages, weight), got {dict(item)}"
            )
        weight = item.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or not (math.isfinite(weight) and weight > 0):
            raise UserError(f"train source {item['path']}: weight must be a positive number, got {weight!r}")
        language = item.get("language")
        spec = parse_source_spec(str(item["path"]))
        languages = item.get("languages")
        if isinstance(languages, list):
            languages = ",".join(map(str, languages))
        return replace(
            spec,
            language=check_language_code(str(language)) if language else spec.language,
            languages=languages,
            weight=float(weight),
        )
    text = str(item).strip()
    match = _LANG_PREFIX.match(text)
    if match and not Path(text).exists():
        return SourceSpec(match.group(2), language=check_language_code(match.group(1).lower()))
    return SourceSpec(text)


def _file_language(path: Path, spec: SourceSpec) -> str:
    if spec.language:
        return spec.language
    code = to_project_code(path.stem) if len(path.stem) <= 3 else None
    if code is None:
        raise UserError(
            f"{path} does not say its language: pass it as LANG:PATH (e.g. ar:{path}) or name it <lang>.json"
        )
    return code


def load_source(
    spec: SourceSpec,
    languages: str | Sequence[str] | None,
    context: str,
    seed: int,
    data_dir: str | Path | None = None,
) -> TrainingSource:
    """Read one source; ``languages`` is the subset to keep (already checked against the source)."""
    path = Path(spec.path)
    if path.name in EVALUATION_FILES:
        raise UserError(
            f"{path} is evaluation data in this project: train on {EVALUATION_FILES[path.name]} instead"
        )
    chosen = split_language_list(languages)
    if spec.language and not (path.is_file() and path.suffix == ".json"):
        raise UserError(f"{spec.language}:{spec.path}: a LANG: prefix is for a single SQuAD JSON file")
    if spec.path not in SOURCES and path.is_file() and path.suffix == ".json":
        language = _file_language(path, spec)
        if chosen is not None and language not in chosen:
            raise UserError(
                f"{path} is in {language!r}, which the languages {', '.join(chosen)} leave out",
                settings=("languages",),
            )
        corpus, counts = read_native_qa(path, language, context, seed)
        return TrainingSource(
            spec.default_name, SourceKind.MONOLINGUAL_QA, corpus, spec.weight, counts.notes(spec.default_name)
        )
    if (
        spec.path not in SOURCES
        and path.is_dir()
        and not available_languages(path)
        and any(path.glob("*.txt"))
    ):
        corpus, notes = read_bitext(path, chosen)
        return TrainingSource(spec.default_name, SourceKind.BITEXT, corpus, spec.weight, notes)
    corpus = load_training_corpus(spec.path, chosen, context, seed, data_dir)
    return TrainingSource(spec.default_name, SourceKind.PARALLEL_QA, corpus, spec.weight)


def load_training_sources(
    items: str | Sequence[str | Mapping[str, Any]],
    languages: str | None = None,
    context: str = "sentence",
    seed: int = 0,
    data_dir: str | Path | None = None,
) -> list[TrainingSource]:
    """Read every train source. With one source, ``languages`` must all be in it; with
    several, each source keeps those of ``languages`` it has, and each language must be in one."""
    specs = [parse_source_spec(item) for item in ([items] if isinstance(items, (str, Mapping)) else items)]
    if not specs:
        raise UserError("no training data: give at least one train source", settings=("train",))
    if data_dir is not None and sum(spec.path in SOURCES for spec in specs) > 1:
        raise UserError(
            "the data folder is one benchmark's, but several train benchmarks were given",
            settings=("data_dir", "train"),
        )
    requested = split_language_list(languages)
    sources: list[TrainingSource] = []
    covered: set[str] = set()
    several = len(specs) > 1
    for spec in specs:
        subset = spec.languages or (None if several else requested)
        source = load_source(spec, subset, context, seed, data_dir)
        if several and requested is not None and spec.languages is None:
            keep = [lang for lang in requested if lang in source.corpus.languages]
            if not keep:
                raise UserError(
                    f"train source {spec.path} has none of the languages {languages} "
                    f"(it has {', '.join(source.corpus.languages)})",
                    settings=("languages",),
                )
            source.corpus = source.corpus.restrict(keep)
        covered.update(source.corpus.languages)
        sources.append(source)
    for lang in requested or []:
        if lang not in covered:
            raise UserError(
                f"no train source has language {lang!r} of the languages {languages}", settings=("languages",)
            )
    names: dict[str, int] = {}
    for source in sources:
        names[source.name] = names.get(source.name, 0) + 1
        if names[source.name] > 1:
            source.name = f"{source.name}-{names[source.name]}"
    return sources


def split_sources(
    sources: Sequence[TrainingSource], validation_fraction: float, seed: int
) -> tuple[list[TrainingSource], list[TrainingSource]]:
    """Hold out ``validation_fraction`` of the groups of every source (a source with no held-out
    example is left out of the validation list)."""
    train, validation = [], []
    for source in sources:
        kept, held = split_by_group(source.corpus, validation_fraction, seed)
        train.append(replace(source, corpus=kept))
        if len(held):
            validation.append(replace(source, corpus=held, notes=[]))
    return train, validation
