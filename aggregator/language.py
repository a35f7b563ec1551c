"""Language of an item as ISO 639-1: lingua when the partner declared none, a check when it did.

lingua is the most accurate detector for short texts among the maintained ones, and runs
offline. The detector is built once per process for the languages partners write in
(a smaller set is both faster and more accurate than all 75).

Most items declare their language (every WordPress feed does), and most declarations are
right: a long text full of the declared language's small words is confirmed by counting
them against jusText's stop lists (which trafilatura already brings) in a fraction of a
millisecond, and a partner's repost in another language is recognised the same way; lingua
(2-3 ms an item, the largest single cost of a crawl) is asked only when that count is not
clear. The shortcut never changes a decision: tests compare it with lingua's on real
articles in every corpus language, declared rightly and wrongly.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import justext
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
_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("my", re.compile(r"[\u1000-\u109f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("bn", re.compile(r"[\u0980-\u09ff]")),
)

#: Small words of Kurmanji ("û" is "and", "ji", "li", "bi" are prepositions), and words that
#: say a text with circumflexes is French rather than Kurmanji.
_KURMANJI_WORDS = frozenset("û jî ji li bi wî wê yê ên ku ev ew di bû hat kir dike dikin re tê ye".split())
_KURMANJI_STRONG = frozenset("û jî wî wê yê ên".split())
_FRENCH_WORDS = frozenset("le la les et est une des du pour que qui dans sur au avec".split())


#: Scripts whose text may quote Latin names (a library, a party's acronym) that lingua then
#: takes for German or French: when one of them writes most letters, the Latin words are left out.
_NON_LATIN = re.compile(
    r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\u0400-\u04ff\u0370-\u03ff\u0590-\u05ff]"
)
_LATIN_WORD = re.compile(r"[\w:./`'\-]*[A-Za-z\u00c0-\u024f][\w:./`'\-]*")

#: Neighbours lingua confuses on a short sentence (their letter statistics are close), told
#: apart by small words and letters only one of them writes. Used only when lingua's top
#: two are such a pair and its lead is small; a marker count must favour the runner-up.
_MARKERS = {
    "es": (
        frozenset("el los las la del y una ha han es con pero muy al lo sus sólo puede también ya fue".split()),
        "ñ¿¡",
    ),
    "pt": (
        frozenset("os do da dos das um uma não em ao aos é são com mas pelo pela só pode também já foi".split()),
        "ãõ",
    ),
    "da": (frozenset("ikke af og jeg er fra også ved være hvor hvad mod for efter".split()), "æø"),
    "sv": (frozenset("inte och av är för jag från också vid vara vad mot".split()), "äö"),
    "nl": (frozenset("niet van het een is zijn voor met op ook naar wordt de".split()), "ĳ"),
}
_CLOSE_PAIRS = frozenset(frozenset(pair) for pair in (("es", "pt"), ("da", "sv"), ("da", "nl")))
#: lingua's lead below which the small words may decide between close neighbours.
CLOSE_LEAD = 0.9


#: jusText's stop lists by ISO 639-1 code, for the detector's languages (Kurmanji is checked apart).
_STOPLISTS = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "tr": "Turkish",
    "fa": "Persian", "ar": "Arabic", "eu": "Basque", "pt": "Portuguese", "ru": "Russian", "da": "Danish",
    "tl": "Tagalog", "nl": "Dutch", "ca": "Catalan", "sv": "Swedish", "fi": "Finnish", "el": "Greek",
    "uk": "Ukrainian", "pl": "Polish", "be": "Belarusian", "he": "Hebrew", "ur": "Urdu",
}  # fmt: skip
#: A declared language is confirmed without lingua when the text has at least CONFIRM_WORDS
#: words and the language's share of them and its lead over every other language reach one of
#: these (share, lead) pairs: many small words and a fair lead, or fewer and a wide one.
CONFIRM_WORDS = 20
#: Words a text needs before its small words alone overrule a declared language (shorter ones go to lingua).
OVERRULE_WORDS = 60
#: Characters of the text read for the count: a few sentences are enough, and the cost grows with it.
CONFIRM_CHARS = 1200
CONFIRM_RULES = ((0.15, 1.5), (0.08, 3.0))
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _stopword_languages() -> dict[str, tuple[str, ...]]:
    """word -> the detector languages whose jusText stop list has it."""
    index: dict[str, list[str]] = {}
    for code, name in _STOPLISTS.items():
        for word in justext.get_stoplist(name):
            index.setdefault(word, []).append(code)
    return {word: tuple(codes) for word, codes in index.items()}


def clear_by_small_words(sample: str) -> str | None:
    """The language `sample` is clearly written in by its small words alone, or None (lingua decides).

    jusText's lists come from Wikipedia word frequencies and overlap (the Finnish one holds
    many English words), so a word counts 1/n towards each of the n languages listing it:
    words only one language uses weigh most. The leader must reach one of `CONFIRM_RULES`.
    """
    index = _stopword_languages()
    words = _WORD.findall(sample.lower())
    if len(words) < CONFIRM_WORDS:
        return None
    scores: dict[str, float] = {}
    for word, count in Counter(words).items():
        languages = index.get(word)
        if languages:
            share = count / len(languages)
            for language in languages:
                scores[language] = scores.get(language, 0.0) + share
    if not scores:
        return None
    leader = max(scores, key=scores.__getitem__)
    own = scores.pop(leader)
    runner_up = max(scores.values(), default=0.0)
    if any(own >= share * len(words) and own >= lead * runner_up for share, lead in CONFIRM_RULES):
        return leader
    return None


def confirmed_by_small_words(sample: str, code: str) -> bool:
    """True when `sample` is clearly in `code` by its small words alone (no lingua needed)."""
    return clear_by_small_words(sample) == code


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
    values = _detector().compute_language_confidence_values(_main_script(sample))
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
    values = _detector().compute_language_confidence_values(_main_script(sample))
    if not values:
        return None, 0.0
    best, confidence = values[0].language.iso_code_639_1.name.lower(), values[0].value
    if len(values) > 1 and confidence < CLOSE_LEAD:
        runner_up = values[1].language.iso_code_639_1.name.lower()
        if frozenset((best, runner_up)) in _CLOSE_PAIRS and _markers(sample, runner_up) > _markers(sample, best):
            return runner_up, values[1].value
    return best, confidence


def _main_script(sample: str) -> str:
    """`sample` without its Latin words when Arabic, Cyrillic, Greek or Hebrew write most of its words."""
    latin = _LATIN_WORD.findall(sample)
    if not latin or sum(bool(_NON_LATIN.search(word)) for word in sample.split()) <= len(latin):
        return sample
    return " ".join(_LATIN_WORD.sub(" ", sample).split())


def _markers(sample: str, language: str) -> int:
    """How many of `language`'s own small words and letters `sample` has."""
    words, letters = _MARKERS[language]
    lowered = sample.lower()
    return sum(word in words for word in re.findall(r"\w+", lowered)) + sum(lowered.count(ch) for ch in letters)


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


