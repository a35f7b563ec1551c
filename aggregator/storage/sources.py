"""Sources: one feed or one site of a partner, with its polling state and health."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlite_utils

from aggregator.db import iso, row_id, utcnow, writing
from aggregator.exceptions import ConflictError, NotFound

SOURCE_KINDS = ("feed", "site")


def add_source(
    db: sqlite_utils.Database,
    url: str,
    name: str,
    kind: str,
    partner_id: int | None = None,
    language: str | None = None,
    recipe: dict | None = None,
    feed_format: str | None = None,
) -> int:
    """Register a source; it is due at once. Refuses a URL that is already registered."""
    existing = next(db.query("SELECT id FROM sources WHERE url = ?", [url]), None)
    if existing:
        raise ConflictError(f"source {existing['id']} already has the URL {url}")
    now = iso(utcnow())
    with writing(db):
        return row_id(
            db.table("sources")
            .insert(
                {
                    "partner_id": partner_id,
                    "name": name,
                    "url": url,
                    "kind": kind,
                    "language": language,
                    "feed_format": feed_format,
                    "recipe": json.dumps(recipe) if recipe else None,
                    "status": "active",
                    "next_fetch_at": now,
                    "created_at": now,
                }
            )
            .last_pk
        )


def get_source(db: sqlite_utils.Database, source_id: int) -> dict:
    row = next(
        db.query(
            "SELECT sources.*, partners.name AS partner_name, partners.priority AS partner_priority "
            "FROM sources LEFT JOIN partners ON partners.id = sources.partner_id WHERE sources.id = ?",
            [source_id],
        ),
        None,
    )
    if row is None:
        raise NotFound(f"no source with id {source_id} (see `wire sources list`)")
    return row


def list_sources(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    """Every source with its health figures: items in the last 7 and 30 days."""
    now = utcnow()
    where, params = ("WHERE sources.status = ?", [status]) if status else ("", [])
    return list(
        db.query(
            f"""
        SELECT sources.*, partners.name AS partner_name,
          (SELECT count(*) FROM items WHERE items.source_id = sources.id
             AND coalesce(items.published_at, items.fetched_at) >= ?) AS items_7d,
          (SELECT count(*) FROM items WHERE items.source_id = sources.id
             AND coalesce(items.published_at, items.fetched_at) >= ?) AS items_30d,
          (SELECT count(*) FROM items WHERE items.source_id = sources.id) AS items_total
        FROM sources LEFT JOIN partners ON partners.id = sources.partner_id
        {where} ORDER BY sources.id
        """,
            [iso(now - timedelta(days=7)), iso(now - timedelta(days=30)), *params],
        )
    )


def list_due_sources(
    db: sqlite_utils.Database, now: datetime | None = None, kind: str | None = None, source_ids: list[int] | None = None
) -> list[dict]:
    """Sources to fetch now: active and due, or exactly those named by `source_ids` (due or not)."""
    if source_ids:
        rows = [get_source(db, source_id) for source_id in source_ids]
        return [row for row in rows if kind is None or row["kind"] == kind]
    now = now or utcnow()
    sql = "SELECT * FROM sources WHERE status = 'active' AND (next_fetch_at IS NULL OR next_fetch_at <= ?)"
    params: list = [iso(now)]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return list(db.query(sql + " ORDER BY next_fetch_at, id", params))


def set_source_status(db: sqlite_utils.Database, source_id: int, status: str) -> None:
    get_source(db, source_id)
    with writing(db):
        changes: dict[str, str | None] = {"status": status}
        if status == "active":
            changes["next_fetch_at"] = iso(utcnow())
        db.table("sources").update(source_id, changes)


def remove_source(db: sqlite_utils.Database, source_id: int) -> int:
    """Delete a source and its items; return how many items went with it."""
    get_source(db, source_id)
    count = db.execute("SELECT count(*) FROM items WHERE source_id = ?", [source_id]).fetchone()[0]
    with writing(db):
        db.execute("DELETE FROM sources WHERE id = ?", [source_id])
    return count


def update_source(db: sqlite_utils.Database, source_id: int, **changes) -> None:
    """Store the outcome of a fetch (validators, timings, health) computed by the caller.

    Plain SQL: sqlite-utils' `update` reads the table's schema on every call, which is most
    of the cost of a re-crawl of unchanged feeds (one call per source).
    """
    if not changes:
        return
    unknown = set(changes) - _columns(db)
    if unknown:
        raise ValueError(f"not columns of sources: {', '.join(sorted(unknown))}")
    assignments = ", ".join(f"{column} = ?" for column in changes)
    with writing(db):
        db.execute(f"UPDATE sources SET {assignments} WHERE id = ?", [*changes.values(), source_id])


def _columns(db: sqlite_utils.Database) -> frozenset[str]:
    """The columns of `sources`, read once per connection: names are checked before they reach SQL text."""
    cached = getattr(db, "_source_columns", None)
    if cached is None:
        cached = frozenset(row[1] for row in db.execute("PRAGMA table_info(sources)").fetchall())
        db._source_columns = cached  # type: ignore[attr-defined]
    return cached


def source_id_with_url(db: sqlite_utils.Database, url: str) -> int | None:
    row = db.execute("SELECT id FROM sources WHERE url = ?", [url]).fetchone()
    return row[0] if row else None


def list_source_errors(db: sqlite_utils.Database) -> list[dict]:
    """Sources whose last fetch left an error or a warning, for a crawl's summary."""
    return list(db.query("SELECT id, name, last_error FROM sources WHERE last_error IS NOT NULL ORDER BY id"))


def count_sources(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM sources").fetchone()[0]
