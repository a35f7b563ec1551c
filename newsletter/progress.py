"""A send started from the desk, run in the background, and its progress read from the delivery log.

The desk never sends inside a request: a request that took as long as a send would be cut off by
the browser, the proxy or waitress, and a reload would start it twice. It starts a thread of the
web server's process that does what the schedule of `wire serve` does (`wire.scheduler`): open its
own database connection and call `newsletter.sending.send_edition`, the function behind
`wire edition send`. That function claims the edition first, so a send the schedule (or a CLI
send) already runs is left to it, and a send that stops (server down, process killed) resumes
where it stopped the next time anyone sends it.

Progress is read from the `deliveries` table, the same rows the sender commits one by one, so
the status page shows the truth whichever process is sending. Only the reason a desk-started
send stopped is kept in memory (and in the audit log), since no table holds it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass

import sqlite_utils

from aggregator.config import Config
from aggregator.db import open_db
from aggregator.exceptions import WireError
from aggregator.storage.audit import record_action
from aggregator.storage.deliveries import count_deliveries, get_sender
from aggregator.storage.editions import get_edition
from newsletter.exceptions import SenderBusy

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    """Where a send stands: the edition's state and its deliveries by state."""

    edition_id: int
    status: str  # the edition's: draft, approved, sending, sent
    scheduled_at: str | None
    sent_at: str | None
    total: int  # deliveries of the frozen audience (0 before the first send freezes it)
    sent: int
    failed: int
    deferred: int
    queued: int
    in_flight: int  # `sending`: the SMTP transaction had started when the row was last written
    bounced: int
    running: bool  # a sender holds the edition right now
    error: str | None  # why the last send started from this process stopped, if it did

    @property
    def done(self) -> int:
        """Deliveries that reached an end: sent, failed or bounced."""
        return self.sent + self.failed + self.bounced

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (100 if self.status == "sent" else 0)

    def as_dict(self) -> dict:
        return {**asdict(self), "done": self.done, "percent": self.percent}


class _Run:
    def __init__(self, thread: threading.Thread):
        self.thread = thread
        self.error: str | None = None


_runs: dict[tuple[str, int], _Run] = {}
_lock = threading.Lock()


def read_progress(db: sqlite_utils.Database, config: Config, edition_id: int) -> Progress:
    """The edition's send as the delivery log has it now (NotFound for an unknown edition)."""
    edition = get_edition(db, edition_id)
    counts = count_deliveries(db, edition_id)
    sender, _ = get_sender(db, edition_id)
    run = _runs.get((str(config.db), edition_id))
    return Progress(
        edition_id=edition_id,
        status=edition["status"],
        scheduled_at=edition["scheduled_at"],
        sent_at=edition["sent_at"],
        total=sum(counts.values()),
        sent=counts["sent"],
        failed=counts["failed"],
        deferred=counts["deferred"],
        queued=counts["queued"],
        in_flight=counts["sending"],
        bounced=counts["bounced"],
        running=sender is not None or bool(run and run.thread.is_alive()),
        error=run.error if run else None,
    )


def start_send(config: Config, edition_id: int, actor: str) -> bool:
    """Send the edition in a background thread; False when one this process started is still running.

    `actor` (the editor's address) is recorded in the audit log with the outcome.
    """
    key = (str(config.db), edition_id)
    with _lock:
        run = _runs.get(key)
        if run is not None and run.thread.is_alive():
            return False
        thread = threading.Thread(
            target=_send, args=(config, edition_id, actor), daemon=True, name=f"wire-send-{edition_id}"
        )
        _runs[key] = _Run(thread)
        thread.start()
    return True


def wait(config: Config, edition_id: int, timeout: float | None = None) -> None:
    """Wait for a send this process started (tests and the benchmark; pages never wait)."""
    run = _runs.get((str(config.db), edition_id))
    if run is not None:
        run.thread.join(timeout)


def _send(config: Config, edition_id: int, actor: str) -> None:
    from newsletter.sending import send_edition

    run = _runs[(str(config.db), edition_id)]
    db = open_db(config.db, migrate=False)
    try:
        record_action(db, actor, "edition send started", "edition", edition_id)
        report = send_edition(db, config, edition_id)
        record_action(
            db,
            actor,
            "edition send finished",
            "edition",
            edition_id,
            sent=report.sent,
            deferred=report.deferred,
            failed=report.failed,
            in_flight=report.in_flight,
            status=report.status,
        )
    except SenderBusy as busy:
        # another process (the schedule, a CLI send) holds it: its rows show on the status page all the same
        logger.info("edition %s: %s", edition_id, busy)
    except WireError as error:  # one line that names no subscriber (newsletter.sending's rule)
        run.error = str(error)
        logger.warning("edition %s: send stopped: %s", edition_id, error)
        record_action(db, actor, "edition send stopped", "edition", edition_id, error=str(error))
    except Exception:  # noqa: BLE001 - a thread has no caller to raise to: log it and show that it stopped
        run.error = "the send stopped on an unexpected error (see the server's log); send again to resume"
        logger.exception("edition %s: send stopped", edition_id)
        record_action(db, actor, "edition send stopped", "edition", edition_id, error="unexpected error")
    finally:
        db.conn.close()
