"""Choose an article's title from what its page (and its feed) say, without the site's name. Pure.

A page names its article several times: `og:title`, `twitter:title`, the JSON-LD `headline`,
Dublin Core, the `<h1>`, the `<title>`, and the feed that linked to it has its own title.
Each may carry the site's name ("… | Site", "Site - …", "…-新华网") and some are rewritten for
search engines or social networks. No single one is right everywhere, so the title is
decided by agreement: each candidate votes for its own text and, with half its weight, for
the shorter texts it contains between separators ("A | B" votes for "A" and "B"), and only a
text that some candidate gives whole, once site names are off, can win. Site names are
recognised from the page itself (`og:site_name`, `application-name`, JSON-LD publisher or
WebSite name, the host name), never from a list of sites.

Candidates that are copies of one another (`og:title`, `twitter:title`, Dublin Core and
`<meta name=title>` are usually written by one SEO plug-in) vote as one family, so that
three copies of a rewritten social headline do not outvote the `<title>` and the headline
agreeing; where the copies disagree, the family's most deliberate member speaks for it.

When no site name is known, the `<title>`'s last part is taken for the page's own name if
what stays is a title of five words or more (readability's rule).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

#: How much each kind of candidate weighs when texts disagree. The feed's title is the one
#: the partner chose for the item; the `<title>` and the metadata are the page's own; an
#: `<h1>` is often the headline but on some pages a section or site heading.
WEIGHTS = {
    "feed": 2.0,
    "jsonld": 1.0,
    "meta": 1.0,  # og:title, twitter:title, dc:title, <meta name=title>: one family
    "title": 0.95,  # under the metadata: the <title> is written for search engines
    "h1": 0.8,
    "extractor": 1.0,  # trafilatura's own choice, made from these same candidates: breaks ties only
}
#: Among equal weights, which kind gives the title (metadata is written for sharing and is
#: the most deliberate; the `<title>` comes before the `<h1>`, which is often a site heading).
PRIORITY = ("feed", "jsonld", "meta", "title", "h1", "extractor")

# Separators between a title and the site's name or section. Spaced hyphens and dashes only:
# "Fact-Checker" is one word. Unspaced "-" and "_" separate only next to CJK text ("需求-新华网").
_CJK = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef"
_SEPARATOR = re.compile(
    r"\s+(?:[|\-–—·•»«~/\\]|::|--|//)\s+"  # spaced: " | ", " - ", " — ", " » ", " -- "
    r"|\s*[|｜]\s*"  # a pipe needs no spaces
    rf"|(?<=[{_CJK}])\s*[-_－]\s*|\s*[_－]\s*(?=[{_CJK}])"  # "…需求-新华网", "…严重 _光明网"
    r"|\s*：\s*"  # full-width colon ("…成否 ：日本経済新聞")
)
_BRACKETED_SUFFIX = re.compile(r"\s*\[[^\[\]]{1,60}\]\s*$")  # "… [LWN.net]"
_ELLIPSIS = re.compile(r"(\.\.\.|…)\s*$")
_HEADERLINK = re.compile(r"[¶#§]+\s*$")  # Sphinx and docs sites end headings with a link sign


@dataclass(frozen=True)
class Candidate:
    """One title the page (or feed) gives, and where it was found."""

    kind: str  # a key of WEIGHTS
    text: str
    weight: float | None = None  # None: WEIGHTS[kind]


def clean(text: str | None) -> str:
    """Entities decoded, tags and control characters out, whitespace folded."""
    value = html.unescape(html.unescape(text or ""))
    value = re.sub(r"<[^>]+>", " ", value)
    value = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return " ".join(value.split())


def key(text: str) -> str:
    """What two titles must share to agree: letters and digits, case and typography ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def host_names(url: str | None) -> list[str]:
    """The distinctive labels of a URL's host: 'https://www.techcrunch.com/x' -> ['techcrunch']."""
    match = re.match(r"^[a-z][a-z0-9+.-]*://([^/:?#]+)", url or "", re.IGNORECASE)
    if not match:
        return []
    labels = match.group(1).lower().split(".")
    ignored = {"www", "m", "amp", "edition", "mobile", "news", "com", "org", "net", "co", "gov", "edu", "ac"}
    return [label for label in labels[:-1] if len(label) >= 3 and label not in ignored]


