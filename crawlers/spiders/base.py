"""What both spiders share: the database, the due sources, and recording each fetch's outcome."""

from __future__ import annotations

import logging

import scrapy

from aggregator.config import load_config
from aggregator.db import open_db, utcnow
from aggregator.polling import FetchOutcome, next_state
from aggregator.storage.items import find_item
from aggregator.storage.sources import list_due_sources, update_source
from crawlers.errors import describe_failure, describe_status
from aggregator.urls import canonical_url

logger = logging.getLogger(__name__)

#: Sent once per source when its fetch is recorded: `source` (row) and `outcome` (FetchOutcome).
source_done = object()

#: Statuses our callbacks see instead of Scrapy dropping them; 3xx stay with RedirectMiddleware.
HANDLED_STATUSES = [304, *range(400, 600)]


class SourceSpider(scrapy.Spider):
    """A spider over the sources of one kind that are due (or those named with `-a sources=1,2`)."""

    source_kind = ""

    def __init__(self, *args, sources: str | list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(sources, str):
            sources = [int(part) for part in sources.split(",") if part.strip()]
        self.source_ids = list(sources or [])

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = crawler.settings.get("WIRE_CONFIG") or load_config()
        spider.db = open_db(spider.config.db)
        spider.outcomes = {}
        return spider

    def due_sources(self) -> list[dict]:
        return list_due_sources(self.db, kind=self.source_kind, source_ids=self.source_ids or None)

    def is_known(self, source_id: int, url: str, guid: str | None) -> bool:
        return find_item(self.db, source_id, canonical_url(url), guid) is not None

    def record(self, source: dict, outcome: FetchOutcome) -> None:
        """Store the outcome on the source: health, validators, next fetch time."""
        changes = next_state(source, outcome, utcnow(), min_interval=self.config.min_interval,
                             max_backoff=self.config.max_backoff)
        if changes.get("url") and changes["url"] != source["url"]:
            taken = next(self.db.query("SELECT id FROM sources WHERE url = ?", [changes["url"]]), None)
            if taken:
                changes.pop("url")
        update_source(self.db, source["id"], **changes)
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
        return FetchOutcome(status=response.status, ok=False, error=error, hint=hint, retry_after=retry_after,
                            gone=response.status == 410)

    def on_error(self, failure):
        """Errback of every source request: network errors, refusals by the guard, robots.txt."""
        request = failure.request
        source = request.meta.get("source")
        if source is None or not request.meta.get("is_source_request"):
            logger.info("article fetch failed: %s (%s)", request.url, failure.value)
            item = request.meta.get("feed_item")
            if item is not None:  # keep the feed's excerpt rather than losing the item
                item.notes.append("full text could not be fetched")
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
