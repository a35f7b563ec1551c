"""Item text: titles and summaries cleaned, HTML sanitised, plain text made, fingerprints taken.

Pure functions. Sanitising is nh3's (the Rust `ammonia` sanitiser): it is maintained,
fast and strict; an allow-list of our own would be the first thing an attacker reads.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import nh3
from bs4 import BeautifulSoup
from lxml import etree
from lxml import html as lxml_html

SAFE_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "bdi",
    "bdo",
    "span",
}
SAFE_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "bdo": {"dir"},
    "span": {"dir", "lang"},
    "p": {"dir", "lang"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_WS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
#: The runs of `_WS` that folding changes: two or more characters, or one that is not a space.
#: `_WS.sub(" ", ...)` replaced every single space of a text by a space, a match each: the largest
#: part of `html_to_text` (150 of 380 microseconds an article); the result is the same.
_WS_FOLD = re.compile(
    r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000][ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]*"
    r"| [ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+"
)
_ELLIPSIS_END = re.compile(r"(\[\s*(…|\.\.\.)\s*\]|…|\.\.\.|\[\s*&hellip;\s*\])\s*$")
#: Characters at the end of a text that `looks_truncated` reads: the longest ending it knows
#: ("continue reading" with the punctuation and spaces around a link) fits many times over.
TRUNCATION_TAIL = 200
_READ_MORE = re.compile(
    r"(read more|continue reading|weiterlesen|lire la suite|leer más|devamını oku|ادامه)\W*$", re.IGNORECASE
)


#: Characters nobody means to show: C0 and C1 controls (terminal escapes), bidi embeddings,
#: overrides and isolates ("gnp.exe" shown as "exe.png"), zero-width spaces, word joiners and
#: the BOM. ZWNJ and ZWJ (Persian and Arabic spelling, emoji) and LRM/RLM/ALM stay: they are text.
_UNSEEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

#: Bounds applied before the sanitiser and the text parser see a document: html5ever (inside
#: nh3) takes minutes on 100,000 nested elements, and no article is deeper than a few dozen.
MAX_HTML_CHARS = 1_000_000
MAX_NESTING = 200
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_ANY_TAG = re.compile(r"<[^>]*>")  # elements, doctypes, comments: what a text never shows
#: What makes a title markup rather than text that mentions a tag, as feedparser decides it
#: (`lookslikehtml`): a closing tag; we also count a tag with attributes and a line break.
_MARKUP = re.compile(r"</[a-zA-Z][a-zA-Z0-9]*\s*>|<[a-zA-Z][a-zA-Z0-9]*\s[^<>]*=|<br\s*/?>", re.IGNORECASE)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "header",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "table",
    "tr",
    "td",
    "th",
    "dd",
    "dt",
    "hr",
    "address",
    "details",
    "summary",
)


def clean_at_door(text: str | None) -> str:
    """Remove the characters nobody means to show (see `_UNSEEN`); every text passes here once, on arrival."""
    return _UNSEEN.sub("", text or "")


def clean_title(title: str | None) -> str:
    """A title or name for display: entities decoded, unseen characters gone, tags dropped, whitespace folded.

    feedparser decodes entities once; WordPress often escapes titles twice ("&amp;#8217;"),
    so what still looks like an entity is decoded (up to twice), as Miniflux does. Tags are
    dropped only from a title that is markup (see `_MARKUP`): "Die Rückkehr von <i> und <b>"
    is a plain-text title about two HTML elements, as feedparser and JSON Feed read it.
    """
    text = title or ""
    for _ in range(2):
        if "&" in text:
            text = html.unescape(text)
    text = clean_at_door(text)
    if "<" in text and _MARKUP.search(text):
        text = BeautifulSoup(text, "html.parser").get_text("")
    return _WS.sub(" ", text.replace("\r", " ").replace("\n", " ").replace("\t", " ")).strip()


def nesting_depth(markup: str) -> int:
    """How deeply the elements of `markup` nest, counted from its tags in one pass (no parse)."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _flatten(markup: str) -> str:
    """A document too deep to parse safely, as paragraphs of escaped text: blocks become breaks."""
    blocks = "|".join(_BLOCK_TAGS)
    text = re.sub(rf"<(?:br|/?(?:{blocks}))\b[^>]*>", "\n\n", markup, flags=re.IGNORECASE)
    text = html.unescape(_TAG.sub("", text))
    return "".join(f"<p>{html.escape(part)}</p>" for part in fold_paragraphs(text).split("\n\n") if part)


