"""Editions: one per ISO week, with ordered entries in sections and per-language intros."""

from __future__ import annotations

import json

import sqlite_utils

from aggregator.db import iso, utcnow, writing
from aggregator.exceptions import ConflictError, NotFound


def get_edition(db: sqlite_utils.Database, edition_id: int) -> dict:
    row = next(db.query("SELECT * FROM editions WHERE id = ?", [edition_id]), None)
    if row is None:
        raise NotFound(f"no edition with id {edition_id} (see `wire edition list`)")
    row["entries"] = list(
        db.query("SELECT * FROM edition_entries WHERE edition_id = ? ORDER BY position", [edition_id])
    )
    row["intros"] = {
        r["language"]: r["text"] for r in db.query("SELECT * FROM edition_intros WHERE edition_id = ?", [edition_id])
    }
    return row


def find_edition(db: sqlite_utils.Database, week: str) -> dict | None:
    row = next(db.query("SELECT id FROM editions WHERE week = ?", [week]), None)
    return get_edition(db, row["id"]) if row else None


def list_editions(db: sqlite_utils.Database) -> list[dict]:
    return list(
        db.query(
            "SELECT editions.*, (SELECT count(*) FROM edition_entries WHERE edition_id = editions.id) AS entry_count, "
            "(SELECT count(*) FROM deliveries WHERE edition_id = editions.id AND status = 'sent') AS delivered "
            "FROM editions ORDER BY week DESC"
        )
    )


def save_draft(db: sqlite_utils.Database, week: str, entries: list[dict], sections_by: str = "theme") -> int:
    """Create or replace the draft of `week`; refuses an edition that is already being sent or sent.

    `entries`: dicts with story_id, section, position, pinned.
    """
    now = iso(utcnow())
    with writing(db):
        existing = find_edition(db, week)
        if existing and existing["status"] in ("sending", "sent"):
            raise ConflictError(
                f"edition {existing['id']} of {week} is already {existing['status']}; it cannot be redrafted"
            )
        if existing:
            edition_id = existing["id"]
            db.execute("DELETE FROM edition_entries WHERE edition_id = ? AND pinned = 0", [edition_id])
            db.table("editions").update(edition_id, {"updated_at": now, "sections_by": sections_by, "status": "draft"})
            kept = {
                row["story_id"]
                for row in db.query("SELECT story_id FROM edition_entries WHERE edition_id = ?", [edition_id])
            }
        else:
            edition_id = (
                db.table("editions")
                .insert(
                    {"week": week, "status": "draft", "sections_by": sections_by, "created_at": now, "updated_at": now}
                )
                .last_pk
            )
            kept = set()
        db.table("edition_entries").insert_all(
            [{**entry, "edition_id": edition_id} for entry in entries if entry["story_id"] not in kept]
        )
    return edition_id


def set_edition_status(db: sqlite_utils.Database, edition_id: int, status: str, **changes) -> None:
    get_edition(db, edition_id)
    with writing(db):
        db.table("editions").update(edition_id, {"status": status, "updated_at": iso(utcnow()), **changes})


def save_intro(db: sqlite_utils.Database, edition_id: int, language: str, text: str) -> None:
    check_editable(db, edition_id)
    with writing(db):
        db.table("edition_intros").upsert(
            {"edition_id": edition_id, "language": language, "text": text}, pk=("edition_id", "language")
        )


def move_entry(
    db: sqlite_utils.Database,
    edition_id: int,
    story_id: int,
    position: int | None = None,
    section: str | None = None,
    pinned: bool | None = None,
) -> None:
    """Change one entry's place, section or pin; positions of the others shift to make room."""
    edition = check_editable(db, edition_id)
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


def reorder_entries(db: sqlite_utils.Database, edition_id: int, story_ids: list[int]) -> None:
    """Give the edition's entries the positions 1..n in the order of `story_ids`, which names each entry once.

    One transaction: a reader of the edition never sees two entries at one place. The order is
    decided by `newsletter.ordering` (sections kept whole); this only stores it.
    """
    edition = check_editable(db, edition_id)
    ids = {entry["story_id"]: entry["id"] for entry in edition["entries"]}
    if sorted(story_ids) != sorted(ids):
        raise ConflictError(f"edition {edition_id} changed meanwhile: reload it and order it again")
    with writing(db):
        for position, story_id in enumerate(story_ids, start=1):
            db.execute("UPDATE edition_entries SET position = ? WHERE id = ?", [position, ids[story_id]])


#: An edition in these states went out (or is going out): its stored copy is the record.
FROZEN_STATES = ("sending", "sent")


def check_editable(db: sqlite_utils.Database, edition_id: int) -> dict:
    """The edition, if it may still change; a ConflictError naming its state once it is being sent or sent."""
    edition = get_edition(db, edition_id)
    if edition["status"] in FROZEN_STATES or has_copies(db, edition_id):
        state = edition["status"] if edition["status"] in FROZEN_STATES else "partly sent"
        raise ConflictError(
            f"edition {edition_id} ({edition['week']}) is {state}: "
            "what readers received is kept as it was and cannot be changed"
        )
    return edition


