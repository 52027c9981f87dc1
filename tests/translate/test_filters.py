"""Quality filters on hand-written strings."""

from __future__ import annotations

import pytest

from hybridir.translate.cache import Translation
from hybridir.translate.filters import (
    FILTERS,
    copy_of_source,
    detect_language,
    failed_filters,
    is_empty,
    length_ratio_outlier,
    wrong_language,
)

SOURCE = "When was the Eiffel Tower built for the World's Fair?"
GERMAN = "Wann wurde der Eiffelturm für die Weltausstellung gebaut?"


@pytest.mark.parametrize(
    ("text", "empty"), [("", True), ("   ", True), ("?!. …", True), ("1889", False), ("Ja", False)]
)
def test_empty(text: str, empty: bool) -> None:
    assert is_empty(text) is empty


def test_length_ratio() -> None:
    assert not length_ratio_outlier(SOURCE, GERMAN, "de")
    assert length_ratio_outlier(SOURCE, "Wann?", "de")  # far too short
    assert length_ratio_outlier(SOURCE, GERMAN * 4, "de")  # far too long (a repetition loop)
    # Chinese needs about a third of the characters: a faithful translation is not an outlier...
    assert not length_ratio_outlier(SOURCE, "埃菲尔铁塔是什么时候为世界博览会建造的？", "zh")
    # ...but an English-length Chinese output is.
    assert length_ratio_outlier(SOURCE, "埃菲尔铁塔" * 20, "zh")
    assert not length_ratio_outlier(
        "Paris.", "Die Hauptstadt von Frankreich ist Paris.", "de"
    )  # source too short


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Der Eiffelturm wurde 1889 für die Weltausstellung in Paris gebaut.", "de"),
        ("La Torre Eiffel fue construida en 1889 para la Exposición Universal.", "es"),
        ("تم بناء برج إيفل في عام 1889 للمعرض العالمي في باريس.", "ar"),
        ("埃菲尔铁塔于1889年为巴黎世界博览会而建造。", "zh"),
        ("The Eiffel Tower was built in 1889 for the World's Fair in Paris.", "en"),
    ],
)
def test_language_identification_on_real_sentences(text: str, language: str) -> None:
    assert detect_language(text) == language
    assert not wrong_language(text, language)
    assert wrong_language(text, "ru")


def test_wrong_language_skips_short_outputs() -> None:
    assert not wrong_language("Paris.", "de")
    assert wrong_language("The Eiffel Tower was built in 1889.", "de")  # untranslated English


def test_copy_of_source() -> None:
    assert copy_of_source(SOURCE, "when was the Eiffel tower built for the world's fair")
    assert not copy_of_source(SOURCE, GERMAN)
    assert not copy_of_source("Gustave Eiffel", "Gustave Eiffel")  # names are copied legitimately


def test_failed_filters_names_every_rule_that_fires_and_only_enabled_ones() -> None:
    assert failed_filters(SOURCE, Translation(GERMAN, False), "de", "en", FILTERS) == []
    copied = Translation(SOURCE, True)
    assert failed_filters(SOURCE, copied, "de", "en", FILTERS) == ["truncated", "wrong_language", "copy"]
    assert failed_filters(SOURCE, copied, "de", "en", ["copy"]) == ["copy"]
    assert failed_filters(SOURCE, Translation("", False), "de", "en", FILTERS) == ["empty", "length_ratio"]
    assert failed_filters(SOURCE, Translation("", False), "de", "en", ()) == []
