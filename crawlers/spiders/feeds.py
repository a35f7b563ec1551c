"""The `feeds` spider: every due feed source in one crawl, full text fetched for excerpts."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re

import scrapy

from aggregator.polling import FetchOutcome
from aggregator.storage.items import feed_hashes
from aggregator.text import content_hash, html_to_text, looks_truncated
from aggregator.urls import content_address, entry_key, is_http_url
from crawlers import extraction_pool
from crawlers.extraction_pool import Page, read_page_async
from crawlers.feeds.parse import FeedError, parse_feed, unreliable_guids
from crawlers.items import FeedItem
from crawlers.spiders.base import HANDLED_STATUSES, SourceSpider

logger = logging.getLogger(__name__)

#: A feed text shorter than this (characters) is treated as an excerpt.
EXCERPT_CHARS = 600


#: Markup whose text is never shown (`html_to_text` drops it too), removed before the quick reading.
_UNSHOWN = re.compile(r"<!--.*?-->|<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")


def needs_full_text(item: FeedItem) -> bool:
    """True when the feed gave only an excerpt: no full content and a short or cut-off summary.

    Asked for every entry of every crawl, so the markup is first read quickly: tags out with a
    regular expression, entities decoded. That reading is never shorter than lxml's by more
    than the markup it cannot tell apart, so a text of twice the excerpt length that does not
    end cut off is full content either way; anything closer is read with lxml (`html_to_text`).
    """
    markup = item.content_html or item.summary or ""
    if item.content_html and len(markup) >= 2 * EXCERPT_CHARS:
        quick = html.unescape(_TAGS.sub(" ", _UNSHOWN.sub(" ", markup)))
        if len(" ".join(quick.split())) >= 2 * EXCERPT_CHARS and not looks_truncated(quick):
            return False
    text = html_to_text(markup)
    if item.content_html and len(text) >= EXCERPT_CHARS and not looks_truncated(text):
        return False
    return looks_truncated(text) or len(text) < EXCERPT_CHARS


class FeedsSpider(SourceSpider):
    name = "feeds"
    source_kind = "feed"

    async def start(self):
        requests = list(self.start_requests())
        if requests:
            # workers for the article pages, forked before the first response (`crawlers.extraction_pool`)
            extraction_pool.start()
        for request in requests:
            yield request

    def start_requests(self):
        for source in self.due_sources():
            headers = {
                "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
            }
            if source.get("etag"):
                headers["If-None-Match"] = source["etag"]
            if source.get("last_modified"):
                headers["If-Modified-Since"] = source["last_modified"]
            yield self.source_request(source, source["url"], self.parse_feed_response, headers=headers)

    def parse_feed_response(self, response):
        """Record the fetch on the source and yield its items; a bug on one feed never stops the crawl."""
        source = response.meta["source"]
        try:
            yield from list(self._read_feed(source, response))
        except Exception as error:  # noqa: BLE001 - recorded on the source, logged with traceback
            logger.exception("source %s: reading the feed failed", source["id"])
            self.record(
                source,
                FetchOutcome(
                    status=response.status,
                    ok=False,
                    error=f"the feed could not be read ({type(error).__name__}: {error})",
                    hint="report this to the Solidarity Wire developers",
                ),
            )

    def _read_feed(self, source, response):
        if response.status == 304:
            self.record(source, FetchOutcome(status=304, ok=True, not_modified=True))
            return
        if response.status >= 400:
            self.record(source, self.http_failure_outcome(response))
            return
        headers = {
            key.decode("latin-1"): value[0].decode("latin-1") for key, value in response.headers.items() if value
        }
        try:
            feed = parse_feed(
                response.body,
                headers,
                response.url,
                source["id"],
                self.config.max_items_per_feed,
                budget=self.config.feed_parse_budget,
            )
        except FeedError as error:
            self.record(
                source,
                FetchOutcome(
                    status=response.status,
                    ok=False,
                    error=str(error),
                    hint="open the URL in a browser; ask the partner to fix the feed",
                ),
            )
            return
        linkless = set()
        for entry in feed.entries:
            if not is_http_url(entry.url):
                # no link, or one we cannot fetch (a `tag:` id, `javascript:`): the entry is kept,
                # identified by a hash of its content under the feed's URL; no page to fetch
                if entry.url and not entry.guid:
                    entry.guid = entry.url
                text = entry.summary or entry.content_html or ""
                # its id when it has one (two entries may say the same thing), else its content
                digest = (
                    hashlib.sha256(entry.guid.encode("utf-8")).hexdigest()
                    if entry.guid
                    else content_hash(entry.title, text)
                )
                entry.url = content_address(response.url, digest)
                linkless.add(id(entry))
        by_link = unreliable_guids(feed.entries)
        known = feed_hashes(self.db, source["id"])
        fresh, changed = [], []
        for entry in feed.entries:
            entry.language = entry.language or source.get("language")
            if by_link:
                entry.guid = None
            entry.feed_hash = entry_fingerprint(entry)
            stored = (
                known.get(entry_key(entry.guid, entry.url))
                or known.get(entry_key(None, entry.url))
                or known.get(f"raw:{entry.url}")
            )
            if stored is None:
                entry.fresh = True  # stored without looking it up again (`save_item(fresh=True)`)
                fresh.append(entry)
            elif stored[1] != entry.feed_hash:
                changed.append(entry)
        self.crawler.stats.inc_value("wire/items_unchanged", len(feed.entries) - len(fresh) - len(changed))
        # the validators are stored only once every item of this response is stored (`item_settled`):
        # a crawl killed before that fetches the feed again instead of getting a 304 and losing items
        self.record(
            source,
            FetchOutcome(
                status=response.status,
                ok=True,
                new_items=len(fresh),
                error=None,
                new_url=self.permanent_redirect_target(response),
            ),
        )
        notes = [note for note in (feed.warning, *feed.notes) if note]
        if notes:
            # a feed that parses with warnings, or a capped one, still delivered items; keep it visible
            self.source_notes.setdefault(source["id"], []).extend(notes)
        if feed.format and feed.format != source.get("feed_format"):
            self.update_source(source["id"], feed_format=feed.format)
        self.open_source(
            source,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            items=len(fresh) + len(changed),
        )
        for entry in fresh + changed:
            entry.excerpt = needs_full_text(entry)
            # the page is fetched for an excerpt, and for a missing date, which pages usually carry
            if id(entry) not in linkless and (entry.excerpt or entry.published is None):
                yield scrapy.Request(
                    entry.url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={"feed_item": entry, "source_id": source["id"], "handle_httpstatus_list": HANDLED_STATUSES},
                    dont_filter=True,
                )
            else:
                yield entry

    async def parse_article(self, response):
        """Complete a feed item from its page, keeping the feed's values where the page has none.

        The page is read in `crawlers.extraction_pool`'s workers, started with the crawl (the
        reactor goes on fetching and storing meanwhile); called outside a crawl, here.
        """
        item: FeedItem = response.meta["feed_item"]
        if response.status >= 400 or not hasattr(response, "text"):
            item.notes.append(f"full text not fetched (HTTP {response.status})")
            self.article_failed(item.source_id, f"{response.url}: HTTP {response.status}")
            yield item
            return
        # the feed's date stands when it has one: the page's is then not searched for
        page = await read_page_async(response.text, response.url, item.title or None, want_date=item.published is None)
        yield complete_item(item, page)

    def closed(self, reason):
        """The extraction workers live as long as the crawl: they hold copies of what the process had open."""
        extraction_pool.stop()


def complete_item(item: FeedItem, page: Page) -> FeedItem:
    """`item` with what its page adds: the full text for an excerpt, and the fields the feed left empty."""
    article = page.article
    feed_text = html_to_text(item.content_html or item.summary or "")
    # a feed text that says it is cut off ("[…]", "Read more") is never the article, however short the page
    if page.text.strip() and (len(page.text) > len(feed_text) or looks_truncated(feed_text)):
        item.content_html = article.content_html
        item.full_text_fetched = True
        item.excerpt = False
    # the partner's own title stands as the feed gave it; the page's best title (chosen with the
    # feed's as a candidate) only fills a missing one or completes one the feed cut short
    if not item.title or looks_truncated(item.title):
        item.title = article.title or item.title or ""
    item.author = item.author or article.author
    item.published = item.published or article.published
    item.language = item.language or article.language
    item.image_url = item.image_url or article.image_url
    item.canonical_url = article.canonical_url
    return item


def entry_fingerprint(entry: FeedItem) -> str:
    """A hash of the entry exactly as the feed gave it: the same hash next time means nothing to do."""
    parts = [
        entry.url,
        entry.guid,
        entry.title,
        entry.author,
        entry.summary,
        entry.content_html,
        entry.language,
        entry.published and entry.published.isoformat(),
        entry.updated and entry.updated.isoformat(),
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
