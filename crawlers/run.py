"""Run a crawl: both spiders in one Scrapy process, clustering what comes in alongside (`crawlers.folding`).

Scrapy's Twisted reactor cannot be restarted in a process, so callers that crawl more
than once (the scheduler, the demo, the tests) use `crawl_in_subprocess`.
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aggregator.config import Config
from aggregator.db import iso, open_db, share_write_turns, utcnow
from aggregator.exceptions import ConflictError
from crawlers.batch import WriteBatch
from crawlers.folding import Folding, fold_pass, receive


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
    sources_interrupted: int = 0  # still fetching when Ctrl-C came: left due, marked not fetched
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False


#: Seconds a Ctrl-C'd crawl is given to finish what is in flight before the reactor is stopped.
STOP_GRACE = 2.0

#: Columns of a source that a fetch may change; an interrupted source gets them back as they were.
POLLING_COLUMNS = (
    "url",
    "status",
    "last_fetch_at",
    "last_status",
    "last_success_at",
    "consecutive_failures",
    "failing_since",
    "last_error",
    "last_error_hint",
    "interval_seconds",
    "etag",
    "last_modified",
    "not_modified_count",
    "next_fetch_at",
)


class Interruption:
    """Ctrl-C (SIGINT, or SIGTERM) during a crawl: stop gracefully, then for good after STOP_GRACE seconds.

    Scrapy's own handler waits for requests in flight, up to the download timeout; a second
    Ctrl-C stops at once.
    """

    def __init__(self, process):
        self.process = process
        self.interrupted = False
        self.previous: dict = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; callers elsewhere keep the default
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum, frame) -> None:
        from twisted.internet import reactor

        if self.interrupted:
            reactor.callFromThread(self._stop_reactor)
            return
        self.interrupted = True
        reactor.callFromThread(self._stop)

    def _stop(self) -> None:
        from twisted.internet import reactor

        self.process.stop()
        reactor.callLater(STOP_GRACE, self._stop_reactor)

    @staticmethod
    def _stop_reactor() -> None:
        from twisted.internet import reactor

        if reactor.running:
            reactor.stop()


def interrupted_state(before: dict, now_iso: str) -> dict:
    """What to store on a source whose fetch a Ctrl-C cut short: its state before, due, and why.

    Its validators go back to what they were (a stored ETag without all the items would give a
    304 and lose them), it is not counted as the partner's failure, and it is not "ok".
    """
    changes = {column: before.get(column) for column in POLLING_COLUMNS if column in before}
    changes.update(
        last_error="the crawl was interrupted (Ctrl-C) before this source was finished",
        last_error_hint="it is fetched again on the next crawl",
        failing_since=before.get("failing_since") or now_iso,
        next_fetch_at=min(before.get("next_fetch_at") or now_iso, now_iso),
    )
    return changes


@contextmanager
def crawl_lock(db_path) -> Iterator[None]:
    """Hold the one crawl lock of a database, or raise ConflictError naming the crawl that holds it.

    Two crawls at once would fetch every source twice and race on the same items. The lock
    is an advisory `flock` on a file beside the database: the kernel releases it when its
    process ends in any way (SIGKILL included), so a killed crawl never leaves a stale lock.
    """
    path = Path(f"{db_path}.crawl-lock")
    handle = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise ConflictError(
            f"another crawl of {db_path} is running{f' (pid {holder})' if holder else ''}; "
            f"try again when it has finished"
        ) from None
    try:
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def crawl(
    config: Config, source_ids: list[int] | None = None, kinds: tuple[str, ...] = ("feed", "site"), on_source_done=None
) -> CrawlReport:
    """Crawl due sources (or `source_ids`, due or not) in this process; the reactor runs once.

    `on_source_done(source, outcome)` is called as each source's fetch is recorded (progress bars).
    Only one crawl of a database runs at a time (`crawl_lock`); a second one is refused.
    """
    with crawl_lock(config.db):
        from crawlers import extraction_pool

        folding = Folding(config)
        folding.start()  # forked before Scrapy starts its reactor and threads
        extraction_pool.start()  # the article readers too (the feeds spider would start them later)
        try:
            return _crawl(config, source_ids, kinds, on_source_done, folding)
        finally:
            extraction_pool.stop()
            folding.close()


def _crawl(
    config: Config, source_ids: list[int] | None, kinds: tuple[str, ...], on_source_done, folding: Folding
) -> CrawlReport:
    from scrapy.crawler import CrawlerProcess

    from aggregator.storage.sources import list_due_sources, list_source_errors, update_source
    from crawlers.settings import settings_for
    from crawlers.spiders.base import SourceSpider, source_done
    from crawlers.spiders.feeds import FeedsSpider
    from crawlers.spiders.sites import SitesSpider

    # one connection for both spiders and their pipelines (settings are deep-copied: not there)
    shared = SourceSpider.shared_db = open_db(config.db)
    share_write_turns(shared, folding.turn)  # the crawl's and the folding child's writes alternate fairly
    batch = SourceSpider.shared_batch = WriteBatch(shared, folding.wanted)
    process = CrawlerProcess(settings_for(config))
    # Scrapy's logging set-up has just put its loggers at DEBUG: a record was built for every item
    # and response ("Scraped from ...") and dropped by the handlers, 2-3 % of a crawl's CPU. They
    # log from the level asked for instead (`wire -v`: INFO, `-vv`: DEBUG; WARNING in a child).
    logging.getLogger("scrapy").setLevel(max(logging.DEBUG, logging.getLogger().getEffectiveLevel()))
    interruption = Interruption(process)
    before = {
        row["id"]: row for row in list_due_sources(open_db(config.db), source_ids=source_ids) if row["kind"] in kinds
    }  # what the spiders will fetch, as it was
    finished: set[int] = set()

    def note_finished(source, outcome, **_):
        if not interruption.interrupted:
            finished.add(source["id"])

    crawlers = []
    for spider_cls in (FeedsSpider, SitesSpider):
        if spider_cls.source_kind in kinds:
            crawler = process.create_crawler(spider_cls)
            crawler.signals.connect(note_finished, signal=source_done, weak=False)
            if on_source_done is not None:
                crawler.signals.connect(on_source_done, signal=source_done, weak=False)
            crawlers.append(crawler)
            process.crawl(crawler, sources=source_ids)
    interruption.install()
    try:
        process.start(install_signal_handlers=False)
    finally:
        interruption.restore()
        if interruption.interrupted:
            folding.stop()  # at once, before the writes below wait for its chunk's lock
        batch.flush()  # what the pipelines did not get to commit (they do on close)
        shared.conn.close()
        SourceSpider.shared_db = SourceSpider.shared_batch = None
    report = CrawlReport(interrupted=interruption.interrupted)
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        report.sources_fetched += stats.get("wire/sources_fetched", 0)
        report.sources_not_modified += stats.get("wire/sources_not_modified", 0)
        report.sources_failed += stats.get("wire/sources_failed", 0)
        report.items_new += stats.get("wire/items_new", 0)
        report.items_updated += stats.get("wire/items_updated", 0)
        report.items_unchanged += stats.get("wire/items_unchanged", 0)
        report.items_dropped += stats.get("item_dropped_count", 0) + stats.get("wire/items_failed", 0)
        report.bytes += stats.get("downloader/response_bytes", 0)
        report.requests += stats.get("downloader/request_count", 0)
    db = open_db(config.db)
    if interruption.interrupted:
        now_iso = iso(utcnow()) or ""
        for source_id in sorted(set(before) - finished):
            update_source(db, source_id, **interrupted_state(before[source_id], now_iso))
            report.sources_interrupted += 1
    report.errors = [f"source {row['id']} ({row['name']}): {row['last_error']}" for row in list_source_errors(db)]
    if interruption.interrupted:
        # Ctrl-C means stop now (the folding child was stopped above): what it placed stays placed;
        # the rest stays unclustered (story_id NULL) and the next crawl places, tags and indexes it
        return report
    folded = folding.finish(db)
    if folded.error and folded.error.startswith("folding alongside"):
        # the child failed unexpectedly: fold here, where an error stops the crawl as it always did
        report.errors.append(folded.error)
        more = fold_pass(db, config)
        folded.folded, folded.new_stories = folded.folded + more.folded, folded.new_stories + more.new_stories
        folded.error = more.error
    report.duplicates_folded, report.new_stories = folded.folded, folded.new_stories
    if folded.error:  # a broken taxonomy file must not lose the crawl
        report.errors.append(folded.error)
    return report


def _child(config: Config, source_ids, kinds, queue) -> None:
    try:
        queue.put(("ok", asdict(crawl(config, source_ids, kinds))))
    except BaseException as error:  # report to the parent instead of dying silently
        queue.put(("error", f"{type(error).__name__}: {error}"))


def crawl_in_subprocess(
    config: Config,
    source_ids: list[int] | None = None,
    kinds: tuple[str, ...] = ("feed", "site"),
    timeout: float | None = None,
) -> CrawlReport:
    """Run `crawl` in a fresh process (spawned, so no reactor state is inherited).

    The whole crawl gets `timeout` seconds (`crawl_deadline` by default). A crawl stopped at
    its deadline is killed; the sources it had not finished get the failure on their own
    record (and the usual backoff), so one pathological source is named, not hidden, and
    the caller's cycle (drafting, sending) goes on.
    """
    from aggregator.polling import FetchOutcome, next_state
    from aggregator.storage.sources import get_source, list_due_sources, update_source

    timeout = timeout or config.crawl_deadline
    before = {
        row["id"]: row["last_fetch_at"]
        for row in list_due_sources(open_db(config.db), source_ids=source_ids)
        if row["kind"] in kinds
    }
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    # not a daemon: the crawl forks its folding child (`crawlers.folding`); killed below on timeout
    process = context.Process(target=_child, args=(config, source_ids, kinds, queue))
    process.start()
    try:
        status, payload = receive(queue, process, timeout)
    except (TimeoutError, ChildProcessError) as stopped:
        died = isinstance(stopped, ChildProcessError)
        process.kill()
        process.join(timeout=30)
        db = open_db(config.db)
        unfinished = [
            row
            for row in (get_source(db, source_id) for source_id in before)
            if row["last_fetch_at"] == before[row["id"]]
        ]
        outcome = FetchOutcome(
            status=None,
            ok=False,
            error=f"the crawl process ended ({stopped}) before this source was finished"
            if died
            else f"the crawl was stopped at its deadline ({timeout:.0f} s) before this source was finished",
            hint="tried again later, with backoff"
            if died
            else "a very slow or very large source; it is tried again later, with backoff",
        )
        for row in unfinished:
            update_source(
                db,
                row["id"],
                **next_state(row, outcome, utcnow(), min_interval=config.min_interval, max_backoff=config.max_backoff),
            )
        if died:
            raise RuntimeError(
                f"the crawl process ended ({stopped}); {len(unfinished)} source(s) left unfinished were marked"
            ) from None
        raise RuntimeError(
            f"the crawl did not finish within {timeout:.0f} s; {len(unfinished)} source(s) left unfinished were marked"
        ) from None
    except BaseException:  # Ctrl-C in the caller: the crawl is not a daemon, so stop it here
        process.kill()
        process.join(timeout=30)
        raise
    process.join(timeout=30)
    if status == "error":
        raise RuntimeError(f"the crawl failed: {payload}")
    return CrawlReport(**payload)
