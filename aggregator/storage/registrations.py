"""Partner registrations and what partners change about themselves: the only SQL of the partner portal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlite_utils

from aggregator.db import iso, row_id, writing
from aggregator.exceptions import NotFound

REGISTRATION_STATUSES = ("previewed", "unconfirmed", "pending", "approved", "rejected")


def insert_registration(db: sqlite_utils.Database, values: dict) -> int:
    """Store a new registration (status 'previewed'); return its id. `values` are the table's columns."""
    values = dict(values)
    if isinstance(values.get("report"), dict):
        values["report"] = json.dumps(values["report"], ensure_ascii=False)
    with writing(db):
        return row_id(db.table("partner_registrations").insert(values).last_pk)


def get_registration(db: sqlite_utils.Database, registration_id: int) -> dict:
    """One registration with its site check decoded; NotFound names the id."""
    row = next(db.query("SELECT * FROM partner_registrations WHERE id = ?", [registration_id]), None)
    if row is None:
        raise NotFound(f"no partner registration with id {registration_id} (see `wire partners list`)")
    row["report"] = json.loads(row["report"]) if row["report"] else None
    return row


def list_registrations(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    """Registrations, oldest first; only those in `status` when given."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows = list(db.query(f"SELECT * FROM partner_registrations {where} ORDER BY id", params))
    for row in rows:
        row["report"] = json.loads(row["report"]) if row["report"] else None
    return rows


def count_registrations(db: sqlite_utils.Database, status: str) -> int:
    """How many registrations are in `status` (the desk's nav shows the pending ones; the index makes it cheap)."""
    return int(db.execute("SELECT count(*) FROM partner_registrations WHERE status = ?", [status]).fetchone()[0])


def update_registration(db: sqlite_utils.Database, registration_id: int, **changes) -> None:
    get_registration(db, registration_id)
    with writing(db):
        db.table("partner_registrations").update(registration_id, changes)


def registrations_with_canonical_url(db: sqlite_utils.Database, canonical: str) -> list[dict]:
    """Registrations still open (not rejected) for this canonical feed or site URL."""
    return list(
        db.query(
            "SELECT id, status, organisation, created_at FROM partner_registrations "
            "WHERE canonical_url = ? AND status != 'rejected' ORDER BY id",
            [canonical],
        )
    )


def source_urls(db: sqlite_utils.Database) -> list[tuple[int, str]]:
    """(id, url) of every source: the caller compares canonical spellings."""
    return [(row[0], row[1]) for row in db.execute("SELECT id, url FROM sources").fetchall()]


def get_partner(db: sqlite_utils.Database, partner_id: int) -> dict:
    row = next(db.query("SELECT * FROM partners WHERE id = ?", [partner_id]), None)
    if row is None:
        raise NotFound(f"no partner with id {partner_id}")
    return row


def find_partner_by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    """The partner whose contact address is `email` (compared without case)."""
    return next(
        db.query("SELECT * FROM partners WHERE lower(contact_email) = lower(?) ORDER BY id LIMIT 1", [email]), None
    )


def update_partner(db: sqlite_utils.Database, partner_id: int, **changes) -> None:
    get_partner(db, partner_id)
    with writing(db):
        db.table("partners").update(partner_id, changes)


def bump_link_version(db: sqlite_utils.Database, partner_id: int) -> int:
    """Raise the partner's link version (every older link stops working); return the new one."""
    with writing(db):
        db.execute("UPDATE partners SET link_version = link_version + 1 WHERE id = ?", [partner_id])
        row = db.execute("SELECT link_version FROM partners WHERE id = ?", [partner_id]).fetchone()
    if row is None:
        raise NotFound(f"no partner with id {partner_id}")
    return int(row[0])


def partner_sources(db: sqlite_utils.Database, partner_id: int, now: datetime) -> list[dict]:
    """The partner's sources with their health figures: items this month (since the 1st) and in all."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return list(
        db.query(
            """
        SELECT sources.*,
          (SELECT count(*) FROM items WHERE items.source_id = sources.id
             AND coalesce(items.published_at, items.fetched_at) >= ?) AS items_this_month,
          (SELECT count(*) FROM items WHERE items.source_id = sources.id) AS items_total
        FROM sources WHERE partner_id = ? ORDER BY id
        """,
            [iso(month_start), partner_id],
        )
    )


def latest_partner_items(db: sqlite_utils.Database, partner_id: int, limit: int = 10) -> list[dict]:
    """The partner's newest items, for their page: title, link, date, language."""
    return list(
        db.query(
            """
        SELECT items.id, items.source_id, items.title, items.url, items.published_at, items.language
        FROM items JOIN sources ON sources.id = items.source_id
        WHERE sources.partner_id = ?
        ORDER BY coalesce(items.published_at, items.fetched_at) DESC, items.id DESC LIMIT ?
        """,
            [partner_id, limit],
        )
    )


def set_source_url(db: sqlite_utils.Database, source_id: int, url: str, kind: str, feed_format: str | None) -> None:
    """Point a source at a new URL: validators and errors of the old one are forgotten, and it is due now."""
    with writing(db):
        db.execute(
            "UPDATE sources SET url = ?, kind = ?, feed_format = ?, etag = NULL, last_modified = NULL, "
            "last_error = NULL, last_error_hint = NULL, consecutive_failures = 0, failing_since = NULL, "
            "next_fetch_at = ? WHERE id = ?",
            [url, kind, feed_format, iso(_now_floor()), source_id],
        )


def withdraw_source(db: sqlite_utils.Database, source_id: int, now: datetime) -> None:
    """Pause a source at its partner's wish and note when; its items stay."""
    with writing(db):
        db.execute("UPDATE sources SET status = 'paused', withdrawn_at = ? WHERE id = ?", [iso(now), source_id])


def _now_floor() -> datetime:
    from aggregator.db import utcnow

    return utcnow() - timedelta(seconds=1)


__all__ = [
    "REGISTRATION_STATUSES",
    "bump_link_version",
    "count_registrations",
    "find_partner_by_email",
    "get_partner",
    "get_registration",
    "insert_registration",
    "latest_partner_items",
    "list_registrations",
    "partner_sources",
    "registrations_with_canonical_url",
    "set_source_url",
    "source_urls",
    "update_partner",
    "update_registration",
    "withdraw_source",
]
