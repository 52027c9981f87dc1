"""``hybridir translate``: source-language QA data to filtered parallel training data.

Steps: read the input (:mod:`.inputs`); keep the first ``limit`` examples and this shard's share
of them; look every question and passage sentence up in the cache (:mod:`.cache`) per target
language and translate only what is missing (:mod:`.engine`), committing after each batch;
assemble one :class:`~hybridir.data.examples.TrainingExample` per question id, the source
language included, dropping a language of an example when a filter (:mod:`.filters`) rejects its
question or positive; write ``train.jsonl`` and ``translate_report.json``/``.md``.

The positive of each language is the translation of the answer-bearing sentence (``context=
"sentence"``), or that sentence followed by the translated paragraph (``context="paragraph"``),
as in :func:`hybridir.data.readers.read_lareqa_parallel`. The hard negative is another sentence of
the same paragraph, tried in one seeded order for every language, the first that passes the filters.

With ``num_shards=K`` each process takes the ids whose stable hash is ``shard_index`` modulo K
and writes ``train.shard-<i>-of-<K>.jsonl``; whichever shard finishes last merges all of them
into ``train.jsonl`` in input order, the same set an unsharded run writes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridir.core.paths import cache_dir
from hybridir.core.settings import check_settings, coerce_choices, setting
from hybridir.data.context import ContextMode
from hybridir.data.examples import TrainingExample, TrainingText, read_jsonl, write_jsonl
from hybridir.errors import UserError
from hybridir.languages import check_language_code, split_language_list
from hybridir.translate.cache import Translation, TranslationCache
from hybridir.translate.engine import Translator, model_key
from hybridir.translate.filters import FILTERS, failed_filters
from hybridir.translate.inputs import SourceExample, load_source
from hybridir.translate.report import merge_reports, new_report, read_report, write_report

_NO_SPACE_LANGUAGES = frozenset({"zh", "ja"})  # sentences join without a space


@dataclass
class TranslateConfig:
    """Settings of one ``hybridir translate`` run (one shard of it when ``num_shards > 1``).

    Each field declares its help, range or choices once (:mod:`hybridir.core.settings`); the
    ``hybridir translate`` flags are generated from them.
    """

    input: str = setting(help="SQuAD JSON, parallel *.jsonl, or a datasets name[:split]")
    model: str = setting(help="seq2seq translation model: NLLB-200, M2M-100 or opus-mt (hub id or folder)")
    languages: str | Sequence[str] = setting(help="target ISO 639-1 codes, e.g. de,es,ar,zh (or a list)")
    out: str | Path = setting(help="folder for train.jsonl and translate_report.*")
    source_language: str = setting("en", "language of the input")
    batch_size: int = setting(32, "texts per generate call", at_least=1)
    max_length: int = setting(256, "max tokens in and out; longer is truncated", at_least=1)
    limit: int | None = setting(None, "translate only the first N questions (trials)", at_least=1)
    num_shards: int = setting(1, "split the job over K processes or GPUs", at_least=1)
    shard_index: int = setting(0, "which shard this process runs (0..K-1)", at_least=0)
    context: ContextMode = setting(
        ContextMode.SENTENCE, "a positive is the answer sentence, or it followed by the paragraph"
    )
    filters: str | Sequence[str] = setting(
        ",".join(FILTERS), f"comma-separated filters, from {', '.join(FILTERS)}; empty: keep everything"
    )
    device: str | None = setting(None, "cuda, cuda:1, cpu (default: cuda when available)")
    num_beams: int | None = setting(None, "beam size (default: the model's generation config)", at_least=1)
    cache: str | Path | None = setting(None, "translation cache file (default: in $HYBRIDIR_CACHE)")
    seed: int = setting(0, "seed of the hard-negative choice", at_least=0)
    progress: bool = setting(True, "progress bars", flag=False)

    def __post_init__(self) -> None:
        coerce_choices(self)

    def validate(self) -> list[str]:
        """Check the settings (one-line :class:`UserError` otherwise); returns the target languages."""
        requested = split_language_list(self.languages)
        if requested is None:
            raise UserError("no target languages: pass --languages, e.g. de,es,ar,zh")
        for code in [self.source_language, *requested]:
            check_language_code(code)
        targets = [code for code in dict.fromkeys(requested) if code != self.source_language]
        if not targets:
            raise UserError(
                f"--languages holds only the source language {self.source_language!r}: add targets"
            )
        check_settings(self)
        if self.shard_index >= self.num_shards:
            raise UserError(
                f"shard {self.shard_index} of {self.num_shards} is impossible: need 0 <= index < K"
            )
        unknown = [name for name in self.filter_names() if name not in FILTERS]
        if unknown:
            raise UserError(f"unknown filter {unknown[0]!r}: choose from {', '.join(FILTERS)}")
        return targets

    def filter_names(self) -> list[str]:
        """The enabled filters, in :data:`FILTERS` order for known names."""
        names = self.filters.split(",") if isinstance(self.filters, str) else list(self.filters)
        names = [name.strip() for name in names if name.strip()]
        return sorted(names, key=lambda n: FILTERS.index(n) if n in FILTERS else len(FILTERS))


def shard_of(example_id: str, num_shards: int) -> int:
    """The shard of an example id: a stable hash, the same in every process."""
    return int(hashlib.sha1(example_id.encode("utf-8")).hexdigest()[:12], 16) % num_shards


def _join(sentences: Sequence[str], language: str) -> str:
    return ("" if language in _NO_SPACE_LANGUAGES else " ").join(s for s in sentences if s)


def _translate_missing(
    config: TranslateConfig, targets: list[str], texts: list[str], cache: TranslationCache, report: dict
) -> dict[str, dict[str, Translation]]:
    """Translations of ``texts`` per language: from the cache, the rest translated and cached per batch."""
    key = model_key(config.model, config.max_length, config.num_beams)
    found = {lang: cache.get_many(key, lang, texts) for lang in targets}
    missing = {lang: [t for t in texts if t not in found[lang]] for lang in targets}
    for lang in targets:
        report["languages"][lang]["cached"] = len(found[lang])
    if not any(missing.values()):
        return found
    translator = Translator(
        config.model,
        config.source_language,
        targets,
        config.device,
        config.batch_size,
        config.max_length,
        config.num_beams,
    )
    for lang, todo in missing.items():

        def store(items: list[tuple[str, Translation]], lang: str = lang) -> None:
            cache.put_many(key, lang, items)
            found[lang].update(items)
            report["languages"][lang]["translated"] += len(items)

        if todo:
            translator.translate(todo, lang, store, config.progress)
    return found


class _Assembler:
    """Builds each language's side of an example from translations, applying the filters."""

    def __init__(self, config: TranslateConfig, report: dict) -> None:
        self.config = config
        self.report = report
        self.filters = config.filter_names()

    def side(
        self, ex: SourceExample, lang: str, translations: Mapping[str, Translation] | None
    ) -> TrainingText | None:
        """``lang``'s texts for ``ex``, or None if rejected (``translations`` None: the source language)."""
        source_language = self.config.source_language

        def out(sentences: Sequence[str]) -> Translation:
            if translations is None:
                return Translation(_join(sentences, lang), False)
            parts = [translations[s] if s.strip() else Translation("", False) for s in sentences]
            return Translation(_join([p.text for p in parts], lang), any(p.truncated for p in parts))

        def passes(role: str, sentences: Sequence[str]) -> bool:
            if translations is None:
                return True
            source = _join(sentences, source_language)
            failed = failed_filters(source, out(sentences), lang, source_language, self.filters)
            for name in failed:
                self.report["languages"][lang]["rejected"][role][name] += 1
            return not failed

        if ex.answer_index is None:
            positive_sentences: Sequence[str] = ex.passage
        else:
            positive_sentences = [ex.passage[ex.answer_index]]
        question_ok = passes("question", [ex.question])
        positive_ok = passes("positive", positive_sentences)  # counted even when the question failed
        if not (question_ok and positive_ok):
            return None
        positive = out(positive_sentences).text
        if ex.answer_index is None:
            negatives = [out(n).text for n in ex.negatives if passes("negative", n)]
        else:
            order = [i for i in range(len(ex.passage)) if i != ex.answer_index]
            random.Random(f"{self.config.seed}:{ex.id}").shuffle(order)
            chosen = next((i for i in order if passes("negative", [ex.passage[i]])), None)
            negatives = [] if chosen is None else [out([ex.passage[chosen]]).text]
            if self.config.context == "paragraph":
                paragraph = out(ex.passage).text
                positive = f"{positive} {paragraph}"
                negatives = [f"{n} {paragraph}" for n in negatives]
        return TrainingText(out([ex.question]).text, positive, tuple(negatives))

    def example(
        self, ex: SourceExample, targets: list[str], found: dict[str, dict[str, Translation]]
    ) -> TrainingExample | None:
        """The parallel example of ``ex``, or None when every translation was rejected."""
        texts: dict[str, TrainingText] = {}
        for lang in targets:
            stats = self.report["languages"][lang]
            side = self.side(ex, lang, found[lang])
            if side is None:
                stats["examples_dropped"] += 1
                continue
            stats["examples_kept"] += 1
            stats["without_negative"] += not side.negatives
            texts[lang] = side
        if not texts:
            return None
        source_side = self.side(ex, self.config.source_language, None)
        assert source_side is not None  # the source language is never filtered
        paragraphs = (ex.paragraph,) if ex.paragraph else ()
        return TrainingExample(
            ex.id, ex.group, {self.config.source_language: source_side, **texts}, paragraphs
        )


