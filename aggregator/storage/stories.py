"""Stories: the items that tell one piece of news, with a representative item as their face."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlite_utils

from aggregator.db import iso, row_id, utcnow, writing
from aggregator.exceptions import NotFound


def create_story(db: sqlite_utils.Database, item: dict) -> int:
    """Open a story whose first item is `item`."""
    with writing(db):
        story_id = row_id(
            db.table("stories")
            .insert(
                {
                    "title": item["title"],
                    "language": item.get("language"),
                    "representative_item_id": item["id"],
                    "item_count": 0,
                    "created_at": iso(utcnow()),
                }
            )
            .last_pk
        )
        attach_item(db, item["id"], story_id)
    return story_id


def attach_item(db: sqlite_utils.Database, item_id: int, story_id: int) -> None:
    with writing(db):
        old = db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()
        db.table("items").update(item_id, {"story_id": story_id})
        refresh_story(db, story_id)
        if old and old[0] and old[0] != story_id:
            refresh_story(db, old[0], successor=story_id)


def refresh_story(db: sqlite_utils.Database, story_id: int, successor: int | None = None) -> None:
    """Recompute a story's counts, dates and face from its items; drop it when it has none.

    An emptied story's edition entries and translations move to `successor` (the story its
    last item went to, as in a merge); a story an edition still refers to is kept, empty,
    because editions are a record and no story is deleted from under them.

    The face is an item with a full text (over 400 characters), then the partner with the
    higher priority, then a language more subscribers read, then the fullest text.
    """
    with writing(db):
        rows = list(db.query(f"{_STORY_ITEMS} WHERE items.story_id = ?", [story_id]))
        if not rows:
            if successor is not None:
                move_story_references(db, story_id, successor)
            if db.execute("SELECT 1 FROM edition_entries WHERE story_id = ? LIMIT 1", [story_id]).fetchone():
                db.table("stories").update(story_id, {"item_count": 0})
                return
            db.execute("DELETE FROM translations WHERE story_id = ?", [story_id])
            db.execute("DELETE FROM stories WHERE id = ?", [story_id])
            return
        db.execute(_UPDATE_STORY, _story_values(story_id, rows, _readers(db)))


_STORY_ITEMS = (
    "SELECT items.story_id, items.id, items.title, items.language, items.published_at, "
    "length(coalesce(items.text, '')) AS size, "
    "coalesce(partners.priority, 0) AS priority FROM items JOIN sources ON sources.id = items.source_id "
    "LEFT JOIN partners ON partners.id = sources.partner_id"
)
# plain SQL: sqlite-utils' update reads the table's schema on every call (clustering refreshes many stories)
_UPDATE_STORY = (
    "UPDATE stories SET title = ?, language = ?, representative_item_id = ?, item_count = ?, "
    "first_published_at = ?, last_published_at = ? WHERE id = ?"
)


def _readers(db: sqlite_utils.Database) -> dict[str, int]:
    """language -> active subscribers reading it (the face prefers a language more people read)."""
    return dict(
        db.execute("SELECT language, count(*) FROM subscribers WHERE status = 'active' GROUP BY language").fetchall()
    )


def _story_values(story_id: int, rows: list[dict], readers: dict[str, int]) -> list:
    """The UPDATE's values for a story with these item rows (see `refresh_story` for the face)."""
    face = max(rows, key=lambda r: (r["size"] > 400, r["priority"], readers.get(r["language"], 0), r["size"], -r["id"]))
    dates = sorted(r["published_at"] for r in rows if r["published_at"])
    return [
        face["title"],
        face["language"],
        face["id"],
        len(rows),
        dates[0] if dates else None,
        dates[-1] if dates else None,
        story_id,
    ]


def refresh_stories(db: sqlite_utils.Database, story_ids: list[int]) -> None:
    """`refresh_story` for many stories, with one query per 500 stories instead of three per story.

    Stories left without items go through `refresh_story` (they are deleted or kept for editions).
    """
    with writing(db):
        readers = _readers(db)
        for start in range(0, len(story_ids), 500):
            part = story_ids[start : start + 500]
            rows: dict[int, list[dict]] = {story_id: [] for story_id in part}
            for row in db.query(f"{_STORY_ITEMS} WHERE items.story_id IN ({','.join('?' * len(part))})", part):
                rows[row["story_id"]].append(row)
            db.conn.executemany(
                _UPDATE_STORY, [_story_values(story_id, found, readers) for story_id, found in rows.items() if found]
            )
            for story_id, found in rows.items():
                if not found:
                    refresh_story(db, story_id)


def move_story_references(db: sqlite_utils.Database, story_id: int, successor: int) -> None:
    """Point edition entries and translations of `story_id` at `successor` (a merge).

    An edition that already holds the successor keeps its own entry for it; the old entry
    stays only in editions that went out (their stored copy is the record, and the story is
    kept for them), and goes from drafts. A translation the successor lacks moves over.
    """
    with writing(db):
        db.execute(
            "UPDATE edition_entries SET story_id = ? WHERE story_id = ? AND edition_id NOT IN "
            "(SELECT edition_id FROM edition_entries WHERE story_id = ?)",
            [successor, story_id, successor],
        )
        db.execute(
            "DELETE FROM edition_entries WHERE story_id = ? AND edition_id IN "
            "(SELECT id FROM editions WHERE status NOT IN ('sending', 'sent') AND id NOT IN "
            "(SELECT edition_id FROM edition_copies))",
            [story_id],
        )
        db.execute(
            "UPDATE translations SET story_id = ? WHERE story_id = ? AND language NOT IN "
            "(SELECT language FROM translations WHERE story_id = ?)",
            [successor, story_id, successor],
        )


