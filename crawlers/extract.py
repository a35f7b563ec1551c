"""Article pages to text and metadata, with trafilatura (and htmldate through it). No I/O.

trafilatura is the best-measured open extractor of main text; it drops navigation,
comments, share buttons and sign-up boxes far better than hand-made selectors would.
The page is parsed once: trafilatura works on a copy of the same lxml tree from which the
title candidates, declared languages, canonical link and exact publication time are read.
The title is chosen by agreement between the page's candidates (`crawlers.titles`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from lxml.html import HtmlElement
from trafilatura.core import bare_extraction, determine_returnstring
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Extractor, set_date_params
from trafilatura.utils import load_html

from crawlers.titles import Candidate, choose_title

logger = logging.getLogger(__name__)


class _ExtractorOptions(TypedDict):
    """The keyword arguments of trafilatura's `Extractor` set here, typed as it takes them."""

    output_format: str
    comments: bool
    formatting: bool
    links: bool
    images: bool
    tables: bool
    precision: bool


#: trafilatura's options, built once: precision over recall (a teaser is better than a menu), and the
#: text's structure (paragraphs, headings, lists, tables, quotes) without inline links and bold or
#: italics. Keeping links and formatting changes which blocks trafilatura keeps, not only how they
#: look: on a real page it let a tag list of links ("Read More: Federal Reserve, Fomc, ...") lead
#: the text (goose3 HuffingtonPost: token F1 0.22, against 1.00 without them), and it costs about
#: 15 ms more per page. Nothing shows inline links from the stored text today.
_OPTIONS: _ExtractorOptions = {
    "output_format": "html",
    "comments": False,
    "formatting": False,
    "links": False,
    "images": False,
    "tables": True,
    "precision": True,
}

#: Article types whose JSON-LD `headline` is the article's title (schema.org).
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "report",
    "scholarlyarticle",
    "techarticle",
    "liveblogposting",
    "socialmediaposting",
    "webpage",
    "creativework",
}

#: <meta> keys that carry the article's title; a small weight step keeps readability's order
#: (Dublin Core, then Open Graph, then the rest) when copies disagree.
_META_TITLES = {
    "dc:title": 1.0,
    "dcterm:title": 0.99,
    "og:title": 0.98,
    "title": 0.96,
    "twitter:title": 0.95,
    "parsely-title": 0.94,
    "sailthru.title": 0.93,
}
_META_SITES = ("og:site_name", "application-name", "twitter:site_name", "al:android:app_name", "al:ios:app_name")
_CDATA = re.compile(r"^\s*(//\s*)?<!\[CDATA\[|(//\s*)?\]\]>\s*$")
_META_LANGUAGES = ("content-language", "og:locale", "language", "dc:language", "dcterm:language")


@dataclass
class Article:
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    image_url: str | None
    canonical_url: str | None
    content_html: str | None  # unsanitised; the pipeline sanitises
    languages_declared: list[str] = field(default_factory=list)  # <html lang>, metadata, in that order


