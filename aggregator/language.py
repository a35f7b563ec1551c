"""Language of an item as ISO 639-1: lingua when the partner declared none, a check when it did.

lingua is the most accurate detector for short texts among the maintained ones, and runs
offline. The detector is built once per process for the languages partners write in
(a smaller set is both faster and more accurate than all 75).
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

#: Languages partners write in (DOMAIN.md), plus neighbours that are easily confused with them.
PARTNER_LANGUAGES = ("en", "de", "fr", "es", "it", "tr", "fa", "ar", "eu", "pt", "ru", "da", "tl", "nl",
                     "ca", "sv", "fi", "el", "uk", "pl", "ku", "be", "he", "ur")


def _lingua_languages() -> list[Language]:
    languages = []
    for code in PARTNER_LANGUAGES:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue  # lingua has no model for it (Kurdish): declared values are kept as they are
    return languages


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    return frozenset(language.iso_code_639_1.name.lower() for language in _lingua_languages())


@lru_cache(maxsize=1)
def _detector():
    return LanguageDetectorBuilder.from_languages(*_lingua_languages()).build()


def detect_language(text: str, min_confidence: float = 0.5) -> str | None:
    """The most likely ISO 639-1 code of `text`, or None when it is too short or unclear."""
    sample = (text or "").strip()[:2000]
    if len(sample) < 20:
        return None
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < min_confidence:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def _kurmanji_or_turkish(text: str) -> tuple[str, str]:
    """Tell Kurmanji from Turkish, which share partners and feeds, by letters only one of them uses.

    lingua has no Kurdish model (it calls Kurmanji French or Tagalog with full confidence),
    so a declared 'ku' is checked by hand: Kurmanji writes ê, î, û and never the Turkish
    dotless ı or ğ.
    """
    sample = (text or "").lower()
    kurmanji = sum(sample.count(letter) for letter in "êîû")
    turkish = sum(sample.count(letter) for letter in "ığ")
    if turkish > 3 * max(kurmanji, 1):
        return "tr", "detected (declared ku)"
    return "ku", "declared+checked" if kurmanji else "declared"


def normalise_code(declared: str | None) -> str | None:
    """'en-US', 'EN_gb', 'eng' -> 'en'; anything unreadable -> None."""
    if not declared:
        return None
    code = declared.strip().replace("_", "-").split("-")[0].lower()
    three = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it",
             "tur": "tr", "fas": "fa", "per": "fa", "ara": "ar", "eus": "eu", "baq": "eu", "por": "pt",
             "rus": "ru", "kur": "ku", "kmr": "ku", "dan": "da", "tgl": "tl"}
    code = three.get(code, code)
    return code if len(code) == 2 and code.isalpha() else None


def resolve_language(declared: str | None, text: str) -> tuple[str | None, str]:
    """Decide an item's language: ('xx', 'declared'|'detected'|'declared+checked'|'declared, text says yy').

    A declared language is trusted when the text agrees or is too short to tell; when
    the text clearly says otherwise (a feed declared 'en' for everything), the text wins.
    """
    code = normalise_code(declared)
    if code == "ku":
        return _kurmanji_or_turkish(text)
    if code and code not in _supported():
        return code, "declared (no detector for it)"
    detected = detect_language(text, min_confidence=0.6)
    if code and (detected is None or detected == code):
        return code, "declared+checked" if detected else "declared"
    if detected:
        return detected, f"detected (declared {code})" if code else "detected"
    return code, "declared" if code else "unknown"
