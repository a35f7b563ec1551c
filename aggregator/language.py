"""Language of an item as ISO 639-1: lingua when the partner declared none, a check when it did.

lingua is the most accurate detector for short texts among the maintained ones, and runs
offline. The detector is built once per process for the languages partners write in
(a smaller set is both faster and more accurate than all 75).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

#: Languages partners write in (DOMAIN.md).
CORE_LANGUAGES = ("en", "de", "fr", "es", "it", "tr", "fa", "ar", "eu", "pt", "ru", "da", "tl", "ku")
#: ... plus neighbours that are easily confused with them: in the detector so that their text
#: is not called a partner language, but never trusted over a page's own declaration.
PARTNER_LANGUAGES = CORE_LANGUAGES + ("nl", "ca", "sv", "fi", "el", "uk", "pl", "be", "he", "ur")

#: Below this many characters a text does not overrule a declared language (a title alone
#: is too short to tell, and lingua is sure of itself on very little text).
OVERRULE_CHARS = 60

#: Scripts that only languages outside the detector's set write in: a page in one of them is
#: named by its script when it declares nothing (kana before Han: Japanese mixes both).
_KANA = re.compile(r"[\u3040-\u30ff]")
_SCRIPTS = (("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
            ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")), ("th", re.compile(r"[\u0e00-\u0e7f]")),
            ("hy", re.compile(r"[\u0530-\u058f]")), ("ka", re.compile(r"[\u10a0-\u10ff]")),
            ("my", re.compile(r"[\u1000-\u109f]")), ("hi", re.compile(r"[\u0900-\u097f]")),
            ("bn", re.compile(r"[\u0980-\u09ff]")))

#: Small words of Kurmanji ("û" is "and", "ji", "li", "bi" are prepositions), and words that
#: say a text with circumflexes is French rather than Kurmanji.
_KURMANJI_WORDS = frozenset("û jî ji li bi wî wê yê ên ku ev ew di bû hat kir dike dikin re tê ye".split())
_KURMANJI_STRONG = frozenset("û jî wî wê yê ên".split())
_FRENCH_WORDS = frozenset("le la les et est une des du pour que qui dans sur au avec".split())


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


def guess_language(text: str) -> tuple[str | None, float]:
    """lingua's top answer for `text` however unsure, with its confidence; (None, 0) when it has none.

    Texts in a script no detector language writes (Chinese, Japanese, Thai, ...) are named by
    their script, and Kurmanji, which lingua has no model for, by its own small words.
    """
    sample = (text or "").strip()[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if not letters:
        return None, 0.0
    if len(_KANA.findall(sample)) * 10 >= letters:
        return "ja", 1.0  # Japanese writes kana between its Han characters
    for code, script in _SCRIPTS:
        if len(script.findall(sample)) * 3 >= letters:
            return code, 1.0
    if _looks_kurmanji(sample):
        return "ku", 1.0
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return None, 0.0
    return values[0].language.iso_code_639_1.name.lower(), values[0].value


def _looks_kurmanji(sample: str) -> bool:
    """Kurmanji by its small words and circumflexes, unless Turkish letters or French words outnumber them."""
    lowered = sample.lower()
    words = re.findall(r"\w+", lowered)
    circumflexes = sum(lowered.count(letter) for letter in "êîû")
    turkish = sum(lowered.count(letter) for letter in "ığ")
    common = sum(word in _KURMANJI_WORDS for word in words)
    strong = sum(word in _KURMANJI_STRONG for word in words) + circumflexes // 2
    french = sum(word in _FRENCH_WORDS for word in words)
    return strong >= 1 and common >= 1 and turkish <= circumflexes and french < common


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
    """Decide an item's language: ('xx', 'declared'|'detected'|'declared+checked'|'detected (declared yy)').

    A declared language (the feed's, else the page's own `<html lang>`, `og:locale`, ...) is
    trusted when the text agrees or is too short to tell; when a long enough text clearly says
    another partner language (a feed declared 'en' for everything), the text wins. With no
    declaration, lingua's answer is taken however unsure: an item without a language is never
    shown to a reader, and a guess is right far more often than not.
    """
    code = normalise_code(declared)
    if code == "ku":
        return _kurmanji_or_turkish(text)
    if code and code not in _supported():
        return code, "declared (no detector for it)"
    sample = (text or "").strip()
    if code:
        detected = detect_language(sample, min_confidence=0.6)
        if detected is None or detected == code:
            return code, "declared+checked" if detected else "declared"
        if len(sample) >= OVERRULE_CHARS and detected in CORE_LANGUAGES:
            return detected, f"detected (declared {code})"
        return code, "declared"
    guessed, confidence = guess_language(sample)
    if guessed is None:
        return None, "unknown"
    return guessed, "detected" if confidence >= 0.6 and len(sample) >= 20 else "detected (unsure)"
