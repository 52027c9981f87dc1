"""The data a grid trains and tests on: one fixed training file per (benchmark, variant), the
starved-language subset for imbalance studies, and an optional paragraph sample of a test set.

Every cell of a variant reads the same training file, so cells differ only in strategy, alpha
and seed (hard negatives are drawn once, with the grid's ``data_seed``). File names carry a
digest of the settings that made them, so a changed setting never reuses stale data.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

from hybridir.core.files import atomic_folder, write_json
from hybridir.core.unionfind import UnionFind
from hybridir.data.examples import TrainingCorpus, TrainingExample, write_jsonl
from hybridir.data.lareqa import available_languages
from hybridir.data.readers import load_training_corpus
from hybridir.data.sources import resolve_data_dir
from hybridir.errors import UserError


def starve_languages(corpus: TrainingCorpus, fractions: Mapping[str, float], seed: int) -> TrainingCorpus:
    """Keep each listed language in only ``round(fraction * n)`` of the ``n`` examples that have it.

    The language is dropped from the other examples, which keep their remaining languages (an
    example left with none is dropped). Which examples keep it is drawn with ``seed``.
    """
    drop: dict[str, set[str]] = {}
    for lang in sorted(fractions):
        holders = [ex.id for ex in corpus.examples if lang in ex.texts]
        keep = set(random.Random(f"{seed}:{lang}").sample(holders, round(fractions[lang] * len(holders))))
        drop[lang] = set(holders) - keep
    examples = []
    for ex in corpus.examples:
        texts = {lang: text for lang, text in ex.texts.items() if ex.id not in drop.get(lang, ())}
        if texts:
            examples.append(TrainingExample(ex.id, ex.group, texts, ex.paragraphs))
    return TrainingCorpus(examples, list(corpus.languages))


def _digest(settings: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()[:8]


class DataManifest(TypedDict):
    """The manifest beside a grid's training file (JSON): its settings and examples per language."""

    benchmark: str
    variant: str
    languages: str | None
    context: str
    seed: int
    fractions: dict[str, float]
    corpus_languages: list[str]
    examples: int
    full_counts: dict[str, int]  # examples per language before starving
    counts: dict[str, int]  # and after


def training_data(
    root: Path,
    benchmark: str,
    variant: str,
    *,
    languages: str | None,
    context: str,
    seed: int,
    fractions: Mapping[str, float],
) -> tuple[Path, DataManifest]:
    """Write (once) the training file of a variant; return its path and its manifest.

    The manifest (also written beside the file) holds the settings, the languages and the
    number of examples per language, before and after starving.
    """
    settings = {
        "benchmark": benchmark,
        "variant": variant,
        "languages": languages,
        "context": context,
        "seed": seed,
        "fractions": dict(fractions),
    }
    path = root / f"{benchmark}-{variant}-{_digest(settings)}.jsonl"
    manifest_path = path.with_suffix(".json")
    if path.is_file() and manifest_path.is_file():
        return path, json.loads(manifest_path.read_text(encoding="utf-8"))
    corpus = load_training_corpus(benchmark, languages, context, seed)
    unknown = sorted(set(fractions) - set(corpus.languages))
    if unknown:
        raise UserError(
            f"train_fraction_by_language names {unknown[0]!r}, which {benchmark} training data lacks: "
            f"it has {', '.join(corpus.languages)}"
        )
    reduced = starve_languages(corpus, fractions, seed)
    write_jsonl(reduced, path)
    manifest: DataManifest = {
        **settings,
        "corpus_languages": list(corpus.languages),
        "examples": len(reduced),
        "full_counts": dict(sorted(corpus.language_counts().items())),
        "counts": dict(sorted(reduced.language_counts().items())),
    }
    write_json(manifest_path, manifest, ensure_ascii=True)
    return path, manifest


def sample_paragraphs(
    payloads: Mapping[str, dict[str, Any]], fraction: float, seed: int
) -> dict[str, dict[str, Any]]:
    """A seeded sample of a LAReQA benchmark (``language -> SQuAD JSON``) by paragraph group.

    A group is a paragraph together with its translations (paragraphs that share a question id).
    Whole groups are kept or dropped, so every kept question keeps all its answers, in every
    language, and its answer's sibling sentences stay in the pool as distractors.
    """
    components = UnionFind()
    nodes: list[tuple[str, int, int, str]] = []
    for lang in sorted(payloads):
        for a, article in enumerate(payloads[lang]["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                node = f"{lang}/{a}/{p}"
                components.find(node)
                for qa in paragraph["qas"]:
                    components.union(node, f"q:{qa['id']}")
                nodes.append((lang, a, p, node))
    members: dict[str, list[str]] = {}
    for *_, node in nodes:
        members.setdefault(components.find(node), []).append(node)
    # A group is named by its smallest member, so the sample does not depend on file order.
    names = sorted(min(group) for group in members.values())
    chosen_names = set(random.Random(seed).sample(names, max(1, round(fraction * len(names)))))
    kept = {node for group in members.values() if min(group) in chosen_names for node in group}
    sampled: dict[str, dict[str, Any]] = {}
    for lang in sorted(payloads):
        articles = []
        for a, article in enumerate(payloads[lang]["data"]):
            paragraphs = [p for i, p in enumerate(article["paragraphs"]) if f"{lang}/{a}/{i}" in kept]
            if paragraphs:
                articles.append({**article, "paragraphs": paragraphs})
        sampled[lang] = {**payloads[lang], "data": articles}
    return sampled


def evaluation_data(root: Path, benchmark: str, fraction: float, seed: int) -> Path | None:
    """The folder to evaluate ``benchmark`` from: ``None`` (the whole benchmark) or a written sample."""
    if fraction >= 1.0:
        return None
    target = root / f"{benchmark}-sample{fraction:g}s{seed}"
    if target.is_dir():
        return target
    source = resolve_data_dir(benchmark)
    payloads = {
        lang: json.loads((source / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in available_languages(source)
    }
    with atomic_folder(target) as staging:
        for lang, payload in sample_paragraphs(payloads, fraction, seed).items():
            (staging / f"{lang}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return target
