"""Run a crawl: both spiders in one Scrapy process, then cluster what came in.

Scrapy's Twisted reactor cannot be restarted in a process, so callers that crawl more
than once (the scheduler, the demo, the tests) use `crawl_in_subprocess`.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import asdict, dataclass, field

from aggregator.clustering import cluster_new_items
from aggregator.config import Config
from aggregator.db import open_db
from aggregator.exceptions import WireError
from aggregator.indexing import index_items


@dataclass
class CrawlReport:
    sources_fetched: int = 0
    sources_not_modified: int = 0
    sources_failed: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_dropped: int = 0
    bytes: int = 0
    requests: int = 0
    duplicates_folded: int = 0
    new_stories: int = 0
    errors: list[str] = field(default_factory=list)


def crawl(config: Config, source_ids: list[int] | None = None, kinds: tuple[str, ...] = ("feed", "site"),
          on_source_done=None) -> CrawlReport:
    """Crawl due sources (or `source_ids`, due or not) in this process; the reactor runs once.

    `on_source_done(source, outcome)` is called as each source's fetch is recorded (progress bars).
    """
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import settings_for
    from crawlers.spiders.base import source_done
    from crawlers.spiders.feeds import FeedsSpider
    from crawlers.spiders.sites import SitesSpider

    process = CrawlerProcess(settings_for(config))
    crawlers = []
    for spider_cls in (FeedsSpider, SitesSpider):
        if spider_cls.source_kind in kinds:
            crawler = process.create_crawler(spider_cls)
            if on_source_done is not None:
                crawler.signals.connect(on_source_done, signal=source_done, weak=False)
            crawlers.append(crawler)
            process.crawl(crawler, sources=source_ids)
    process.start()
    report = CrawlReport()
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        report.sources_fetched += stats.get("wire/sources_fetched", 0)
        report.sources_not_modified += stats.get("wire/sources_not_modified", 0)
        report.sources_failed += stats.get("wire/sources_failed", 0)
        report.items_new += stats.get("wire/items_new", 0)
        report.items_updated += stats.get("wire/items_updated", 0)
        report.items_unchanged += stats.get("wire/items_unchanged", 0)
        report.items_dropped += stats.get("item_dropped_count", 0)
        report.bytes += stats.get("downloader/response_bytes", 0)
        report.requests += stats.get("downloader/request_count", 0)
    db = open_db(config.db)
    clusters = cluster_new_items(db, config.near_duplicate_threshold, config.containment_threshold,
                                 config.story_window_days)
    report.duplicates_folded, report.new_stories = clusters.folded, clusters.new_stories
    try:
        index_items(db, clusters.item_ids)
    except WireError as error:  # a broken taxonomy file must not lose the crawl
        report.errors.append(str(error))
    report.errors = [f"source {row['id']} ({row['name']}): {row['last_error']}" for row in db.query(
        "SELECT id, name, last_error FROM sources WHERE last_error IS NOT NULL ORDER BY id")]
    return report


def _child(config: Config, source_ids, kinds, queue) -> None:
    try:
        queue.put(("ok", asdict(crawl(config, source_ids, kinds))))
    except BaseException as error:  # report to the parent instead of dying silently
        queue.put(("error", f"{type(error).__name__}: {error}"))


def crawl_in_subprocess(config: Config, source_ids: list[int] | None = None,
                        kinds: tuple[str, ...] = ("feed", "site"), timeout: float = 600) -> CrawlReport:
    """Run `crawl` in a fresh process (spawned, so no reactor state is inherited)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(config, source_ids, kinds, queue), daemon=True)
    process.start()
    try:
        status, payload = queue.get(timeout=timeout)
    except Exception:
        process.kill()
        raise RuntimeError(f"the crawl did not finish within {timeout:.0f} s") from None
    process.join(timeout=30)
    if status == "error":
        raise RuntimeError(f"the crawl failed: {payload}")
    return CrawlReport(**payload)
