"""Language codes come from langcodes: every valid ISO 639-1 code works, 639-3 tags map to it."""

import pytest

from hybridir.errors import UserError
from hybridir.languages import (
    check_language_code,
    is_language_code,
    language_name,
    select_languages,
    to_project_code,
)


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("arb", "ar"),
        ("zho-CN", "zh"),
        ("eng-US", "en"),
        ("cmn", "zh"),
        ("pes", "fa"),
        ("deu", "de"),
        ("swa", "sw"),
        ("tl", "tl"),
        ("ast", "ast"),
        ("xx", None),
        ("qqq", None),  # private use
        ("mul", None),
        ("xyz", None),
        ("", None),
        ("not a code", None),
    ],
)
def test_tags_map_to_project_codes(tag: str, code: str | None) -> None:
    assert to_project_code(tag) == code


def test_any_valid_iso_639_1_code_is_a_language() -> None:
    for code in ("en", "is", "cy", "mt", "ga", "tl", "xh"):
        assert is_language_code(code)
    assert not is_language_code("deu")  # a tag to map, not a project code
    assert language_name("zh") == "Chinese"
    assert language_name("cy") == "Welsh"


def test_unknown_code_is_one_line_with_a_hint() -> None:
    with pytest.raises(UserError, match=r"unknown language code 'deu': write 'de'"):
        check_language_code("deu")
    with pytest.raises(UserError, match=r"unknown language code 'xx'"):
        select_languages("en,xx", ["en", "de"], "XQuAD-R")
    with pytest.raises(UserError, match=r"XQuAD-R has no language 'cy'"):
        select_languages("cy", ["en", "de"], "XQuAD-R")
    assert select_languages("de, en,de", ["en", "de"], "x") == ["de", "en"]
