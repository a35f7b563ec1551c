"""Subscribers and the delivery log. The list is sensitive: only e-mail, language and status are kept."""

from __future__ import annotations

import secrets

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import ConflictError, InvalidInput, NotFound


def normalise_email(email: str) -> str:
    """Trim and lower-case the domain; refuse what cannot be an address (one clear message)."""
    email = (email or "").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in email) or "<" in email:
        raise InvalidInput(f"not an e-mail address: {email!r}")
    return f"{local}@{domain.lower()}"


def add_subscriber(db: sqlite_utils.Database, email: str, language: str, status: str = "active") -> int:
    email = normalise_email(email)
    if next(db.query("SELECT id FROM subscribers WHERE email = ?", [email]), None):
        raise ConflictError(f"{email} is already subscribed")
    now = iso(utcnow())
    with writing(db):
        return db.table("subscribers").insert({
            "email": email, "language": language, "status": status, "token": secrets.token_urlsafe(24),
            "created_at": now, "confirmed_at": now if status == "active" else None,
        }).last_pk


def get_subscriber(db: sqlite_utils.Database, subscriber_id: int) -> dict:
    row = next(db.query("SELECT * FROM subscribers WHERE id = ?", [subscriber_id]), None)
    if row is None:
        raise NotFound(f"no subscriber with id {subscriber_id}")
    return row


def find_subscriber(db: sqlite_utils.Database, email_or_token: str) -> dict | None:
    return next(db.query("SELECT * FROM subscribers WHERE email = ? OR token = ?",
                         [email_or_token.strip(), email_or_token.strip()]), None)


def list_subscribers(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    if status:
        return list(db.query("SELECT * FROM subscribers WHERE status = ? ORDER BY id", [status]))
    return list(db.query("SELECT * FROM subscribers ORDER BY id"))


def remove_subscriber(db: sqlite_utils.Database, email: str) -> None:
    """Delete the address for good (the delivery log keeps only an anonymous row)."""
    row = find_subscriber(db, email)
    if row is None:
        raise NotFound(f"no subscriber {email!r}")
    with writing(db):
        db.execute("DELETE FROM subscribers WHERE id = ?", [row["id"]])


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


def list_recipients(db: sqlite_utils.Database, edition_id: int) -> list[dict]:
    """Active subscribers who have not yet received this edition."""
    return list(db.query(
        "SELECT * FROM subscribers WHERE status = 'active' AND id NOT IN "
        "(SELECT subscriber_id FROM deliveries WHERE edition_id = ? AND status = 'sent' AND subscriber_id IS NOT NULL) "
        "ORDER BY id", [edition_id]))


def record_delivery(db: sqlite_utils.Database, edition_id: int, subscriber_id: int, language: str,
                    message_id: str, status: str, error: str | None = None) -> None:
    with writing(db):
        db.table("deliveries").upsert({
            "edition_id": edition_id, "subscriber_id": subscriber_id, "language": language,
            "message_id": message_id, "status": status, "error": error, "attempted_at": iso(utcnow()),
        }, pk=("edition_id", "subscriber_id"))
