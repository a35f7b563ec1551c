"""The one list of right-to-left languages, held against CLDR, and the places that use it."""

import pytest
from babel import Locale, UnknownLocaleError, localedata

from aggregator.scripts import FSI, PDI, RTL_LANGUAGES, language_direction, text_direction


def test_the_list_agrees_with_cldr_for_every_bare_language():
    disagree = []
    for code in localedata.locale_identifiers():
        if "_" in code:
            continue
        try:
            expected = Locale.parse(code).text_direction
        except (UnknownLocaleError, ValueError):  # a locale Babel lists but cannot parse
            continue
        if language_direction(code) != expected:
            disagree.append((code, expected))
    assert not disagree


@pytest.mark.parametrize(
    ("code", "direction"),
    [
        ("fa", "rtl"),
        ("ar", "rtl"),
        ("fa-IR", "rtl"),
        ("ar_EG", "rtl"),
        ("he", "rtl"),
        ("ckb", "rtl"),
        ("ku", "ltr"),
        ("az", "ltr"),
        ("en", "ltr"),
        (None, "ltr"),
        ("", "ltr"),
        ("xx", "ltr"),
    ],
)
def test_language_direction(code, direction):
    assert language_direction(code) == direction


def test_text_direction_is_the_first_strong_character_outside_isolates():
    assert text_direction("29 نوامبر") == "rtl"
    assert text_direction("The Open Cell") == "ltr"
    assert text_direction("2026 – 29") is None
    assert text_direction(f"[1] {FSI}Mahir Ekinci{PDI} در زندان") == "rtl"


def test_every_user_of_a_direction_list_imports_the_one_list():
    from aggregator import entities
    from newsletter import i18n
    from wire.demo import content

    assert entities.RTL_LANGUAGES is RTL_LANGUAGES
    assert content.RTL_LANGUAGES is RTL_LANGUAGES
    assert i18n.RTL_LANGUAGES is RTL_LANGUAGES
