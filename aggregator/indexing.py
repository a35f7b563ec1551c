"""After each crawl: tag new items from the taxonomy and index the people they name. The I/O edge."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from aggregator.db import writing
from aggregator.people import find_people
from aggregator.tagging import tag_text


@dataclass
class IndexReport:
    items: int = 0
    tags: int = 0
    mentions: int = 0


def index_items(db: sqlite_utils.Database, item_ids: list[int] | None = None, taxonomy=None) -> IndexReport:
    """Tag and index `item_ids`, or every item (after an editor changed the taxonomy)."""
    report = IndexReport()
    if item_ids is None:
        rows = list(db.query("SELECT id, title, text, language FROM items"))
    else:
        rows = [row for i in item_ids for row in db.query("SELECT id, title, text, language FROM items WHERE id = ?", [i])]
    with writing(db):
        for row in rows:
            report.items += 1
            tags = tag_text(row["title"], row["text"] or "", taxonomy, row["language"])
            db.execute("DELETE FROM tag_evidence WHERE item_id = ?", [row["id"]])
            db.execute("DELETE FROM people_mentions WHERE item_id = ?", [row["id"]])  # none left from an old text
            # plain SQL on this hot path: sqlite-utils' insert, update and upsert read the table's
            # schema on every call, which cost more than tagging itself
            db.conn.executemany("INSERT INTO tag_evidence (item_id, tag, words) VALUES (?, ?, ?)",
                                [(row["id"], tag, json.dumps(words, ensure_ascii=False)) for tag, words in tags.items()])
            db.execute("UPDATE items SET tags = ? WHERE id = ?", [json.dumps(sorted(tags)), row["id"]])
            report.tags += len(tags)
            for name, key, role in find_people(f"{row['title']}\n{row['text'] or ''}"):
                person = db.execute("SELECT id FROM people WHERE key = ?", [key]).fetchone()
                person_id = person[0] if person else db.execute("INSERT INTO people (name, key) VALUES (?, ?)",
                                                                [name, key]).lastrowid
                db.execute("INSERT INTO people_mentions (person_id, item_id, role) VALUES (?, ?, ?) "
                           "ON CONFLICT (person_id, item_id) DO UPDATE SET role = excluded.role",
                           [person_id, row["id"], role])
                report.mentions += 1
    return report
