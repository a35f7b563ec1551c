"""Deliveries: one row per (edition, subscriber), and the claim that lets one sender hold an edition.

Every state change is its own short write transaction, committed before the caller talks to
the SMTP server again: a process killed at any moment leaves each row in a state that says
what may have happened (`sending`: the message may or may not have gone out).
"""

from __future__ import annotations

import sqlite_utils

from aggregator.db import iso, utcnow, writing

#: States a delivery row can be in; `bounced` is set later, from a delivery status notification.
STATES = ("queued", "sending", "sent", "deferred", "failed", "bounced")


def freeze_audience(db: sqlite_utils.Database, edition_id: int) -> int:
    """Queue one row per active, non-bouncing subscriber, once per edition; return the rows added.

    Later calls add nobody: a subscriber confirmed after the audience was frozen gets the next edition.
    """
    now = iso(utcnow())
    # a paused reader (preferences) is left out when the column exists: it arrives with the preferences work
    paused = " AND paused_at IS NULL" if "paused_at" in db["subscribers"].columns_dict else ""
    with writing(db):
        frozen = db.execute(
            "UPDATE editions SET audience_frozen_at = ? WHERE id = ? AND audience_frozen_at IS NULL", [now, edition_id]
        ).rowcount
        if not frozen:
            return 0
        return db.execute(
            "INSERT INTO deliveries (edition_id, subscriber_id, language, status, queued_at) "
            "SELECT ?, id, language, 'queued', ? FROM subscribers "
            f"WHERE status = 'active' AND bouncing_since IS NULL{paused} "
            "AND id NOT IN (SELECT subscriber_id FROM deliveries WHERE edition_id = ? AND subscriber_id IS NOT NULL) "
            "ORDER BY id",
            [edition_id, now, edition_id],
        ).rowcount


def count_audience(db: sqlite_utils.Database) -> int:
    """How many readers `freeze_audience` would queue now (active, not bouncing, not paused): for "send to N"."""
    paused = " AND paused_at IS NULL" if "paused_at" in db["subscribers"].columns_dict else ""
    return db.execute(
        f"SELECT count(*) FROM subscribers WHERE status = 'active' AND bouncing_since IS NULL{paused}"
    ).fetchone()[0]


def count_deliveries(db: sqlite_utils.Database, edition_id: int) -> dict[str, int]:
    """Rows of the edition per state, every state present (0 when none)."""
    counts = dict.fromkeys(STATES, 0)
    for row in db.query(
        "SELECT status, count(*) AS n FROM deliveries WHERE edition_id = ? GROUP BY status", [edition_id]
    ):
        counts[row["status"]] = row["n"]
    return counts


def next_due_deliveries(
    db: sqlite_utils.Database, edition_id: int, now: str, limit: int, after_id: int = 0
) -> list[dict]:
    """Queued rows, and deferred rows whose time has come, after `after_id` (one pass per run), with the
    subscriber's address and token."""
    return list(
        db.query(
            "SELECT d.id, d.subscriber_id, d.language, d.attempts, s.email, s.token FROM deliveries d "
            "JOIN subscribers s ON s.id = d.subscriber_id "
            "WHERE d.edition_id = ? AND d.id > ? "
            "AND (d.status = 'queued' OR (d.status = 'deferred' AND d.next_attempt_at <= ?)) "
            "ORDER BY d.id LIMIT ?",
            [edition_id, after_id, now, limit],
        )
    )


def drop_orphans(db: sqlite_utils.Database, edition_id: int) -> int:
    """Fail queued or deferred rows whose subscriber was removed meanwhile: there is nobody to send to."""
    with writing(db):
        return db.execute(
            "UPDATE deliveries SET status = 'failed', error = 'subscriber removed before sending' "
            "WHERE edition_id = ? AND subscriber_id IS NULL AND status IN ('queued', 'deferred')",
            [edition_id],
        ).rowcount


def mark_sending(db: sqlite_utils.Database, delivery_id: int, message_id: str, previous: tuple | None = None) -> None:
    """Record that the SMTP transaction is about to start; committed before it does.

    `previous` is the outcome of the row sent just before, as `mark_delivery`'s arguments: written
    in the same transaction, so that a message costs one commit, not two.
    """
    with writing(db):
        if previous is not None:
            mark_delivery(db, *previous)
        db.execute(
            "UPDATE deliveries SET status = 'sending', message_id = ?, attempts = attempts + 1, "
            "attempted_at = ? WHERE id = ?",
            [message_id, iso(utcnow()), delivery_id],
        )


def mark_delivery(
    db: sqlite_utils.Database,
    delivery_id: int,
    status: str,
    code: int | None = None,
    error: str | None = None,
    next_attempt_at: str | None = None,
) -> None:
    """Set the outcome of an attempt (`error` must already be free of addresses)."""
    if status not in STATES:
        raise ValueError(f"unknown delivery state {status!r}")
    with writing(db):
        db.execute(
            "UPDATE deliveries SET status = ?, smtp_code = ?, error = ?, next_attempt_at = ? WHERE id = ?",
            [status, code, error, next_attempt_at, delivery_id],
        )


