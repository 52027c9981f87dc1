"""A user's own retrieval collection: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels.tsv``.

- ``corpus.jsonl``: one JSON object a line, ``{"id", "language", "text"}`` and an optional
  ``"title"`` (a document is encoded as ``title + " " + text``, MIRACL's choice);
- ``queries.jsonl``: ``{"id", "language", "text"}`` a line;
- ``qrels.tsv``: TREC judgments ``qid 0 docid relevance`` (whitespace separated; relevance > 0
  is relevant).

Languages are any valid code (checked through :mod:`hybridir.languages`). The collection
becomes a :class:`~hybridir.data.lareqa.LareqaBenchmark`, so it is scored by the same evaluator
as XQuAD-R and MLQA-R: monolingual pools per language always, and cross-lingual pools and the
multilingual pool with rank distance when queries and documents span several languages.
Every problem is a one-line :class:`UserError`: a missing or malformed file, a duplicate id, a
judgment naming an unknown query or document, an unknown language code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hybridir.data.lareqa import Candidate, LareqaBenchmark, Question
from hybridir.data.miracl import read_qrels
from hybridir.errors import UserError
from hybridir.languages import check_language_code, select_languages

FILES = ("corpus.jsonl", "queries.jsonl", "qrels.tsv")


@dataclass(frozen=True)
class Record:
    """A document or a query: its id, language and text (documents may have a title)."""

    id: str
    language: str
    text: str
    title: str = ""


@dataclass
class Collection:
    """Documents, queries and judgments ``qid -> docid -> relevance`` of one collection."""

    name: str
    documents: list[Record]
    queries: list[Record]
    qrels: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        """Every language of the documents or the queries, sorted."""
        return sorted({r.language for r in self.documents} | {r.language for r in self.queries})


def read_records(path: Path, kind: str, required: Sequence[str]) -> list[Record]:
    """Records of a JSONL file with the ``required`` fields, ids unique, languages valid."""
    if not path.is_file():
        raise UserError(f"{path} is missing: a collection folder needs {', '.join(FILES)}")
    records: list[Record] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} ({exc}): give UTF-8 JSON lines") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number} is not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or any(not isinstance(row.get(key), str) for key in required):
            raise UserError(f"{path}:{number}: a {kind} needs string fields {', '.join(required)}")
        if row["id"] in seen:
            raise UserError(f"{path}:{number}: {kind} id {row['id']!r} appears twice")
        seen.add(row["id"])
        try:
            language = check_language_code(row["language"].strip().lower())
        except UserError as exc:
            raise UserError(f"{path}:{number}: {exc}") from exc
        records.append(Record(row["id"], language, row["text"], str(row.get("title") or "")))
    if not records:
        raise UserError(f"{path} holds no {kind}s")
    return records


def _checked_qrels(path: Path, documents: list[Record], queries: list[Record]) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise UserError(f"{path} is missing: a collection folder needs {', '.join(FILES)}")
    qrels = read_qrels(path)
    query_ids, document_ids = {q.id for q in queries}, {d.id for d in documents}
    for qid, judged in qrels.items():
        if qid not in query_ids:
            raise UserError(f"{path} judges query {qid!r}, which is not in queries.jsonl")
        unknown = sorted(set(judged) - document_ids)
        if unknown:
            raise UserError(
                f"{path} judges document {unknown[0]!r} for query {qid!r}: it is not in corpus.jsonl"
            )
    return qrels


def read_collection(folder: str | Path) -> Collection:
    """Read and check a collection folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"collection folder {folder} does not exist: give a folder with {', '.join(FILES)}")
    documents = read_records(folder / "corpus.jsonl", "document", ("id", "language", "text"))
    queries = read_records(folder / "queries.jsonl", "query", ("id", "language", "text"))
    qrels = _checked_qrels(folder / "qrels.tsv", documents, queries)
    return Collection(folder.name, documents, queries, qrels)


def collection_benchmark(
    collection: Collection, languages: str | Sequence[str] | None = None
) -> LareqaBenchmark:
    """The collection (restricted to ``languages``: queries and pool) as a benchmark to score.

    Queries without a relevant document left in the pool cannot be scored; they are counted in
    the benchmark's notes, not silently dropped.
    """
    chosen = select_languages(languages, collection.languages, collection.name)
    keep = set(chosen)
    documents = [d for d in collection.documents if d.language in keep]
    position = {d.id: i for i, d in enumerate(documents)}
    candidates = [
        Candidate(d.language, f"{d.title} {d.text}" if d.title else d.text, d.text, d.title, i)
        for i, d in enumerate(documents)
    ]
    questions, relevant, unjudged = [], [], 0
    for query in (q for q in collection.queries if q.language in keep):
        found = sorted(
            position[d] for d, rel in collection.qrels.get(query.id, {}).items() if rel > 0 and d in position
        )
        if not found:
            unjudged += 1
            continue
        questions.append(Question(query.id, query.language, query.text))
        relevant.append(np.array(found, dtype=np.int64))
    if not questions:
        raise UserError(f"no query of {collection.name} has a relevant document in {', '.join(chosen)}")
    present = sorted({q.language for q in questions} | {c.language for c in candidates})
    benchmark = LareqaBenchmark(collection.name, present, questions, candidates, relevant)
    if unjudged:
        benchmark.notes.append(f"{unjudged} queries have no relevant document in the pool and are not scored")
    return benchmark