def _is_site(segment: str, site_keys: list[str]) -> bool:
    """True when `segment` reads as one of the site's names ('CNN Politics' for 'CNN')."""
    segment_key = key(segment)
    if not segment_key or len(segment.split()) > 5:
        return False
    for site in site_keys:
        if segment_key == site:
            return True
        if len(site) >= 3 and (segment_key.startswith(site) or site.startswith(segment_key) and len(segment_key) >= 3):
            return True
        if len(segment_key) >= 4 and segment_key in site or len(site) >= 5 and site in segment_key:
            return True
    return False


def _is_section(segment: str) -> bool:
    """A short label such as 'Local', 'Puppet Masters' or '探索者', as sites put between title and name."""
    return len(segment) <= 16 and len(segment.split()) <= 2


def _separator_next_to(text: str, spans: list[tuple[int, int]], end: int) -> str:
    """The separator between the span at `end` (0 or -1) and its neighbour, spaces folded."""
    if end == -1:
        between = text[spans[-2][1] : spans[-1][0]]
    else:
        between = text[spans[0][1] : spans[1][0]]
    return between.strip() or between


def _segments(text: str) -> list[tuple[int, int]]:
    """Spans of `text` between separators."""
    spans, start = [], 0
    for match in _SEPARATOR.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def strip_site(text: str, site_keys: list[str]) -> str:
    """`text` without leading and trailing parts that name the site; never empty."""
    text = (
        _BRACKETED_SUFFIX.sub("", text)
        if site_keys
        and any(_is_site(m.group(0).strip(" []"), site_keys) for m in [_BRACKETED_SUFFIX.search(text)] if m)
        else text
    )
    # "Site: Title" and "Site | Slogan: Title" — a site name then a colon
    for site in site_keys:
        match = re.match(r"^(.{1,80}?)\s*[:：]\s+(.+)$", text)
        if match and key(match.group(1)) == site:
            text = match.group(2)
    spans = _segments(text)
    for end in (-1, 0):
        separator = None
        while len(spans) > 1 and _is_site(text[spans[end][0] : spans[end][1]], site_keys):
            separator = _separator_next_to(text, spans, end)
            spans.pop(end)
        # sections between the title and the site's name, in the same chain: "… » Local » Noticias » Ultima Hora"
        for _ in range(2):
            if (
                separator
                and len(spans) > 1
                and _is_section(text[spans[end][0] : spans[end][1]])
                and _separator_next_to(text, spans, end) == separator
            ):
                spans.pop(end)
    if not spans:
        return text
    return text[spans[0][0] : spans[-1][1]].strip()


def drop_trailing_name(text: str) -> str:
    """`text` without its last segment when what stays is a title of five words or more.

    Pages put their own name last in the `<title>` ("Lorem ipsum dolor sit amet – My website",
    "… | Code | Nicolas Perriault") even where no metadata names the site. What stays must still
    read as a title: at four words or fewer the last segment may be part of it ("Mozilla -
    Wikipedia", "Brexit - The Movie"), so the whole is kept, as readability does.
    """
    matches = list(_SEPARATOR.finditer(text))
    if not matches or matches[-1].end() >= len(text):
        return text
    kept = text[: matches[-1].start()].strip()
    name = text[matches[-1].end() :].strip()
    if len(kept.split()) >= 5 and len(name) < len(kept):
        return kept
    return text


