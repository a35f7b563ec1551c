"""Subscribers and the delivery log. The list is sensitive: only e-mail, language, status and consent are kept.

Erasing an address deletes its row (deliveries keep an anonymous row through `ON DELETE SET NULL`)
and adds one to an anonymous count per reason in `erasures`; nothing else about it remains.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import sqlite_utils

from aggregator.db import iso, row_id, utcnow, writing
from aggregator.exceptions import ConflictError, InvalidInput, NotFound


def normalise_email(email: str) -> str:
    """Trim and lower-case the domain; refuse what cannot be an address (one clear message)."""
    email = (email or "").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in email) or "<" in email:
        raise InvalidInput(f"not an e-mail address: {email!r}")
    return f"{local}@{domain.lower()}"


def add_subscriber(
    db: sqlite_utils.Database,
    email: str,
    language: str,
    status: str = "active",
    source: str = "cli",
    consent_at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Add an address; `status` 'active' means the reader has opted in (at `consent_at`, through `source`)."""
    email = normalise_email(email)
    if next(db.query("SELECT id FROM subscribers WHERE email = ?", [email]), None):
        raise ConflictError(f"{email} is already subscribed")
    now_text = iso(now or utcnow())
    consent = iso(consent_at) if consent_at else (now_text if status == "active" else None)
    with writing(db):
        return row_id(
            db.table("subscribers")
            .insert(
                {
                    "email": email,
                    "language": language,
                    "status": status,
                    "token": secrets.token_urlsafe(24),
                    "created_at": now_text,
                    "confirmed_at": consent if status == "active" else None,
                    "unsubscribed_at": now_text if status == "unsubscribed" else None,
                    "consent_at": consent,
                    "consent_source": source,
                    "token_issued_at": now_text,
                }
            )
            .last_pk
        )


def find_by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    """The row of an address (case of the domain ignored), or None."""
    return next(db.query("SELECT * FROM subscribers WHERE email = ?", [normalise_email(email)]), None)


def find_by_token(db: sqlite_utils.Database, token: str) -> dict | None:
    """The row whose personal link carries `token` (compared in constant time), or None."""
    row = next(db.query("SELECT * FROM subscribers WHERE token = ?", [token]), None) if len(token) >= 16 else None
    return row if row is not None and hmac.compare_digest(row["token"], token) else None


def request_subscription(
    db: sqlite_utils.Database, email: str, language: str, source: str, now: datetime
) -> dict | None:
    """Record a sign-up from the form: a pending row for a new or unsubscribed address; None when already active.

    A pending or unsubscribed row takes the language and source of the new request, so the
    confirmation goes out in the language just chosen. An active reader is left as they are.
    """
    email = normalise_email(email)
    with writing(db):
        row = next(db.query("SELECT * FROM subscribers WHERE email = ?", [email]), None)
        if row is None:
            add_subscriber(db, email, language, status="pending", source=source, now=now)
        elif row["status"] == "active":
            return None
        else:
            db.table("subscribers").update(
                row["id"],
                {
                    "status": "pending",
                    "language": language,
                    "consent_source": source,
                    "created_at": iso(now),
                    "unsubscribed_at": None,
                },
            )
        return next(db.query("SELECT * FROM subscribers WHERE email = ?", [email]))


def confirm_subscriber(db: sqlite_utils.Database, subscriber_id: int, now: datetime) -> dict | None:
    """Mark a pending sign-up confirmed: consent is recorded now. Returns the row, or None if it is gone."""
    with writing(db):
        row = next(db.query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]), None)
        if row is None:
            return None
        if row["status"] != "active":
            db.table("subscribers").update(
                subscriber_id, {"status": "active", "confirmed_at": iso(now), "consent_at": iso(now), "paused_at": None}
            )
        return next(db.query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]))


def resubscribe(db: sqlite_utils.Database, subscriber_id: int, now: datetime) -> None:
    """Take back an unsubscription from the personal link (the link proves the address): consent is renewed."""
    with writing(db):
        db.table("subscribers").update(
            subscriber_id,
            {
                "status": "active",
                "unsubscribed_at": None,
                "paused_at": None,
                "confirmed_at": iso(now),
                "consent_at": iso(now),
                "consent_source": "preferences",
            },
        )


def set_paused(db: sqlite_utils.Database, subscriber_id: int, paused: bool, now: datetime) -> None:
    """Pause (no editions until resumed) or resume."""
    with writing(db):
        db.table("subscribers").update(subscriber_id, {"paused_at": iso(now) if paused else None})


def rotate_token(db: sqlite_utils.Database, subscriber_id: int, now: datetime) -> str:
    """Issue a new personal link; the old one stops working at once."""
    token = secrets.token_urlsafe(24)
    with writing(db):
        db.table("subscribers").update(subscriber_id, {"token": token, "token_issued_at": iso(now)})
    return token


