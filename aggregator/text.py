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

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol",
    "p", "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul", "bdi", "bdo", "span",
}
SAFE_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"}, "bdo": {"dir"}, "span": {"dir", "lang"}, "p": {"dir", "lang"},
    "blockquote": {"cite"}, "q": {"cite"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
}
_WS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ELLIPSIS_END = re.compile(r"(\[\s*(…|\.\.\.)\s*\]|…|\.\.\.|\[\s*&hellip;\s*\])\s*$")
_READ_MORE = re.compile(r"(read more|continue reading|weiterlesen|lire la suite|leer más|devamını oku|ادامه)\W*$",
                        re.IGNORECASE)


def clean_title(title: str | None) -> str:
    """Decode entities (twice-escaped ones too), drop tags, fold whitespace."""
    text = title or ""
    for _ in range(2):
        text = html.unescape(text)
    if "<" in text:
        text = BeautifulSoup(text, "html.parser").get_text(" ")
    return _WS.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()


def sanitise_html(markup: str | None, base_url: str | None = None) -> str:
    """Keep only safe tags and attributes; links get rel=noopener noreferrer; no scripts, styles, handlers."""
    if not markup:
        return ""
    return nh3.clean(markup, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     strip_comments=True).strip()


def html_to_text(markup: str | None) -> str:
    """Plain text with one blank line between blocks, for dedupe, search and the plain-text e-mail."""
    if not markup:
        return ""
    if "<" not in markup:
        return fold_paragraphs(html.unescape(markup))
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks = []
    block_tags = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td", "dd", "dt"]
    found = soup.find_all(block_tags)
    if found:
        for tag in found:
            if tag.find(block_tags):
                continue  # its children carry the text
            blocks.append(tag.get_text(" "))
    else:
        blocks.append(soup.get_text("\n"))
    return fold_paragraphs("\n\n".join(blocks))


def fold_paragraphs(text: str) -> str:
    """Fold spaces inside lines and runs of blank lines into one paragraph break."""
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        line = _WS.sub(" ", chunk.replace("\n", " ")).strip()
        if line:
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


def looks_truncated(text: str) -> bool:
    """An excerpt ends in an ellipsis, '[…]' or a 'read more' link text."""
    text = (text or "").strip()
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
