"""Partner organisations: who publishes the sources."""

from __future__ import annotations

import sqlite_utils

from aggregator.db import iso, row_id, utcnow, writing


def ensure_partner(
    db: sqlite_utils.Database, name: str, website: str | None = None, language: str | None = None, priority: int = 0
) -> int:
    """Return the id of the partner called `name`, creating it if needed."""
    row = next(db.query("SELECT id FROM partners WHERE name = ?", [name]), None)
    if row:
        return row["id"]
    with writing(db):
        return row_id(
            db.table("partners")
            .insert(
                {
                    "name": name,
                    "website": website,
                    "language": language,
                    "priority": priority,
                    "created_at": iso(utcnow()),
                }
            )
            .last_pk
        )


def partner_websites(db: sqlite_utils.Database) -> dict[int, str]:
    """Each partner's website by partner id (partners without one are left out): what an OPML export calls htmlUrl."""
    return {row["id"]: row["website"] for row in db.query("SELECT id, website FROM partners WHERE website IS NOT NULL")}
