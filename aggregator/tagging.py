"""Tags from a taxonomy kept as a data file (aggregator/data/taxonomy.toml). Pure.

Editors change the file, not the code. A keyword matches case-insensitively as a whole
word, or as the start of a word when it ends with `*` (Turkish and German inflect).
Each tag keeps its evidence: the words that matched, so an editor sees why.

Speed: the taxonomy holds about 8,000 keywords in some 800 compiled patterns, and a
regular expression that starts with a look-behind is tried at every position of the
text, so running them all cost about half a second per article. A text is first cut
into words, folded the way `re.IGNORECASE` compares letters; only the keywords whose
first word occurs in the text, and whose other whole words occur in it too, can match, and
only those are run, at the places where their first word stands, in their original order,
so the matches are the same as the full patterns'. (Keywords such as "in Wien" or "a court"
start with a word that stands a hundred times in any text; without the second test, half of
tagging's time went to trying them.) Measured on 4,000 items of the crawl benchmark's text:
0.76 ms per item before both changes of 2026-11-30, 0.38 ms after.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress
from pathlib import Path

from aggregator.exceptions import ConfigError

TAXONOMY = Path(__file__).parent / "data" / "taxonomy.toml"


@dataclass
class Tag:
    id: str
    kind: str  # 'theme' or 'country'
    labels: dict[str, str]
    patterns: dict[str, re.Pattern] = field(default_factory=dict)  # language -> compiled keywords
    keywords: dict[str, list[str]] = field(default_factory=dict)  # language -> keywords as written


def _keyword_part(keyword: str) -> str:
    prefix = keyword.endswith("*")
    words = [re.escape(word) for word in keyword.rstrip("*").split()]
    body = r"\s+".join(words)
    return rf"(?<!\w){body}\w*" if prefix else rf"(?<!\w){body}(?!\w)"


def _keywords(keywords: list[str]) -> list[str]:
    return [keyword.strip() for keyword in keywords if keyword.strip()]


def _pattern(keywords: list[str]) -> re.Pattern | None:
    parts = [_keyword_part(keyword) for keyword in _keywords(keywords)]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


@lru_cache(maxsize=8192)
def _subpattern(parts: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(parts), re.IGNORECASE)


# -- the word filter: which keywords can match a text at all ---------------------------------
_WORDS = re.compile(r"\w+")
_CUT = re.compile(r"(\w+)")


@lru_cache(maxsize=1)
def _folding() -> tuple[dict[int, int], frozenset[int]]:
    """(table, unsure): each letter to one representative of the letters `re.IGNORECASE`
    treats as equal to it, and the letters whose class mixes word and non-word characters.

    The engine compares simple lower-case mappings, plus a few extra equivalences (Turkish
    dotless ı with i, long s with s, Greek final sigma...). The table never turns a word
    character into a non-word one or back, so words are cut where the patterns see them;
    a keyword with an unsure letter is always run.
    """
    import _sre
    from re._casefix import _EXTRA_CASES

    def is_word(code: int) -> bool:
        return bool(_WORDS.match(chr(code)))

    table, unsure = {}, set()
    for code in range(0x20000):
        lower = _sre.unicode_tolower(code)
        if lower == code and code not in _EXTRA_CASES:
            continue  # a letter without case (or a lower-case one without extras) stands for itself
        members = (lower, *_EXTRA_CASES.get(lower, ()))
        if len({is_word(member) for member in (code, *members)}) > 1:
            unsure.add(code)
        words = [member for member in members if is_word(member)]
        key = min(words or members)
        if key != code and is_word(key) == is_word(code):
            table[code] = key
    return table, frozenset(unsure)


def _fold(text: str) -> str:
    return text.translate(_folding()[0])


#: (tag position, language) -> the numbers of its keywords that a word may start, in order
_Groups = tuple[tuple[tuple[int, str], tuple[int, ...]], ...]


@dataclass
class _Index:
    """Keywords by their first word: `whole` must be a word of the text, `start` may begin one."""

    whole: dict[str, list[tuple[int, str, int]]]
    start: dict[str, list[tuple[int, str, int]]]
    always: list[tuple[int, str, int]]  # keywords not starting with a word character: always tried
    parts: dict[tuple[int, str], list[str]]  # (tag position, language) -> every keyword's pattern
    longest_start: int = 0  # the longest first word of a keyword ending in *
    by_hand: bool = False  # a tag carries patterns without keyword lists: every pattern runs everywhere
    #: a keyword of several words -> its other whole words, folded, each of which must be a word
    #: of the text too: "in Wien" can match only a text with "Wien" in it, so "in", which starts
    #: it and a hundred other words of a German text, is not looked for where "Wien" is missing
    needs: dict[tuple[int, str, int], tuple[str, ...]] = field(default_factory=dict)
    #: a word of a text as written -> its folded form; words repeat across items, so a crawl
    #: looks most of them up once (bounded: cleared when it grows past MEMO_WORDS)
    folded: dict[str, str] = field(default_factory=dict)
    #: the words of `folded` that start a keyword -> (the keywords they start that need nothing
    #: more, those that need other words: (key, number, needs)). Most words start none: a
    #: text's words are looked up in these two with set and map operations, in C, and only
    #: the words that start a keyword are visited in Python (visiting each distinct word made
    #: `tag_text` take 87 us an item of the clustering benchmark's generated text, 63 us now:
    #: fastest of 7 runs over 3,000 items; 823 -> 770 us on its real article text)
    starting: dict[str, tuple[_Groups, tuple[tuple[tuple[int, str], int, tuple[str, ...]], ...]]] = field(
        default_factory=dict
    )
    #: every folded word some keyword `needs`, and the words of `folded` that fold to one of them:
    #: a text's words that a keyword may need are found by one set intersection
    needed: set[str] = field(default_factory=set)
    needed_by: dict[str, str] = field(default_factory=dict)


MEMO_WORDS = 200_000


def _index(taxonomy) -> _Index:
    index = _Index({}, {}, [], {}, by_hand=any(tag.patterns and not tag.keywords for tag in taxonomy))
    for position, tag in enumerate(taxonomy):
        for language, keywords in (tag.keywords or {}).items():
            keywords = _keywords(keywords)
            index.parts[(position, language)] = [_keyword_part(keyword) for keyword in keywords]
            for number, keyword in enumerate(keywords):
                entry = (position, language, number)
                folded = _fold(keyword.rstrip("*"))
                head = _WORDS.match(folded)
                if head is None or any(ord(char) in _folding()[1] for char in keyword):
                    index.always.append(entry)
                elif head.end() == len(folded) and keyword.endswith("*"):
                    index.start.setdefault(head.group(0), []).append(entry)
                    index.longest_start = max(index.longest_start, len(head.group(0)))
                else:  # the first word ends in the keyword: the text's word is exactly it
                    index.whole.setdefault(head.group(0), []).append(entry)
                    # the keyword's other words stand whole in a text it matches (between
                    # non-word characters, as its first word does), but for a last one ending in *
                    others = _WORDS.findall(folded)[1:]
                    if keyword.endswith("*"):
                        others = others[:-1]
                    if others:
                        index.needs[entry] = tuple(others)
                        index.needed.update(others)
    return index


_INDEXES: dict[int, tuple[object, _Index]] = {}


def _index_of(taxonomy) -> _Index:
    """The word index of `taxonomy`, built once per taxonomy object."""
    held = _INDEXES.get(id(taxonomy))
    if held is None or held[0] is not taxonomy:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        held = _INDEXES[id(taxonomy)] = (taxonomy, _index(taxonomy))
    return held[1]


@dataclass
class _Candidates:
    """The keywords of one tag and language that may match, by where the word they start with stands."""

    numbers: set[int] = field(default_factory=set)
    #: start -> the numbers of the keywords its word may start, in order; None: try them anywhere
    starts: dict[int, tuple[int, ...]] | None = field(default_factory=dict)


def _candidates(taxonomy, content: str) -> dict[tuple[int, str], _Candidates] | None:
    """{(tag position, language): what may match}; None when the taxonomy's tags carry no
    keyword lists (built by hand), so every pattern is run over the whole text."""
    index = _index_of(taxonomy)
    if index.by_hand:
        return None
    found: dict[tuple[int, str], _Candidates] = {}
    for entry in index.always:
        found.setdefault(entry[:2], _Candidates(starts=None)).numbers.add(entry[2])
    # the distinct words first (cut in C): most words start no keyword, and the text is walked
    # word by word only when one does, to find where those stand
    parts = _CUT.split(content)  # between words, a word, between words, ...
    written = parts[1::2]  # the words as `\w+` cuts them
    distinct = set(written)
    unknown = distinct.difference(index.folded)
    if unknown:
        if len(index.folded) + len(unknown) > MEMO_WORDS:
            index.folded.clear()
            index.starting.clear()
            index.needed_by.clear()
            unknown = distinct
        for text in unknown:
            folded, groups, needing = _look_up(index, text)
            index.folded[text] = folded
            if groups or needing:
                index.starting[text] = (groups, needing)
            if folded in index.needed:
                index.needed_by[text] = folded
    starting = index.starting
    started = [(text, *starting[text]) for text in distinct.intersection(starting)]
    words: set[str] | None = None  # the text's words, folded, that keywords of several words need
    hit: dict[str, _Groups] = {}
    for text, groups, needing in started:
        if needing:  # only the keywords whose other words are in the text too
            if words is None:
                needed_by = index.needed_by
                words = {needed_by[word] for word in distinct.intersection(needed_by)}
            more: dict[tuple[int, str], set[int]] = {}
            for key, number, needs in needing:
                if all(word in words for word in needs):
                    more.setdefault(key, set()).add(number)
            if more:
                for key, numbers in groups:
                    more.setdefault(key, set()).update(numbers)
                groups = tuple((key, tuple(sorted(numbers))) for key, numbers in more.items())
        if groups:
            hit[text] = groups
            for key, numbers in groups:
                candidates = found.get(key)
                if candidates is None:
                    candidates = found[key] = _Candidates()
                candidates.numbers.update(numbers)
    if not hit:
        return found
    # where the hit words stand: the text's lengths summed in C give each word's start, and only
    # the hit words are visited in Python (walking every word's match object cost twice as much)
    ends = list(accumulate(map(len, parts)))  # word i is parts[2i + 1]: it starts at ends[2i]
    for i in compress(range(len(written)), map(hit.__contains__, written)):
        for key, numbers in hit[written[i]]:
            starts = found[key].starts
            if starts is not None:  # a token is one word: no other word's keywords start here
                starts[ends[2 * i]] = numbers
    return found


def _look_up(index: _Index, text: str):
    """What the memo keeps for a word of a text: see `_Index.memo`."""
    folded = text.lower() if text.isascii() else _fold(text)  # the same for ASCII letters
    found_hits = list(index.whole.get(folded, ()))
    for end in range(1, min(len(folded), index.longest_start) + 1):
        found_hits += index.start.get(folded[:end], ())
    grouped: dict[tuple[int, str], set[int]] = {}
    needing = []
    for entry in found_hits:
        needs = index.needs.get(entry)
        if needs:
            needing.append((entry[:2], entry[2], needs))
        else:
            grouped.setdefault(entry[:2], set()).add(entry[2])
    groups = tuple((key, tuple(sorted(numbers))) for key, numbers in grouped.items())
    return folded, groups, tuple(needing)


@lru_cache(maxsize=16384)
def _keyword_pattern(part: str) -> re.Pattern:
    return re.compile(part, re.IGNORECASE)


def _matches(parts: list[str], candidates: _Candidates, content: str):
    """What `re.compile("|".join(parts), re.IGNORECASE).finditer(content)` yields, by trying
    at each place where a candidate keyword's first word stands only the keywords starting
    with that word, in their order (no match of the alternation can begin elsewhere, no other
    alternative can match there, and the first alternative that matches wins)."""
    if candidates.starts is None:
        yield from _subpattern(tuple(parts[n] for n in sorted(candidates.numbers))).finditer(content)
        return
    end = 0
    for start in sorted(candidates.starts):
        if start < end:
            continue
        for number in candidates.starts[start]:
            match = _keyword_pattern(parts[number]).match(content, start)
            if match:
                yield match
                end = match.end()
                break


class TaxonomyError(ConfigError):
    """The taxonomy file cannot be read; items stay untagged until it is fixed."""


def load_taxonomy(path: Path = TAXONOMY) -> list[Tag]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TaxonomyError(f"taxonomy: {path} cannot be read ({error}); items are kept untagged") from None
    tags = []
    for entry in data.get("tag", []):
        tag = Tag(id=entry["id"], kind=entry["kind"], labels=dict(entry.get("label", {})))
        for language, keywords in (entry.get("keywords") or {}).items():
            pattern = _pattern(keywords)
            if pattern:
                tag.patterns[language] = pattern
                tag.keywords[language] = list(keywords)
        tags.append(tag)
    return tags


@lru_cache(maxsize=4)
def default_taxonomy() -> tuple[Tag, ...]:
    return tuple(load_taxonomy()) if TAXONOMY.exists() else ()


def tag_text(title: str, text: str, taxonomy=None, language: str | None = None) -> dict[str, list[str]]:
    """{tag id: matched words}.

    Country and region names are tried in every language (texts quote other languages'
    names: "Diyarbakır" in a German text). Theme keywords are tried in the item's own
    language when it is known and the taxonomy has keywords for it: a common word in one
    language is often a theme word in another (Turkish "hasta", ill; Spanish "hasta", until).
    """
    taxonomy = default_taxonomy() if taxonomy is None else taxonomy
    content = f"{title}\n{text}"
    candidates = _candidates(taxonomy, content)
    # every keyword's pattern by (tag position, language): looked up only when there are candidates
    parts = _index_of(taxonomy).parts if candidates is not None else {}
    found: dict[str, list[str]] = {}
    positions = range(len(taxonomy)) if candidates is None else sorted({position for position, _ in candidates})
    for position in positions:
        tag = taxonomy[position]
        words: list[str] = []
        languages = list(tag.patterns)
        if tag.kind == "theme" and language in tag.patterns:
            languages = [language]
        runs = []
        for code in languages:
            if candidates is None:
                runs.append(tag.patterns[code].finditer(content))
            elif (position, code) in candidates:
                runs.append(_matches(parts[(position, code)], candidates[(position, code)], content))
        for run in runs:
            for match in run:
                word = match.group(0)
                if word.lower() not in (w.lower() for w in words):
                    words.append(word)
        if words:
            found[tag.id] = words[:8]
    return found
