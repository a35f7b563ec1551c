"""The few CLDR values the edition shows, per catalog language, taken from Babel once and kept in a JSON file.

Loading a Babel locale unpickles and merges its whole CLDR tree (root, parent, locale): some
10 ms per language, most of the first render of an edition in 12 languages. The edition
needs only month names (for "d MMM", "d MMMM" and "d MMMM y"), language names and country
names, so `make messages` writes them to `newsletter/locales/cldr.json` (`python -m
newsletter.cldr`), and the renderer reads that small file instead. A language missing from
the file falls back to Babel. `tests/newsletter/test_cldr.py` checks that the file still says
what Babel says (a new Babel release, a new catalog language), so it cannot go stale silently.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

LOCALES_DIR = Path(__file__).parent / "locales"
DATA_FILE = LOCALES_DIR / "cldr.json"
#: The date patterns the edition uses; `format_day` knows how to fill these and no others.
PATTERNS = ("d MMM", "d MMMM", "d MMMM y")


def catalog_languages() -> list[str]:
    """English (the source language, no catalog) and every language with a catalog."""
    return sorted({"en"} | {p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")})


def extract(language: str) -> dict:
    """What the edition needs of `language`'s CLDR data, from Babel."""
    loc = Locale.parse(language)
    months = loc.months["format"]
    return {
        "months": {width: [months[width][number] for number in range(1, 13)] for width in ("abbreviated", "wide")},
        # two-letter codes (ISO 639-1, ISO 3166-1), what items and region sections carry; others go to Babel
        "languages": {code: name for code, name in sorted(loc.languages.items()) if len(code) == 2},
        "territories": {code: name for code, name in sorted(loc.territories.items()) if len(code) == 2},
    }


def build(path: Path = DATA_FILE) -> Path:
    """Write the data of every catalog language (run by `make messages`)."""
    data = {language: extract(language) for language in catalog_languages()}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def _stored() -> dict:
    try:
        return json.loads(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=64)
def data(language: str) -> dict:
    """The stored values of `language`, else Babel's (loaded now), else English's."""
    stored = _stored().get(language)
    if stored is not None:
        return stored
    try:
        return extract(language)
    except (UnknownLocaleError, ValueError):
        return data("en")


def format_day(day: date, pattern: str, language: str) -> str:
    """`day` as Babel's `format_date(day, pattern, locale=language)` writes it, for the patterns in PATTERNS."""
    months = data(language)["months"]
    if pattern == "d MMM":
        return f"{day.day} {months['abbreviated'][day.month - 1]}"
    if pattern == "d MMMM":
        return f"{day.day} {months['wide'][day.month - 1]}"
    if pattern == "d MMMM y":
        return f"{day.day} {months['wide'][day.month - 1]} {day.year}"
    raise ValueError(f"date pattern {pattern!r} is not one of {PATTERNS}")


def language_name(code: str, in_language: str) -> str | None:
    """The name of language `code` in `in_language`, None when CLDR has none."""
    if len(code) == 2:
        return data(in_language)["languages"].get(code)
    return _babel_locale(in_language).languages.get(code)


def territory_name(code: str, in_language: str) -> str | None:
    """The name of country `code` (ISO 3166-1 alpha-2) in `in_language`, None when CLDR has none."""
    if len(code) == 2:
        return data(in_language)["territories"].get(code)
    return _babel_locale(in_language).territories.get(code)


@lru_cache(maxsize=64)
def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


if __name__ == "__main__":
    print(f"wrote {build()}")
