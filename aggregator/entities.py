"""Distinctive proper names and numbers of a text, for matching a story across languages. Pure.

Rules that work across scripts without a model: a name is a run of capitalised words
in a Latin or Cyrillic script that does not start a sentence (Persian and Arabic texts
quote Latin names inline, often in parentheses, which is what makes them matchable);
numbers that matter are those of two or more digits (a day count, a sentence, a year).
Names are folded to ASCII-like keys (diacritics dropped, Turkish dotless i folded) so
that "Ekinci" and "Ekinci'nin", "Şahin" and "Sahin" meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from aggregator.scripts import RTL_LANGUAGES  # the one list of right-to-left languages

_CAPITALISED = re.compile(r"(?<![\w'’])([A-ZÀ-ÖØ-ÞĀ-ſƀ-ɏЀ-Я][\w\-]*(?:[’'][a-zçğıöşü]+)?)")
_NUMBER = re.compile(r"(?<!\d)(\d{2,4})(?!\d)")
_PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SENTENCE_START = re.compile(r"(^|[.!?:;«»\"“”„(]\s*|\n)$")
_SENTENCE_MARKS = frozenset('.!?:;«»"“”„(')


def starts_sentence(text: str, start: int) -> bool:
    """Whether a word at `start` opens a sentence: `_SENTENCE_START` on the three characters
    before it, read with string methods (a regular expression searched for every capitalised
    word: 2.6 million searches for the 20,000 items of the crawl benchmark). A break right
    before, or a mark followed only by whitespace within those three characters
    (test_entities.py compares both on random text)."""
    if start == 0:
        return True
    before = text[max(0, start - 3) : start]
    if before[-1] == "\n":
        return True
    stripped = before.rstrip()
    return bool(stripped) and stripped[-1] in _SENTENCE_MARKS


@lru_cache(maxsize=65_536)  # names recur across items: each spelling is folded once per process
def fold(word: str) -> str:
    word = re.split(r"[’']", word)[0]
    word = word.replace("ı", "i").replace("İ", "I")
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


#: `_CAPITALISED` without its look-behind: a pattern that starts with a character class lets the
#: engine skip to the next capital letter, where a leading look-behind is tried at every position
_CAPITAL_WORD = re.compile(r"([A-ZÀ-ÖØ-ÞĀ-ſƀ-ɏЀ-Я][\w\-]*(?:[’'][a-zçğıöşü]+)?)")


def names(text: str, stop: frozenset[str] = frozenset()) -> set[str]:
    """Capitalised words that are not sentence starts, folded; common words in `stop` dropped.

    What `_CAPITALISED.finditer` finds: a match whose previous character is a word character or
    an apostrophe is refused and the search goes on from the next position, as the look-behind
    would have refused that position (tests/aggregator/test_entities.py compares them).
    """
    found: set[str] = set()
    text = text or ""
    search, position = _CAPITAL_WORD.search, 0
    while (match := search(text, position)) is not None:
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_'’"):
            position = start + 1
            continue
        position = match.end()
        if starts_sentence(text, start):
            continue
        key = fold(match.group(1))
        if len(key) >= 4 and key not in stop:
            found.add(key)
    return found


_EASTERN_DIGITS = re.compile("[۰-۹٠-٩]")
_DIGITS = re.compile(r"\d+")


def numbers(text: str) -> set[str]:
    text = text or ""
    if _EASTERN_DIGITS.search(text):  # translate() walks every character; most texts have none of these
        text = text.translate(_PERSIAN_DIGITS)
    # the digit runs of two to four digits, which is what _NUMBER finds; its look-behind made it slow
    return {run for run in _DIGITS.findall(text) if 2 <= len(run) <= 4}


# -- names across scripts -------------------------------------------------------------
# Persian and Arabic write names without capitals and mostly without short vowels, so a
# name is compared by its consonant skeleton: "Nasrin Alavi" -> "nsrn lv", "نسرین علوی"
# -> "nsrn lv". Letters that sound alike map to one class; vowels, and the letters that
# usually write vowels (ا و ی as vowels, ع), are dropped. Lossy on purpose: it is only
# used between a Latin-script text and a Persian or Arabic one, and a match still needs
# two names and a number (see `same_story_across_languages`).
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]{3,}")
_ARABIC_LETTERS = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "چ": "c",
    "ح": "h",
    "خ": "k",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "ژ": "j",
    "س": "s",
    "ش": "s",
    "ص": "s",
    "ض": "z",
    "ط": "t",
    "ظ": "z",
    "غ": "g",
    "ف": "f",
    "ق": "g",
    "ک": "k",
    "ك": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "v",
}
_LATIN_CLUSTERS = (
    ("sh", "s"),
    ("ch", "c"),
    ("kh", "k"),
    ("gh", "g"),
    ("zh", "j"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("ou", "u"),
    ("w", "v"),
    ("q", "g"),
    ("x", "ks"),
    ("c", "k"),
    ("y", ""),
)


def _squeeze(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


@lru_cache(maxsize=65_536)
def latin_skeleton(name: str) -> str:
    word = fold(name)
    for cluster, sound in _LATIN_CLUSTERS:
        word = word.replace(cluster, sound)
    return _squeeze(re.sub(r"[aeiou]", "", word))


def arabic_script_skeletons(text: str) -> set[str]:
    """Skeletons of every word in Arabic script (names are not marked, so all words are kept)."""
    return {
        key
        for key in (
            _squeeze("".join(_ARABIC_LETTERS.get(c, "") for c in word)) for word in _ARABIC_SCRIPT.findall(text or "")
        )
        if len(key) >= 3
    }


@dataclass(frozen=True)
class Fingerprint:
    """What the cross-language rule compares: names, numbers, and skeletons for Persian and Arabic."""

    names: frozenset[str]
    numbers: frozenset[str]
    rtl: bool
    skeletons: frozenset[str]  # Latin names' skeletons, or the Arabic-script words' skeletons when rtl


def fingerprint(text: str, language: str | None) -> Fingerprint:
    found = names(text)
    rtl = language in RTL_LANGUAGES
    skeletons = arabic_script_skeletons(text) if rtl else {latin_skeleton(n) for n in found}
    return Fingerprint(frozenset(found), frozenset(numbers(text)), rtl, frozenset(k for k in skeletons if len(k) >= 3))


def shared_names(a: Fingerprint, b: Fingerprint, common: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Names both texts carry: spelled alike, or (Latin against Persian/Arabic) alike in their skeleton."""
    shared = set(a.names & b.names)
    if a.rtl != b.rtl:
        latin, rtl = (b, a) if a.rtl else (a, b)
        shared |= {n for n in latin.names if len(latin_skeleton(n)) >= 3 and latin_skeleton(n) in rtl.skeletons}
    return shared - set(common)


