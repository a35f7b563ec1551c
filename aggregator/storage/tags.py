"""Tag evidence: the words in an item that made each tag apply (written by `aggregator.indexing`)."""

from __future__ import annotations

import json

import sqlite_utils


def list_tag_evidence(db: sqlite_utils.Database, item_id: int) -> list[dict]:
    """Each tag of an item with the words that matched, as {"tag": ..., "words": [...]}."""
    return [
        {"tag": row["tag"], "words": json.loads(row["words"])}
        for row in db.query("SELECT tag, words FROM tag_evidence WHERE item_id = ? ORDER BY rowid", [item_id])
    ]


def replace_tag_evidence(db: sqlite_utils.Database, evidence: list[tuple[int, dict[str, list[str]]]]) -> None:
    """Store each (item id, {tag: words}) in place of the item's old evidence, and its tags column."""
    from aggregator.db import writing

    with writing(db):
        db.conn.executemany("DELETE FROM tag_evidence WHERE item_id = ?", [(item_id,) for item_id, _ in evidence])
        db.conn.executemany(
            "INSERT INTO tag_evidence (item_id, tag, words) VALUES (?, ?, ?)",
            [
                (item_id, tag, json.dumps(words, ensure_ascii=False))
                for item_id, tags in evidence
                for tag, words in tags.items()
            ],
        )
        db.conn.executemany(
            "UPDATE items SET tags = ? WHERE id = ?",
            [(json.dumps(sorted(tags)), item_id) for item_id, tags in evidence],
        )
