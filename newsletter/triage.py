"""Triage: an editor selects, rejects or pins a story for the week's edition.

Selected and pinned are not a second state beside the edition: a story is selected when it
has an entry in the week's draft, and pinned when that entry is (pinned entries are kept
when the week is drafted again, and come first). A rejected story leaves the draft, is
hidden from the inbox, and is left out when the week is drafted again
(`newsletter.editions.draft_edition`). Every decision is recorded in the audit log with what
undoes it (`aggregator.curation.undo_last_change`).

This lives beside the editions rather than in `aggregator.curation` because a new entry's
section comes from the edition's rules (`newsletter.compose.section_of`).
"""

from __future__ import annotations

import json

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import InvalidInput
from aggregator.storage.desk import (
    add_edition_entry,
    get_story_fields,
    record_story_change,
    remove_edition_entry,
    set_story_fields,
)
from aggregator.storage.editions import check_editable, find_edition, move_entry, save_draft
from aggregator.storage.stories import get_story
from newsletter.compose import section_of

#: What an editor can do to a story from the inbox.
ACTIONS = ("select", "reject", "pin", "unpin")


def week_edition(db: sqlite_utils.Database, week: str) -> dict:
    """The week's edition, drafted empty when there is none yet (the editor's choices fill it)."""
    edition = find_edition(db, week)
    if edition is None:
        save_draft(db, week, [])
        edition = find_edition(db, week)
    assert edition is not None
    return edition


def _entry_state(entry: dict | None) -> dict | None:
    return None if entry is None else {k: entry[k] for k in ("section", "position", "pinned")}


def triage_story(db: sqlite_utils.Database, story_id: int, action: str, week: str, editor: str) -> bool:
    """Apply one action to one story in `week`'s edition; return False when nothing had to change.

    select: into the draft (at the end, in the section its tags give), no longer rejected;
    pin: selected and pinned; unpin: stays selected, not pinned; reject: out of the draft, hidden.
    """
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    story = get_story(db, story_id)
    rejected_at = get_story_fields(db, story_id)["rejected_at"]
    edition = find_edition(db, week)
    entry = next((e for e in edition["entries"] if e["story_id"] == story_id), None) if edition else None
    if action == "reject":
        if rejected_at and entry is None:
            return False
    elif action == "unpin":
        if entry is None or not entry["pinned"]:
            return False
    elif entry is not None and not rejected_at and (action == "select" or entry["pinned"]):
        return False
    if entry is not None or action != "reject":
        edition = week_edition(db, week)
        check_editable(db, edition["id"])
    undo = {
        "kind": "entry",
        "edition_id": edition["id"] if edition else None,
        "before": _entry_state(entry),
        "rejected_at": rejected_at,
    }
    with writing(db):
        if action == "reject":
            if entry is not None and edition is not None:
                remove_edition_entry(db, edition["id"], story_id)
            set_story_fields(db, story_id, rejected_at=iso(utcnow()))
        else:
            assert edition is not None
            if entry is None:
                tags = sorted({tag for item in story["items"] for tag in json.loads(item.get("tags") or "[]")})
                add_edition_entry(
                    db, edition["id"], story_id, section_of(tags, edition["sections_by"]), action == "pin"
                )
            elif action in ("pin", "unpin"):
                move_entry(db, edition["id"], story_id, pinned=action == "pin")
            if rejected_at:
                set_story_fields(db, story_id, rejected_at=None)
        record_story_change(
            db,
            editor,
            {"select": "story selected", "reject": "story rejected", "pin": "story pinned", "unpin": "story unpinned"}[
                action
            ],
            story_id,
            undo,
            week=week,
            edition=edition["id"] if edition else None,
        )
    return True


def triage_stories(db: sqlite_utils.Database, story_ids: list[int], action: str, week: str, editor: str) -> int:
    """Apply one action to several stories (a bulk action); each is its own change, undone on its own.

    Returns how many changed.
    """
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    return sum(triage_story(db, story_id, action, week, editor) for story_id in dict.fromkeys(story_ids))
