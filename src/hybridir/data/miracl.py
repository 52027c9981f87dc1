"""MIRACL: topics and relevance judgments from TREC files, passages from a local JSONL or the hub.

Topics are ``qid<TAB>text`` and qrels ``qid Q0 docid relevance`` (files
``topics.miracl-v1.0-<lang>-<split>.tsv`` / ``qrels.miracl-v1.0-<lang>-<split>.tsv``, found like
every data set, see :mod:`hybridir.data.sources`). The passage corpus (10^5 to 3x10^7 Wikipedia
passages per language) is only on the Hugging Face hub (``miracl/miracl-corpus``, one folder
``miracl-corpus-v1.0-<lang>/`` of ``docs-<i>.jsonl.gz`` files); offline, the user names a local
JSONL file or folder with ``docid`` (or ``_id``), ``title`` and ``text`` per line. A passage is
encoded as ``title + " " + text``, MIRACL's official choice.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from hybridir.core.paths import hub_offline
from hybridir.data.sources import MIRACL_DEV_LANGUAGES, resolve_data_dir
from hybridir.errors import UserError
from hybridir.languages import select_languages, split_language_list

CORPUS_REPO = "miracl/miracl-corpus"
_SUFFIXES = (".jsonl", ".jsonl.gz")


@dataclass
class MiraclTopics:
    """The queries of one language (in file order) and their judgments ``qid -> docid -> rel``."""

    language: str
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass
class MiraclBenchmark:
    """Topics and qrels of the chosen languages of one MIRACL split."""

    split: str
    languages: list[str]
    topics: dict[str, MiraclTopics]


@dataclass
class Corpus:
    """Passages of one language: ``docids[i]`` is the id of ``texts[i]`` (title + text)."""

    language: str
    source: str  # a path, or the hub repository it came from
    docids: list[str]
    texts: list[str]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-empty lines of a UTF-8 (optionally gzipped) text file with 1-based line numbers."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line.rstrip("\n")
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise UserError(f"cannot read {path} ({exc}): give a UTF-8 text file") from exc


def read_topics(path: Path) -> dict[str, str]:
    """``qid -> query text`` from a TREC topics file (``qid<TAB>text`` per line)."""
    topics: dict[str, str] = {}
    for number, line in _lines(path):
        qid, tab, text = line.partition("\t")
        if not tab or not qid.strip() or not text.strip():
            raise UserError(f"{path}:{number} is not a topic line: expected 'qid<TAB>query text'")
        topics[qid.strip()] = text.strip()
    return topics


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``qid -> docid -> relevance`` from a TREC qrels file (``qid Q0 docid rel`` per line)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path):
        fields = line.split()
        try:
            qid, _, docid, relevance = fields
            qrels.setdefault(qid, {})[docid] = int(relevance)
        except ValueError as exc:
            raise UserError(
                f"{path}:{number} is not a qrels line: expected 'qid Q0 docid relevance'"
            ) from exc
    return qrels


def available_languages(folder: Path, split: str = "dev") -> list[str]:
    """Languages with both a topics and a qrels file for ``split`` in ``folder``, sorted."""
    found = []
    for topics in folder.glob(f"topics.miracl-v1.0-*-{split}.tsv"):
        language = topics.name.removeprefix("topics.miracl-v1.0-").removesuffix(f"-{split}.tsv")
        if (folder / f"qrels.miracl-v1.0-{language}-{split}.tsv").is_file():
            found.append(language)
    return sorted(found)


def load_miracl(
    languages: str | list[str] | None = None, data_dir: str | Path | None = None, split: str = "dev"
) -> MiraclBenchmark:
    """Topics and qrels of ``languages`` (default: every language present) for ``split``."""
    folder = resolve_data_dir("miracl", data_dir)
    present = available_languages(folder, split)
    if not present:
        raise UserError(
            f"{folder} holds no MIRACL {split} files (topics.miracl-v1.0-<lang>-{split}.tsv and qrels...): "
            "run `hybridir data download miracl` or point the data folder at them",
            settings=("data_dir",),
        )
    if split_language_list(languages) is None:
        chosen = present
    else:  # a MIRACL language whose files are absent gets "files missing", not "no such language"
        known = sorted(set(present) | set(MIRACL_DEV_LANGUAGES)) if split == "dev" else present
        chosen = select_languages(languages, known, f"MIRACL {split}")
    missing = [lang for lang in chosen if lang not in present]
    if missing:
        raise UserError(
            f"MIRACL {split} files for {', '.join(missing)} are not in {folder}: "
            "run `hybridir data download miracl` or point the data folder at a complete copy",
            settings=("data_dir",),
        )
    topics = {}
    for lang in chosen:
        queries = read_topics(folder / f"topics.miracl-v1.0-{lang}-{split}.tsv")
        qrels = read_qrels(folder / f"qrels.miracl-v1.0-{lang}-{split}.tsv")
        topics[lang] = MiraclTopics(lang, queries, qrels)
    return MiraclBenchmark(split, chosen, topics)


def passage_text(title: str, text: str) -> str:
    """The text MIRACL encodes for a passage: its title, a space, its text."""
    return f"{title} {text}".strip()


def read_corpus_files(paths: list[Path], language: str, source: str, show_progress: bool = True) -> Corpus:
    """Read JSONL passages (``docid`` or ``_id``, ``title``, ``text``) from one or more files."""
    docids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    for path in paths:
        lines = tqdm(_lines(path), desc=f"reading {path.name}", unit="passage", disable=not show_progress)
        for number, line in lines:
            try:
                record = json.loads(line)
                docid = str(record["docid"] if "docid" in record else record["_id"])
                text = passage_text(str(record.get("title") or ""), str(record["text"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise UserError(
                    f"{path}:{number} is not a corpus line: expected JSON with docid (or _id), title, text"
                ) from exc
            if docid in seen:
                raise UserError(f"{path}:{number} repeats docid {docid!r}: each passage id must be unique")
            seen.add(docid)
            docids.append(docid)
            texts.append(text)
    if not docids:
        raise UserError(f"the {language} corpus in {source} holds no passages")
    return Corpus(language, source, docids, texts)


def _jsonl_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))


def corpus_files(corpus: Path, language: str, languages: list[str]) -> list[Path]:
    """The JSONL file(s) of ``language`` under a user's corpus path.

    A file serves a single language; a folder holds ``<lang>.jsonl[.gz]``, ``<lang>/`` or the
    hub's ``miracl-corpus-v1.0-<lang>/`` of JSONL files per language.
    """
    if corpus.is_file():
        if len(languages) > 1:
            raise UserError(
                f"corpus {corpus} is one file but {len(languages)} languages were asked for: "
                "give one language, or a folder holding <lang>.jsonl per language",
                settings=("corpus",),
            )
        return [corpus]
    if not corpus.is_dir():
        raise UserError(
            f"corpus {corpus} does not exist: give a JSONL file or a folder of them", settings=("corpus",)
        )
    for suffix in _SUFFIXES:
        if (corpus / f"{language}{suffix}").is_file():
            return [corpus / f"{language}{suffix}"]
    for sub in (corpus / language, corpus / f"miracl-corpus-v1.0-{language}"):
        if sub.is_dir() and _jsonl_files(sub):
            return _jsonl_files(sub)
    raise UserError(
        f"no {language} corpus in {corpus}: expected {language}.jsonl, {language}.jsonl.gz, "
        f"{language}/ or miracl-corpus-v1.0-{language}/ holding JSONL files"
    )


def _hub_corpus_files(language: str) -> list[Path]:
    """Download (or find in the hub cache) the hub's JSONL files of ``language``."""
    advice = "MIRACL passages need a network (the hub's miracl/miracl-corpus) or a corpus file"
    if hub_offline():
        raise UserError(f"{advice}: the hub is off (HF_HUB_OFFLINE is set)", settings=("corpus",))
    from huggingface_hub import snapshot_download

    try:
        folder = Path(
            snapshot_download(
                CORPUS_REPO, repo_type="dataset", allow_patterns=[f"miracl-corpus-v1.0-{language}/*"]
            )
        )
    except Exception as exc:  # any network, DNS, auth or hub failure: the advice is the same
        raise UserError(
            f"{advice}: downloading {CORPUS_REPO} failed ({type(exc).__name__})", settings=("corpus",)
        ) from exc
    sub = folder / f"miracl-corpus-v1.0-{language}"
    if not sub.is_dir() or not _jsonl_files(sub):
        raise UserError(
            f"{CORPUS_REPO} has no {language} corpus: give a corpus file with its passages",
            settings=("corpus",),
        )
    return _jsonl_files(sub)


def load_corpus(
    language: str, corpus: Path | None, languages: list[str], show_progress: bool = True
) -> Corpus:
    """The passages of ``language``: from the user's ``corpus`` path, else from the hub."""
    if corpus is None:
        return read_corpus_files(_hub_corpus_files(language), language, CORPUS_REPO, show_progress)
    return read_corpus_files(
        corpus_files(Path(corpus), language, languages), language, str(corpus), show_progress
    )
