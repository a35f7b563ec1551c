"""What the desk may see of the subscriber list: counts, and a search by address that never lists everyone.

Kept apart from `subscribers.py` (the list itself and its changes) because its rules are about
who may see what: counts for every editor, one address at a time (exact) for editors, part
of an address (at least `MIN_PARTIAL` characters, at most `LIMIT` rows) for admins.
"""

from __future__ import annotations

import sqlite_utils

from aggregator.exceptions import InvalidInput

MIN_PARTIAL = 3
LIMIT = 50

#: 'paused' is an active subscriber who paused the newsletter: counted apart, they receive nothing.
_STATUS = "CASE WHEN status = 'active' AND paused_at IS NOT NULL THEN 'paused' ELSE status END"


def count_subscribers(db: sqlite_utils.Database) -> list[dict]:
    """Rows of (language, status, count), status being pending, active, paused or unsubscribed."""
    return list(
        db.query(
            f"SELECT language, {_STATUS} AS status, count(*) AS count FROM subscribers "
            "GROUP BY language, 2 ORDER BY language, 2"
        )
    )


def search_subscribers(db: sqlite_utils.Database, text: str, partial: bool) -> list[dict]:
    """Subscribers whose address is `text` (any case), or contains it when `partial`; at most LIMIT + 1 rows.

    The extra row lets the page say "more than LIMIT" without counting the whole list.
    """
    text = (text or "").strip()
    if partial and len(text) < MIN_PARTIAL:
        raise InvalidInput(f"type at least {MIN_PARTIAL} characters of the address")
    columns = (
        f"id, email, language, {_STATUS} AS status, created_at, confirmed_at, unsubscribed_at, "
        "consent_at, consent_source, hard_bounces"
    )
    if partial:
        sql = f"SELECT {columns} FROM subscribers WHERE instr(lower(email), lower(?)) > 0 ORDER BY email LIMIT ?"
        return list(db.query(sql, [text, LIMIT + 1]))
    return list(db.query(f"SELECT {columns} FROM subscribers WHERE email = ? COLLATE NOCASE", [text]))
