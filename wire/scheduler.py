"""The schedule `wire serve` keeps, and the single cycle `wire run-once` runs for cron or systemd.

One cycle: crawl every due source (in its own process: Scrapy's reactor never runs in
the web server), draft the week's edition when the weekly draft time has passed and the
database holds no edition of that week, and send every approved edition whose time has come.

Whether the week was drafted is read from the database, never kept in memory: a restart of
`wire serve` after Monday 06:00 still drafts, and `run-once` (which keeps nothing between
runs) is not fooled by an older edition approved on Monday morning.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from aggregator.config import Config
from aggregator.db import open_db, parse_iso, utcnow
from aggregator.storage.editions import edition_exists_for, list_editions
from aggregator.storage.subscribers import purge_subscribers
from crawlers.run import crawl_in_subprocess
from newsletter.editions import NothingToDraft, draft_edition
from newsletter.exceptions import SenderBusy
from newsletter.schedule import crawl_due, last_draft_moment
from newsletter.sending import is_due, send_edition
from newsletter.weeks import week_of

logger = logging.getLogger(__name__)


@dataclass
class CycleReport:
    crawled: bool = False
    new_items: int = 0
    drafted: int | None = None
    sent: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def week_to_draft(now: datetime, draft_at: str, zone) -> str:
    """The ISO week whose draft time passed most recently: this week from Monday 06:00, else the last."""
    return week_of(last_draft_moment(now, draft_at, zone), zone)


def run_cycle(config: Config, state: dict, force_crawl: bool = False, now: datetime | None = None) -> CycleReport:
    """Run what is due at `now` (the clock by default); `state` keeps the last crawl time between calls."""
    report = CycleReport()
    now = now or utcnow()
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
        # unconfirmed sign-ups expire and unsubscribed addresses are erased on time, not when someone remembers
        purged = purge_subscribers(db, now, config.pending_expiry, config.erase_unsubscribed_after)
        if any(purged.values()):
            logger.info(
                "subscribers: %s expired sign-ups deleted, %s unsubscribed addresses erased",
                purged["expired"],
                purged["erased"],
            )
        week = week_to_draft(now, config.draft_at, config.zone)
        # a week with nothing to draft is tried again only after the next crawl, not at every tick
        if not edition_exists_for(db, week) and state.get("nothing_in") != (week, state.get("last_crawl")):
            try:
                report.drafted = draft_edition(db, config, week=week, now=now)
            except NothingToDraft as nothing:
                report.notes.append(str(nothing))
                state["nothing_in"] = (week, state.get("last_crawl"))
            except Exception as error:  # noqa: BLE001 - recorded; sending must still happen
                logger.error("draft of %s failed: %s", week, error)
                report.notes.append(f"draft skipped: {error}")
                state["nothing_in"] = (week, state.get("last_crawl"))
        for edition in list_editions(db):
            scheduled = parse_iso(edition["scheduled_at"])
            # 'sending' too: an edition whose sender died resumes; nothing due (only deferred rows waiting,
            # or in-flight rows for an operator to settle) means no send, so a failure never loops
            if (
                edition["status"] in ("approved", "sending")
                and scheduled is not None
                and scheduled <= now
                and is_due(db, edition["id"])
            ):
                try:
                    report.sent[edition["id"]] = send_edition(db, config, edition["id"]).sent
                except SenderBusy:
                    logger.debug("edition %s: another sender holds it", edition["id"])
                except Exception as error:  # noqa: BLE001 - recorded; the next tick resumes where it stopped
                    logger.error("edition %s: send stopped: %s", edition["id"], error)
                    report.notes.append(f"edition {edition['id']}: send stopped: {error}")
    finally:
        db.conn.close()
    return report


class Scheduler(threading.Thread):
    """Runs `run_cycle` every minute in the background of `wire serve`."""

    def __init__(self, config: Config, tick_seconds: float = 60):
        super().__init__(daemon=True, name="wire-scheduler")
        self.config, self.tick = config, tick_seconds
        self.state: dict = {}  # only the last crawl; whether the week is drafted is the database's to say
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
