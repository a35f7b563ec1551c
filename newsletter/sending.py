"""Send an edition over SMTP, each subscriber in their language, with a delivery log.

The log makes sending resumable: a run that is killed half-way is started again and
sends only to those who have not received the edition yet. Secrets in the SMTP URL are
never logged.
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import sqlite_utils

from aggregator.config import Config
from aggregator.db import iso, utcnow
from aggregator.exceptions import ConflictError
from aggregator.storage.editions import get_edition, set_edition_status
from aggregator.storage.subscribers import list_recipients, record_delivery
from newsletter.editions import freeze_edition
from newsletter.i18n import FALLBACK_LANGUAGE
from newsletter.messages import build_message
from newsletter.render import Rendered

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def open_smtp(url: str, timeout: float = 30) -> smtplib.SMTP:
    parts = urlsplit(url)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    client = (smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP)(parts.hostname, port, timeout=timeout)
    if parts.username:
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls()
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def reader_language(language: str, config: Config) -> str:
    """A subscriber's language if the edition is rendered in it, else the fallback (English)."""
    return language if language in config.languages else FALLBACK_LANGUAGE


def send_edition(db: sqlite_utils.Database, config: Config, edition_id: int, limit: int | None = None) -> SendReport:
    """Send the edition to every active subscriber who has not received it; mark it sent when done."""
    edition_row = get_edition(db, edition_id)
    if edition_row["status"] == "sent" and not list_recipients(db, edition_id):
        raise ConflictError(f"edition {edition_id} ({edition_row['week']}) was already sent to everyone")
    # frozen before the first message: every reader of every language gets the stored copy, and
    # "Read in your browser" answers from it while the rest are still being sent
    rendered: dict[str, Rendered] = freeze_edition(db, config, edition_id)
    recipients = list_recipients(db, edition_id)[: limit or None]
    set_edition_status(db, edition_id, "sending")
    report = SendReport()
    interval = 1.0 / config.send_rate if config.send_rate else 0
    client = open_smtp(config.smtp_url, timeout=config.crawl_timeout) if recipients else None
    try:
        for subscriber in recipients:
            language = reader_language(subscriber["language"], config)
            if language not in rendered:  # configured languages changed since the edition was frozen
                language = FALLBACK_LANGUAGE if FALLBACK_LANGUAGE in rendered else next(iter(rendered))
            message = build_message(rendered[language], config.mail_from, subscriber["email"], subscriber["token"],
                                    config.base_url, utcnow())
            try:
                client.send_message(message)
            except (smtplib.SMTPException, OSError) as error:
                report.failed += 1
                report.errors.append(f"subscriber {subscriber['id']}: {error}")
                logger.warning("edition %s: delivery to subscriber %s failed: %s", edition_id, subscriber["id"], error)
                record_delivery(db, edition_id, subscriber["id"], language, message["Message-ID"], "failed", str(error))
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    client = open_smtp(config.smtp_url, timeout=config.crawl_timeout)
                continue
            record_delivery(db, edition_id, subscriber["id"], language, message["Message-ID"], "sent")
            report.sent += 1
            report.languages[language] = report.languages.get(language, 0) + 1
            if interval:
                time.sleep(interval)
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass
    remaining = list_recipients(db, edition_id)
    set_edition_status(db, edition_id, "sent" if not remaining else "approved",
                       sent_at=iso(utcnow()) if not remaining else None)
    logger.info("edition %s: %s sent, %s failed", edition_id, report.sent, report.failed)
    return report
