"""The queries that run per item or per story use an index, checked with EXPLAIN QUERY PLAN."""

import pytest

from aggregator.db import open_db


@pytest.mark.parametrize(
    "sql, index",
    [
        ("SELECT * FROM items WHERE source_id = ? AND entry_key = ?", "items_source_entry"),
        ("SELECT entry_key, id, feed_hash FROM items WHERE source_id = ?", "items_source"),
        ("SELECT * FROM items WHERE source_id = ? AND url = ?", "items_source_url"),
        ("SELECT * FROM people_mentions WHERE item_id = ?", "people_mentions_item"),
        ("DELETE FROM people_mentions WHERE item_id = ?", "people_mentions_item"),
        ("SELECT * FROM item_revisions WHERE item_id = ? ORDER BY id", "item_revisions_item"),
        ("SELECT * FROM edition_entries WHERE story_id = ?", "edition_entries_story"),
        ("SELECT id FROM items WHERE story_id IS NULL OR reprocess = 1", "items_reprocess"),
    ],
)
def test_query_uses_its_index(tmp_path, sql, index):
    db = open_db(tmp_path / "wire.db")
    plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", [1] * sql.count("?")).fetchall())
    assert index in plan, plan
    assert "SCAN items" not in plan and "SCAN people_mentions" not in plan, plan