#: The sanitiser, built once: `nh3.clean(markup, tags=..., ...)` builds ammonia's rules from the
#: Python sets at every call, 20 microseconds before the first byte is read (an item's summary
#: took as long as its content); the same output (tests/aggregator/test_text.py).
_CLEANER = nh3.Cleaner(
    tags=SAFE_TAGS,
    attributes=SAFE_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitise_html(markup: str | None) -> str:
    """Keep only safe tags and attributes; links get rel=noopener noreferrer; no scripts, styles, handlers.

    The document is bounded first: cut at `MAX_HTML_CHARS`, and flattened to paragraphs of
    text when it nests deeper than `MAX_NESTING`.
    """
    if not markup:
        return ""
    if len(markup) > MAX_HTML_CHARS:
        markup = re.sub(r"<[^>]*$", "", markup[:MAX_HTML_CHARS])  # no half tag at the cut
    markup = clean_at_door(markup)
    if nesting_depth(markup) > MAX_NESTING:
        markup = _flatten(markup)
    return _CLEANER.clean(markup).strip()


def html_to_text(markup: str | None) -> str:
    """Plain text with one blank line between blocks, for dedupe, search and the plain-text e-mail.

    Every piece of text is kept, also text between blocks ("<p>a</p>b<p>c</p>" is three
    paragraphs): a break is put around each block element and the text read once, in order.
    lxml's HTML parser does it about four times faster than BeautifulSoup's html.parser, and
    closes blocks the way browsers do; this runs several times for every item of every crawl.
    """
    if not markup:
        return ""
    if "<" not in markup:
        return fold_paragraphs(html.unescape(markup))
    if nesting_depth(markup) > MAX_NESTING:
        markup = _flatten(markup)
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    # nothing parseable, an XML encoding declaration, or a whole document with no body (lxml asserts)
    except (etree.ParserError, ValueError, AssertionError):
        return fold_paragraphs(html.unescape(_ANY_TAG.sub(" ", markup)))
    for element in list(root.iter("script", "style", "noscript", "template")):
        element.drop_tree()  # keeps the text that follows it
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*_BLOCK_TAGS):
        element.text = "\n\n" + (element.text or "")
        element.tail = "\n\n" + (element.tail or "")
    return fold_paragraphs(root.text_content())


def fold_paragraphs(text: str) -> str:
    """Fold spaces inside lines and runs of blank lines into one paragraph break."""
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        line = _WS_FOLD.sub(" ", chunk.replace("\n", " ")).strip()
        if line:
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


def looks_truncated(text: str) -> bool:
    """An excerpt ends in an ellipsis, '[…]' or a 'read more' link text.

    Only the end is read: both patterns end in `$`, and a regular expression searching a whole
    article for them tries every position (this runs for every item of every crawl).
    """
    text = (text or "").strip()[-TRUNCATION_TAIL:]
    return bool(_ELLIPSIS_END.search(text) or _READ_MORE.search(text))


def normalise_for_hash(text: str) -> str:
    """Lower case, NFKC, letters and digits only: two copies of a statement hash the same."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.findall(r"\w+", text))


def content_hash(title: str, text: str) -> str:
    """Fingerprint of an item's text (its title when it has no text), for exact-duplicate folding."""
    basis = normalise_for_hash(text) or normalise_for_hash(title)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def summarise(text: str, limit: int = 280) -> str:
    """The first paragraph, cut at a word boundary near `limit` characters."""
    first = (text or "").strip().split("\n\n", 1)[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut + "…"
