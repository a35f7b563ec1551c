"""Editors' decisions on stories, kept as pins that every later clustering run obeys.

A pin is a label on items: items with the same pin always share one story, and an item
with a pin never joins a story of another pin. Splitting, merging and moving are all
expressed this way, so a rebuild from scratch reproduces every decision.
"""

from __future__ import annotations

import uuid

import sqlite_utils

from aggregator.db import iso, utcnow


def pins_by_item(db: sqlite_utils.Database) -> dict[int, str]:
    return {row["item_id"]: row["pin"] for row in db.query("SELECT item_id, pin FROM story_pins")}


def pin_items(db: sqlite_utils.Database, item_ids: list[int], pin: str, editor: str) -> None:
    """Record that `item_ids` share the pin `pin` (one story, no other), decided by `editor`."""
    now = iso(utcnow())
    db.table("story_pins").upsert_all(
        [{"item_id": i, "pin": pin, "editor": editor, "decided_at": now} for i in item_ids], pk="item_id"
    )


def story_pin(db: sqlite_utils.Database, story_id: int, editor: str) -> str:
    """The pin of a story's items, pinning them all to a new one when they have none (or several)."""
    items = story_item_ids(db, story_id)
    pins = (
        {
            row["pin"]
            for row in db.query(f"SELECT pin FROM story_pins WHERE item_id IN ({','.join('?' * len(items))})", items)
        }
        if items
        else set()
    )
    pin = next(iter(pins)) if len(pins) == 1 else new_pin()
    pin_items(db, items, pin, editor)
    return pin


def new_pin() -> str:
    return uuid.uuid4().hex[:12]


def story_item_ids(db: sqlite_utils.Database, story_id: int) -> list[int]:
    return [row["id"] for row in db.query("SELECT id FROM items WHERE story_id = ?", [story_id])]


def story_of_pin(db: sqlite_utils.Database, pin: str) -> int:
    """The story that the items of `pin` are in now."""
    return db.execute(
        "SELECT story_id FROM items WHERE id = (SELECT min(item_id) FROM story_pins WHERE pin = ?)", [pin]
    ).fetchone()[0]


def list_pin_stories(db: sqlite_utils.Database) -> dict[str, int]:
    """pin -> the story its first placed (settled) item is in."""
    found: dict[str, int] = {}
    for pin, story_id in db.execute(
        "SELECT p.pin, i.story_id FROM story_pins p JOIN items i ON i.id = p.item_id "
        "WHERE i.story_id IS NOT NULL AND i.reprocess = 0 ORDER BY p.item_id"  # from the pins: never a scan of items
    ):
        found.setdefault(pin, story_id)
    return found