def resolve_in_flight(db: sqlite_utils.Database, edition_id: int, as_status: str) -> int:
    """Settle rows left `sending` by a killed sender: `queued` sends them again, `sent` trusts they went."""
    if as_status not in ("queued", "sent"):
        raise ValueError(f"in-flight rows become queued or sent, not {as_status!r}")
    with writing(db):
        return db.execute(
            "UPDATE deliveries SET status = ?, error = ? WHERE edition_id = ? AND status = 'sending'",
            [as_status, "assumed sent after an interrupted send" if as_status == "sent" else None, edition_id],
        ).rowcount


def next_retry_at(db: sqlite_utils.Database, edition_id: int) -> str | None:
    row = next(
        db.query(
            "SELECT min(next_attempt_at) AS at FROM deliveries WHERE edition_id = ? AND status = 'deferred'",
            [edition_id],
        )
    )
    return row["at"]


def claim_edition(db: sqlite_utils.Database, edition_id: int, sender: str, stale: str | None = None) -> str | None:
    """Take the edition for `sender` with a conditional update; return None when taken, else the holder.

    `stale` is a holder the caller found dead: the update replaces it only if it still holds the
    edition, so two processes taking over from the same dead sender cannot both win.
    """
    now = iso(utcnow())
    with writing(db):
        if stale is None:
            taken = db.execute(
                "UPDATE editions SET sender = ?, sender_seen_at = ? WHERE id = ? AND sender IS NULL",
                [sender, now, edition_id],
            ).rowcount
        else:
            taken = db.execute(
                "UPDATE editions SET sender = ?, sender_seen_at = ? WHERE id = ? AND sender = ?",
                [sender, now, edition_id, stale],
            ).rowcount
        if taken:
            return None
        row = next(db.query("SELECT sender FROM editions WHERE id = ?", [edition_id]), None)
        return row["sender"] if row else None


def get_sender(db: sqlite_utils.Database, edition_id: int) -> tuple[str | None, str | None]:
    row = next(db.query("SELECT sender, sender_seen_at FROM editions WHERE id = ?", [edition_id]))
    return row["sender"], row["sender_seen_at"]


def touch_claim(db: sqlite_utils.Database, edition_id: int, sender: str) -> None:
    with writing(db):
        db.execute(
            "UPDATE editions SET sender_seen_at = ? WHERE id = ? AND sender = ?", [iso(utcnow()), edition_id, sender]
        )


def release_edition(db: sqlite_utils.Database, edition_id: int, sender: str) -> None:
    with writing(db):
        db.execute(
            "UPDATE editions SET sender = NULL, sender_seen_at = NULL WHERE id = ? AND sender = ?", [edition_id, sender]
        )


def find_delivery_by_message_id(db: sqlite_utils.Database, message_id: str) -> dict | None:
    return next(db.query("SELECT * FROM deliveries WHERE message_id = ?", [message_id]), None)


def find_latest_delivery_to(db: sqlite_utils.Database, email: str) -> dict | None:
    """The newest sent (or bounced) delivery to an address: for a bounce that names no Message-ID."""
    return next(
        db.query(
            "SELECT d.* FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
            "WHERE s.email = ? AND d.status IN ('sent', 'bounced') ORDER BY d.id DESC LIMIT 1",
            [email.strip()],
        ),
        None,
    )


def record_bounce(db: sqlite_utils.Database, delivery_id: int, hard: bool, code: str, bounce_limit: int) -> bool:
    """Mark a delivery bounced; a first hard bounce of it counts against its subscriber.

    Returns True when this bounce made the address bouncing (no further editions). Reading the
    same notification twice counts once.
    """
    with writing(db):
        row = next(db.query("SELECT status, subscriber_id FROM deliveries WHERE id = ?", [delivery_id]))
        if not hard:
            db.execute(
                "UPDATE deliveries SET error = ? WHERE id = ? AND status != 'bounced'",
                [f"delayed ({code})", delivery_id],
            )
            return False
        if row["status"] == "bounced":
            return False
        db.execute(
            "UPDATE deliveries SET status = 'bounced', error = ? WHERE id = ?", [f"bounced ({code})", delivery_id]
        )
        if row["subscriber_id"] is None:
            return False
        db.execute("UPDATE subscribers SET hard_bounces = hard_bounces + 1 WHERE id = ?", [row["subscriber_id"]])
        return bool(
            db.execute(
                "UPDATE subscribers SET bouncing_since = ? "
                "WHERE id = ? AND bouncing_since IS NULL AND hard_bounces >= ?",
                [iso(utcnow()), row["subscriber_id"], bounce_limit],
            ).rowcount
        )
