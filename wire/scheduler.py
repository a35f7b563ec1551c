"""The schedule `wire serve` keeps, and the single cycle `wire run-once` runs for cron or systemd.

One cycle: crawl every due source (in its own process: Scrapy's reactor never runs in
the web server), draft this week's edition when the weekly draft time has passed, and
send every approved edition whose time has come.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from aggregator.config import Config
from aggregator.db import open_db, parse_iso, utcnow
from aggregator.storage.editions import list_editions
from crawlers.run import crawl_in_subprocess
from newsletter.editions import NothingToDraft, draft_edition
from newsletter.schedule import crawl_due, draft_due
from newsletter.sending import send_edition

logger = logging.getLogger(__name__)


@dataclass
class CycleReport:
    crawled: bool = False
    new_items: int = 0
    drafted: int | None = None
    sent: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_cycle(config: Config, state: dict, force_crawl: bool = False) -> CycleReport:
    """Run what is due; `state` keeps the last crawl and draft times between calls."""
    report = CycleReport()
    now = utcnow()
    if force_crawl or crawl_due(now, state.get("last_crawl"), config.crawl_interval):
        # a crawl that fails waits for the next interval like one that succeeds (no re-crawl every
        # tick), and never keeps the week's draft or an approved edition from going out
        state["last_crawl"] = now
        report.crawled = True
        try:
            report.new_items = crawl_in_subprocess(config).items_new
        except Exception as error:  # noqa: BLE001 - recorded, and the cycle goes on
            logger.error("scheduled crawl failed: %s", error)
            report.notes.append(f"crawl failed: {error}")
    db = open_db(config.db)
    try:
        if draft_due(now, state.get("last_draft"), config.draft_at, config.zone):
            try:
                report.drafted = draft_edition(db, config, now=now)
            except NothingToDraft as nothing:
                report.notes.append(str(nothing))
            except Exception as error:  # an edition already sent this week: not a reason to stop
                report.notes.append(f"draft skipped: {error}")
            state["last_draft"] = now
        for edition in list_editions(db):
            scheduled = parse_iso(edition["scheduled_at"])
            if edition["status"] == "approved" and scheduled is not None and scheduled <= now:
                report.sent[edition["id"]] = send_edition(db, config, edition["id"]).sent
    finally:
        db.conn.close()
    return report


class Scheduler(threading.Thread):
    """Runs `run_cycle` every minute in the background of `wire serve`."""

    def __init__(self, config: Config, tick_seconds: float = 60):
        super().__init__(daemon=True, name="wire-scheduler")
        self.config, self.tick = config, tick_seconds
        self.state: dict = {"last_draft": utcnow()}  # drafting starts at the next draft time, not at start-up
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                report = run_cycle(self.config, self.state)
                if report.crawled or report.drafted or report.sent:
                    logger.info("scheduled cycle: %s", report)
            except Exception:  # keep the schedule alive; the next tick tries again
                logger.exception("scheduled cycle failed")
            self.stopped.wait(self.tick)

    def stop(self) -> None:
        self.stopped.set()
