"""Sentence spans from sentencex: offsets, Chinese and Arabic punctuation, answer lookup."""

from hybridir.data.segment import sentence_at, sentence_spans, split_sentences


def test_chinese_and_arabic_punctuation_split() -> None:
    chinese = split_sentences("我爱北京。天安门很大！你好吗？是的", "zh")
    assert chinese == ("我爱北京。", "天安门很大！", "你好吗？", "是的")
    dated = split_sentences("游园地。1975年建成。“你好。”他说。", "zh")
    assert dated == ("游园地。", "1975年建成。", "“你好。”", "他说。")
    assert split_sentences("هذا نص. هل هو جيد؟ نعم! شكرا", "ar") == ("هذا نص.", "هل هو جيد؟", "نعم!", "شكرا")


def test_spans_are_offsets_into_the_text() -> None:
    text = "  Dr. Smith went to Washington.  He arrived at 5 p.m. today. "
    spans = sentence_spans(text, "en")
    assert [text[s:e] for s, e in spans] == ["Dr. Smith went to Washington.", "He arrived at 5 p.m. today."]
    assert sentence_at(spans, text.index("Smith")) == 0
    assert sentence_at(spans, text.index("He") - 1) == 1  # white space before a sentence: the next one
    assert sentence_at(spans, len(text) - 1) is None