#: Shared names needed, and shared names that suffice without a shared number (precision first).
MIN_SHARED_NAMES, NAMES_WITHOUT_NUMBER = 2, 4
#: A name found in more than this share of the items around is not distinctive (a campaign's prisoner).
COMMON_NAME_SHARE = 0.10
#: The share of the shorter text's names the other must carry. A translation of a story carries
#: most of its names; two long unrelated real articles share a few (York, David, France) of
#: hundreds. Measured on real corpus articles: benchmarks/story_sets.py, RESULTS.md.
MIN_NAME_COVERAGE = 0.12
#: Evidence (shared names weighted by rarity, plus the rarest shared number) needed with a
#: shared number, and without one. With every name weighing 1: two names and a day count,
#: or four names, as before.
EVIDENCE_WITH_NUMBER, EVIDENCE_WITHOUT_NUMBER = 2.5, 4.0
#: What a shared number weighs at most (`number_weight`).
MAX_NUMBER_WEIGHT = 1.0
#: The least evidence from names that can pass the rule (with the weightiest number): a pair
#: with less is not compared at all (`aggregator.clustering`).
LEAST_EVIDENCE = min(EVIDENCE_WITHOUT_NUMBER, EVIDENCE_WITH_NUMBER - MAX_NUMBER_WEIGHT)
_YEAR = re.compile(r"^(19|20)\d\d$")


def number_weight(number: str) -> float:
    """How much a shared number tells: a year nothing, two digits (a day, a count: frequent in any
    news) half, three or four digits (a sentence in days, a sum, a case number) a full name's worth."""
    if _YEAR.match(number):
        return 0.0
    return 0.5 if len(number) <= 2 else MAX_NUMBER_WEIGHT


def same_story_across_languages(
    a: Fingerprint,
    b: Fingerprint,
    common: frozenset[str] | set[str] = frozenset(),
    rarity: Callable[[str], float] | None = None,
) -> bool:
    """Two texts in different languages tell one story when they share rare names and a number.

    At least two shared names, making up MIN_NAME_COVERAGE of the shorter text's names (a
    Persian or Arabic text's names cannot be counted, so there the Latin side's count is
    used), and evidence: each shared name weighs `rarity(name)` (1 when not given; the
    clustering gives 1 / the number of stories around that carry it, so a famous name many
    stories quote weighs little), plus the best shared number's `number_weight`. `common`
    holds names too frequent around to count at all (a campaign's prisoner appears in its
    vigil, its hunger strike and its trial, which are different stories).
    Measured on real articles and tests/data/stories: see benchmarks/RESULTS.md.
    """
    shared = shared_names(a, b, common)
    if len(shared) < MIN_SHARED_NAMES:
        return False
    weight = rarity or (lambda name: 1.0)
    evidence = sum(weight(name) for name in shared)
    number = max((number_weight(n) for n in a.numbers & b.numbers), default=0.0)
    if not (evidence >= EVIDENCE_WITHOUT_NUMBER or (number > 0 and evidence + number >= EVIDENCE_WITH_NUMBER)):
        return False
    # the coverage last, as it weighs every name of both texts (hundreds in a long article): too
    # little when under MIN_NAME_COVERAGE of the lighter side's names, that is of each side's
    latin = [f for f in (a, b) if not f.rtl]
    return not (latin and all(_too_little(evidence, f.names, weight) for f in latin))


def _too_little(evidence: float, names: frozenset[str], weight: Callable[[str], float]) -> bool:
    """Whether `evidence` is under MIN_NAME_COVERAGE of what `names` weigh, stopping as soon as it is
    (the running total only grows, so an early answer is the final one)."""
    total = 0.0
    for name in names:
        total += weight(name)
        if evidence < MIN_NAME_COVERAGE * total:
            return True
    return False


def common_names(name_sets: list[set[str]], share: float = COMMON_NAME_SHARE) -> frozenset[str]:
    """Names found in more than `share` of the texts (and in more than three)."""
    from collections import Counter

    counts = Counter(name for names_of in name_sets for name in names_of)
    limit = max(3, share * len(name_sets))
    return frozenset(name for name, count in counts.items() if count > limit)
