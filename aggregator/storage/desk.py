"""The editors' desk: the inbox's queries, a story's editor fields, and audit entries that can be undone.

The inbox runs on every page load of every editor, against a database of a hundred thousand
items: each query reads one page of stories through an index, and the items, tags and
edition entries of that page in one query each (never one per story).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from aggregator.db import iso, row_id, utcnow, writing
from aggregator.exceptions import NotFound

#: What a story's triage status can be, as the inbox filters it.
STATUSES = ("new", "selected", "pinned", "rejected", "all")

#: A search looks at this many of the newest matching items (their stories, filtered, are the results).
SEARCH_WINDOW = 2000

_MOMENT = "coalesce(s.last_published_at, s.created_at)"


@dataclass
class InboxQuery:
    """Filters of the inbox; a week's bounds unless `search` is set (search looks across all weeks)."""

    since: datetime | None = None
    until: datetime | None = None
    edition_id: int | None = None  # the week's edition: selected and pinned are its entries
    language: str | None = None
    partner_id: int | None = None
    tags: tuple[str, ...] = ()  # country and theme tag ids; every one must apply
    status: str | None = None  # None: everything but rejected
    search: str | None = None  # an FTS5 query made safe by `aggregator.search.fts_query`
    limit: int = 50
    offset: int = 0


def list_inbox_stories(db: sqlite_utils.Database, query: InboxQuery) -> list[dict]:
    """One page of stories (up to `limit` + 1, so the caller knows whether there is a next page), newest first."""
    return list(db.query(*inbox_sql(query)))


def inbox_sql(query: InboxQuery) -> tuple[str, list[Any]]:
    """The inbox's one query over stories, and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.search is not None:
        # the newest SEARCH_WINDOW matching items, in the index's own order (FTS5 stops there): a common
        # word matches most of 100,000 items, and sorting all their stories cost 150 ms
        clauses.append(
            "s.id IN (SELECT story_id FROM items WHERE id IN "
            "(SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT ?))"
        )
        params.extend([query.search, SEARCH_WINDOW])
    else:
        if query.since is not None:
            clauses.append(f"{_MOMENT} >= ?")
            params.append(iso(query.since))
        if query.until is not None:
            clauses.append("coalesce(s.first_published_at, s.created_at) < ?")
            params.append(iso(query.until))
    if query.language:
        clauses.append("EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id AND i.language = ?)")
        params.append(query.language)
    if query.partner_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM items i JOIN sources so ON so.id = i.source_id "
            "WHERE i.story_id = s.id AND so.partner_id = ?)"
        )
        params.append(query.partner_id)
    for tag in query.tags:
        clauses.append(
            # CROSS JOIN keeps the order: the story's few items first, then each one's tag by its key
            # (the other way round reads every item that ever had the tag, once per story)
            "EXISTS (SELECT 1 FROM items i CROSS JOIN tag_evidence t ON t.item_id = i.id "
            "WHERE i.story_id = s.id AND t.tag = ?)"
        )
        params.append(tag)
    status = query.status
    in_edition = "s.id IN (SELECT story_id FROM edition_entries WHERE edition_id = ?{})"
    if status in (None, "new"):
        clauses.append("s.rejected_at IS NULL")
    if status == "rejected":
        clauses.append("s.rejected_at IS NOT NULL")
    elif status == "new":
        clauses.append("NOT " + in_edition.format(""))
        params.append(query.edition_id or 0)
    elif status in ("selected", "pinned"):
        clauses.append(in_edition.format(" AND pinned = 1" if status == "pinned" else ""))
        params.append(query.edition_id or 0)
    clauses.append("s.item_count > 0")
    sql = (
        "SELECT s.* FROM stories s WHERE "
        + " AND ".join(clauses)
        + f" ORDER BY {_MOMENT} DESC, s.id DESC LIMIT ? OFFSET ?"
    )
    return sql, [*params, int(query.limit) + 1, int(query.offset)]


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


def list_items_of_stories(db: sqlite_utils.Database, story_ids: list[int]) -> list[dict]:
    """Every item of these stories with its source and partner, oldest first."""
    if not story_ids:
        return []
    return list(
        db.query(
            "SELECT items.id, items.story_id, items.source_id, items.url, items.title, items.summary, items.language, "
            "items.published_at, items.fetched_at, items.tags, sources.name AS source_name, "
            "sources.partner_id, partners.name AS partner_name "
            "FROM items JOIN sources ON sources.id = items.source_id "
            "LEFT JOIN partners ON partners.id = sources.partner_id "
            f"WHERE items.story_id IN ({_marks(story_ids)}) ORDER BY items.published_at, items.id",
            story_ids,
        )
    )


def list_evidence_of_items(db: sqlite_utils.Database, item_ids: list[int]) -> list[dict]:
    """(item_id, tag, words) for these items: why each tag applies.

    The same words recur across a story's reports, so each distinct JSON text is parsed once (a page
    of the inbox reads ~700 rows); rows with equal text share one list, which callers only read.
    """
    if not item_ids:
        return []
    parsed: dict[str, list[str]] = {}
    found = []
    for item_id, tag, words in db.execute(
        f"SELECT item_id, tag, words FROM tag_evidence WHERE item_id IN ({_marks(item_ids)}) ORDER BY rowid",
        item_ids,
    ):
        if words not in parsed:
            parsed[words] = json.loads(words)
        found.append({"item_id": item_id, "tag": tag, "words": parsed[words]})
    return found


def list_entries_of_stories(db: sqlite_utils.Database, edition_id: int, story_ids: list[int]) -> dict[int, dict]:
    """story id -> its entry in the edition, for the stories that have one."""
    if not story_ids:
        return {}
    return {
        row["story_id"]: row
        for row in db.query(
            f"SELECT * FROM edition_entries WHERE edition_id = ? AND story_id IN ({_marks(story_ids)})",
            [edition_id, *story_ids],
        )
    }


def list_translation_languages(db: sqlite_utils.Database, story_ids: list[int]) -> dict[int, list[str]]:
    """story id -> the languages it has a translated headline in."""
    found: dict[int, list[str]] = {}
    if story_ids:
        for row in db.query(
            f"SELECT story_id, language FROM translations WHERE story_id IN ({_marks(story_ids)}) ORDER BY language",
            story_ids,
        ):
            found.setdefault(row["story_id"], []).append(row["language"])
    return found


def list_partners(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT id, name FROM partners ORDER BY name"))


# -- a story's editor fields ---------------------------------------------------------------------


def get_story_fields(db: sqlite_utils.Database, story_id: int) -> dict:
    """The editor's fields of a story: headline, summary, rejected_at."""
    row = next(db.query("SELECT headline, summary, rejected_at FROM stories WHERE id = ?", [story_id]), None)
    if row is None:
        raise NotFound(f"no story with id {story_id}")
    return row