def frozen_editions_of_story(db: sqlite_utils.Database, story_id: int) -> list[dict]:
    """Editions that refer to the story and were (or are being) sent."""
    return list(
        db.query(
            "SELECT editions.id, editions.week, editions.status FROM editions JOIN edition_entries "
            "ON edition_entries.edition_id = editions.id WHERE edition_entries.story_id = ? "
            "AND (editions.status IN ('sending', 'sent') OR EXISTS "
            "(SELECT 1 FROM edition_copies WHERE edition_copies.edition_id = editions.id)) ORDER BY editions.week",
            [story_id],
        )
    )


def open_editions_of_story(db: sqlite_utils.Database, story_id: int) -> list[dict]:
    """Editions that refer to the story and may still change (drafts, approved ones not yet frozen)."""
    return list(
        db.query(
            "SELECT editions.id, editions.week, editions.status FROM editions JOIN edition_entries "
            "ON edition_entries.edition_id = editions.id WHERE edition_entries.story_id = ? "
            "AND editions.status IN ('draft', 'approved') AND NOT EXISTS "
            "(SELECT 1 FROM edition_copies WHERE edition_copies.edition_id = editions.id) ORDER BY editions.week",
            [story_id],
        )
    )


def has_copies(db: sqlite_utils.Database, edition_id: int) -> bool:
    return db.execute("SELECT 1 FROM edition_copies WHERE edition_id = ? LIMIT 1", [edition_id]).fetchone() is not None


def save_copies(
    db: sqlite_utils.Database, edition_id: int, copies: list[dict], entries: list[dict], intros: dict[str, str]
) -> None:
    """Freeze the edition: per language exactly what is sent (subject, preheader, html, text), and its entries.

    Written once, before the first message goes out; a resumed sending reuses it.
    """
    now = iso(utcnow())
    with writing(db):
        if has_copies(db, edition_id):
            raise ConflictError(f"edition {edition_id} is already frozen")
        db.table("edition_copies").insert_all(
            [
                {
                    "edition_id": edition_id,
                    "language": c["language"],
                    "subject": c["subject"],
                    "preheader": c["preheader"],
                    "html": c["html"],
                    "text": c["text"],
                    "frozen_at": now,
                }
                for c in copies
            ]
        )
        db.table("edition_records").insert(
            {
                "edition_id": edition_id,
                "entries": json.dumps(entries, ensure_ascii=False),
                "intros": json.dumps(intros, ensure_ascii=False),
                "frozen_at": now,
            }
        )


def get_copies(db: sqlite_utils.Database, edition_id: int) -> dict[str, dict]:
    """language -> the stored copy; empty when the edition was never frozen."""
    return {row["language"]: row for row in db.query("SELECT * FROM edition_copies WHERE edition_id = ?", [edition_id])}


def find_copy(db: sqlite_utils.Database, week: str, language: str) -> dict | None:
    """The stored copy of `week`'s edition in `language`, whatever the edition's state."""
    return next(
        db.query(
            "SELECT edition_copies.*, editions.status, editions.week FROM edition_copies JOIN editions "
            "ON editions.id = edition_copies.edition_id WHERE editions.week = ? AND edition_copies.language = ?",
            [week, language],
        ),
        None,
    )


def get_record(db: sqlite_utils.Database, edition_id: int) -> dict | None:
    row = next(db.query("SELECT * FROM edition_records WHERE edition_id = ?", [edition_id]), None)
    if row is not None:
        row["entries"], row["intros"] = json.loads(row["entries"]), json.loads(row["intros"])
    return row


def list_sent_copies(db: sqlite_utils.Database, language: str, limit: int = 20) -> list[dict]:
    """The stored copies in `language` of sent editions, newest first."""
    return list(
        db.query(
            "SELECT edition_copies.*, editions.week, editions.sent_at FROM edition_copies JOIN editions "
            "ON editions.id = edition_copies.edition_id WHERE editions.status = 'sent' AND edition_copies.language = ? "
            "ORDER BY editions.week DESC LIMIT ?",
            [language, limit],
        )
    )


def sent_copies_version(db: sqlite_utils.Database, language: str) -> tuple:
    """Changes whenever the set of sent copies in `language` changes: a cache key for feeds."""
    return tuple(
        db.execute(
            "SELECT count(*), max(editions.sent_at), max(edition_copies.frozen_at) FROM edition_copies JOIN editions "
            "ON editions.id = edition_copies.edition_id WHERE editions.status = 'sent' AND edition_copies.language = ?",
            [language],
        ).fetchone()
    )


def edition_exists_for(db: sqlite_utils.Database, week: str) -> bool:
    return db.execute("SELECT 1 FROM editions WHERE week = ?", [week]).fetchone() is not None
