"""The LSH bands live in memory for a run's window: reposts fold across crawls and across the
stretches in which a long rebuild reads the window, and the window is read a stretch at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import aggregator.clustering as clustering
from aggregator.clustering import cluster_new_items, rebuild_stories
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash

READ = "JOIN item_signatures s ON s.item_id = i.id WHERE coalesce"


def _store(db, source: int, stories: range, copy: int) -> dict[int, int]:
    """One item per story (a repost with two words changed for copy > 0), story n on day 2n."""
    rng = random.Random(copy)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    truth = {}
    for story in stories:
        words = random.Random(story).choices([f"word{n}" for n in range(3_000)], k=90)
        for _ in range(2 * (copy > 0)):
            words[rng.randrange(len(words))] = "changed"
        text = " ".join(words)
        when = start + timedelta(days=2 * story, hours=copy)
        _, item_id = save_item(
            db,
            {
                "source_id": source,
                "guid": f"{story}-{copy}",
                "url": f"http://127.0.0.1/{story}/{copy}",
                "title": f"Statement {story}",
                "text": text,
                "language": "en",
                "content_hash": content_hash(f"Statement {story}", text),
                "published_at": when.isoformat(),
            },
        )
        truth[item_id] = story
    return truth


def _stories(db, truth: dict[int, int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for item_id, story_id in db.execute("SELECT id, story_id FROM items"):
        found.setdefault(truth[item_id], set()).add(story_id)
    return found


def test_reposts_fold_across_crawls_and_across_a_long_rebuilds_stretches(db, monkeypatch):
    monkeypatch.setattr(clustering, "CHUNK_ITEMS", 8)
    source = add_source(db, "http://127.0.0.1/feed", "bands", "feed")
    truth = _store(db, source, range(60), 0)  # 120 days of originals
    cluster_new_items(db)
    truth |= _store(db, source, range(60), 1)  # a later crawl brings each one's repost
    report = cluster_new_items(db)
    assert report.items == 60 and report.near_duplicates == 60
    stories = _stories(db, truth)
    assert all(len(ids) == 1 for ids in stories.values())
    assert len({next(iter(ids)) for ids in stories.values()}) == 60

    reads: list[str] = []
    db.conn.set_trace_callback(lambda sql: reads.append(sql) if READ in sql else None)
    try:
        rebuilt = rebuild_stories(db)
    finally:
        db.conn.set_trace_callback(None)
    assert rebuilt.items == 120 and rebuilt.new_stories == 60 and rebuilt.near_duplicates == 60
    assert _stories(db, truth) == stories  # every story kept its id
    # 15 chunks over 120 days, read in stretches of the window's reach (20 days) and not per chunk
    assert 3 <= len(reads) < 15