def _drop_repeated_title(text: str) -> str:
    """`text` without its first line when the rest repeats it.

    An entry with no title is titled with the start of its own text (`normalise_item`), so
    the text the detector sees says the same sentence twice; that adds nothing and pushes a
    short text past the length (120 characters) above which lingua reads only trigrams and
    guesses far worse (a Spanish sentence said twice came out Tagalog).
    """
    head, newline, rest = text.partition("\n")
    if not newline:
        return text
    stem = head.strip().removesuffix("…").removesuffix("...").rstrip()
    return rest.strip() if stem and rest.lstrip().startswith(stem) else text


def normalise_code(declared: str | None) -> str | None:
    """'en-US', 'EN_gb', 'eng' -> 'en'; anything unreadable -> None."""
    if not declared:
        return None
    code = declared.strip().replace("_", "-").split("-")[0].lower()
    three = {
        "eng": "en",
        "deu": "de",
        "ger": "de",
        "fra": "fr",
        "fre": "fr",
        "spa": "es",
        "ita": "it",
        "tur": "tr",
        "fas": "fa",
        "per": "fa",
        "ara": "ar",
        "eus": "eu",
        "baq": "eu",
        "por": "pt",
        "rus": "ru",
        "kur": "ku",
        "kmr": "ku",
        "dan": "da",
        "tgl": "tl",
    }
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
    sample = _drop_repeated_title((text or "").strip())
    head = sample[:CONFIRM_CHARS]
    clear = clear_by_small_words(head) if code else None
    if clear is not None and clear == code:
        return code, "declared+checked"
    if clear is not None and clear in CORE_LANGUAGES and len(_WORD.findall(head)) >= OVERRULE_WORDS:
        return clear, f"detected (declared {code})"  # a repost in another language: its words say so
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
