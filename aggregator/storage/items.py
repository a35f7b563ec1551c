"""Items: one article of one source, updated in place when seen again, with revisions kept."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import sqlite_utils

from aggregator.db import iso, query_rows, row_id, utcnow, writing
from aggregator.exceptions import NotFound
from aggregator.updates import plan_update
from aggregator.urls import canonical_url, entry_key

#: Columns a crawler provides for an item (see `crawlers.normalise.normalise_item`).
ITEM_FIELDS = (
    "source_id",
    "guid",
    "entry_key",
    "url",
    "canonical_url",
    "title",
    "author",
    "summary",
    "content_html",
    "text",
    "language",
    "language_source",
    "image_url",
    "published_at",
    "published_note",
    "content_hash",
    "feed_hash",
    "text_origin",
)


def find_item(db: sqlite_utils.Database, source_id: int, guid: str | None, url: str) -> dict | None:
    """The stored item of this source that an entry is a new sighting of, or None.

    Only the source's own items are looked at: the same URL listed by two partners is two
    items (one story), and no feed can reach another partner's item. The entry's GUID is
    tried first, then its link, then the raw link (an item stored when the feed's GUIDs
    were still trusted). The link never finds an item with another GUID: entries that share
    a link but not a GUID are distinct (sponsor posts, a daily page's paragraphs), and
    feedparser reads them as such.
    """
    if guid:
        row = _first(db, "SELECT * FROM items WHERE source_id = ? AND entry_key = ?", [source_id, entry_key(guid, url)])
        if row is not None:
            return row
    unclaimed = "" if guid is None else " AND (guid IS NULL OR guid = ?)"
    extra = [] if guid is None else [guid]
    row = _first(
        db,
        f"SELECT * FROM items WHERE source_id = ? AND entry_key = ?{unclaimed}",
        [source_id, entry_key(None, url), *extra],
    )
    if row is not None:
        return row
    return _first(
        db,
        f"SELECT * FROM items WHERE source_id = ? AND url = ?{unclaimed} ORDER BY id LIMIT 1",
        [source_id, url, *extra],
    )


def _first(db: sqlite_utils.Database, sql: str, params: list) -> dict | None:
    rows = query_rows(db, sql, params)
    return rows[0] if rows else None


def feed_hashes(db: sqlite_utils.Database, source_id: int) -> dict[str, tuple[int, str | None]]:
    """entry_key -> (item id, feed hash) for every item of a source: one query per feed, not per entry.

    The raw links are keys too (`raw:<url>`): an entry that none of them knows can be stored
    without `find_item`'s three look-ups (`save_item(..., fresh=True)`).
    """
    known: dict[str, tuple[int, str | None]] = {}
    for key, url, item_id, digest in db.execute(
        "SELECT entry_key, url, id, feed_hash FROM items WHERE source_id = ?", [source_id]
    ):
        known[key] = (item_id, digest)
        known.setdefault(f"raw:{url}", (item_id, digest))
    return known


def save_item(db: sqlite_utils.Database, item: dict, fresh: bool = False, full_text: bool = True) -> tuple[str, int]:
    """Insert a new item or apply a sighting to the stored one; return ('new'|'updated'|'unchanged', id).

    What a sighting may change is `aggregator.updates.plan_update`'s decision. A changed
    title or text keeps the previous version in `item_revisions` and marks the item to be
    clustered, tagged and indexed again (its stored signatures and mentions are dropped).
    `fresh`: the caller looked the entry up in `feed_hashes` and found nothing, so it is
    inserted without looking again; should the same entry have been stored since (a feed
    that lists it twice), the unique index says so and it is treated as a sighting.
    `full_text=False`: a new item's full-text row is left to the caller, who writes many at
    once with `index_full_text` (the crawl's `crawlers.batch.WriteBatch`).
    """
    record: dict[str, Any] = {key: item.get(key) for key in ITEM_FIELDS}
    record["entry_key"] = record["entry_key"] or entry_key(record["guid"], record["url"])
    record["canonical_url"] = record["canonical_url"] or canonical_url(record["url"])
    now = iso(utcnow())
    if not db.conn.in_transaction:
        with writing(db):
            return _save(db, record, item, now, fresh, full_text)
    # Inside the caller's transaction (a crawl's batch) a new item is one INSERT, atomic on its own
    # (its full-text trigger included): no savepoint around it, because each savepoint makes
    # SQLite's FTS5 flush a segment, which made storing an item 2.4 times as costly.
    return _save(db, record, item, now, fresh, full_text)


def _save(
    db: sqlite_utils.Database, record: dict[str, Any], item: dict, now: str, fresh: bool, full_text: bool
) -> tuple[str, int]:
    if fresh:
        try:
            return "new", _insert_item(db, record, item, now, full_text)
        except sqlite3.IntegrityError:
            pass  # stored since the caller looked (a failed statement leaves nothing): a sighting after all
    existing = find_item(db, record["source_id"], record["guid"], record["url"])
    if existing is None:
        return "new", _insert_item(db, record, item, now, full_text)
    update = plan_update(existing, record)
    if not update.changes:
        return "unchanged", existing["id"]
    with writing(db):  # a sighting writes several rows: all or none
        if update.changed:
            db.table("item_revisions").insert(
                {"item_id": existing["id"], "title": existing["title"], "text": existing["text"], "replaced_at": now}
            )
            update.changes.update(updated_at=now, reprocess=1, tagged=0)
            forget_match_data(db, existing["id"])
        db.table("items").update(existing["id"], update.changes)
    return ("updated" if update.changed else "unchanged"), existing["id"]


def _insert_item(db: sqlite_utils.Database, record: dict[str, Any], item: dict, now: str, full_text: bool) -> int:
    row = {**record, "fetched_at": now, "updated_at": now, "tags": json.dumps(item.get("tags") or []), "tagged": 0}
    cursor = db.execute(
        f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    item_id = row_id(cursor.lastrowid)
    if not full_text:
        return item_id
    # Indexed here, not by a trigger: a trigger's statement is a savepoint, at which FTS5 writes a
    # segment per item (migration m022). Should the index refuse it, the item goes too, and the
    # delete trigger leaves the index alone (it holds no row for the item): all or nothing.
    try:
        db.execute(
            "INSERT INTO items_fts (rowid, title, summary, text) VALUES (?, ?, ?, ?)",
            [item_id, row.get("title"), row.get("summary"), row.get("text")],
        )
    except sqlite3.DatabaseError:
        db.execute("DELETE FROM items WHERE id = ?", [item_id])
        raise
    return item_id


def index_full_text(db: sqlite_utils.Database, item_ids: list[int]) -> list[int]:
    """Write the full-text rows of those of `item_ids` that have none yet, in one statement;
    return the ids of items the index refused.

    One statement for many items: FTS5 writes what a transaction added as one segment at
    commit, and segments of a hundred items cost more to write and merge than the tokenising.
    An item that already has its row (a revision's trigger wrote it) is left alone. Should the
    statement fail, the items are tried one at a time, and one the index refuses stays stored
    without its row (search does not find it; nothing else is lost). Call inside a write
    transaction.
    """
    refused: list[int] = []
    insert = (
        "INSERT INTO items_fts (rowid, title, summary, text) SELECT id, title, summary, text FROM items "
        "WHERE id IN ({}) AND NOT EXISTS (SELECT 1 FROM items_fts_docsize d WHERE d.id = items.id)"
    )
    for start in range(0, len(item_ids), 500):
        part = item_ids[start : start + 500]
        try:
            db.conn.execute(insert.format(",".join("?" * len(part))), part)
        except sqlite3.DatabaseError:  # a failed statement wrote nothing: one at a time, to keep the rest
            for item_id in part:
                try:
                    db.conn.execute(insert.format("?"), [item_id])
                except sqlite3.DatabaseError:
                    refused.append(item_id)
    return refused


def forget_match_data(db: sqlite_utils.Database, item_id: int) -> None:
    """Drop what was computed from an item's old text: signature, names, mentions, tag evidence."""
    with writing(db):
        for table in ("item_signatures", "item_names", "people_mentions", "tag_evidence"):
            db.execute(f"DELETE FROM {table} WHERE item_id = ?", [item_id])


def get_item(db: sqlite_utils.Database, item_id: int) -> dict:
    row = next(
        db.query(
            "SELECT items.*, sources.name AS source_name FROM items JOIN sources ON sources.id = items.source_id "
            "WHERE items.id = ?",
            [item_id],
        ),
        None,
    )
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return row


def list_items(
    db: sqlite_utils.Database,
    since: datetime | None = None,
    until: datetime | None = None,
    source_id: int | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Items newest first, with their source's name; `search` uses the full-text index."""
    clauses: list[str] = []
    params: list[Any] = []
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
    sql = (
        f"SELECT items.*, sources.name AS source_name, partners.name AS partner_name "
        f"FROM items JOIN sources ON sources.id = items.source_id "
        f"LEFT JOIN partners ON partners.id = sources.partner_id {where} "
        f"ORDER BY coalesce(items.published_at, items.fetched_at) DESC, items.id DESC"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return list(db.query(sql, params))


def list_revisions(db: sqlite_utils.Database, item_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM item_revisions WHERE item_id = ? ORDER BY id", [item_id]))


def count_items(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM items").fetchone()[0]


def list_unclustered_items(db: sqlite_utils.Database) -> list[dict]:
    """Items to place in a story: new ones, and changed ones (which may move to another story)."""
    return list(db.query("SELECT * FROM items WHERE story_id IS NULL OR reprocess = 1 ORDER BY id"))


def list_item_story_ids(db: sqlite_utils.Database, item_ids: list[int]) -> dict[int, int | None]:
    """item id -> its story id (None when it has none)."""
    return {
        row[0]: row[1]
        for start in range(0, len(item_ids), 500)
        for row in db.execute(
            f"SELECT id, story_id FROM items WHERE id IN ({','.join('?' * len(item_ids[start : start + 500]))})",
            item_ids[start : start + 500],
        )
    }


def place_items(db: sqlite_utils.Database, placements: list[tuple[int, int]]) -> None:
    """Put each (item id, story id) in its story and mark it settled (`reprocess = 0`)."""
    with writing(db):
        db.conn.executemany(
            "UPDATE items SET story_id = ?, reprocess = 0 WHERE id = ?",
            [(story_id, item_id) for item_id, story_id in placements],
        )


def detach_items(db: sqlite_utils.Database, item_ids: list[int]) -> None:
    """Take items out of their stories (they stay marked to be placed again)."""
    with writing(db):
        db.conn.executemany("UPDATE items SET story_id = NULL WHERE id = ?", [(i,) for i in item_ids])


def mark_all_items_for_reprocess(db: sqlite_utils.Database, batch: int = 5_000) -> int:
    """Mark every item in a story to be placed again (a rebuild), `batch` ids per short transaction."""
    marked, start = 0, 0
    top = db.execute("SELECT max(id) FROM items").fetchone()[0] or 0
    while start <= top:
        with writing(db):
            marked += db.execute(
                "UPDATE items SET reprocess = 1 WHERE id >= ? AND id < ? AND story_id IS NOT NULL AND reprocess = 0",
                [start, start + batch],
            ).rowcount
        start += batch
    return marked


def list_items_for_indexing(db: sqlite_utils.Database, item_ids: list[int] | None = None) -> list[dict]:
    """id, title, text and language of `item_ids` (in that order), or of every item."""
    if item_ids is None:
        return list(db.query("SELECT id, title, text, language FROM items ORDER BY id"))
    found = {}
    for start in range(0, len(item_ids), 500):
        part = item_ids[start : start + 500]
        for row in db.query(
            f"SELECT id, title, text, language FROM items WHERE id IN ({','.join('?' * len(part))})", part
        ):
            found[row["id"]] = row
    return [found[i] for i in dict.fromkeys(item_ids) if i in found]


def mark_tagged(db: sqlite_utils.Database, item_ids: list[int]) -> None:
    """The items' tags and mentions are current (call inside the `writing(db)` that stored them)."""
    db.conn.executemany("UPDATE items SET tagged = 1 WHERE id = ?", [(item_id,) for item_id in item_ids])


def list_untagged_placed_items(db: sqlite_utils.Database) -> list[int]:
    """Items in their story but not tagged yet (a crawl's tagging stopped or killed), by id.

    Every crawl asks, and almost always none is: the small partial index of untagged items is
    named, because SQLite's planner chose the index of placed items and read every one of them
    (about 2 s more for an unchanged re-crawl of 20,000 items, benchmarks/crawl.py).
    """
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM items INDEXED BY items_untagged WHERE tagged = 0 AND story_id IS NOT NULL AND reprocess = 0"
        )
    ]
