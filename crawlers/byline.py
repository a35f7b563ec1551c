"""Take the byline and dateline off the start of an extracted article. Pure: HTML in, HTML out.

Sites put "12 March 2026 · Selin Ekinci", "By Ana Sandoiu" or "08.04.2015 12:46" above the
text, often in a plain `<p>` that no extractor can tell from prose by its markup (trafilatura
drops the `<time>` and keeps "· Selin Ekinci"). The teaser of an item is cut from the start
of its text, so such a line became the whole teaser in every language of the newsletter.

A leading block is a byline when it is short and, once the author's name, dates, times
and byline words ("by", "von", "par", …) are taken out, next to nothing is left; or when
it repeats the headline. Only blocks at the very start are looked at, and only until the
first that reads as prose, so nothing inside the article is ever removed.
"""

from __future__ import annotations

import re
from functools import cache

import lxml.etree
import lxml.html

#: A block longer than this (characters) is prose, whatever it contains.
MAX_BYLINE_CHARS = 160
#: At most this many leading blocks are taken off.
MAX_DROPPED = 6

_BLOCKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "header",
    "section",
    "address",
    "ul",
    "ol",
    "table",
    "tr",
    "article",
}
_LOCALES = (
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "tr",
    "ku",
    "eu",
    "ca",
    "ru",
    "uk",
    "pl",
    "cs",
    "sv",
    "da",
    "fa",
    "ar",
    "el",
    "zh",
    "ja",
)
#: Words of bylines and datelines in the languages partners write in.
_BYLINE_WORDS = {
    "by",
    "written",
    "posted",
    "published",
    "updated",
    "reviewed",
    "edited",
    "words",
    "photos",
    "photo",
    "text",
    "and",
    "on",
    "at",
    "in",
    "am",
    "um",
    "uhr",
    "von",
    "und",
    "veröffentlicht",
    "aktualisiert",
    "par",
    "le",
    "et",
    "publié",
    "mis",
    "à",
    "jour",
    "por",
    "el",
    "y",
    "publicado",
    "actualizado",
    "di",
    "da",
    "il",
    "e",
    "pubblicato",
    "aggiornato",
    "door",
    "op",
    "en",
    "av",
    "af",
    "tarafından",
    "yazan",
    "yazar",
    "ve",
    "tarih",
    "от",
    "автор",
    "и",
    "بقلم",
    "نوشته",
    "نویسنده",
    "و",
    "de",
    "a",
    "i",
    "updated:",
    "team",
    "staff",
    "editor",
    "editorial",
    "redaktion",
    "rédaction",
    "redacción",
    "redazione",
    "news",
    "agency",
    "afp",
    "ap",
    "dpa",
    "reuters",
}
_LEADING_BYLINE = re.compile(
    r"^(by|written by|posted by|reviewed by|edited by|words by|von|par|por|di|door|av|af|от|автор|بقلم|نوشته)\s+\S",
    re.IGNORECASE,
)
_DATE_PARTS = re.compile(r"\d+(st|nd|rd|th|er|\.)?|\d{1,2}:\d{2}(:\d{2})?(\s*[ap]\.?m\.?)?", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[·•|]")
_TOKEN = re.compile(r"[^\s·•|,;:/()\[\]«»\"“”—–-]+")


@cache
def calendar_words() -> frozenset[str]:
    """Month and weekday names, wide and abbreviated, in every locale partners are likely to use."""
    from babel.dates import get_day_names, get_month_names

    words: set[str] = set()
    for locale in _LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for names in (get_month_names(width, context, locale), get_day_names(width, context, locale)):
                    words.update(name.casefold().rstrip(".") for name in names.values())
    return frozenset(words)


def _words(text: str) -> list[str]:
    return [token.casefold().strip(".'’") for token in _TOKEN.findall(text)]


def _is_byline(text: str, authors: list[set[str]]) -> bool:
    """True for "· Selin Ekinci", "Tuesday 15 October 2019 by Bradley M. Kuhn", "08.04.2015 12:46"."""
    if len(text) > MAX_BYLINE_CHARS:
        return False
    if _SEPARATOR.match(text) and len(_words(text)) <= 6:
        return True
    if _LEADING_BYLINE.match(text) and len(_words(text)) <= 8 and not text.rstrip().endswith((".", "!", "?")):
        return True
    calendar = calendar_words()
    names = set().union(*authors) if authors else set()
    words = _words(text)
    residue = [
        word
        for word in words
        if len(word) > 1
        and not _DATE_PARTS.fullmatch(word)
        and word not in calendar
        and word not in _BYLINE_WORDS
        and word not in names
    ]
    meta = [word for word in words if _DATE_PARTS.fullmatch(word) or word in calendar or word in names]
    return bool(meta) and len(residue) <= 1 and len(residue) < len(words)


def _author_names(author: str | None) -> list[set[str]]:
    """Each author's name as a set of words ("Selin Ekinci; Campaign team" -> two sets)."""
    names = []
    for part in re.split(r"[;,]| and | und | et | y ", author or ""):
        words = {word for word in _words(part) if len(word) > 1 and not word.startswith("http")}
        if words:
            names.append(words)
    return names


def _leaf_blocks(body):
    """Block elements with no block inside them, in document order."""
    for element in body.iterdescendants():
        if (
            isinstance(element.tag, str)
            and element.tag in _BLOCKS
            and not any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in element.iterdescendants())
        ):
            yield element


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _same(a: str, b: str) -> bool:
    return bool(a) and _words(a) == _words(b)


def strip_byline(content_html: str | None, author: str | None = None, title: str | None = None) -> str | None:
    """Remove bylines, datelines and a repeated headline from the start of `content_html`.

    `author` is the page's declared author (metadata), `title` the item's headline. Returns
    the HTML unchanged when nothing leads it but prose, or when removing would leave no text.
    """
    if not content_html or not content_html.strip():
        return content_html
    try:
        root = lxml.html.document_fromstring(content_html)
    except (ValueError, lxml.etree.ParserError):
        return content_html
    body = root.find("body") if root.tag != "body" else root
    if body is None:
        return content_html
    authors = _author_names(author)
    leading = []
    for block in _leaf_blocks(body):
        text = _text(block)
        if text and not (_is_byline(text, authors) or _same(text, title or "")):
            break
        leading.append(block)
        if len(leading) > MAX_DROPPED:
            return content_html
    dropped = " ".join(filter(None, (_text(block) for block in leading)))
    if not dropped or not _text(body).startswith(dropped):
        return content_html  # only empty blocks lead, or text outside any block comes first
    for block in leading:
        block.drop_tree()  # keeps the text that follows the block
    if not _text(body):
        return content_html
    return lxml.html.tostring(root, encoding="unicode")
