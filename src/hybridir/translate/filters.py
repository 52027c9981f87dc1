"""Quality filters for machine-translated text: pure functions, each optional, named in :data:`FILTERS`.

- ``empty``: the output has no letter or digit (empty, blank or punctuation only).
- ``truncated``: the input or the output hit ``--max-length`` tokens, so text is probably missing.
- ``length_ratio``: the output is more than :data:`MAX_LENGTH_RATIO` times longer or shorter (in
  characters) than expected from the source, after allowing for scripts that need fewer characters
  (Chinese, Japanese, Korean). Sources under ``MIN_RATIO_CHARS`` characters are not judged.
- ``wrong_language``: a language-identification model (``py3langid``, which ships its model in
  its wheel and runs offline; its ISO 639-1 labels) names another language. Outputs under
  ``MIN_LANGID_CHARS`` characters, and languages the model does not know, are not judged.
- ``copy``: the output equals the source once case, punctuation and spacing are ignored (the
  model copied instead of translating). Sources of fewer than ``MIN_COPY_WORDS`` words are not
  judged, since names and numbers are legitimately copied.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Any

from hybridir.translate.cache import Translation

FILTERS = ("empty", "truncated", "length_ratio", "wrong_language", "copy")
MAX_LENGTH_RATIO = 3.0
MIN_RATIO_CHARS = 10
MIN_LANGID_CHARS = 20
MIN_COPY_WORDS = 3

# Characters per English character, roughly; languages not listed count as 1.
_CHARACTER_DENSITY = {"zh": 0.3, "ja": 0.4, "ko": 0.45}
_NOT_WORD = re.compile(r"[\W_]+")


def is_empty(text: str) -> bool:
    """Whether ``text`` has no letter or digit."""
    return not any(ch.isalnum() for ch in text)


def length_ratio_outlier(
    source: str, output: str, language: str, source_language: str = "en", max_ratio: float = MAX_LENGTH_RATIO
) -> bool:
    """Whether the output's length is implausible for a translation of ``source`` into ``language``."""
    if len(source.strip()) < MIN_RATIO_CHARS:
        return False
    expected = _CHARACTER_DENSITY.get(language, 1.0) / _CHARACTER_DENSITY.get(source_language, 1.0)
    ratio = len(output.strip()) / len(source.strip()) / expected
    return ratio > max_ratio or ratio < 1.0 / max_ratio


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # Its two-letter (ISO 639-1) labels only: dialect labels such as wuu would take Chinese text.
    identifier.set_languages([label for label in identifier.nb_classes if len(label) == 2])
    return identifier


def detect_language(text: str) -> str:
    """The most likely language of ``text`` (ISO 639-1) among py3langid's."""
    return str(_identifier().classify(text)[0])


def wrong_language(output: str, language: str) -> bool:
    """Whether ``output`` is identifiably not in ``language``."""
    if len(output.strip()) < MIN_LANGID_CHARS or language not in _identifier().nb_classes:
        return False
    return detect_language(output) != language


def _normalise(text: str) -> str:
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def copy_of_source(source: str, output: str) -> bool:
    """Whether ``output`` repeats ``source`` instead of translating it."""
    return len(source.split()) >= MIN_COPY_WORDS and _normalise(source) == _normalise(output)


def failed_filters(
    source: str, output: Translation, language: str, source_language: str, enabled: Collection[str]
) -> list[str]:
    """Names of the enabled filters that reject ``output`` as a translation of ``source``."""
    checks = {
        "empty": lambda: is_empty(output.text),
        "truncated": lambda: output.truncated,
        "length_ratio": lambda: length_ratio_outlier(source, output.text, language, source_language),
        "wrong_language": lambda: wrong_language(output.text, language),
        "copy": lambda: copy_of_source(source, output.text),
    }
    return [name for name in FILTERS if name in enabled and checks[name]()]
