"""The MIRACL evaluation driver: model + topics + corpus -> top-100 TREC runs -> metrics.json, report.md.

Per language: dense models encode the corpus into resumable disk shards (cached per model
and language) and retrieve through FAISS; BM25 (or any scorer without vectors) ranks from
score blocks. Each language's run is written as a TREC file, so the figures can be checked
with ``trec_eval -c -M 100 -m ndcg_cut.10 -m recall.100 qrels run``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hybridir.core.files import atomic_write
from hybridir.data.miracl import Corpus, MiraclTopics, load_corpus, load_miracl
from hybridir.encoding.base import Scorer
from hybridir.encoding.faiss_search import (
    IndexOptions,
    build_index,
    encoders_of,
    search,
    shard_root,
)
from hybridir.encoding.shards import encode_to_shards
from hybridir.errors import UserError
from hybridir.evaluation.miracl import (
    DEPTH,
    MEASURES,
    Run,
    format_trec_run,
    mean_scores,
    run_from_hits,
    score_run,
    top_k_from_blocks,
)
from hybridir.models.registry import load_scorer

SCORING_NOTE = (
    "nDCG@10 and Recall@100 computed with pytrec_eval as `trec_eval -c -M 100`: top 100 per query, "
    "mean over every judged query (a query with nothing retrieved counts as 0)"
)

BM25_NOTE = (
    "BM25 tokenises with XLM-R SentencePiece pieces, not the per-language Lucene analyzers of "
    "MIRACL's official BM25 baseline, so its figures differ from the published BM25 row"
)


def retrieve(
    scorer: Scorer,
    topics: MiraclTopics,
    corpus: Corpus,
    options: IndexOptions,
    show_progress: bool = True,
) -> Run:
    """Top-100 passages of every topic: shards + FAISS for a dense scorer, score blocks otherwise."""
    qids = list(topics.queries)
    queries = [topics.queries[qid] for qid in qids]
    encoders = encoders_of(scorer)
    if encoders is None:
        scorer.prepare(queries, corpus.texts)
        return top_k_from_blocks(scorer, qids, corpus.docids, DEPTH, show_progress=show_progress)
    encode_query, encode_passage = encoders
    folder = shard_root(scorer) / f"miracl-{corpus.language}"
    embeddings = encode_to_shards(encode_passage, corpus.texts, folder, show_progress=show_progress)
    index = build_index(embeddings, options, show_progress=show_progress)
    scores, ids = search(index, encode_query(queries), DEPTH, show_progress=show_progress)
    return run_from_hits(qids, corpus.docids, scores, ids)


def _coverage_note(topics: MiraclTopics, corpus: Corpus) -> str | None:
    """A caveat when judged passages are missing from the corpus (a partial local copy)."""
    judged = {docid for docs in topics.qrels.values() for docid in docs}
    missing = len(judged - set(corpus.docids))
    if not missing:
        return None
    return (
        f"{corpus.language}: {missing} of {len(judged)} judged passages are not in the corpus "
        f"({corpus.source}); figures are not comparable with official MIRACL numbers"
    )


def render_report(metrics: dict[str, Any]) -> str:
    """Markdown summary: one row per language and the mean."""
    names = list(MEASURES)
    lines = [
        f"# MIRACL {metrics['split']}: {metrics['model']}",
        "",
        f"Index: {metrics['index']}. Runs: `runs/<lang>.trec`.",
        "",
        "| language | queries | passages | " + " | ".join(names) + " |",
        "|---|---:|---:|" + "---:|" * len(names),
    ]
    for lang, row in metrics["per_language"].items():
        values = " | ".join(f"{row[name]:.4f}" for name in names)
        lines.append(f"| {lang} | {row['queries']} | {row['passages']} | {values} |")
    mean = " | ".join(f"{metrics['mean'][name]:.4f}" for name in names)
    lines.append(f"| **mean** | | | {mean} |")
    lines += ["", "Notes:", "", *(f"- {note}" for note in metrics["notes"]), ""]
    return "\n".join(lines)


def run_miracl_eval(
    model: str,
    languages: str | None,
    out: Path,
    corpus: Path | None,
    data_dir: str | Path | None = None,
    batch_size: int = 64,
    index: str = "flat",
    *,
    nprobe: int = 16,
    max_length: int | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Evaluate ``model`` on MIRACL dev for ``languages``; write runs, metrics.json and report.md.

    ``corpus`` is a JSONL file (one language) or a folder of per-language files; ``None``
    downloads the hub's corpus, which needs a network.
    """
    options = IndexOptions(kind=index, nprobe=nprobe)
    corpus = Path(corpus) if corpus is not None else None
    if corpus is not None and not corpus.exists():
        raise UserError(
            f"corpus {corpus} does not exist: give a JSONL file or a folder of them", settings=("corpus",)
        )
    benchmark = load_miracl(languages, data_dir)
    scorer = load_scorer(model, batch_size=batch_size, max_length=max_length, show_progress=show_progress)
    if encoders_of(scorer) is not None and hasattr(scorer, "show_progress"):
        scorer.show_progress = False  # the shard encoder shows one bar per language instead
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)

    notes = [SCORING_NOTE, *scorer.notes]
    if scorer.name == "bm25":
        notes.append(BM25_NOTE)
    if options.kind != "flat":
        notes.append(f"{options.kind} index: approximate search, figures can be below exact (flat) search")
    tag = "hybridir-" + "_".join(scorer.name.split())  # a TREC run field: no whitespace
    per_language: dict[str, dict[str, Any]] = {}
    per_query_lines: list[str] = []
    for lang in benchmark.languages:
        topics = benchmark.topics[lang]
        passages = load_corpus(lang, corpus, benchmark.languages, show_progress=show_progress)
        started = time.perf_counter()
        run = retrieve(scorer, topics, passages, options, show_progress=show_progress)
        seconds = time.perf_counter() - started
        atomic_write(out / "runs" / f"{lang}.trec", format_trec_run(run, tag=tag))
        per_query = score_run(topics.qrels, run)
        per_language[lang] = {
            **mean_scores(per_query),
            "queries": len(per_query),
            "passages": len(passages.docids),
            "corpus": passages.source,
            "retrieval_s": round(seconds, 3),
        }
        per_query_lines += [
            json.dumps({"language": lang, "qid": qid, **row}) for qid, row in per_query.items()
        ]
        note = _coverage_note(topics, passages)
        if note:
            notes.append(note)

    metrics: dict[str, Any] = {
        "benchmark": "miracl",
        "split": benchmark.split,
        "model": model,
        "index": options.kind if options.kind != "ivf" else f"ivf (nprobe={options.nprobe})",
        "languages": benchmark.languages,
        "per_language": per_language,
        "mean": {
            name: sum(row[name] for row in per_language.values()) / len(per_language) for name in MEASURES
        },
        "notes": notes,
    }
    atomic_write(out / "per_query.jsonl", "\n".join(per_query_lines) + "\n")
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    atomic_write(out / "report.md", render_report(metrics))
    return metrics
