"""Every query clustering sends while placing a crawl's items is served by an index (EXPLAIN QUERY PLAN).

The queries are caught as SQLite runs them (a trace callback) during a real `cluster_new_items`
over stored items, a second crawl and a rebuild, so the test follows the SQL as it is written in
aggregator/storage, not a copy of it: a chunk's lookups must cost the same whatever the size of
the database (issue 9: the batch cost at 100,000 stored items within 1.5x of that at 10,000).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aggregator.clustering import cluster_new_items, rebuild_stories
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash

#: Tables that grow with every item: a full scan of one would make a chunk cost follow the database.
GROWING = ("items", "item_bands", "item_names", "item_signatures")
#: The short names aggregator/storage gives those tables in joins.
ALIASES = {"i": "items", "b": "item_bands", "n": "item_names", "s": "item_signatures"}


def _store(db, source: int, day: int, count: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day)
    for n in range(count):
        title = f"Hunger strike day {100 + n} of Nasrin Alavi and Baran Yildiz"
        text = f"{title}. " + " ".join(f"word{(n * 7 + k) % 97}" for k in range(60))
        save_item(
            db,
            {
                "source_id": source,
                "guid": f"{day}-{n}",
                "url": f"http://127.0.0.1/{day}/{n}",
                "title": title,
                "text": text,
                "language": "en" if n % 3 else "de",
                "content_hash": content_hash(title, text),
                "published_at": (start + timedelta(hours=n)).isoformat(),
            },
        )


def test_clustering_queries_use_indexes(db):
    source = add_source(db, "http://127.0.0.1/feed", "queries", "feed")
    _store(db, source, 0, 30)
    cluster_new_items(db)
    _store(db, source, 1, 30)
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        report = cluster_new_items(db)
        rebuild_stories(db)
    finally:
        db.conn.set_trace_callback(None)
    assert report.items == 30 and report.folded > 0  # the second crawl met the first one's items
    selects = {sql for sql in seen if sql.lstrip().upper().startswith("SELECT")}
    assert len(selects) > 10
    for sql in selects:
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        scanned = [ALIASES.get(name, name) for name in re.findall(r"SCAN (\w+)", plan)]
        assert not set(scanned) & set(GROWING), f"{sql}\n{plan}"


def test_items_waiting_to_be_placed_are_listed_in_index_order_without_a_sort(db):
    from aggregator.storage.signatures import list_pending_items

    source = add_source(db, "http://127.0.0.1/feed", "queries", "feed")
    _store(db, source, 0, 30)
    cluster_new_items(db)
    _store(db, source, 1, 30)
    marked = [3, 8, 9, 20]  # placed items marked to be placed again (a revision, a rebuild)
    db.conn.executemany("UPDATE items SET reprocess = 1 WHERE id = ?", [(i,) for i in marked])
    waiting = [row[0] for row in db.execute("SELECT id FROM items WHERE story_id IS NULL OR reprocess = 1 ORDER BY id")]
    assert len(waiting) == 34
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        listed, after = [], 0
        while page := list_pending_items(db, after, 7):
            assert len(page) <= 7
            listed += [row["id"] for row in page]
            after = page[-1]["id"]
    finally:
        db.conn.set_trace_callback(None)
    assert listed == waiting
    assert {row["id"] for row in list_pending_items(db, 0, 100) if row["new"]} == set(waiting) - set(marked)
    for sql in {sql for sql in seen if sql.lstrip().upper().startswith("SELECT")}:
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        # each page reads its own rows through an index, not every waiting item sorted again
        assert "TEMP B-TREE" not in plan, f"{sql}\n{plan}"
