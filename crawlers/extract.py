"""Article pages to text and metadata, with trafilatura (and htmldate through it). No I/O.

trafilatura is the best-measured open extractor of main text; it drops navigation,
comments, share buttons and sign-up boxes far better than hand-made selectors would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import trafilatura
from bs4 import BeautifulSoup
from trafilatura.metadata import extract_metadata

logger = logging.getLogger(__name__)


@dataclass
class Article:
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    image_url: str | None
    canonical_url: str | None
    content_html: str | None  # unsanitised; the pipeline sanitises


def _page_facts(html: str) -> tuple[str | None, str | None, datetime | None]:
    """The declared language, canonical link and exact publication time, which trafilatura reduces or skips."""
    soup = BeautifulSoup(html[:200_000], "html.parser")
    root = soup.find("html")
    language = root.get("lang") if root else None
    canonical = None
    link = soup.find("link", rel=lambda value: value and "canonical" in value)
    if link and link.get("href"):
        canonical = link["href"]
    published = None
    for candidate in (soup.find("meta", attrs={"property": "article:published_time"}),
                      soup.find("time", attrs={"datetime": True})):
        value = candidate and (candidate.get("content") or candidate.get("datetime"))
        if value:
            try:
                published = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if published.tzinfo is None:
                published = published.replace(tzinfo=timezone.utc)
            break
    return language, canonical, published


def extract_article(html: str, url: str) -> Article:
    """Main text as HTML plus title, author, date, language, lead image and canonical URL."""
    body = trafilatura.extract(html, url=url, output_format="html", include_comments=False,
                               include_formatting=True, include_links=True, include_images=False,
                               include_tables=True, favor_precision=True)
    meta = extract_metadata(html, default_url=url)
    language, canonical, published = _page_facts(html)
    if published is None and meta and meta.date:
        try:
            published = datetime.fromisoformat(meta.date).replace(tzinfo=timezone.utc)
        except ValueError:
            published = None
    return Article(
        title=meta.title if meta else None, author=meta.author if meta else None, published=published,
        language=language or (meta.language if meta else None), image_url=meta.image if meta else None,
        canonical_url=canonical, content_html=body,
    )
