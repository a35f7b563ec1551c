"""The item pipeline: normalise -> validate -> store. Rejects are DropItem with the reason.

Items are stored in batches: one write transaction holds up to `BATCH_ITEMS` items and is
committed at the latest `FLUSH_SECONDS` after it began (and when the spider closes). A
commit per item wrote the same FTS and index pages to the WAL again for every item, the
largest cost of storing after the text itself. The batch also keeps the crawl's promise
about validators: a source's ETag is written when its last item settles (`SourceSpider.
finish_source`), inside the same open transaction as its items, so a crawl killed before a
commit loses both together and the next crawl fetches the feed again instead of getting a 304.
Other writers (the web app's unsubscribe) wait at most one batch, well within SQLite's busy
timeout.
"""

from __future__ import annotations

import logging
import time

from scrapy.exceptions import DropItem
from twisted.internet import task

from aggregator.db import open_db, utcnow
from aggregator.storage.items import save_item
from crawlers.items import FeedItem
from crawlers.normalise import InvalidItem, normalise_item

logger = logging.getLogger(__name__)

#: Items per write transaction, and the longest a transaction stays open (seconds).
BATCH_ITEMS = 200
FLUSH_SECONDS = 0.5


class StoragePipeline:
    """Store each item, counting new, updated and unchanged ones in the crawl stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.pending = 0
        self.opened_at = 0.0
        self.flusher: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.db = getattr(spider, "db", None) or open_db(self.crawler.settings["WIRE_CONFIG"].db)
        self.flusher = task.LoopingCall(self.flush_if_due)
        self.flusher.start(FLUSH_SECONDS / 2, now=False)

    def close_spider(self, spider=None):
        if self.flusher is not None and self.flusher.running:
            self.flusher.stop()
        self.flush()

    def process_item(self, item: FeedItem, spider=None):
        try:
            record = normalise_item(
                item,
                utcnow(),
                identify_by_link=item.guid is None,
                allow_private_links=self.crawler.settings["WIRE_CONFIG"].allow_private_networks,
            )
        except InvalidItem as error:
            raise DropItem(f"source {item.source_id}: {error}") from None
        assert self.db is not None
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN IMMEDIATE")
            self.opened_at = time.monotonic()
        # its own `writing()` joins the batch as a savepoint
        outcome, item_id = save_item(self.db, record, fresh=item.fresh)
        self.pending += 1
        if self.pending >= BATCH_ITEMS:
            self.flush()
        self.crawler.stats.inc_value(f"wire/items_{outcome}")
        logger.debug("source %s: item %s %s (%s)", item.source_id, item_id, outcome, record["canonical_url"])
        return item

    def flush_if_due(self) -> None:
        if self.db is not None and self.db.conn.in_transaction and time.monotonic() - self.opened_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit the open batch (items, and the validators of sources whose last item it holds)."""
        if self.db is not None and self.db.conn.in_transaction:
            self.db.conn.execute("COMMIT")
        self.pending = 0
