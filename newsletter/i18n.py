"""Catalogs and locale data for the edition's frame, per reader language.

Messages live in `newsletter/locales/<lang>/LC_MESSAGES/messages.po`, extracted with
Babel (`make messages`). The .po files are compiled in memory when first used, so no
binary .mo file is kept in the repository. Dates, numbers and language names come
from Babel's CLDR data.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from aggregator.scripts import RTL_LANGUAGES, language_direction

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

#: The one place that says what happens to a language with no catalog: it gets English.
FALLBACK_LANGUAGE = "en"

__all__ = ["RTL_LANGUAGES", "direction", "language_name", "locale", "translations"]


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def frame_language(language: str) -> str:
    """The language the frame is shown in: the reader's when a catalog exists, else English."""
    return language if language == FALLBACK_LANGUAGE or catalog_path(language).exists() else FALLBACK_LANGUAGE


@lru_cache(maxsize=64)
def translations(language: str) -> NullTranslations:
    """Compiled gettext translations for `language` (English source strings when none)."""
    path = catalog_path(frame_language(language))
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@lru_cache(maxsize=64)
def locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LANGUAGE)


def direction(language: str | None) -> str:
    """'rtl' or 'ltr' for text in `language`, from the one list in `aggregator.scripts`."""
    return language_direction(language)


@lru_cache(maxsize=1024)
def language_name(code: str | None, in_language: str) -> str:
    """The name of language `code` written in `in_language` ('Persian', 'Farsça', 'فارسی')."""
    if not code:
        return ""
    name = locale(in_language).languages.get(code)
    return name or code