@dataclass
class _Facts:
    """What the page declares about itself, read from one walk over the tree."""

    titles: list[Candidate] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    canonical: str | None = None
    published: datetime | None = None


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _jsonld_objects(tree: HtmlElement):
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        source = _CDATA.sub("", script.text or "")
        try:
            data = json.loads(source, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                yield node
                if isinstance(node.get("@graph"), list):
                    stack.extend(reversed(node["@graph"]))


def _types(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(item).lower() for item in values if item}


def _name(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _page_facts(tree: HtmlElement, feed_title: str | None) -> _Facts:
    """Title candidates, site names, declared languages, canonical link and exact publication time."""
    facts = _Facts()
    if feed_title:
        facts.titles.append(Candidate("feed", feed_title))
    root_lang = tree.get("lang") or tree.get("xml:lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if root_lang:
        facts.languages.append(root_lang)
    head_title = next(
        (
            text
            for text in (
                _text(element)
                for element in tree.iter("title")
                if element.getparent() is not None and element.getparent().tag in ("head", "html")
            )
            if text
        ),
        None,
    )
    if head_title:
        facts.titles.append(Candidate("title", head_title))
    published_meta = None
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content:
            continue
        by_property = bool(meta.get("property"))  # Dublin Core's own form; `name=` is the older one
        keys = (
            " ".join(
                filter(None, (meta.get("property"), meta.get("name"), meta.get("itemprop"), meta.get("http-equiv")))
            )
            .lower()
            .replace("dc.", "dc:")
            .replace("dcterms", "dcterm")
        )
        for meta_key in keys.split():
            if meta_key in _META_TITLES:
                facts.titles.append(Candidate("meta", content, _META_TITLES[meta_key] - (0 if by_property else 0.005)))
            elif meta_key in _META_SITES:
                facts.sites.append(content)
            elif meta_key in _META_LANGUAGES:
                facts.languages.append(content.split(",")[0])
            elif meta_key == "article:published_time" and published_meta is None:
                published_meta = content
    headings = list(dict.fromkeys(text for text in (_text(h1) for h1 in tree.iter("h1")) if text))[:5]
    for heading in headings:
        facts.titles.append(Candidate("h1", heading, 0.8 if len(headings) == 1 else 0.8 / len(headings)))
    headlines = []
    for node in _jsonld_objects(tree):
        types = _types(node)
        if types & _ARTICLE_TYPES and (
            headline := _name(node.get("headline")) or ("webpage" not in types and _name(node.get("name")))
        ):
            headlines.append(headline)
        if types & {"website", "organization", "newsmediaorganization"} and (site := _name(node.get("name"))):
            facts.sites.append(site)
        if publisher := _name(node.get("publisher")):
            facts.sites.append(publisher)
        if types & _ARTICLE_TYPES and (language := _name(node.get("inLanguage"))):
            facts.languages.append(language)
    headlines = list(dict.fromkeys(headlines))
    for headline in headlines:
        facts.titles.append(Candidate("jsonld", headline, 1.0 / len(headlines)))
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            facts.canonical = link.get("href").strip()
            break
    facts.published = _parse_time(published_meta)
    if facts.published is None:
        first_time = next((element for element in tree.iter("time") if element.get("datetime")), None)
        facts.published = _parse_time(first_time.get("datetime")) if first_time is not None else None
    return facts


def extract_article(html: str, url: str, feed_title: str | None = None, want_date: bool = True) -> Article:
    """Main text as HTML plus title, author, date, language, lead image and canonical URL.

    `feed_title`, when the feed gave one, is weighed with the page's own titles; the chosen
    title never carries the site's name. `want_date=False` (the feed gave the date, which
    stands) skips htmldate's extensive search of the page's text: with its first use of
    dateparser's locales that is about a tenth of the extraction's time on real pages, for a
    date nobody reads; the page's declared dates are still read.
    """
    tree = load_html(html) if html else None
    if tree is None:
        return Article(
            title=feed_title or None,
            author=None,
            published=None,
            language=None,
            image_url=None,
            canonical_url=None,
            content_html=None,
        )
    facts = _page_facts(tree, feed_title)
    # made per page: htmldate's latest acceptable date is today, and a crawl may outlive a day
    date_params = set_date_params(extensive=want_date)
    options = Extractor(url=url, with_metadata=True, date_params=date_params, **_OPTIONS)
    document = bare_extraction(tree, options=options)  # works on its own copy of the tree
    # its return type covers as_dict=True too (a dict), which is not asked for here
    assert not isinstance(document, dict), "bare_extraction gives a dict only with as_dict=True"
    body = None
    if document is None:  # no main text found; the metadata is still worth having
        document = extract_metadata(tree, default_url=url, date_config=date_params)
    elif document.body is not None:
        options.with_metadata = False  # the body alone, without a metadata header
        body = determine_returnstring(document, options) or None
    if document is not None and document.title:
        facts.titles.append(Candidate("extractor", document.title))
    published = facts.published
    if published is None and document is not None and document.date:
        try:
            published = datetime.fromisoformat(document.date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    languages = [code for code in (re.sub(r"[^A-Za-z_-]", "", value) for value in facts.languages) if code]
    return Article(
        title=choose_title(facts.titles, facts.sites, url),
        author=document.author if document is not None else None,
        published=published,
        language=languages[0] if languages else None,
        image_url=document.image if document is not None else None,
        canonical_url=facts.canonical,
        content_html=body,
        languages_declared=languages,
    )
