"""The one item type spiders yield: what a partner published, before normalisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FeedItem:
    """One article as found in a feed or on a page; `crawlers.normalise` makes it storable."""

    source_id: int
    url: str
    title: str = ""
    guid: str | None = None
    author: str | None = None
    summary: str | None = None  # as the feed gave it (may be HTML, may be an excerpt)
    content_html: str | None = None  # full content, unsanitised
    language: str | None = None  # declared by the feed or page
    published: datetime | None = None  # aware
    updated: datetime | None = None
    image_url: str | None = None
    canonical_url: str | None = None  # from <link rel="canonical"> when the page was fetched
    full_text_fetched: bool = False
    excerpt: bool = False  # the text is the feed's excerpt (the page could not give more)
    feed_hash: str | None = None  # the entry as the feed gave it, to skip unchanged entries next time
    fresh: bool = False  # no stored item of its source has its key or link (`feed_hashes`)
    notes: list[str] = field(default_factory=list)
