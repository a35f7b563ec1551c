"""The item pipeline: normalise -> validate -> store. Rejects are DropItem with the reason.

Items are written into the crawl's open transaction (`crawlers.batch.WriteBatch`), which is
committed every half second and when the spider closes; while a folding child holds the write
turn, they wait in the batch's queue, in order, and the crawl goes on.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy.exceptions import DropItem

from aggregator.db import open_db, utcnow
from crawlers.batch import WriteBatch
from crawlers.items import FeedItem
from crawlers.normalise import InvalidItem, normalise_item

logger = logging.getLogger(__name__)


class StoragePipeline:
    """Store each item, counting new, updated and unchanged ones in the crawl stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.batch: WriteBatch | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.db = getattr(spider, "db", None) or open_db(self.crawler.settings["WIRE_CONFIG"].db)
        self.batch = getattr(spider, "batch", None) or WriteBatch(self.db)
        self.batch.start()

    def close_spider(self, spider=None):
        if self.batch is not None:
            self.batch.stop()

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
        assert self.db is not None and self.batch is not None
        batch, stats, fresh = self.batch, self.crawler.stats, item.fresh

        def store() -> None:  # in the crawl's open transaction, now or once a child's turn is over
            try:
                outcome, item_id = batch.save_item(record, fresh=fresh)
            except (sqlite3.DatabaseError, ValueError) as error:  # this item alone; the crawl goes on
                stats.inc_value("wire/items_failed")
                logger.error("source %s: item %s could not be stored: %s", record["source_id"], record["url"], error)
                return
            stats.inc_value(f"wire/items_{outcome}")
            logger.debug("source %s: item %s %s (%s)", record["source_id"], item_id, outcome, record["canonical_url"])

        self.batch.write(store)
        return item
