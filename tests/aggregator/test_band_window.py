"""The LSH bands live in memory for a run's window: reposts fold across crawls and across the
stretches in which a long rebuild reads the window, and the window is read a stretch at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

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


def _brute_neighbours(known, keys, lows, highs) -> list[list[int]]:
    """For each row of `keys`: the ids of `known` (id, moment, key set) sharing a key, in its window."""
    return [
        sorted(i for i, moment, found in known if found & set(row) and low <= moment <= high)
        for row, low, high in zip(keys.tolist(), lows, highs, strict=True)
    ]


def test_the_window_finds_what_a_pair_by_pair_search_finds_as_chunks_settle_and_old_items_go(monkeypatch):
    """Keys drawn from a small pool, so that rows share some: after each settled chunk, after
    the chunks' own array is merged into the large one, and after old items are dropped, each
    query finds exactly the items a search of every (row, item) pair finds."""
    monkeypatch.setattr(clustering, "MERGE_KEYS", 5 * clustering.BANDS)  # merged every few chunks
    rng = random.Random(3)
    window = clustering._BandWindow(None, timedelta(days=20))
    window.span = ("2026-01-01", "2026-12-31")
    known: list[tuple[int, str, set[int]]] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def keys_of(count: int) -> np.ndarray:
        return np.asarray(
            [[rng.randrange(400) for _ in range(clustering.BANDS)] for _ in range(count)], dtype=np.uint64
        )

    for chunk in range(12):
        keys = keys_of(4)
        ids = [100 * chunk + n for n in range(4)]
        moments = [(start + timedelta(days=chunk, hours=n)).isoformat() for n in range(4)]
        moments[1] = None if chunk % 5 == 0 else moments[1]  # an item with no moment is not kept
        window.add(keys, ids, moments)
        known += [(i, m, set(row)) for i, m, row in zip(ids, moments, keys.tolist(), strict=True) if m is not None]
        if chunk == 8:
            low = (start + timedelta(days=4)).isoformat()
            window._drop_before(low)
            known = [entry for entry in known if entry[1] >= low]
        query = keys_of(6)
        lows = np.asarray([(start + timedelta(days=rng.randrange(0, 6))).isoformat() for _ in range(6)], dtype=object)
        highs = np.asarray([(start + timedelta(days=rng.randrange(6, 13))).isoformat() for _ in range(6)], dtype=object)
        found = [sorted(ids) for ids in window.neighbours(query, lows, highs)]
        assert found == _brute_neighbours(known, query, lows, highs)
        assert any(found)  # the pool is small enough for rows to share keys
    assert len(window.keys) + len(window.new_keys) == clustering.BANDS * len(known)


def test_items_of_one_chunk_that_share_a_key_find_each_other():
    rng = random.Random(4)
    keys = np.asarray([[rng.randrange(10**6) for _ in range(clustering.BANDS)] for _ in range(6)], dtype=np.uint64)
    keys[4, 7] = keys[1, 3]  # a repost of item 1 in the same chunk
    keys[5, 0] = keys[1, 9]
    near = clustering._chunk_neighbours(keys)
    assert near == [[], [4, 5], [], [], [1], [1]]


def test_chunk_neighbours_agree_with_comparing_every_pair_of_rows():
    rng = random.Random(5)
    # keys from a small pool: runs of three and more rows share a key, rows share several keys
    keys = np.asarray([[rng.randrange(400) for _ in range(clustering.BANDS)] for _ in range(40)], dtype=np.uint64)
    keys[7] = keys[3]  # an exact copy shares every key
    brute = [
        [other for other in range(len(keys)) if other != row and set(keys[row].tolist()) & set(keys[other].tolist())]
        for row in range(len(keys))
    ]
    assert clustering._chunk_neighbours(keys) == brute
    assert max(map(len, brute)) > 2
    assert clustering._chunk_neighbours(keys[:1]) == [[]]
