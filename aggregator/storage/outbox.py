"""The outbox: requests from the subscriber forms that the web app's sender thread carries out off the request.

A form adds a row and answers at once, whatever the address; the sender takes due rows in
order, does the work (a pending sign-up, an e-mail) and deletes each row when done. A failed
attempt puts the row off with a backoff; a row whose attempts are spent is deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from aggregator.db import iso, row_id, writing

KINDS = ("sign-up", "personal-link")


def queue_request(
    db: sqlite_utils.Database, kind: str, email: str, now: datetime, language: str = "", source: str = ""
) -> int:
    """Add a request; return its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox request {kind!r}")
    with writing(db):
        return row_id(
            db.execute(
                "INSERT INTO outbox (kind, email, language, source, requested_at) VALUES (?, ?, ?, ?, ?)",
                [kind, email, language, source, iso(now)],
            ).lastrowid
        )


def due_requests(db: sqlite_utils.Database, now: datetime, limit: int = 50) -> list[dict]:
    """Rows to carry out now, oldest first."""
    return list(
        db.query(
            "SELECT * FROM outbox WHERE next_attempt_at IS NULL OR next_attempt_at <= ? ORDER BY id LIMIT ?",
            [iso(now), limit],
        )
    )


def done_request(db: sqlite_utils.Database, request_id: int) -> None:
    with writing(db):
        db.execute("DELETE FROM outbox WHERE id = ?", [request_id])


def put_off_request(db: sqlite_utils.Database, request_id: int, now: datetime, backoff: timedelta) -> None:
    """Count a failed attempt and try again after `backoff`."""
    with writing(db):
        db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
            [iso(now + backoff), request_id],
        )


def count_requests(db: sqlite_utils.Database) -> int:
    return next(db.query("SELECT count(*) AS n FROM outbox"))["n"]


def next_request_at(db: sqlite_utils.Database) -> str | None:
    """When the earliest put-off row is due (None when nothing waits)."""
    return next(db.query("SELECT min(coalesce(next_attempt_at, requested_at)) AS at FROM outbox"))["at"]
