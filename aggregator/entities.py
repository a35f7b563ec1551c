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

_CAPITALISED = re.compile(r"(?<![\w'’])([A-ZÀ-ÖØ-ÞĀ-ſƀ-ɏЀ-Я][\w\-]*(?:[’'][a-zçğıöşü]+)?)")
_NUMBER = re.compile(r"(?<!\d)(\d{2,4})(?!\d)")
_PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SENTENCE_START = re.compile(r"(^|[.!?:;«»\"“”„(]\s*|\n)$")


def fold(word: str) -> str:
    word = re.split(r"[’']", word)[0]
    word = word.replace("ı", "i").replace("İ", "I")
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def names(text: str, stop: frozenset[str] = frozenset()) -> set[str]:
    """Capitalised words that are not sentence starts, folded; common words in `stop` dropped."""
    found = set()
    for match in _CAPITALISED.finditer(text or ""):
        before = text[max(0, match.start() - 3): match.start()]
        if _SENTENCE_START.search(before):
            continue
        key = fold(match.group(1))
        if len(key) >= 4 and key not in stop:
            found.add(key)
    return found


def numbers(text: str) -> set[str]:
    return set(_NUMBER.findall((text or "").translate(_PERSIAN_DIGITS)))


#: Shared names needed, and shared names that suffice without a shared number (precision first).
MIN_SHARED_NAMES, NAMES_WITHOUT_NUMBER = 2, 4
#: A name found in more than this share of the items around is not distinctive (a campaign's prisoner).
COMMON_NAME_SHARE = 0.10
_YEAR = re.compile(r"^(19|20)\d\d$")


def same_story_across_languages(names_a: set[str], numbers_a: set[str], names_b: set[str],
                                numbers_b: set[str], common: frozenset[str] | set[str] = frozenset()) -> bool:
    """Two texts in different languages tell one story when they share distinctive names and a number.

    Two shared distinctive names plus a shared number that is not a year (a day count, a
    sentence length, a date), or four shared distinctive names. `common` holds the names
    too frequent around to tell stories apart: one campaign's prisoner appears in its vigil,
    its hunger strike and its trial, which are different stories.
    Measured on tests/data/stories and the demo network: see benchmarks/RESULTS.md.
    """
    shared = (names_a & names_b) - set(common)
    if len(shared) < MIN_SHARED_NAMES:
        return False
    return len(shared) >= NAMES_WITHOUT_NUMBER or any(not _YEAR.match(n) for n in numbers_a & numbers_b)


def common_names(name_sets: list[set[str]], share: float = COMMON_NAME_SHARE) -> frozenset[str]:
    """Names found in more than `share` of the texts (and in more than three)."""
    from collections import Counter

    counts = Counter(name for names_of in name_sets for name in names_of)
    limit = max(3, share * len(name_sets))
    return frozenset(name for name, count in counts.items() if count > limit)