def _fingerprint(config: TranslateConfig, targets: list[str]) -> dict[str, Any]:
    """The settings that shape the output: shards can only be merged when these agree."""
    return {
        "input": str(config.input),
        "model": config.model,
        "languages": targets,
        "source_language": config.source_language,
        "max_length": config.max_length,
        "num_beams": config.num_beams,
        "limit": config.limit,
        "context": str(config.context),
        "filters": config.filter_names(),
        "seed": config.seed,
        "num_shards": config.num_shards,
    }


def _merge_if_complete(out: Path, fingerprint: dict[str, Any], position: dict[str, int]) -> Path | None:
    """Merge all shards into ``train.jsonl`` once every shard's report exists; None until then."""
    shards = fingerprint["num_shards"]
    names = [f"shard-{j}-of-{shards}" for j in range(shards)]
    report_paths = [out / f"translate_report.{name}.json" for name in names]
    if not all(path.is_file() for path in report_paths):
        return None
    reports = [read_report(path) for path in report_paths]
    if any(report["config"] != fingerprint for report in reports):
        raise UserError(
            f"the shard reports in {out} come from runs with different settings: "
            "rerun every shard with the same settings, or use a fresh output folder",
            settings=("out",),
        )
    examples: list[TrainingExample] = []
    for name in names:
        path = out / f"train.{name}.jsonl"
        if path.stat().st_size:
            examples.extend(read_jsonl(path).examples)
    examples.sort(key=lambda ex: position[ex.id])
    target = out / "train.jsonl"
    write_jsonl(examples, target)
    write_report(merge_reports(reports), out / "translate_report.json")
    return target


