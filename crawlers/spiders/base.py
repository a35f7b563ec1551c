"""What both spiders share: the database, the due sources, and recording each fetch's outcome."""

from __future__ import annotations

import logging

import scrapy
import sqlite_utils
from scrapy import signals

from aggregator.config import Config, load_config
from aggregator.db import open_db, utcnow
from aggregator.polling import FetchOutcome, next_state
from aggregator.storage.items import find_item
from aggregator.storage.sources import list_due_sources, source_id_with_url, update_source
from crawlers.batch import WriteBatch
from crawlers.errors import describe_failure, describe_status

logger = logging.getLogger(__name__)

#: Sent once per source when its fetch is recorded: `source` (row) and `outcome` (FetchOutcome).
source_done = object()

#: Statuses our callbacks see instead of Scrapy dropping them; 3xx stay with RedirectMiddleware.
HANDLED_STATUSES = [304, *range(400, 600)]


class SourceSpider(scrapy.Spider):
    """A spider over the sources of one kind that are due (or those named with `-a sources=1,2`)."""

    source_kind = ""
    # set in from_crawler: the configuration, the database, and what this crawl learnt per source
    config: Config
    db: sqlite_utils.Database
    outcomes: dict[int, FetchOutcome]
    open_items: dict[int, int]  # source id -> items of this crawl not yet stored or dropped
    validators: dict[int, tuple[str | None, str | None]]  # source id -> (etag, last_modified) to store
    article_failures: dict[int, list[str]]  # source id -> article pages that could not be fetched
    source_notes: dict[int, list[str]]  # source id -> warnings of its feed (not well-formed, capped)
    #: The crawl's one connection (set by `crawlers.run`), shared by both spiders and their pipelines:
    #: their writes join the pipeline's open batch instead of waiting for its lock.
    shared_db: sqlite_utils.Database | None = None
    shared_batch: WriteBatch | None = None  # its open transaction, which every write of the crawl joins
    batch: WriteBatch

    def __init__(self, *args, sources: str | list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(sources, str):
            sources = [int(part) for part in sources.split(",") if part.strip()]
        self.source_ids = list(sources or [])

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = crawler.settings.get("WIRE_CONFIG") or load_config()
        spider.db = SourceSpider.shared_db or open_db(spider.config.db)
        spider.batch = SourceSpider.shared_batch or WriteBatch(spider.db)
        spider.outcomes, spider.open_items, spider.validators = {}, {}, {}
        spider.article_failures, spider.source_notes = {}, {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_settled, signal=signal)
        return spider

    def due_sources(self) -> list[dict]:
        return list_due_sources(self.db, kind=self.source_kind, source_ids=self.source_ids or None)

    def source_request(self, source: dict, url: str, callback, headers: dict | None = None, **meta) -> scrapy.Request:
        """The request that fetches a source itself (its feed or list page): its failures are the source's."""
        return scrapy.Request(
            url,
            headers=headers,
            callback=callback,
            errback=self.on_error,
            dont_filter=True,
            meta={
                "source": source,
                "source_id": source["id"],
                "is_source_request": True,
                "handle_httpstatus_list": HANDLED_STATUSES,
                **meta,
            },
        )

    def is_known(self, source_id: int, url: str, guid: str | None) -> bool:
        return find_item(self.db, source_id, guid, url) is not None

    def open_source(self, source: dict, etag: str | None, last_modified: str | None, items: int) -> None:
        """Remember a response's validators and how many items it gave; stored when the last one is."""
        self.validators[source["id"]] = (etag, last_modified)
        self.open_items[source["id"]] = items
        if items == 0:
            self.finish_source(source["id"])

    def item_settled(self, item, response=None, spider=None, **_):
        """An item was stored, dropped or failed: when it was its source's last, finish the source."""
        source_id = getattr(item, "source_id", None)
        if source_id not in self.open_items:
            return
        self.open_items[source_id] -= 1
        if self.open_items[source_id] <= 0:
            self.finish_source(source_id)

    def finish_source(self, source_id: int) -> None:
        """Every item of the source is stored: keep its validators, and say what went wrong on the way."""
        self.open_items.pop(source_id, None)
        etag, last_modified = self.validators.pop(source_id, (None, None))
        changes: dict[str, str | None] = {}
        if etag is not None or last_modified is not None:
            changes.update(etag=etag, last_modified=last_modified)
        problems = self.source_notes.pop(source_id, [])
        failures = self.article_failures.pop(source_id, [])
        if failures:
            problems.append(f"{len(failures)} article page(s) could not be fetched, e.g. {failures[0]}")
        if problems:
            changes.update(
                last_error="; ".join(problems)[:1000],
                last_error_hint="the feed still works and its items were kept; tell the partner",
            )
        if changes:  # after the source's items, in the same transaction or a later one
            self.update_source(source_id, **changes)

    def update_source(self, source_id: int, **changes) -> None:
        """Write `changes` on the source through the crawl's batch: after the writes queued before."""
        db = self.db
        self.batch.write(lambda: update_source(db, source_id, **changes))

    def article_failed(self, source_id: int, what: str) -> None:
        self.article_failures.setdefault(source_id, []).append(what)

    def record(self, source: dict, outcome: FetchOutcome) -> None:
        """Store the outcome on the source: health, validators, next fetch time."""
        changes = next_state(
            source, outcome, utcnow(), min_interval=self.config.min_interval, max_backoff=self.config.max_backoff
        )
        if changes.get("url") and changes["url"] != source["url"]:
            if source_id_with_url(self.db, changes["url"]) is not None:
                changes.pop("url")
        self.update_source(source["id"], **changes)
        self.outcomes[source["id"]] = outcome
        self.crawler.signals.send_catch_log(signal=source_done, source=source, outcome=outcome)
        stats = self.crawler.stats
        if outcome.not_modified:
            stats.inc_value("wire/sources_not_modified")
        elif outcome.ok:
            stats.inc_value("wire/sources_fetched")
        else:
            stats.inc_value("wire/sources_failed")
            logger.warning("source %s (%s) failed: %s", source["id"], source["url"], outcome.error)

    def http_failure_outcome(self, response) -> FetchOutcome:
        error, hint = describe_status(response.status)
        retry_after = None
        value = response.headers.get(b"Retry-After")
        if value and response.status in (429, 503):
            text = value.decode("latin-1").strip()
            if text.isdigit():
                retry_after = int(text)
            else:
                from email.utils import parsedate_to_datetime

                try:
                    retry_after = max(0, int((parsedate_to_datetime(text) - utcnow()).total_seconds()))
                except (TypeError, ValueError):
                    retry_after = None
        return FetchOutcome(
            status=response.status,
            ok=False,
            error=error,
            hint=hint,
            retry_after=retry_after,
            gone=response.status == 410,
        )

    def on_error(self, failure):
        """Errback of every source request: network errors, refusals by the guard, robots.txt."""
        request = failure.request
        source = request.meta.get("source")
        if source is None or not request.meta.get("is_source_request"):
            error, _hint = describe_failure(failure)
            logger.info("source %s: article fetch failed: %s (%s)", request.meta.get("source_id"), request.url, error)
            item = request.meta.get("feed_item")
            if item is not None:  # keep the feed's excerpt rather than losing the item
                item.notes.append("full text could not be fetched")
                self.article_failed(item.source_id, f"{request.url}: {error}")
                return item
            return None
        error, hint = describe_failure(failure)
        if "robots.txt" in str(failure.value).lower():
            error, hint = "robots.txt forbids fetching this URL", "ask the partner to allow our User-Agent"
        self.record(source, FetchOutcome(status=None, ok=False, error=error, hint=hint))
        return None

    @staticmethod
    def permanent_redirect_target(response) -> str | None:
        """The final URL when every redirect on the way was permanent (301/308)."""
        reasons = response.meta.get("redirect_reasons") or []
        if reasons and all(reason in (301, 308) for reason in reasons):
            return response.url
        return None