def get_story(db: sqlite_utils.Database, story_id: int) -> dict:
    row = next(db.query("SELECT * FROM stories WHERE id = ?", [story_id]), None)
    if row is None:
        raise NotFound(f"no story with id {story_id}")
    row["items"] = list_story_items(db, story_id)
    row["translations"] = {
        t["language"]: t for t in db.query("SELECT * FROM translations WHERE story_id = ?", [story_id])
    }
    return row


#: What an edition shows of a story's items (`newsletter.compose.build_edition`), read by `get_stories`.
EDITION_ITEM_COLUMNS = ("id", "story_id", "source_id", "url", "title", "summary", "language", "published_at", "tags")


def get_stories(db: sqlite_utils.Database, story_ids: Iterable[int]) -> dict[int, dict]:
    """Several stories as `get_story` gives them, with only what an edition shows of their items, in 3 queries.

    An edition is loaded whole for every preview in the desk and every freeze: with 80 stories the
    per-story queries were most of a preview's time. Then reading all columns of the ~560 reports,
    full texts and page HTML included, which no edition shows, was half of what was left: each
    item has `EDITION_ITEM_COLUMNS`, `source_name` and `partner_name`.
    """
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    columns = ", ".join(f"items.{name}" for name in EDITION_ITEM_COLUMNS)
    stories = {
        row["id"]: {**row, "items": [], "translations": {}}
        for row in db.query(f"SELECT * FROM stories WHERE id IN ({marks})", ids)
    }
    missing = sorted(set(ids) - set(stories))
    if missing:
        raise NotFound(f"no story with id {missing[0]}")
    for item in db.query(
        f"SELECT {columns}, sources.name AS source_name, partners.name AS partner_name "
        "FROM items JOIN sources ON sources.id = items.source_id "
        "LEFT JOIN partners ON partners.id = sources.partner_id "
        f"WHERE items.story_id IN ({marks}) ORDER BY items.story_id, items.published_at, items.id",
        ids,
    ):
        stories[item["story_id"]]["items"].append(item)
    for translation in db.query(f"SELECT * FROM translations WHERE story_id IN ({marks})", ids):
        stories[translation["story_id"]]["translations"][translation["language"]] = translation
    return stories


def list_story_items(db: sqlite_utils.Database, story_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT items.*, sources.name AS source_name, partners.name AS partner_name "
            "FROM items JOIN sources ON sources.id = items.source_id "
            "LEFT JOIN partners ON partners.id = sources.partner_id "
            "WHERE items.story_id = ? ORDER BY items.published_at, items.id",
            [story_id],
        )
    )


def list_stories(db: sqlite_utils.Database, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    """Stories with an item published in [since, until), newest first."""
    clauses, params = [], []
    if since:
        clauses.append("coalesce(last_published_at, created_at) >= ?")
        params.append(iso(since))
    if until:
        clauses.append("coalesce(first_published_at, created_at) < ?")
        params.append(iso(until))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return list(db.query(f"SELECT * FROM stories {where} ORDER BY last_published_at DESC, id DESC", params))


def save_translation(
    db: sqlite_utils.Database,
    story_id: int,
    language: str,
    headline: str,
    summary: str | None = None,
    editor_id: int | None = None,
) -> None:
    get_story(db, story_id)
    with writing(db):
        db.table("translations").upsert(
            {
                "story_id": story_id,
                "language": language,
                "headline": headline,
                "summary": summary,
                "editor_id": editor_id,
                "updated_at": iso(utcnow()),
            },
            pk=("story_id", "language"),
        )


def count_stories(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM stories").fetchone()[0]


def insert_story(db: sqlite_utils.Database, item: dict, created_at: str) -> int:
    """A new story row faced by `item` (its items are placed with `storage.items.place_items`).

    One statement, atomic on its own: inside the caller's transaction (a chunk of placements,
    where four items in ten start a story) it runs without a savepoint of its own."""
    values = [item["title"], item.get("language"), item["id"], created_at]
    sql = "INSERT INTO stories (title, language, representative_item_id, item_count, created_at) VALUES (?, ?, ?, 0, ?)"
    if db.conn.in_transaction:
        return row_id(db.conn.execute(sql, values).lastrowid)
    with writing(db):
        return row_id(db.conn.execute(sql, values).lastrowid)


def story_exists(db: sqlite_utils.Database, story_id: int) -> bool:
    return db.execute("SELECT 1 FROM stories WHERE id = ?", [story_id]).fetchone() is not None


def has_other_settled_items(db: sqlite_utils.Database, story_id: int, item_id: int) -> bool:
    """Whether the story holds a placed item (not waiting to be placed again) other than `item_id`."""
    return (
        db.execute(
            "SELECT 1 FROM items WHERE story_id = ? AND id != ? AND reprocess = 0 LIMIT 1", [story_id, item_id]
        ).fetchone()
        is not None
    )


def list_empty_story_ids(db: sqlite_utils.Database) -> list[int]:
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM stories WHERE id NOT IN (SELECT story_id FROM items WHERE story_id IS NOT NULL)"
        )
    ]
