"""Read delivery status notifications (RFC 3464) from a Maildir or an mbox and mark the deliveries.

A notification is a `multipart/report; report-type=delivery-status` message: a human part, a
`message/delivery-status` part with one block per recipient (`Final-Recipient`, `Action`,
`Status`), and usually the original message or its headers. The delivery is found by the
original Message-ID (ours are unique per message), else by the recipient's newest delivery.
`Action: failed` with a 5.x.x status is a hard bounce: the delivery becomes `bounced` and, after
`bounce_limit` of them, the address is marked bouncing and left out of later editions. A
notification read twice counts once. Nothing here logs an address.
"""

from __future__ import annotations

import email
import logging
import mailbox
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import sqlite_utils

from aggregator.config import Config
from aggregator.exceptions import InvalidInput
from aggregator.storage import deliveries as store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounce:
    recipient: str  # the address as the reporting server names it
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # 5.1.1, 4.2.2...
    message_id: str | None  # the original message's Message-ID, when the notification includes it

    @property
    def hard(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass
class BounceReport:
    read: int = 0  # messages in the mailbox
    notifications: int = 0  # of which delivery status notifications
    hard: int = 0
    soft: int = 0
    unmatched: int = 0  # recipients no delivery of ours was found for
    now_bouncing: int = 0  # addresses that reached bounce_limit with this run
    removed: int = 0
    matched_keys: list = field(default_factory=list)


def _address(value: str | None) -> str:
    """'rfc822; reader@example.org' -> 'reader@example.org'."""
    value = (value or "").strip()
    if ";" in value:
        value = value.split(";", 1)[1]
    return value.strip().strip("<>").strip()


def parse_dsn(message: Message) -> list[Bounce]:
    """The per-recipient results of one notification; [] for anything that is not a delivery status report."""
    report_type = message.get_param("report-type")
    if (
        message.get_content_type() != "multipart/report"
        or not isinstance(report_type, str)
        or report_type.lower() != "delivery-status"
    ):
        return []
    status_part = original_id = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and status_part is None:
            status_part = part
        elif kind == "message/rfc822" and original_id is None:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                original_id = inner.get("Message-ID")
        elif kind == "text/rfc822-headers" and original_id is None:
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                original_id = email.message_from_bytes(raw).get("Message-ID")
    if status_part is None:
        return []
    payload = status_part.get_payload()
    if isinstance(payload, str):  # a parser that left the fields as text: one block per paragraph
        blocks = [
            email.message_from_string(chunk) for chunk in payload.replace("\r\n", "\n").split("\n\n") if chunk.strip()
        ]
    else:
        blocks = [block for block in payload if isinstance(block, Message)]
    bounces = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        recipient = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not recipient:
            continue
        bounces.append(
            Bounce(
                recipient,
                (block.get("Action") or "").strip().lower(),
                (block.get("Status") or "").strip().split()[0] if block.get("Status") else "",
                (original_id or "").strip() or None,
            )
        )
    return bounces


def open_mailbox(path: str | Path) -> mailbox.Mailbox:
    """A Maildir (a folder with cur/, new/, tmp/) or an mbox file."""
    path = Path(path)
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise InvalidInput(f"{path} is a folder but not a Maildir (no cur/ and new/ inside)")
        return mailbox.Maildir(str(path), factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(str(path), create=False)
    raise InvalidInput(f"no Maildir or mbox at {path}")


def process_bounces(db: sqlite_utils.Database, config: Config, path: str | Path, remove: bool = False) -> BounceReport:
    """Mark the deliveries every notification in the mailbox reports on; optionally remove matched ones."""
    box = open_mailbox(path)
    report = BounceReport()
    box.lock()
    try:
        for key, message in list(box.iteritems()):
            report.read += 1
            bounces = parse_dsn(message)
            if not bounces:
                continue
            report.notifications += 1
            matched = False
            for bounce in bounces:
                delivery = store.find_delivery_by_message_id(db, bounce.message_id) if bounce.message_id else None
                if delivery is None:
                    delivery = store.find_latest_delivery_to(db, bounce.recipient)
                if delivery is None:
                    report.unmatched += 1
                    continue
                matched = True
                if bounce.action not in ("failed", "delayed"):
                    continue
                report.hard += bounce.hard
                report.soft += not bounce.hard
                if store.record_bounce(
                    db, delivery["id"], bounce.hard, bounce.status or bounce.action, config.bounce_limit
                ):
                    report.now_bouncing += 1
                    logger.info(
                        "subscriber %s: %s hard bounces, marked bouncing",
                        delivery["subscriber_id"],
                        config.bounce_limit,
                    )
                logger.debug(
                    "edition %s: delivery %s %s (%s)",
                    delivery["edition_id"],
                    delivery["id"],
                    "bounced" if bounce.hard else "delayed",
                    bounce.status,
                )
            if matched and remove:
                box.remove(key)
                report.removed += 1
        if remove:
            box.flush()
    finally:
        box.unlock()
        box.close()
    logger.info(
        "bounces: %s notifications in %s messages; %s hard, %s soft, %s unmatched, %s now bouncing",
        report.notifications,
        report.read,
        report.hard,
        report.soft,
        report.unmatched,
        report.now_bouncing,
    )
    return report
