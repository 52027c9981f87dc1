"""Language codes: any valid ISO 639-1 code, ISO 639-3 / BCP-47 tags mapped to it, display names.

The project names languages by ISO 639-1 codes (``en``, ``zh``, ``sw``) where one exists, and
by the ISO 639-3 code otherwise (``ast``). Codes, validity, macrolanguage folding (``arb`` ->
``ar``, ``cmn`` -> ``zh``, ``pes`` -> ``fa``) and names come from the maintained ``langcodes``
package (with ``language_data``), not from a table kept here, so every valid code works.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import langcodes

from hybridir.errors import UserError

# ISO 639's codes that name no single language: multiple, undetermined, uncoded, no content.
_NOT_A_LANGUAGE = frozenset({"mul", "und", "mis", "zxx"})


def _private_use(code: str) -> bool:
    return len(code) == 3 and "qaa" <= code <= "qtz"


@lru_cache(maxsize=4096)
def to_project_code(tag: str) -> str | None:
    """The project's code for a language tag (``"arb"``, ``"zho-CN"``, ``"eng-US"``, ``"de"``), or ``None``.

    A valid two-letter ISO 639-1 code is kept as written (``tl`` stays ``tl``); longer codes and
    tags are standardised with macrolanguages folded, and region or script subtags dropped.
    """
    raw = tag.strip().replace("_", "-")
    if not raw:
        return None
    primary = raw.split("-")[0].lower()
    try:
        if len(primary) == 2:
            return primary if langcodes.Language.get(primary, normalize=False).is_valid() else None
        language = langcodes.Language.get(langcodes.standardize_tag(raw, macro=True)).language
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None
    if language in _NOT_A_LANGUAGE or _private_use(language or ""):
        return None
    if not language or not langcodes.Language.get(language, normalize=False).is_valid():
        return None
    return language


def is_language_code(code: str) -> bool:
    """Whether ``code`` is already a project code (a valid ISO 639-1 code, or 639-3 without one)."""
    return to_project_code(code) == code


@lru_cache(maxsize=4096)
def language_name(code: str) -> str:
    """English display name of a project code (``"zh"`` -> ``"Chinese"``)."""
    return langcodes.Language.get(code, normalize=False).display_name()


def split_language_list(spec: str | Iterable[str] | None) -> list[str] | None:
    """Turn ``"en,de, zh"`` (or a list) into ``["en", "de", "zh"]``; ``None`` stays ``None``."""
    if spec is None:
        return None
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    codes = [item.strip().lower() for item in items if item.strip()]
    return codes or None


def check_language_code(code: str) -> str:
    """Return ``code`` if it is a project code, else raise a one-line :class:`UserError` with a hint."""
    if is_language_code(code):
        return code
    mapped = to_project_code(code)
    hint = f": write {mapped!r}" if mapped else ": use ISO 639-1 codes such as en, de, zh"
    raise UserError(f"unknown language code {code!r}{hint}")


def select_languages(spec: str | Iterable[str] | None, available: Sequence[str], what: str) -> list[str]:
    """Validate a requested language subset against what a data set has.

    Returns ``available`` (in its order) when ``spec`` is empty. Raises :class:`UserError`
    naming the bad code and the valid ones, so the CLI prints one line.
    """
    requested = split_language_list(spec)
    if requested is None:
        return list(available)
    for code in requested:
        check_language_code(code)
        if code not in available:
            raise UserError(f"{what} has no language {code!r}: it has {', '.join(available)}")
    seen: list[str] = []
    for code in requested:
        if code not in seen:
            seen.append(code)
    return seen