def run_translate(config: TranslateConfig) -> Path:
    """Run one job (or shard); returns ``train.jsonl``, or the shard's file while other shards are missing."""
    targets = config.validate()
    out = Path(config.out)
    data = load_source(config.input, config.source_language)
    examples = data.examples[: config.limit] if config.limit else data.examples
    mine = [ex for ex in examples if shard_of(ex.id, config.num_shards) == config.shard_index]
    fingerprint = _fingerprint(config, targets)
    report = new_report(fingerprint, data.skipped, config.shard_index, targets)
    report["examples_in"] = len(mine)
    texts = list(dict.fromkeys(text for ex in mine for text in ex.texts() if text.strip()))
    cache_path = config.cache or cache_dir() / "translate" / "translations.sqlite"
    with TranslationCache(Path(cache_path)) as cache:
        found = _translate_missing(config, targets, texts, cache, report)
    assembler = _Assembler(config, report)
    built = [pe for pe in (assembler.example(ex, targets, found) for ex in mine) if pe is not None]
    report["examples_out"] = len(built)
    if config.num_shards == 1:
        target = out / "train.jsonl"
        write_jsonl(built, target)
        write_report(report, out / "translate_report.json")
        return target
    name = f"shard-{config.shard_index}-of-{config.num_shards}"
    shard_path = out / f"train.{name}.jsonl"
    write_jsonl(built, shard_path)
    write_report(report, out / f"translate_report.{name}.json", markdown=False)
    position = {ex.id: index for index, ex in enumerate(examples)}
    return _merge_if_complete(out, fingerprint, position) or shard_path
