"""Editors' decisions on stories, kept as pins that every later clustering run obeys.

A pin is a label on items: items with the same pin always share one story, and an item
with a pin never joins a story of another pin. Splitting, merging and moving are all
expressed this way, so a rebuild from scratch reproduces every decision.
"""

from __future__ import annotations

import uuid

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import InvalidInput
from aggregator.storage.audit import record_action
from aggregator.storage.items import get_item
from aggregator.storage.stories import get_story


def pins_by_item(db: sqlite_utils.Database) -> dict[int, str]:
    return {row["item_id"]: row["pin"] for row in db.query("SELECT item_id, pin FROM story_pins")}


def _pin(db, item_ids, pin, editor):
    now = iso(utcnow())
    db.table("story_pins").upsert_all([{"item_id": i, "pin": pin, "editor": editor, "decided_at": now} for i in item_ids],
                                pk="item_id")


def _story_pin(db, story_id: int, editor: str) -> str:
    """The pin of a story's items, pinning them all to a new one when they have none (or several)."""
    items = [row["id"] for row in db.query("SELECT id FROM items WHERE story_id = ?", [story_id])]
    pins = {row["pin"] for row in db.query(
        f"SELECT pin FROM story_pins WHERE item_id IN ({','.join('?' * len(items))})", items)} if items else set()
    pin = next(iter(pins)) if len(pins) == 1 else uuid.uuid4().hex[:12]
    _pin(db, items, pin, editor)
    return pin


def split_item(db: sqlite_utils.Database, item_id: int, editor: str) -> int:
    """Take an item out of its story into one of its own; return the new story id."""
    from aggregator.clustering import apply_pins

    item = get_item(db, item_id)
    if item["story_id"] is None:
        raise InvalidInput(f"item {item_id} is in no story yet")
    with writing(db):
        _story_pin(db, item["story_id"], editor)  # the rest stay together
        _pin(db, [item_id], uuid.uuid4().hex[:12], editor)
        apply_pins(db)
        record_action(db, editor, "story split", "item", item_id, from_story=item["story_id"])
    return get_item(db, item_id)["story_id"]


def merge_stories(db: sqlite_utils.Database, story_id: int, other_id: int, editor: str) -> int:
    """Make two stories one; return the surviving story id."""
    from aggregator.clustering import apply_pins

    if story_id == other_id:
        raise InvalidInput("a story cannot be merged with itself")
    get_story(db, story_id), get_story(db, other_id)
    with writing(db):
        pin = _story_pin(db, story_id, editor)
        _pin(db, [row["id"] for row in db.query("SELECT id FROM items WHERE story_id = ?", [other_id])], pin, editor)
        apply_pins(db)
        record_action(db, editor, "stories merged", "story", story_id, merged=other_id)
    return db.execute("SELECT story_id FROM items WHERE id = (SELECT min(item_id) FROM story_pins WHERE pin = ?)",
                      [pin]).fetchone()[0]


def move_item(db: sqlite_utils.Database, item_id: int, story_id: int, editor: str) -> None:
    """Move an item into another story."""
    from aggregator.clustering import apply_pins

    item = get_item(db, item_id)
    get_story(db, story_id)
    with writing(db):
        if item["story_id"] and item["story_id"] != story_id:
            _story_pin(db, item["story_id"], editor)
        _pin(db, [item_id], _story_pin(db, story_id, editor), editor)
        apply_pins(db)
        record_action(db, editor, "item moved", "item", item_id, from_story=item["story_id"], to_story=story_id)
