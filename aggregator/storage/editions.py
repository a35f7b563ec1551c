"""Editions: one per ISO week, with ordered entries in sections and per-language intros."""

from __future__ import annotations

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import ConflictError, NotFound


def get_edition(db: sqlite_utils.Database, edition_id: int) -> dict:
    row = next(db.query("SELECT * FROM editions WHERE id = ?", [edition_id]), None)
    if row is None:
        raise NotFound(f"no edition with id {edition_id} (see `wire edition list`)")
    row["entries"] = list(db.query(
        "SELECT * FROM edition_entries WHERE edition_id = ? ORDER BY position", [edition_id]))
    row["intros"] = {r["language"]: r["text"] for r in db.query(
        "SELECT * FROM edition_intros WHERE edition_id = ?", [edition_id])}
    return row


def find_edition(db: sqlite_utils.Database, week: str) -> dict | None:
    row = next(db.query("SELECT id FROM editions WHERE week = ?", [week]), None)
    return get_edition(db, row["id"]) if row else None


def list_editions(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        "SELECT editions.*, (SELECT count(*) FROM edition_entries WHERE edition_id = editions.id) AS entry_count, "
        "(SELECT count(*) FROM deliveries WHERE edition_id = editions.id AND status = 'sent') AS delivered "
        "FROM editions ORDER BY week DESC"))


def save_draft(db: sqlite_utils.Database, week: str, entries: list[dict], sections_by: str = "theme") -> int:
    """Create or replace the draft of `week`; refuses an edition that is already being sent or sent.

    `entries`: dicts with story_id, section, position, pinned.
    """
    now = iso(utcnow())
    with writing(db):
        existing = find_edition(db, week)
        if existing and existing["status"] in ("sending", "sent"):
            raise ConflictError(f"edition {existing['id']} of {week} is already {existing['status']}; it cannot be redrafted")
        if existing:
            edition_id = existing["id"]
            db.execute("DELETE FROM edition_entries WHERE edition_id = ? AND pinned = 0", [edition_id])
            db.table("editions").update(edition_id, {"updated_at": now, "sections_by": sections_by, "status": "draft"})
            kept = {row["story_id"] for row in db.query(
                "SELECT story_id FROM edition_entries WHERE edition_id = ?", [edition_id])}
        else:
            edition_id = db.table("editions").insert({"week": week, "status": "draft", "sections_by": sections_by,
                                                "created_at": now, "updated_at": now}).last_pk
            kept = set()
        db.table("edition_entries").insert_all(
            [{**entry, "edition_id": edition_id} for entry in entries if entry["story_id"] not in kept])
    return edition_id


def set_edition_status(db: sqlite_utils.Database, edition_id: int, status: str, **changes) -> None:
    get_edition(db, edition_id)
    with writing(db):
        db.table("editions").update(edition_id, {"status": status, "updated_at": iso(utcnow()), **changes})


def save_intro(db: sqlite_utils.Database, edition_id: int, language: str, text: str) -> None:
    get_edition(db, edition_id)
    with writing(db):
        db.table("edition_intros").upsert({"edition_id": edition_id, "language": language, "text": text},
                                    pk=("edition_id", "language"))


def move_entry(db: sqlite_utils.Database, edition_id: int, story_id: int, position: int | None = None,
               section: str | None = None, pinned: bool | None = None) -> None:
    """Change one entry's place, section or pin; positions of the others shift to make room."""
    edition = get_edition(db, edition_id)
    entries = edition["entries"]
    entry = next((e for e in entries if e["story_id"] == story_id), None)
    if entry is None:
        raise NotFound(f"story {story_id} is not in edition {edition_id}")
    with writing(db):
        if section is not None:
            db.table("edition_entries").update(entry["id"], {"section": section})
        if pinned is not None:
            db.table("edition_entries").update(entry["id"], {"pinned": int(pinned)})
        if position is not None:
            ordered = [e for e in entries if e["id"] != entry["id"]]
            ordered.insert(max(0, min(position - 1, len(ordered))), entry)
            for index, row in enumerate(ordered, start=1):
                db.table("edition_entries").update(row["id"], {"position": index})