def erase_subscriber(db: sqlite_utils.Database, subscriber_id: int, reason: str) -> None:
    """Delete the address for good and count it, anonymously, under `reason`."""
    with writing(db):
        db.execute("DELETE FROM subscribers WHERE id = ?", [subscriber_id])
        _count_erasures(db, reason, 1)


def _count_erasures(db: sqlite_utils.Database, reason: str, count: int) -> None:
    if count:
        db.execute(
            "INSERT INTO erasures (reason, count) VALUES (?, ?) "
            "ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count",
            [reason, count],
        )


def count_erasures(db: sqlite_utils.Database) -> dict[str, int]:
    return {row["reason"]: row["count"] for row in db.query("SELECT reason, count FROM erasures ORDER BY reason")}


def purge_subscribers(
    db: sqlite_utils.Database, now: datetime, pending_expiry: int, erase_unsubscribed_after: int
) -> dict[str, int]:
    """Delete sign-ups never confirmed within `pending_expiry` seconds and addresses unsubscribed for longer
    than `erase_unsubscribed_after`; return how many of each (the counts are all that remains)."""
    pending_cutoff = iso(now - timedelta(seconds=pending_expiry))
    unsubscribed_cutoff = iso(now - timedelta(seconds=erase_unsubscribed_after))
    with writing(db):
        expired = db.execute(
            "DELETE FROM subscribers WHERE status = 'pending' AND created_at < ?", [pending_cutoff]
        ).rowcount
        erased = db.execute(
            "DELETE FROM subscribers WHERE status = 'unsubscribed' AND unsubscribed_at < ?", [unsubscribed_cutoff]
        ).rowcount
        _count_erasures(db, "sign-up not confirmed", expired)
        _count_erasures(db, "unsubscribed", erased)
    return {"expired": expired, "erased": erased}


def subscriber_data(row: dict) -> dict:
    """Everything kept about one reader, as they may download it (no internal id)."""
    keys = (
        "email",
        "language",
        "status",
        "created_at",
        "confirmed_at",
        "consent_at",
        "consent_source",
        "paused_at",
        "unsubscribed_at",
        "token_issued_at",
    )
    return {key: row.get(key) for key in keys}


def known_emails(db: sqlite_utils.Database, emails: list[str]) -> set[str]:
    """Which of `emails` are on the list already (lower-cased)."""
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found |= {
            row["email"].lower()
            for row in db.query(f"SELECT email FROM subscribers WHERE email IN ({', '.join('?' * len(chunk))})", chunk)
        }
    return found


def import_subscribers(db: sqlite_utils.Database, rows: list[dict], now: datetime) -> int:
    """Add checked rows (email, language, status, consent_at) in one transaction; all or none."""
    with writing(db):
        for row in rows:
            add_subscriber(
                db,
                row["email"],
                row["language"],
                status=row["status"],
                source="import",
                consent_at=row["consent_at"],
                now=now,
            )
    return len(rows)


def get_subscriber(db: sqlite_utils.Database, subscriber_id: int) -> dict:
    row = next(db.query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]), None)
    if row is None:
        raise NotFound(f"no subscriber with id {subscriber_id}")
    return row


def find_subscriber(db: sqlite_utils.Database, email_or_token: str) -> dict | None:
    return next(
        db.query(
            "SELECT * FROM subscribers WHERE email = ? OR token = ?", [email_or_token.strip(), email_or_token.strip()]
        ),
        None,
    )


def list_subscribers(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    if status:
        return list(db.query("SELECT * FROM subscribers WHERE status = ? ORDER BY id", [status]))
    return list(db.query("SELECT * FROM subscribers ORDER BY id"))


def remove_subscriber(db: sqlite_utils.Database, email: str) -> None:
    """Delete the address for good (the delivery log keeps only an anonymous row)."""
    row = find_subscriber(db, email)
    if row is None:
        raise NotFound(f"no subscriber {email!r}")
    erase_subscriber(db, row["id"], "removed by an editor")


def set_subscriber_language(db: sqlite_utils.Database, subscriber_id: int, language: str) -> None:
    get_subscriber(db, subscriber_id)
    with writing(db):
        db.table("subscribers").update(subscriber_id, {"language": language})


def unsubscribe(db: sqlite_utils.Database, token: str) -> dict | None:
    row = next(db.query("SELECT * FROM subscribers WHERE token = ?", [token]), None)
    if row:
        with writing(db):
            db.table("subscribers").update(row["id"], {"status": "unsubscribed", "unsubscribed_at": iso(utcnow())})
    return row