def _parts(text: str) -> list[str]:
    """Every run of whole segments of `text` shorter than `text` itself ('A | B | C' -> A, B, C, A | B, B | C).

    A colon also separates here ("Blog Name: Title"), though never when stripping site names:
    a part only wins when another candidate gives it whole.
    """
    spans = _segments(text)
    bracket = _BRACKETED_SUFFIX.search(text)
    parts = [text[: bracket.start()].strip()] if bracket else []
    colon = re.match(r"^(.{2,80}?):\s+(.+)$", text)
    if colon:
        parts += [colon.group(1), colon.group(2)]
    for first in range(len(spans)):
        for last in range(first, len(spans)):
            if (first, last) != (0, len(spans) - 1):
                parts.append(text[spans[first][0] : spans[last][1]].strip())
    return [part for part in parts if part]


def choose_title(candidates: list[Candidate], site_names: Sequence[str] = (), url: str | None = None) -> str | None:
    """The title most candidates agree on, without the site's name; None when there is none."""
    texts = [(candidate, _HEADERLINK.sub("", clean(candidate.text)).strip()) for candidate in candidates]
    texts = [(candidate, text) for candidate, text in texts if key(text)]
    # a "site name" that the <title>, a heading or the feed also give as the title is the article's title
    titles_beyond_meta = {key(text) for candidate, text in texts if candidate.kind not in ("meta", "extractor")}
    site_keys = [k for k in (key(name) for name in site_names if name) if k and k not in titles_beyond_meta]
    site_keys += [name for name in host_names(url) if name not in site_keys]
    keys = [key(text) for _, text in texts]
    segments = {key(text[start:end]) for _, text in texts for start, end in _segments(text)}
    prepared: list[tuple[str, float, str, str]] = []  # (kind, weight, text without site names, before a guessed one)
    for candidate, text in texts:
        if _ELLIPSIS.search(text):
            stem = key(_ELLIPSIS.sub("", text))
            if any(other != stem and other.startswith(stem) for other in segments):
                continue  # cut short by a social card ("Adelson's...") where another gives it whole
        if key(text) in site_keys and any(k not in site_keys for k in keys):
            continue  # the site's name given as the title (og:title = og:site_name on a home page)
        weight = WEIGHTS[candidate.kind] if candidate.weight is None else candidate.weight
        stripped = given = strip_site(text, site_keys)
        if candidate.kind == "title" and key(stripped) == key(text):
            stripped = drop_trailing_name(stripped)  # no site name known: the page's own name comes last
        prepared.append((candidate.kind, weight, stripped, given))
    # the metadata family speaks once, through its most deliberate member (Dublin Core, then Open
    # Graph, ...): where og:title and twitter:title disagree, the second is a rewrite, not a vote
    metas = [(weight, key(text)) for kind, weight, text, _ in prepared if kind == "meta"]
    if metas:
        speaker = max(metas, key=lambda meta: meta[0])[1]
        prepared = [entry for entry in prepared if entry[0] != "meta" or key(entry[2]) == speaker]
    if not prepared:
        return None
    support: dict[str, float] = defaultdict(float)
    families: dict[str, dict[str, float]] = defaultdict(dict)  # agreement key -> kind -> weight given
    forms: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # key -> text -> weight
    for kind, weight, text, given in prepared:
        whole = key(text)
        votes = {whole: weight}
        # the shorter texts it contains, and the whole as given when a guessed name was cut off
        # (so that og:title giving "A - B" whole still outweighs the guess "A")
        for part in _parts(text) + ([given] if key(given) != whole else []):
            votes.setdefault(key(part), weight / 2)
        for voted, value in votes.items():
            if value > families[voted].get(kind, 0):  # one family, one vote: its strongest member
                families[voted][kind] = value
        forms[whole][text] += weight
    for voted, by_kind in families.items():
        support[voted] = sum(value for kind, value in by_kind.items() if kind != "extractor")
    eligible = [k for k in forms if k in support]

    def rank(voted: str) -> tuple:
        best_kind = min(
            (PRIORITY.index(kind) for kind, _, text, _ in prepared if key(text) == voted), default=len(PRIORITY)
        )
        return (round(support[voted], 6), families[voted].get("extractor", 0), -best_kind, len(voted))

    winner = max(eligible, key=rank)
    return max(forms[winner].items(), key=lambda item: item[1])[0]
