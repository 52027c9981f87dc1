"""MIRACL readers on the real dev topics and qrels, and the corpus loader's formats and errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from hybridir.data.miracl import load_corpus, load_miracl, read_qrels, read_topics
from hybridir.data.sources import MIRACL_DEV_LANGUAGES
from hybridir.errors import UserError


def test_real_dev_files_of_every_language(shared_data: Path) -> None:
    benchmark = load_miracl(data_dir=shared_data / "miracl")
    assert benchmark.split == "dev" and benchmark.languages == sorted(MIRACL_DEV_LANGUAGES)
    sw = benchmark.topics["sw"]
    assert len(sw.queries) == 482 and set(sw.qrels) == set(sw.queries)
    assert sw.queries["6"] == "Bandari kubwa nchini Kenya iko wapi?"
    assert sw.qrels["6"]["32589#0"] == 1 and sw.qrels["6"]["33690#3"] == 0
    assert sum(len(docs) for docs in sw.qrels.values()) == 5092
    assert sum(rel for docs in sw.qrels.values() for rel in docs.values()) == 910
    yo = load_miracl("yo").topics["yo"]  # found through HYBRIDIR_DATA
    assert len(yo.queries) == 119 and yo.qrels["10020#0"]["10020#1"] == 1


def test_language_errors_are_one_line(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown language code 'xx'"):
        load_miracl("sw,xx")
    with pytest.raises(UserError, match="MIRACL dev has no language 'el'"):
        load_miracl("el")
    (tmp_path / "topics.miracl-v1.0-sw-dev.tsv").write_text("1\tswali\n", encoding="utf-8")
    (tmp_path / "qrels.miracl-v1.0-sw-dev.tsv").write_text("1 Q0 d1 1\n", encoding="utf-8")
    with pytest.raises(UserError, match="files for th are not in"):
        load_miracl("sw,th", data_dir=tmp_path)
    assert load_miracl(data_dir=tmp_path).languages == ["sw"]  # default: the languages present


def test_malformed_trec_files_name_the_line(tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("1\tgood query\n2 no tab here\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"topics.tsv:2 is not a topic line"):
        read_topics(topics)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("1 Q0 d1 1\n\n1 Q0 d2 yes\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"qrels.tsv:3 is not a qrels line"):
        read_qrels(qrels)
    qrels.write_bytes(b"1 Q0 d1 \xff\n")
    with pytest.raises(UserError, match="UTF-8"):
        read_qrels(qrels)


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def test_corpus_from_a_file_or_folder_as_title_plus_text(tmp_path: Path) -> None:
    file = _write_jsonl(
        tmp_path / "sw.jsonl",
        [
            {"docid": "1#0", "title": "Kenya", "text": "Mombasa ni bandari."},
            {"_id": "2#0", "text": "Bila kichwa."},
        ],
    )
    corpus = load_corpus("sw", file, ["sw"], show_progress=False)
    assert corpus.docids == ["1#0", "2#0"]
    assert corpus.texts == ["Kenya Mombasa ni bandari.", "Bila kichwa."]

    hub_layout = tmp_path / "corpora" / "miracl-corpus-v1.0-yo"
    hub_layout.mkdir(parents=True)
    _write_jsonl(hub_layout / "docs-0.jsonl.gz", [{"docid": "a", "title": "T", "text": "one"}])
    _write_jsonl(hub_layout / "docs-1.jsonl.gz", [{"docid": "b", "title": "T", "text": "two"}])
    _write_jsonl(tmp_path / "corpora" / "sw.jsonl", [{"docid": "c", "title": "", "text": "three"}])
    folder = tmp_path / "corpora"
    assert load_corpus("yo", folder, ["yo", "sw"], show_progress=False).docids == ["a", "b"]
    assert load_corpus("sw", folder, ["yo", "sw"], show_progress=False).texts == ["three"]
    with pytest.raises(UserError, match="no th corpus in"):
        load_corpus("th", folder, ["th"], show_progress=False)
    with pytest.raises(UserError, match="one file but 2 languages"):
        load_corpus("sw", file, ["sw", "yo"], show_progress=False)


def test_corpus_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"docid": "1", "title": "t", "text": "x"}\n{"title": "no id"}\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.jsonl:2 is not a corpus line"):
        load_corpus("sw", bad, ["sw"], show_progress=False)
    twice = _write_jsonl(tmp_path / "twice.jsonl", [{"docid": "1", "text": "a"}, {"docid": "1", "text": "b"}])
    with pytest.raises(UserError, match="repeats docid '1'"):
        load_corpus("sw", twice, ["sw"], show_progress=False)
    with pytest.raises(UserError, match="does not exist"):
        load_corpus("sw", tmp_path / "missing.jsonl", ["sw"], show_progress=False)


def test_no_corpus_offline_says_network_or_corpus_file() -> None:
    # conftest sets HF_HUB_OFFLINE=1, as on a machine without a network
    with pytest.raises(UserError, match=r"need a network .* or a corpus file"):
        load_corpus("sw", None, ["sw"], show_progress=False)
