"""Tag evidence: the words in an item that made each tag apply (written by `aggregator.indexing`)."""

from __future__ import annotations

import json

import sqlite_utils


def list_tag_evidence(db: sqlite_utils.Database, item_id: int) -> list[dict]:
    """Each tag of an item with the words that matched, as {"tag": ..., "words": [...]}."""
    return [{"tag": row["tag"], "words": json.loads(row["words"])}
            for row in db.query("SELECT tag, words FROM tag_evidence WHERE item_id = ? ORDER BY rowid", [item_id])]
