"""ISO 639-1 language codes the toolkit knows, and parsing of ``--languages`` lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hybridir.errors import UserError

LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "bn": "Bengali",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sw": "Swahili",
    "te": "Telugu",
    "th": "Thai",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "yo": "Yoruba",
    "zh": "Chinese",
}


def split_language_list(spec: str | Iterable[str] | None) -> list[str] | None:
    """Turn ``"en,de, zh"`` (or a list) into ``["en", "de", "zh"]``; ``None`` stays ``None``."""
    if spec is None:
        return None
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    codes = [item.strip().lower() for item in items if item.strip()]
    return codes or None


def select_languages(spec: str | Iterable[str] | None, available: Sequence[str], what: str) -> list[str]:
    """Validate a requested language subset against what a data set has.

    Returns ``available`` (in its order) when ``spec`` is empty. Raises :class:`UserError`
    naming the bad code and the valid ones, so the CLI prints one line.
    """
    requested = split_language_list(spec)
    if requested is None:
        return list(available)
    for code in requested:
        if code not in LANGUAGE_NAMES:
            raise UserError(
                f"unknown language code {code!r}: use ISO 639-1 codes, e.g. {', '.join(available)}"
            )
        if code not in available:
            raise UserError(f"{what} has no language {code!r}: it has {', '.join(available)}")
    seen: list[str] = []
    for code in requested:
        if code not in seen:
            seen.append(code)
    return seen
