"""Editors' decisions about stories: split an item out, merge two stories, move an item. The domain side.

A decision is stored as pins (`aggregator.storage.pins`: items with one pin always share a
story, and no other) and then applied to the stored stories by `clustering.apply_pins`, so
that every later clustering run, rebuilds included, keeps it.
"""

from __future__ import annotations

import sqlite_utils

from aggregator.clustering import apply_pins
from aggregator.db import writing
from aggregator.exceptions import InvalidInput
from aggregator.storage.audit import record_action
from aggregator.storage.items import get_item
from aggregator.storage.pins import new_pin, pin_items, story_item_ids, story_of_pin, story_pin
from aggregator.storage.stories import get_story


def split_item(db: sqlite_utils.Database, item_id: int, editor: str) -> int:
    """Take an item out of its story into one of its own; return the new story id."""
    item = get_item(db, item_id)
    if item["story_id"] is None:
        raise InvalidInput(f"item {item_id} is in no story yet")
    with writing(db):
        story_pin(db, item["story_id"], editor)  # the rest stay together
        pin_items(db, [item_id], new_pin(), editor)
        apply_pins(db)
        record_action(db, editor, "story split", "item", item_id, from_story=item["story_id"])
    return get_item(db, item_id)["story_id"]


def merge_stories(db: sqlite_utils.Database, story_id: int, other_id: int, editor: str) -> int:
    """Make two stories one; return the surviving story id."""
    if story_id == other_id:
        raise InvalidInput("a story cannot be merged with itself")
    get_story(db, story_id), get_story(db, other_id)
    with writing(db):
        pin = story_pin(db, story_id, editor)
        pin_items(db, story_item_ids(db, other_id), pin, editor)
        apply_pins(db)
        record_action(db, editor, "stories merged", "story", story_id, merged=other_id)
    return story_of_pin(db, pin)


def move_item(db: sqlite_utils.Database, item_id: int, story_id: int, editor: str) -> None:
    """Move an item into another story."""
    item = get_item(db, item_id)
    get_story(db, story_id)
    with writing(db):
        if item["story_id"] and item["story_id"] != story_id:
            story_pin(db, item["story_id"], editor)
        pin_items(db, [item_id], story_pin(db, story_id, editor), editor)
        apply_pins(db)
        record_action(db, editor, "item moved", "item", item_id, from_story=item["story_id"], to_story=story_id)