def set_story_fields(db: sqlite_utils.Database, story_id: int, **fields: Any) -> None:
    """Set some of headline, summary, rejected_at (None clears)."""
    allowed = {"headline", "summary", "rejected_at"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"only {sorted(allowed)} can be set, not {sorted(set(fields) - allowed)}")
    with writing(db):
        db.execute(
            f"UPDATE stories SET {', '.join(f'{key} = ?' for key in fields)} WHERE id = ?",
            [*fields.values(), story_id],
        )


def get_translation(db: sqlite_utils.Database, story_id: int, language: str) -> dict | None:
    return next(
        db.query(
            "SELECT headline, summary, editor_id FROM translations WHERE story_id = ? AND language = ?",
            [story_id, language],
        ),
        None,
    )


def delete_translation(db: sqlite_utils.Database, story_id: int, language: str) -> None:
    with writing(db):
        db.execute("DELETE FROM translations WHERE story_id = ? AND language = ?", [story_id, language])


def add_edition_entry(db: sqlite_utils.Database, edition_id: int, story_id: int, section: str, pinned: bool) -> int:
    """Put the story at the end of the edition; return its position."""
    with writing(db):
        position = db.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM edition_entries WHERE edition_id = ?", [edition_id]
        ).fetchone()[0]
        db.execute(
            "INSERT INTO edition_entries (edition_id, story_id, section, position, pinned) VALUES (?, ?, ?, ?, ?)",
            [edition_id, story_id, section, position, int(pinned)],
        )
    return position


def remove_edition_entry(db: sqlite_utils.Database, edition_id: int, story_id: int) -> None:
    """Take the story out of the edition; the entries after it move up."""
    with writing(db):
        row = db.execute(
            "SELECT position FROM edition_entries WHERE edition_id = ? AND story_id = ?", [edition_id, story_id]
        ).fetchone()
        if row is None:
            return
        db.execute("DELETE FROM edition_entries WHERE edition_id = ? AND story_id = ?", [edition_id, story_id])
        db.execute(
            "UPDATE edition_entries SET position = position - 1 WHERE edition_id = ? AND position > ?",
            [edition_id, row[0]],
        )


def list_rejected_story_ids(db: sqlite_utils.Database, story_ids: list[int]) -> set[int]:
    if not story_ids:
        return set()
    return {
        row[0]
        for row in db.execute(
            f"SELECT id FROM stories WHERE rejected_at IS NOT NULL AND id IN ({_marks(story_ids)})", story_ids
        )
    }


# -- tags and pins of a story's items ----------------------------------------------------------


def list_item_tags(db: sqlite_utils.Database, story_id: int) -> dict[int, dict]:
    """item id -> {"tags": [...], "evidence": {tag: words}} for every item of the story."""
    found: dict[int, dict] = {
        row["id"]: {"tags": json.loads(row["tags"] or "[]"), "evidence": {}}
        for row in db.query("SELECT id, tags FROM items WHERE story_id = ?", [story_id])
    }
    if found:
        for row in db.query(
            f"SELECT item_id, tag, words FROM tag_evidence WHERE item_id IN ({_marks(list(found))})", list(found)
        ):
            found[row["item_id"]]["evidence"][row["tag"]] = json.loads(row["words"])
    return found


