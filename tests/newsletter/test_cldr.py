"""The CLDR values kept in newsletter/locales/cldr.json still say what Babel says, and the compiled-catalog
cache never serves a stale catalog.

Expect: for every catalog language, the stored month, language and country names equal Babel's now
(a new Babel or a new catalog language fails here until `make messages` is run); `format_day` writes
every month and pattern as Babel's `format_date` does; a cached catalog translates as a freshly
compiled one, a changed .po is compiled again, and an unwritable cache only costs the compile.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from babel.dates import format_date
from babel.support import Translations

from newsletter import cldr, i18n


@pytest.mark.parametrize("language", cldr.catalog_languages())
def test_stored_values_are_babels(language):
    stored = json.loads(cldr.DATA_FILE.read_text(encoding="utf-8"))
    assert language in stored, f"{language} has a catalog but no CLDR values: run make messages"
    assert stored[language] == cldr.extract(language), f"{language}: cldr.json is stale: run make messages"
    for month in range(1, 13):
        for day in (date(2026, month, 1), date(2027, month, 28)):
            for pattern in cldr.PATTERNS:
                assert cldr.format_day(day, pattern, language) == format_date(day, pattern, locale=language)
    assert i18n.language_name("fa", language) == cldr._babel_locale(language).languages["fa"]


def test_an_unknown_pattern_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        cldr.format_day(date(2026, 1, 1), "EEEE", "de")


def _messages(mo: bytes, path) -> dict[str, str]:
    path.write_bytes(mo)
    with path.open("rb") as handle:
        translations = Translations(fp=handle)
    return dict(translations._catalog)


def test_a_cached_catalog_is_the_compiled_one_and_a_changed_po_is_compiled_again(tmp_path):
    po = tmp_path / "messages.po"
    shutil.copy(i18n.catalog_path("tr"), po)
    cache = tmp_path / "cache"
    first = i18n.compiled_catalog(po, "tr", cache)
    assert len(list(cache.glob("tr-*.mo"))) == 1
    again = i18n.compiled_catalog(po, "tr", cache)
    assert again == first == i18n._compile(po.read_bytes(), "tr")
    assert _messages(again, tmp_path / "a.mo")["Unsubscribe"] != "Unsubscribe"
    text = po.read_text(encoding="utf-8")
    changed = text.replace('msgid "Unsubscribe"\nmsgstr "', 'msgid "Unsubscribe"\nmsgstr "CHANGED ', 1)
    assert changed != text
    po.write_text(changed, encoding="utf-8")
    assert _messages(i18n.compiled_catalog(po, "tr", cache), tmp_path / "b.mo")["Unsubscribe"].startswith("CHANGED ")
    assert len(list(cache.glob("tr-*.mo"))) == 2


def test_an_unwritable_cache_still_gives_the_catalog(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    mo = i18n.compiled_catalog(i18n.catalog_path("fa"), "fa", blocked / "cache")
    assert _messages(mo, tmp_path / "fa.mo")["Unsubscribe"] != "Unsubscribe"
