"""Items: one article of one source, updated in place when seen again, with revisions kept."""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import NotFound

#: Columns a crawler provides for an item (see `crawlers.items.FeedItem`).
ITEM_FIELDS = ("source_id", "guid", "url", "canonical_url", "title", "author", "summary", "content_html",
               "text", "language", "language_source", "image_url", "published_at", "published_note",
               "content_hash")


def find_item(db: sqlite_utils.Database, source_id: int, canonical_url: str, guid: str | None) -> dict | None:
    """The stored item this one is a new sighting of: same canonical URL, or same GUID in the source."""
    row = next(db.query("SELECT * FROM items WHERE canonical_url = ?", [canonical_url]), None)
    if row is None and guid:
        row = next(db.query("SELECT * FROM items WHERE source_id = ? AND guid = ?", [source_id, guid]), None)
    return row


def save_item(db: sqlite_utils.Database, item: dict) -> tuple[str, int]:
    """Insert a new item or update the stored one; return ('new'|'updated'|'unchanged', id).

    A changed title or text keeps the previous version in `item_revisions`, so an edit a
    partner makes after publishing is visible rather than silently overwritten.
    """
    record = {key: item.get(key) for key in ITEM_FIELDS}
    now = iso(utcnow())
    with writing(db):
        existing = find_item(db, record["source_id"], record["canonical_url"], record["guid"])
        if existing is None:
            record.update(fetched_at=now, updated_at=now, tags=json.dumps(item.get("tags") or []))
            columns = ", ".join(record)
            cursor = db.execute(f"INSERT INTO items ({columns}) VALUES ({', '.join('?' * len(record))})",
                                list(record.values()))
            return "new", cursor.lastrowid
        if existing["content_hash"] == record["content_hash"] and existing["title"] == record["title"]:
            return "unchanged", existing["id"]
        db["item_revisions"].insert({"item_id": existing["id"], "title": existing["title"],
                                     "text": existing["text"], "replaced_at": now})
        # Keep the first-seen publication time and a declared language unless the new sighting has one.
        changes = {key: value for key, value in record.items()
                   if value is not None and key not in ("source_id",)}
        if existing["published_at"] and "published_at" in changes:
            changes.pop("published_at")
        # the canonical URL may now collide with another item; keep the stored one then
        if changes.get("canonical_url") != existing["canonical_url"] and find_item(
                db, record["source_id"], changes.get("canonical_url", ""), None):
            changes.pop("canonical_url", None)
        changes["updated_at"] = now
        db["items"].update(existing["id"], changes)
        return "updated", existing["id"]


def get_item(db: sqlite_utils.Database, item_id: int) -> dict:
    row = next(db.query(
        "SELECT items.*, sources.name AS source_name FROM items JOIN sources ON sources.id = items.source_id "
        "WHERE items.id = ?", [item_id]), None)
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return row


def list_items(db: sqlite_utils.Database, since: datetime | None = None, until: datetime | None = None,
               source_id: int | None = None, search: str | None = None, limit: int | None = None) -> list[dict]:
    """Items newest first, with their source's name; `search` uses the full-text index."""
    clauses, params = [], []
    if since:
        clauses.append("coalesce(items.published_at, items.fetched_at) >= ?")
        params.append(iso(since))
    if until:
        clauses.append("coalesce(items.published_at, items.fetched_at) < ?")
        params.append(iso(until))
    if source_id:
        clauses.append("items.source_id = ?")
        params.append(source_id)
    if search:
        from aggregator.search import fts_query  # people's words, never raw FTS5 syntax

        query = fts_query(search)
        if query is None:  # nothing searchable typed: nothing found, rather than everything
            clauses.append("0")
        else:
            clauses.append("items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(query)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = (f"SELECT items.*, sources.name AS source_name, partners.name AS partner_name "
           f"FROM items JOIN sources ON sources.id = items.source_id "
           f"LEFT JOIN partners ON partners.id = sources.partner_id {where} "
           f"ORDER BY coalesce(items.published_at, items.fetched_at) DESC, items.id DESC")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return list(db.query(sql, params))


def list_revisions(db: sqlite_utils.Database, item_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM item_revisions WHERE item_id = ? ORDER BY id", [item_id]))


def count_items(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM items").fetchone()[0]


def list_unclustered_items(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT * FROM items WHERE story_id IS NULL ORDER BY id"))
