"""A crawled `FeedItem` to the record the storage layer keeps. Pure: the clock is an argument.

Dates are handled explicitly: a missing date stays missing (the item sorts by its fetch
time, and `published_note` says so); a date more than a day in the future is not
trusted and is replaced by the fetch time with a note. Nothing silently becomes "now".
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from aggregator.db import iso
from aggregator.language import resolve_language
from aggregator.text import clean_at_door, clean_title, content_hash, html_to_text, sanitise_html, summarise
from aggregator.urls import accept_canonical, canonical_url, entry_key, is_http_url, is_private_address
from crawlers.items import FeedItem

FUTURE_TOLERANCE = timedelta(days=1)
#: Bounds of the fields that are shown or indexed whole; a hostile feed can send megabytes in any of them.
MAX_TITLE_CHARS = 500
MAX_GUID_CHARS = 1000
MAX_URL_CHARS = 4096


class InvalidItem(ValueError):
    """The item cannot be stored; the message says why (it becomes a DropItem reason)."""


def normalise_item(
    item: FeedItem, now: datetime, identify_by_link: bool = False, allow_private_links: bool = False
) -> dict:
    """Return the storable record of `item`, or raise InvalidItem.

    This is the door every format passes through (RSS, Atom, RDF, JSON Feed, pages of
    sites without feeds): text is cleaned here once (`clean_at_door`), links are checked
    here, and a page's own canonical claim is believed only for its own site.
    """
    if len(item.url or "") > MAX_URL_CHARS:
        raise InvalidItem(f"item link is {len(item.url):,} characters long; no article address is")
    if not is_http_url(item.url):
        raise InvalidItem(f"item has no usable link ({clean_title(item.url)[:200]!r})")
    if not allow_private_links and is_private_address(item.url):
        raise InvalidItem(f"item links to a private address ({item.url[:200]}); it would be mailed to readers")
    canonical = canonical_url(accept_canonical(item.canonical_url, item.url) or item.url)
    content_html = sanitise_html(item.content_html or item.summary)
    text = html_to_text(content_html)
    if item.content_html:
        summary_text = html_to_text(sanitise_html(item.summary)) if item.summary else ""
    else:  # an excerpt-only entry: its summary is the content, already read
        summary_text = text if item.summary else ""
    title = clean_title(item.title)
    if len(title) > MAX_TITLE_CHARS:  # a 1 MB "title" would make 1 MB e-mails and hold locks in tagging
        title = summarise(title, MAX_TITLE_CHARS)
    title = title or summarise(text, 90)
    published, note = item.published, None
    if published is None:
        note = "no publication date given; sorted by fetch time"
    elif published > now + FUTURE_TOLERANCE:
        note = f"publication date {iso(published)} lies in the future; fetch time used instead"
        published = now
    # the language is read from the entry's own words, never from the address that titles an empty entry
    language, language_source = resolve_language(item.language, f"{title}\n{text}".strip())
    title = title or canonical
    guid = None if identify_by_link else (clean_at_door(item.guid).strip() or None if item.guid else None)
    if guid and len(guid) > MAX_GUID_CHARS:  # identity, not text: a digest keeps it unique and indexable
        guid = "sha256:" + hashlib.sha256(guid.encode("utf-8")).hexdigest()
    return {
        "source_id": item.source_id,
        "guid": guid,
        "entry_key": entry_key(guid, item.url),
        "url": item.url,
        "canonical_url": canonical,
        "title": title,
        "author": clean_title(item.author)[:300] or None,
        "summary": summarise(summary_text or text),
        "content_html": content_html,
        "text": text,
        "language": language,
        "language_source": language_source,
        "image_url": item.image_url if item.image_url and is_http_url(item.image_url) else None,
        "published_at": iso(published),
        "published_note": "; ".join(filter(None, [note, *item.notes])) or None,
        "content_hash": content_hash(title, text),
        "feed_hash": item.feed_hash,
        "text_origin": "page" if item.full_text_fetched else ("excerpt" if item.excerpt else "feed"),
    }