def replace_item_tags(db: sqlite_utils.Database, tags: dict[int, dict]) -> None:
    """Store each item's tags and evidence exactly as given (the shape `list_item_tags` returns)."""
    with writing(db):
        for item_id, value in tags.items():
            db.execute("DELETE FROM tag_evidence WHERE item_id = ?", [item_id])
            db.conn.executemany(
                "INSERT INTO tag_evidence (item_id, tag, words) VALUES (?, ?, ?)",
                [(item_id, tag, json.dumps(words, ensure_ascii=False)) for tag, words in value["evidence"].items()],
            )
            db.execute("UPDATE items SET tags = ? WHERE id = ?", [json.dumps(sorted(value["tags"])), item_id])


def list_item_pins(db: sqlite_utils.Database, item_ids: list[int]) -> dict[int, str | None]:
    """item id -> its pin (None when it has none)."""
    pins: dict[int, str | None] = dict.fromkeys(item_ids)
    if item_ids:
        for row in db.query(f"SELECT item_id, pin FROM story_pins WHERE item_id IN ({_marks(item_ids)})", item_ids):
            pins[row["item_id"]] = row["pin"]
    return pins


def restore_item_pins(db: sqlite_utils.Database, pins: dict[int, str | None], editor: str) -> None:
    """Give each item exactly the pin it had (deleting the pins of items that had none)."""
    now = iso(utcnow())
    with writing(db):
        for item_id, pin in pins.items():
            if pin is None:
                db.execute("DELETE FROM story_pins WHERE item_id = ?", [item_id])
            else:
                db.execute(
                    "INSERT INTO story_pins (item_id, pin, editor, decided_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (item_id) DO UPDATE SET pin = excluded.pin",
                    [item_id, pin, editor, now],
                )


def list_item_story_ids_of_stories(db: sqlite_utils.Database, story_ids: list[int]) -> dict[int, int]:
    """item id -> story id for every item of these stories."""
    if not story_ids:
        return {}
    return {
        row[0]: row[1]
        for row in db.execute(f"SELECT id, story_id FROM items WHERE story_id IN ({_marks(story_ids)})", story_ids)
    }


# -- the audit log, as the desk reads and undoes it ---------------------------------------------


def record_story_change(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    story_id: int,
    undo: dict | None,
    entity: str = "story",
    entity_id: int | None = None,
    **detail: Any,
) -> int:
    """Record a change to a story: who, when, what, and `undo` (what reverts it; None: it cannot be undone)."""
    with writing(db):
        return row_id(
            db.execute(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, story_id, undo) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    iso(utcnow()),
                    actor,
                    action,
                    entity,
                    story_id if entity_id is None else entity_id,
                    json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
                    story_id,
                    json.dumps(undo, ensure_ascii=False) if undo is not None else None,
                ],
            ).lastrowid
        )


def last_undoable_change(db: sqlite_utils.Database, story_id: int) -> dict | None:
    """The latest change to the story that has an undo and was not undone yet (undos are not undone)."""
    row = next(
        db.query(
            "SELECT * FROM audit_log WHERE story_id = ? AND undo IS NOT NULL AND undone_by IS NULL "
            "ORDER BY id DESC LIMIT 1",
            [story_id],
        ),
        None,
    )
    if row is not None:
        row["undo"] = json.loads(row["undo"])
    return row


def mark_undone(db: sqlite_utils.Database, entry_id: int, undo_entry_id: int) -> None:
    with writing(db):
        db.execute("UPDATE audit_log SET undone_by = ? WHERE id = ?", [undo_entry_id, entry_id])


def list_audit(
    db: sqlite_utils.Database,
    story_id: int | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Audit entries newest first, optionally of one story or one editor (up to `limit` + 1)."""
    clauses: list[str] = []
    params: list[Any] = []
    if story_id is not None:
        clauses.append("story_id = ?")
        params.append(story_id)
    if actor:
        clauses.append("actor = ?")
        params.append(actor)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = list(
        db.query(
            f"SELECT id, at, actor, action, entity, entity_id, detail, story_id, undo IS NOT NULL AS undoable, "
            f"undone_by FROM audit_log {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, int(limit) + 1, int(offset)],
        )
    )
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    return rows


def list_last_undoable(db: sqlite_utils.Database, story_ids: list[int]) -> dict[int, int]:
    """story id -> the id of its latest change that can still be undone (what `undo_last_change` would revert)."""
    if not story_ids:
        return {}
    return {
        row[0]: row[1]
        for row in db.execute(
            f"SELECT story_id, max(id) FROM audit_log WHERE story_id IN ({_marks(story_ids)}) "
            "AND undo IS NOT NULL AND undone_by IS NULL GROUP BY story_id",
            story_ids,
        )
    }


def list_actors(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]
